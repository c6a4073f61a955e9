"""Amplitudes and phases of real signals (docs/science.md §12.1).

The DFT X = F x of a real signal is Hermitian, X(−k) = conj X(k), so its amplitude is even,
A(−k) = A(k), and its phase odd, θ(−k) = −θ(k) (mod 2π). Any even amplitude and odd phase
synthesise a real signal. At the self-conjugate frequencies (k = −k mod the side: the zero
frequency and, for even sides, the Nyquist ones) X is real and the phase is 0 or π.
"""

from __future__ import annotations

import torch


def polar(x: torch.Tensor, dims) -> tuple[torch.Tensor, torch.Tensor]:
    """Amplitude |X| and phase arg X of the DFT of real ``x`` over ``dims``."""
    X = torch.fft.fftn(x, dim=dims)
    return X.abs(), X.angle()


def synthesize(amplitude: torch.Tensor, phase: torch.Tensor, dims,
               check: bool = True) -> torch.Tensor:
    """The real signal with DFT amplitude·e^{i·phase} over ``dims``.

    With ``check``, raises if the inverse DFT has an imaginary part above round-off, i.e.
    if amplitude and phase were not Hermitian-symmetric.
    """
    x = torch.fft.ifftn(torch.polar(amplitude, phase), dim=dims)
    if check:
        scale = x.real.abs().amax().clamp_min(1.0)
        if float(x.imag.abs().amax()) > 1e-9 * float(scale):
            raise ValueError("amplitude and phase are not Hermitian-symmetric: the signal is not real")
    return x.real


def hermitian_phases(shape, dims, generator: torch.Generator,
                     dtype=torch.float64) -> torch.Tensor:
    """Uniform random phases, odd in k over ``dims``, for signals of ``shape``.

    They are the phases of the DFT of real white noise: at every frequency that is not
    self-conjugate the DFT of i.i.d. normals is a circular complex Gaussian, independent
    across the pairs {k, −k}, so its phase is uniform on [−π, π) and independent of the
    others; the self-conjugate frequencies get 0 or π with probability 1/2 each.
    """
    w = torch.randn(tuple(shape), generator=generator, dtype=dtype)
    return torch.fft.fftn(w, dim=dims).angle()


def zero_frequency(dims, ndim: int) -> tuple:
    """Index of the zero frequency over ``dims`` in a tensor of ``ndim`` dimensions."""
    idx = [slice(None)] * ndim
    for d in dims:
        idx[d] = 0
    return tuple(idx)

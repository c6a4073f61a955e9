"""Names and sizes of the fourier stage that planning needs, without the numerics (torch-free)."""

from ..core import budget

#: the Fourier clones of an image set (``clones``)
CLONES = ("amplitude", "phase", "amplitude_swap", "amplitude_whitened")


def denoiser_steps(spec: dict, N: int) -> int:
    """SGD steps of one synthetic denoiser cell: the sample budget n_max(N) over the batch,
    at least one."""
    return max(1, round(budget.sample_budget(spec["n_max"], N) / spec["batch"]))

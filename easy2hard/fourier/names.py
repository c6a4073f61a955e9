"""Names of the fourier stage that planning needs, without the numerics (torch-free)."""

#: the Fourier clones of an image set (``clones``)
CLONES = ("amplitude", "phase", "amplitude_swap", "amplitude_whitened")

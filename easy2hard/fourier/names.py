"""Names and sizes of the fourier stage that planning needs, without the numerics (torch-free)."""

#: the Fourier clones of an image set (``clones``)
CLONES = ("amplitude", "phase", "amplitude_swap", "amplitude_whitened")


def samples(budget: dict, N: int) -> float:
    """The sample budget ``coef * N**power`` of a block's ``n_max`` at signal length N (the
    classifier's n_max per run, rounded; the denoiser's, divided by its batch: its steps)."""
    return budget["coef"] * N ** budget["power"]

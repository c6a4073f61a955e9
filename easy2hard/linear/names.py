"""Names of the linear stage that planning needs, without the numerics (torch-free)."""

GAUSSIAN = ("isotropic", "power_law")
#: laws.LAWS, with the power-law covariance
NON_GAUSSIAN = ("student_t", "laplace_latent")
TARGETS = (*GAUSSIAN, *NON_GAUSSIAN, "natural_patches")


def sizes(d: int, N_over_d) -> list[int]:
    """Training-set sizes N = round(r d), one per ratio r, without duplicates."""
    return list(dict.fromkeys(int(round(r * d)) for r in N_over_d))

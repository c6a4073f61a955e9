"""Names of the linear stage that planning needs, without the numerics (torch-free)."""

GAUSSIAN = ("isotropic", "power_law")
#: laws.LAWS, with the power-law covariance
NON_GAUSSIAN = ("student_t", "laplace_latent")
TARGETS = (*GAUSSIAN, *NON_GAUSSIAN, "natural_patches")

"""The multipatch stage: diffusion against classification feature learning (Han et al. 2025;
docs/science.md §11). data (multi-patch samples, exact Gaussian clones), model (networks and
both losses), init, training (lockstep gradient descent), measures (alignments, input
gradients, denoising), synthetic and noisy_digits (the two experiments), digits (loaders),
plots (figure helpers, no torch)."""

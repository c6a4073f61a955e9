"""Denoising score matching with random features (George, Veiga, Macris 2025; docs/science.md §13).

A d-dimensional Gaussian target, a random-features score s_A(x) = A σ(W x / sqrt d) / sqrt p
with W fixed and A trained by ridge-regularised DSM on n data points and m noise samples each
(m = inf: the noise integrated out exactly). Modules:

  moments     Gaussian second moments of the features (Gauss-Hermite + Mehler series)
  problem     seeded draws (data, W, noise) and the feature map
  ridge       the exact ridge solution in one spectral decomposition, reused across λ
  empirical   the empirical optimal score and nearest-neighbour distances
  grid        learning curves and the phase diagram: errors over (ψ_n, ψ_p, m, λ, seed)
  sampling    ancestral sampling with ridge solutions on a grid of diffusion times
  asymptotics the d -> inf errors at m = 1 (ridge deterministic equivalent)
  extrapolate the d -> inf table: derived at m = 1, a 1/d fit for other m
  regimes     memorisation by the generalisation gap and where it sets in
  plots       the figures (drawing functions of the figure registry)
"""

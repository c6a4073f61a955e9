"""Overlap dynamics of online pSGD on the MCM: the reduced SDE on the spike overlaps
(docs/science.md §6.8).

One pSGD step (batch 1, z integrated) moves the overlaps m = (<w, u>, <w, v>) of the unit
vector w by (docs/science.md §9, w' = (w + β (x − λ w)) / ρ, β = −c P(λ), c = η Δ_t e^{−t}):

    m' = (m + β (y − λ m)) / sqrt(1 + β² (‖x‖² − λ²)),   λ = <m, y> + sqrt(1 − |m|²) ξ,

with y = x_S the spike coordinates of the sample and ξ ~ N(0, 1) its bulk along w_⊥. Per
sample,

    dm = [a(m) − k(m) m] dn + V(m)^{1/2} dW,

with a − k m and V the mean and covariance of one step's increment (``increment_law``): to
leading order a = c A, k = (c²/2)((N − d − 1) Q + R) and V = c² Σ, where
A = E[−P (y − λ m)] = −(1 − m²) L'(m) / (Δ_t e^{−t}) (the drift of the population loss),
Q = E[P²], R = E[P² (|y|² + ξ² − λ²)] and Σ the covariance of −P (y − λ m) (its second moment
minus A Aᵀ); the mean is carried to order c³ and V to order c⁴ (the covariance of the step
with the renormalisation's shrink, O(c N) against c² Σ, and beyond). The tables depend on m
only; they are computed once per setting by quadrature on a grid of m (dense near 0, where
the escape happens) and the SDE is integrated for an ensemble of paths
started uniformly on the sphere (the start |m| ≈ N^{−1/2} and the early noise are what make
the escape stochastic for k* ≥ 3). ``noise=False`` keeps only c A:
the plain gradient flow of L(m), the check that tells a noise-driven delay from the drift.

d = 1 (the target overlap only; the other spike, if any, is left in the bulk) for independent
latents; d = 2 (m_u, m_v) for correlated latents, whose drift couples the two.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

from ..core import ou
from ..core.hermite import split_rule
from ..core.progress import Progress
from .coefficients import activation_values, student_t_scale_rule

TABLE_POINTS = 4097


@dataclass(frozen=True)
class Setting:
    """One pSGD setting whose overlap dynamics is predicted (z integrated, batch 1)."""

    activation: str
    t: float
    beta_u: float = 0.0
    beta_v: float = math.inf
    latent: str = "rademacher"
    correlated: bool = False
    latent_a: float = 0.1
    student_df: float = 5.0
    gh_order: int = 24

    @property
    def target(self) -> str:
        """The spike a run is scored on (as easy2hard.mcm.analysis.spike)."""
        return "u" if self.beta_v == 0 else "v"

    @property
    def dim(self) -> int:
        return 2 if self.correlated else 1


def p_table(s: Setting, L: float, points: int = TABLE_POINTS):
    """λ grid on [−L, L] and P(λ) = E_ξ[∂f/∂h] at r = 1 (Stein form, no σ''), as the
    reduced kernel's ``stein`` (docs/science.md §5.4)."""
    lam = np.linspace(-L, L, points)
    xi, w = np.polynomial.hermite_e.hermegauss(s.gh_order)
    w = w / w.sum()
    sd = math.sqrt(ou.delta(s.t))
    h = math.exp(-s.t) * lam[:, None] + sd * xi
    sig, dsig = activation_values(s.activation, h, s.t, s.beta_v)
    base = 2 * sig * dsig - 2 * sig - 2 * h * dsig
    return lam, (base + 2 / sd * xi * dsig) @ w


def spike_rule(s: Setting, order: int = 24):
    """Nodes y (K, d) and weights (K,) of the law of the spike coordinates y = x_S."""
    g, gw = np.polynomial.hermite_e.hermegauss(order)
    gw = gw / gw.sum()
    a = 1.0 if math.isinf(s.beta_v) else math.sqrt(s.beta_v / (1 + s.beta_v))
    sv = math.sqrt(max(1 - a * a, 0.0))
    if s.correlated:  # y_u = sqrt(β_u) λ + g_u, y_v = a sign(λ) + s g_v
        lam, lw = split_rule(0.0, 1.0, 0.0, order)
        gv, gvw = (g, gw) if sv > 0 else (np.zeros(1), np.ones(1))
        L, G, V = np.meshgrid(lam, g, gv, indexing="ij")
        W = (lw[:, None, None] * gw[None, :, None] * gvw[None, None, :]).ravel()
        y = np.stack([math.sqrt(s.beta_u) * L + G, a * np.sign(L) + sv * V], -1)
        return y.reshape(-1, 2), W
    if s.target == "u":
        return (math.sqrt(1 + s.beta_u) * g)[:, None], gw
    if s.latent == "student_t":  # ν | W ~ N(0, (df − 2)/W): y | W is Gaussian
        ws, wp = student_t_scale_rule(s.student_df)
        sd = np.sqrt(a * a * (s.student_df - 2) / ws + sv * sv)
        return (sd[:, None] * g).reshape(-1, 1), (wp[:, None] * gw).ravel()
    if s.latent == "three_point":
        z = 1 / math.sqrt(2 * s.latent_a)
        nu, nw = np.array([-z, 0.0, z]), np.array([s.latent_a, 1 - 2 * s.latent_a, s.latent_a])
    else:
        nu, nw = np.array([-1.0, 1.0]), np.array([0.5, 0.5])
    gg, ggw = (g, gw) if sv > 0 else (np.zeros(1), np.ones(1))
    return (a * nu[:, None] + sv * gg).reshape(-1, 1), (nw[:, None] * ggw).ravel()


def axis(points: int, stretch: float) -> np.ndarray:
    """Grid of one overlap on [−1, 1], sinh(stretch u)/sinh(stretch) for uniform u: dense near 0."""
    return np.sinh(stretch * np.linspace(-1, 1, points)) / math.sinh(stretch)


class Coefficients(NamedTuple):
    """The SDE's tables on the grid ``axis`` (see ``coefficients``): ... is (points,) for d = 1
    and (points, points) for d = 2; e = y − λ m and k = |y|² + ξ² − λ² (‖x‖² − λ² without the
    bulk's χ²)."""

    axis: np.ndarray
    stretch: float
    A: np.ndarray  # (..., d): the drift E[−P e] (Stein form)
    Q: np.ndarray  # (...): E[P²]
    R: np.ndarray  # (...): E[P² k]
    S: np.ndarray  # (..., d, d): Σ, the covariance of −P e (second moment minus A Aᵀ)
    U: np.ndarray  # (..., d): E[P³ e]
    UK: np.ndarray  # (..., d): E[P³ k e]
    Q4: np.ndarray  # (...): E[P⁴]
    Q4K: np.ndarray  # (...): E[P⁴ k]
    Q4KK: np.ndarray  # (...): E[P⁴ k²]
    E4: np.ndarray  # (..., d, d): E[P⁴ e eᵀ]
    E4K: np.ndarray  # (..., d, d): E[P⁴ k e eᵀ]


def coefficients(s: Setting, points: int | None = None, stretch: float | None = None,
                 xi_order: int = 48) -> Coefficients:
    """The tables A, Q, R, Σ, U, Q4 (``Coefficients``) on the grid (nodes outside the unit
    disk are evaluated on its boundary).

    A is taken in its Stein form E[y P(λ)] − m (E[(m·y) P(λ)] + s² E[P'(λ)]) (λ given y is
    N(m·y, s²)), so its linear part at m = 0, (E[y yᵀ] − I) E[P'], vanishes exactly for a
    whitened spike whatever the ξ quadrature's error. Σ subtracts the quadrature's own mean of
    −P e (a covariance of the discrete rule: positive semi-definite)."""
    d = s.dim
    points = points or (1001 if d == 1 else 61)
    stretch = stretch or (5.0 if d == 1 else 2.0)
    ax = axis(points, stretch)
    y, yw = spike_rule(s, 24 if d == 1 else 16)
    xi, xw = np.polynomial.hermite_e.hermegauss(xi_order if d == 1 else 32)
    xw = xw / xw.sum()
    L = 10 * (math.sqrt(1 + s.beta_u) + np.abs(y).max()) + 10
    P_spline = CubicSpline(*p_table(s, L))
    m = grid_overlaps(ax, d)
    parts = [_moments(mc, y, yw, xi, xw, P_spline)
             for mc in np.array_split(m, max(1, len(m) * len(y) * len(xi) // 2_000_000))]
    shape = (points,) * d
    return Coefficients(ax, stretch, *(np.concatenate(p).reshape(*shape, *p[0].shape[1:])
                                       for p in zip(*parts)))


def grid_overlaps(ax: np.ndarray, d: int) -> np.ndarray:
    """The grid's nodes as overlaps (points**d, d), row-major, clipped to the unit disk."""
    m = np.stack([g.ravel() for g in np.meshgrid(*([ax] * d), indexing="ij")], -1)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1.0)


def _moments(m, y, yw, xi, xw, P_spline):
    """The tables of ``Coefficients`` (A to E4K, in order) at the overlaps m (M, d)."""
    s2 = np.clip(1 - (m * m).sum(1), 0, None)  # (M,)
    mu = m @ y.T  # (M, K)
    lam = mu[..., None] + np.sqrt(s2)[:, None, None] * xi  # (M, K, X)
    P = P_spline(lam)
    w = yw[:, None] * xw[None, :]  # (K, X)
    Pw = P * w
    Pbar, dPbar = Pw.sum(-1), (P_spline(lam, 1) * w).sum(-1)  # (M, K)
    A = -(Pbar @ y - m * ((mu * Pbar).sum(1) + s2 * dPbar.sum(1))[:, None])
    P2w, P3w = P * Pw, P * P * Pw
    P4w = P * P3w
    k = (y * y).sum(1)[:, None] + xi[None, :] ** 2 - lam * lam  # (M, K, X)
    e = y[None, :, None, :] - lam[..., None] * m[:, None, None, :]  # (M, K, X, d)
    mean = np.einsum("mkx,mkxa->ma", Pw, e)  # E[P e] by the same rule as the second moment
    S = np.einsum("mkx,mkxa,mkxb->mab", P2w, e, e) - mean[:, :, None] * mean[:, None, :]
    E4, E4K = (np.einsum("mkx,mkxa,mkxb->mab", f, e, e) for f in (P4w, P4w * k))
    return (A, P2w.sum((1, 2)), (P2w * k).sum((1, 2)), S,
            np.einsum("mkx,mkxa->ma", P3w, e), np.einsum("mkx,mkxa->ma", P3w * k, e),
            P4w.sum((1, 2)), (P4w * k).sum((1, 2)), (P4w * k * k).sum((1, 2)), E4, E4K)


def increment_law(coef: Coefficients, N: int, c: float):
    """Mean and covariance of one step's overlap increment at the grid's nodes, as the SDE
    integrates them (docs/science.md §6.8), for c = η Δ_t e^{−t}: (a, k, V), mean a − k m and
    covariance V (..., d, d). With β = −c P, K = k + q (q ~ χ²_n, n = N − d − 1, the bulk) and
    Δm = β e − β² K m/2 − β³ K e/2 + 3 β⁴ K² m/8 + O(β⁵) (1/ρ expanded):

        a = c A + (c³/2) H,  k = (c²/2) E[P² K] − (3/8) c⁴ E[P⁴ K²],   H = E[P³ K e],
        V = c² Σ + (c³/2)(G mᵀ + m Gᵀ) + (c⁴/4) Var(P² K) m mᵀ − c⁴ E[P⁴ K e eᵀ]
            − (c⁴/2)(A Hᵀ + H Aᵀ),   G = H + A E[P² K],

    the mean to order c³ (and c⁴ N²), the covariance to order c⁴: the terms beyond c² Σ are
    O(c N) (the step's covariance with the renormalisation's shrink) and O(c² N²) against it,
    with constants that grow with the tails of P (e.g. E[P⁴ e²]/E[P² e²] ≈ 40 on the σ*
    Rademacher spike and ≈ 350 on the correlated one, tests/test_sde_moments.py)."""
    d = coef.A.shape[-1]
    n = N - d - 1
    m = grid_overlaps(coef.axis, d).reshape(coef.A.shape)
    P2K = coef.R + n * coef.Q
    P4K2 = coef.Q4KK + 2 * n * coef.Q4K + (n * n + 2 * n) * coef.Q4
    H = coef.UK + n * coef.U
    G = H + coef.A * P2K[..., None]

    def sym(a, b):
        return a[..., :, None] * b[..., None, :] + b[..., :, None] * a[..., None, :]

    V = (c * c * coef.S + 0.5 * c ** 3 * sym(G, m)
         + 0.25 * c ** 4 * (P4K2 - P2K ** 2)[..., None, None] * m[..., :, None] * m[..., None, :]
         - c ** 4 * (coef.E4K + n * coef.E4) - 0.5 * c ** 4 * sym(coef.A, H))
    return c * coef.A + 0.5 * c ** 3 * H, 0.5 * c * c * P2K - 0.375 * c ** 4 * P4K2, V


def _sqrtm(S: np.ndarray) -> np.ndarray:
    """Symmetric square roots of a stack of PSD matrices (..., d, d)."""
    ev, U = np.linalg.eigh(S)
    return np.einsum("...ij,...j,...kj->...ik", U, np.sqrt(np.clip(ev, 0, None)), U)


def predict(s: Setting, N: int, lr: float, n_grid: np.ndarray, paths: int = 256, seed: int = 0,
            noise: bool = True, coef=None, courant: float = 0.2) -> np.ndarray:
    """|m_target| of ``paths`` SDE paths at the sample counts ``n_grid``: shape (paths, T)."""
    coef = coef if coef is not None else coefficients(s)
    d, ax = s.dim, coef.axis
    c = lr * ou.delta(s.t) * math.exp(-s.t)
    on = 1.0 if noise else 0.0
    drift, shrink, V = increment_law(coef, int(N), c)
    drift = drift if noise else c * coef.A  # the plain gradient flow of L(m)
    # Local stiffness: the Jacobian norm of the drift sets each step (Courant number).
    jac = np.sqrt(sum(np.gradient(coef.A[..., i], ax, axis=j) ** 2 for i in range(d)
                      for j in range(d)))
    rate = c * jac + on * c * c * (N - d - 1) * coef.Q
    F = np.concatenate([drift.reshape(-1, d), on * shrink.reshape(-1, 1),
                        on * _sqrtm(V).reshape(-1, d * d),
                        courant / np.maximum(rate, 1e-300).reshape(-1, 1)], 1)
    out = np.zeros((paths, len(n_grid)))
    _integrate(F, len(ax), d, coef.stretch, 2.0 / (len(ax) - 1), int(N), np.asarray(n_grid, float),
               int(paths), int(seed), 0 if s.target == "u" else d - 1, out)
    return out


@numba.njit(cache=True)
def _locate(m, stretch, sinh_s, du, points):
    """Cell index and fraction of overlap m on the sinh grid."""
    u = math.asinh(m * sinh_s) / stretch
    x = (u + 1.0) / du
    j = min(max(int(x), 0), points - 2)
    return j, min(max(x - j, 0.0), 1.0)


@numba.njit(cache=True)
def _field(F, points, d, stretch, du, m, row):
    """Bilinear interpolation of the rows of F at m (d = 1 or 2) into ``row``."""
    row[:] = 0.0
    if d == 1:
        j, f = _locate(m[0], stretch, math.sinh(stretch), du, points)
        row += (1 - f) * F[j] + f * F[j + 1]
        return
    j0, f0 = _locate(m[0], stretch, math.sinh(stretch), du, points)
    j1, f1 = _locate(m[1], stretch, math.sinh(stretch), du, points)
    for a, wa in ((j0, 1 - f0), (j0 + 1, f0)):
        for b, wb in ((j1, 1 - f1), (j1 + 1, f1)):
            row += wa * wb * F[a * points + b]


@numba.njit(cache=True)
def _integrate(F, points, d, stretch, du, N, n_grid, paths, seed, target, out):
    """Paths of the overlap SDE: Heun's predictor-corrector on the drift (second order, so
    the gradient flow is converged at the Courant number's steps) and Euler-Maruyama on the
    noise (Itô, its diffusion taken at the step's start); F rows: c A, the O(c²N) rate,
    c Σ^{1/2}, the step bound. out[p, k] = |m_target| of path p at n_grid[k]. The starts (uniform on
    the sphere) are drawn before any increment, so the first k paths of a seed start at the
    same points for every lr, N-grid and ``noise``: the drift-only check and the SDE, or two
    learning rates, differ by their dynamics, not by their sample of starts."""
    np.random.seed(seed)
    starts = np.empty((paths, d))  # drawn first: path p starts the same whatever F is
    for p in range(paths):
        for i in range(d):
            starts[p, i] = np.random.standard_normal()
        rest = np.random.chisquare(N - d)
        starts[p] /= math.sqrt((starts[p] * starts[p]).sum() + rest)
    row, ahead = np.empty(F.shape[1]), np.empty(F.shape[1])
    z, drift, mp = np.empty(d), np.empty(d), np.empty(d)
    for p in range(paths):
        m = starts[p].copy()
        n = 0.0
        for k in range(n_grid.shape[0]):
            while n < n_grid[k]:
                _field(F, points, d, stretch, du, m, row)
                dn = min(row[F.shape[1] - 1], n_grid[k] - n)
                for i in range(d):  # Heun on the drift: predict, then average the slopes
                    drift[i] = row[i] - row[d] * m[i]
                    mp[i] = m[i] + drift[i] * dn
                _field(F, points, d, stretch, du, mp, ahead)
                sq = math.sqrt(dn)
                for i in range(d):
                    z[i] = np.random.standard_normal()
                for i in range(d):
                    step = 0.5 * (drift[i] + ahead[i] - ahead[d] * mp[i]) * dn
                    for j in range(d):
                        step += row[d + 1 + i * d + j] * sq * z[j]
                    m[i] += step
                r2 = (m * m).sum()
                if r2 > 1.0:
                    m /= math.sqrt(r2)
                n += dn
            out[p, k] = abs(m[target])


SETTING_KEYS = ("activation", "projection", "latent", "correlated", "beta_u", "beta_v", "t")


def sweep_settings(spec: dict):
    """(labels, Setting) for every pSGD setting of an MCM sweep spec that the SDE covers
    (batch 1, z integrated; plain SGD has no overlap-only dynamics: its norm moves)."""
    if spec["batch"] != 1 or spec["z"] != "integrated":
        return []
    out = []
    for act, lat, corr, bu, bv, t in itertools.product(
            spec["activation"], spec["latent"], spec["correlated"], spec["beta_u"],
            spec["beta_v"], spec["t"]):
        if "sphere" not in spec["projection"] or float(spec["mean_shift"]) != 0:
            continue
        labels = dict(activation=act, projection="sphere", latent=lat, correlated=bool(corr),
                      beta_u=float(bu), beta_v=float(bv), t=float(t))
        out.append((labels, Setting(act, float(t), float(bu), float(bv), lat, bool(corr),
                                    float(spec["latent_a"]), float(spec["student_df"]),
                                    int(spec["gh_order"]))))
    return out


def predicted_curves(spec: dict, cells, paths: int, seed: int, points: int = 120,
                     log: logging.Logger | None = None, every: float = 10.0):
    """Mean (and sd) over ``paths`` SDE paths of the target overlap against n, per setting of
    the sweep ``spec`` and per cell (N, lr, n_max) in ``cells``, on ``points`` log-spaced n up
    to 2 n_max; ``dynamics`` = "sde" (full) or "drift" (noise=False): the same paths,
    started at the same points (``_integrate``), so the two differ by the noise alone.
    With ``log``, a progress line (paths done of all) at most every ``every`` seconds."""
    settings = sweep_settings(spec)
    progress = Progress(len(settings) * len(cells) * 2 * paths, log, "SDE paths", every)
    rows = []
    for labels, s in settings:
        coef = coefficients(s)
        for N, lr, n_max in cells:
            n = np.unique(np.round(np.geomspace(1, 2 * n_max, points)))
            for kind, noise in (("sde", True), ("drift", False)):
                m = predict(s, int(N), float(lr), n, paths, seed, noise, coef)
                rows.append(pd.DataFrame({**labels, "N": int(N), "dynamics": kind, "n": n,
                                          "mean": m.mean(0), "std": m.std(0), "paths": paths}))
                progress.update(progress.done + paths)
    if log is not None:
        progress.finish()
    cols = [*SETTING_KEYS, "N", "dynamics", "n", "mean", "std", "paths"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)

"""Exact reduced simulator of one-neuron SGD on the MCM (docs/science.md §9).

Every update keeps w in span(w, x_1..x_B[, z_1..z_B]), and outside S = span(u, v[, m]) the MCM
bulk is N(0, I). So (w_S, ‖w_⊥‖) is a Markov chain whose step needs x_S, one normal per
sample and one χ² per step: the cost does not depend on N. ``train`` takes the full engine's
``Cell`` and ``NeuronRun`` and returns a table with the same columns and meaning
(easy2hard.mcm.engine.train); the inner loop is compiled (``reduced_kernel``), all runs of a
cell in one call per chunk of steps. Run r draws from xoshiro256++ streams (easy2hard.mcm.rng)
seeded by the run's own stream keys (seed, "mcm-data" | "mcm-noise" | "mcm-eval", N) and its
start from a numpy PCG64 generator (seed, "mcm-init", N), so it does not depend on its
cell-mates, and runs that share a seed and a model see the same samples.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd

from ..core import lockstep_tables, streams
from ..core.mcm_model import MCM
from ..core.ou import delta
from ..core.quadrature import gauss_hermite_numpy
from . import reduced_kernel as K
from . import rng
from .cells import Cell, NeuronRun

TABLE_SIZE = 1 << 16
CHUNK = 1 << 22  # samples (all runs together) between two progress reports
STREAMS = ("mcm-data", "mcm-noise", "mcm-eval")  # the rows DATA, NOISE, EVAL of a run's state
# Test-loss columns of the output table, named as in easy2hard.mcm.engine (set -> column).
LOSS_COLUMNS = {"mcm": "loss_mcm", "mean_iso": "loss_mean_iso_clone",
                "meancov": "loss_meancov_clone"}
SORT = ["seed", "activation", "projection", "latent", "correlated", "beta_u", "beta_v", "t", "step"]


def dim_s(cell: Cell) -> int:
    """dim S: u and v, and the mean direction m only when there is a mean shift."""
    return 3 if cell.mean_shift else 2


def table_range(cell: Cell, run: NeuronRun) -> float:
    """Half-width L of the P table: |λ| <= ‖(x_S, ξ)‖ on the sphere, below L but for far tails."""
    extent = 1 / math.sqrt(2 * cell.latent_a) if run.latent == "three_point" else 1.0
    return 8 * math.sqrt(1 + run.beta_u) + extent + abs(cell.mean_shift) + 16


def _run_params(cell: Cell, run: NeuronRun, table: int):
    model = MCM(N=cell.N, beta_u=run.beta_u, beta_v=run.beta_v, latent=run.latent,
               correlated=run.correlated)
    decay, dt = math.exp(-run.t), delta(run.t)
    V = decay**2 * model.s**2 + dt
    L = table_range(cell, run)
    cov = math.sqrt(run.beta_u) * model.a * math.sqrt(2 / math.pi) if run.correlated else 0.0
    f = np.zeros(12)
    f[[K.F_LR, K.F_DECAY, K.F_SD, K.F_LIN, K.F_C, K.F_SQBU, K.F_A, K.F_S, K.F_COV, K.F_CP,
       K.F_L, K.F_INVDX]] = [
        run.lr, decay, math.sqrt(dt), 1 - 1 / V, model.a * decay / V, math.sqrt(run.beta_u),
        model.a, model.s, cov, run.lr * dt * decay / cell.batch, L, (TABLE_SIZE - 1) / (2 * L)]
    i = np.zeros(5, dtype=np.int64)
    i[[K.I_ACT, K.I_SPHERE, K.I_LATENT, K.I_CORR, K.I_TABLE]] = [
        K.ACTS.index(run.activation), run.projection == "sphere", K.LATENTS.index(run.latent),
        run.correlated, table]
    return i, f


def _tables(cell: Cell, fpar: np.ndarray, ipar: np.ndarray, gx, gw) -> np.ndarray:
    """One β(λ) table per distinct (activation, t, β_v, L, c_p) of the pSGD runs with z
    integrated out; writes each run's table index into ipar."""
    keys, rows = {}, []
    for f, i in zip(fpar, ipar):
        if not i[K.I_SPHERE] or cell.z == "mc":
            continue
        key = (i[K.I_ACT], *f[[K.F_DECAY, K.F_SD, K.F_LIN, K.F_C, K.F_CP, K.F_L]])
        if key not in keys:
            keys[key] = len(rows)
            rows.append(K.p_table(int(key[0]), *key[1:], TABLE_SIZE, gx, gw))
        i[K.I_TABLE] = keys[key]
    return np.stack(rows) if rows else np.zeros((1, 2))


def initial_states(cell: Cell, runs: list[NeuronRun], init=None) -> np.ndarray:
    """(w_S, s) of every run's start, (R, dS + 1): a uniform direction (stream "mcm-init"),
    norm 1 for pSGD and w_init_norm for plain SGD; or the reduced coordinates of given
    w ∈ R^N (``init``, one per run). The random starts draw from one PCG64 set to each run's
    seeded state (rng.pcg64_state): the draws of
    ``np.random.Generator(np.random.PCG64(streams.seed_of(seed, "mcm-init", N)))`` without
    building a generator per run."""
    if init is not None:
        return np.stack([_given_start(cell, r, w) for r, w in zip(runs, init)])
    dS = dim_s(cell)
    words = rng.seed_states(np.array([streams.seed_of(r.seed, "mcm-init", cell.N) for r in runs],
                                     dtype=np.uint64))
    bits = np.random.PCG64()
    gen = np.random.Generator(bits)
    out = np.empty((len(runs), dS + 1))
    for i, r in enumerate(runs):
        bits.state = rng.pcg64_state(words[i])
        wS = gen.standard_normal(dS)
        s2 = gen.chisquare(cell.N - dS) if cell.N > dS else 0.0
        w = np.append(wS, math.sqrt(s2))
        out[i] = w / np.linalg.norm(w) * (1.0 if r.projection == "sphere" else cell.w_init_norm)
    return out


def _given_start(cell: Cell, run: NeuronRun, w) -> np.ndarray:
    """The reduced coordinates (w_S, ‖w_⊥‖) of a given w ∈ R^N (normalised for pSGD)."""
    from ..core import lockstep  # torch: only to rebuild the spikes of a given w

    w = np.asarray(w, dtype=np.float64)
    u, v, m = (x.double().numpy()
               for x in lockstep.spike_basis(cell.N, run.seed, cell.spikes, "mcm-spikes"))
    wS = np.array([w @ u, w @ v, w @ m])[:dim_s(cell)]
    out = np.append(wS, math.sqrt(max(w @ w - wS @ wS, 0.0)))
    return out / (np.linalg.norm(out) if run.projection == "sphere" else 1.0)


def stream_states(runs: list[NeuronRun], N: int) -> np.ndarray:
    """(R, 3, 4) uint64: each run's xoshiro256++ states for the purposes STREAMS at N."""
    keys = [streams.seed_of(r.seed, tag, N) for r in runs for tag in STREAMS]
    return rng.seed_states(np.array(keys, dtype=np.uint64)).reshape(len(runs), len(STREAMS), 4)


def chunks(logs: np.ndarray, size: int):
    """(k, step) pairs in order: every log point (k its row) and, between them, every
    multiple of ``size`` steps (k = −1): where the engine stops to report progress."""
    out, prev = [], 0
    for k, s in enumerate(logs):
        out += [(-1, int(x)) for x in range((prev // size + 1) * size, int(s), size)]
        out.append((k, int(s)))
        prev = int(s)
    return out


def _kernel_inputs(cell: Cell, runs: list[NeuronRun], drop_xi: bool = False):
    """(ipar, fpar, table, cp, ki, gx, gw): the compiled kernel's parameters for ``runs``."""
    gx, gw = gauss_hermite_numpy(cell.gh_order)
    params = [_run_params(cell, r, 0) for r in runs]
    ipar = np.stack([p[0] for p in params])
    fpar = np.stack([p[1] for p in params])
    table = _tables(cell, fpar, ipar, gx, gw)
    cp = np.array([cell.mean_shift, cell.latent_a, cell.student_df], dtype=np.float64)
    ki = np.array([cell.N, cell.steps, cell.batch, dim_s(cell), cell.z == "mc",
                   cell.eval_samples, not drop_xi], np.int64)
    return ipar, fpar, table, cp, ki, gx, gw


def one_step_draws(cell: Cell, run: NeuronRun, start, draws: int) -> np.ndarray:
    """``draws`` independent next states (w_S, s), (draws, dS + 1), of ONE step of ``run``
    from the reduced state ``start`` = (w_S, s) (the engine's own step, ``reduced_kernel.
    advance``, on the run's data stream): the exact one-step law, for the tests of the
    overlap SDE's coefficients (docs/science.md §6.8)."""
    ipar, fpar, table, cp, ki, gx, gw = _kernel_inputs(cell, [run])
    out = np.empty((int(draws), dim_s(cell) + 1))
    K.one_steps(stream_states([run], cell.N)[0], ipar[0], fpar[0], cp, ki,
                np.asarray(start, dtype=np.float64), table, gx, gw, out)
    return out


def train(cell: Cell, runs: list[NeuronRun], threads: int = 1, init=None, device=None,
          drop_xi: bool = False, progress=None, chunk: int = CHUNK) -> pd.DataFrame:
    """Train all ``runs`` of ``cell`` with the reduced dynamics; the table of engine.train.

    ``threads``: numba threads over runs (results do not depend on it). ``init`` (R, N) replaces
    the random initial weights as in engine.train. ``device`` is accepted for the engine's
    signature and ignored (CPU only). ``drop_xi`` runs a deliberately wrong reduction (the
    bulk of x along w_⊥ left out), only for tests that must be able to reject it.
    ``progress`` (core.progress.Progress over runs × steps × batch samples) is updated
    between chunks of about ``chunk`` samples (all runs together); results do not depend on
    ``chunk``.
    """
    if cell.z not in ("integrated", "mc"):
        raise ValueError(f"unknown z {cell.z!r}; allowed: integrated, mc")
    for r in runs:
        if r.projection not in ("sphere", "none"):
            raise ValueError(f"unknown projection {r.projection!r}; allowed: sphere, none")
    N, dS = cell.N, dim_s(cell)
    ipar, fpar, table, cp, ki, gx, gw = _kernel_inputs(cell, runs, drop_xi)
    w = initial_states(cell, runs, init)
    logs = np.asarray(lockstep_tables.log_steps(cell.steps, cell.log_points), dtype=np.int64)
    sbar = np.array([math.sqrt(1 + r.beta_u / N) for r in runs])
    out = np.full((len(runs), len(logs), K.N_OUT), np.nan)
    st = stream_states(runs, N)
    xS = np.zeros((len(runs), len(K.SETS), max(cell.eval_samples, 1), dS))
    R = np.zeros((len(runs), max(cell.eval_samples, 1)))
    if cell.eval_samples:
        K.eval_all(st, ipar, fpar, cp, ki, sbar, xS, R)
    threads = max(1, min(threads, numba.config.NUMBA_NUM_THREADS, len(runs)))
    advance = K.advance_all if threads == 1 else K.advance_all_parallel
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        done = 0
        for k, end in chunks(logs, max(1, chunk // (len(runs) * cell.batch))):
            if end > done:
                advance(st, ipar, fpar, cp, ki, w, table, gx, gw, end - done)
                done = end
                if progress is not None:
                    progress.update(done * len(runs) * cell.batch)
            if k >= 0:
                K.record_all(st, ipar, fpar, ki, w, xS, R, sbar, gx, gw, out, k)
    finally:
        numba.set_num_threads(previous)
    return table_of(cell, runs, logs, out)


def table_of(cell: Cell, runs: list[NeuronRun], logs: np.ndarray, out: np.ndarray) -> pd.DataFrame:
    """One row per (run, logged step), columns and order as engine.train's table."""
    R, T = out.shape[:2]
    df = lockstep_tables.labels(runs).loc[np.repeat(np.arange(R), T)]
    df.insert(0, "N", cell.N)
    df["batch"] = cell.batch
    df["step"] = np.tile(logs, R)
    df["n"] = df["step"] * cell.batch
    cols = {"overlap_u": 0, "overlap_v": 1, "w_norm": 2}
    if cell.eval_samples:
        cols.update({c: 3 + K.SETS.index(s) for s, c in LOSS_COLUMNS.items()})
    for name, j in cols.items():
        df[name] = out[:, :, j].reshape(-1)
    return df.sort_values(SORT, kind="stable").reset_index(drop=True)

"""The reduced one-neuron simulator (docs/science.md §9) is exact in law: on the same settings it
gives the full engine's distribution of overlaps, ‖w‖ and test losses at every logged step, and
the same comparison rejects a deliberately wrong reduction (ξ, the bulk of x along w_⊥, dropped).

Each case trains a few hundred runs at N = 16 with both engines (fixed seeds, so every test is
deterministic; the reduced runs use other seeds than the full ones, so the two samples are
independent). Tolerance: at each logged step and for each column, z = (mean_full − mean_reduced)
/ sqrt(se_full² + se_reduced²) is N(0, 1) under exactness (CLT over ≥ 150 runs each). A case
makes at most 13 steps × 6 columns ≈ 80 such (positively correlated) comparisons; |z| < 4.5 has a
two-sided false-alarm probability of 7e-6 each, so below 1e-3 for a case even by the union
bound, while the wrong reduction moves the means by dozens of standard errors. The final-step
overlap distributions are also compared by a two-sample Kolmogorov-Smirnov test at level 1e-3.
pSGD's w_norm is 1 up to the full engine's float32 drift between renormalisations: it is checked
to be 1 within 1e-4 in both tables instead of being z-tested.
"""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from easy2hard.core import streams
from easy2hard.mcm import engine, reduced
from easy2hard.mcm import reduced_kernel as K
from easy2hard.mcm import one_neuron
from easy2hard.mcm.engine import Cell, NeuronRun

Z_MAX = 4.5
KS_LEVEL = 1e-3
OFFSET = 100_000  # seed offset of the reduced runs: independent of the full ones


def _columns(df):
    return [c for c in df.columns if c.startswith(("overlap", "w_norm", "loss_"))]


def worst_z(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, str]:
    """Largest |z| over projections, logged steps and columns (module docstring), and where."""
    worst, where = 0.0, ""
    for proj, pa in a.groupby("projection"):
        pb = b[b.projection == proj]
        for col in _columns(a):
            if col == "w_norm" and proj == "sphere":
                assert (pa[col] - 1).abs().max() < 1e-4 and (pb[col] - 1).abs().max() < 1e-4
                continue
            ga = pa.groupby("step")[col].agg(["mean", "sem"])
            gb = pb.groupby("step")[col].agg(["mean", "sem"])
            z = ((ga["mean"] - gb["mean"]) / np.sqrt(ga["sem"] ** 2 + gb["sem"] ** 2)).abs()
            if col == "w_norm":  # step 0: ‖w‖ = w_init_norm in both, up to float32 rounding
                assert abs(ga["mean"].iloc[0] - gb["mean"].iloc[0]) < 1e-6
                z = z.iloc[1:]
            if len(z) and z.max() > worst:
                worst, where = float(z.max()), f"{proj} {col} at step {z.idxmax()}"
    return worst, where


def ks_final(a: pd.DataFrame, b: pd.DataFrame, col: str) -> float:
    last = a["step"].max()
    return stats.ks_2samp(a.loc[a.step == last, col], b.loc[b.step == last, col]).pvalue


def both(cell: Cell, runs: list[NeuronRun], **kw):
    torch.set_num_threads(1)
    full = engine.train(cell, runs)
    red = reduced.train(cell, [NeuronRun(**{**r.__dict__, "seed": r.seed + OFFSET}) for r in runs], **kw)
    return full, red


CASES = {
    # pSGD σ* on the Rademacher cumulant spike, lr = 0.01 (N/32)^-3 as in the default sweep.
    "cumulant_psgd": (Cell(N=16, steps=6000, log_points=12),
                      [NeuronRun(seed=s, t=0.3, lr=0.08) for s in range(300)]),
    # plain SGD, tanh, covariance spike: ‖w‖ moves too.
    "covariance_sgd_tanh": (Cell(N=16, steps=1500, log_points=10),
                            [NeuronRun(seed=s, activation="tanh", projection="none", beta_u=1.0,
                                 beta_v=0.0, t=0.3, lr=0.04) for s in range(300)]),
    "correlated": (Cell(N=16, steps=3000, log_points=10),
                   [NeuronRun(seed=s, correlated=True, beta_u=9.0, t=0.3, lr=0.01) for s in range(300)]),
    # finite β_v (whitening along v), three-point latent, random spikes.
    "finite_beta_v": (Cell(N=16, steps=5000, log_points=10, spikes="random", latent_a=0.3),
                      [NeuronRun(seed=s, latent="three_point", beta_v=4.0, t=0.3, lr=0.08)
                       for s in range(300)]),
    "batch_4": (Cell(N=16, steps=1000, batch=4, log_points=10),
                [NeuronRun(seed=s, t=0.3, lr=0.2, projection=p) for s in range(150)
                 for p in ("sphere", "none")]),
    "mc_z": (Cell(N=16, steps=2000, z="mc", log_points=10),
             [NeuronRun(seed=s, t=0.3, lr=0.02, beta_u=1.0, projection=p) for s in range(150)
              for p in ("sphere", "none")]),
    # test losses on the MCM and its clones, with a mean shift (dim S = 3), Student-t latents.
    "eval_losses": (Cell(N=16, steps=800, log_points=6, eval_samples=100, mean_shift=1.0),
                    [NeuronRun(seed=s, t=0.3, lr=0.05, beta_u=2.0, correlated=c, activation="tanh",
                         latent="student_t") for s in range(150) for c in (False, True)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_reduced_engine_matches_full_engine_in_law(case):
    cell, runs = CASES[case]
    full, red = both(cell, runs)
    assert list(full.columns) == list(red.columns)
    assert full[["seed", "step"]].shape == red[["seed", "step"]].shape
    z, where = worst_z(full, red)
    assert z < Z_MAX, f"{case}: |z| = {z:.2f} ({where})"
    for col in ("overlap_u", "overlap_v"):
        assert ks_final(full, red, col) > KS_LEVEL, f"{case}: KS rejects {col}"


def test_dropping_xi_is_rejected():
    """Power: the same comparison must fail for a wrong reduction (λ without s ξ)."""
    cell, runs = CASES["cumulant_psgd"]
    full, red = both(cell, runs, drop_xi=True)
    z, _ = worst_z(full, red)
    assert z > 3 * Z_MAX
    assert ks_final(full, red, "overlap_v") < KS_LEVEL


def test_stein_terms_match_the_library():
    """The compiled Gauss-Hermite terms equal one_neuron.stein_terms for every activation (to
    1e-5: the library computes σ*'s constants in float32)."""
    gx, gw = reduced.gauss_hermite_numpy(24)
    lam = np.linspace(-4, 4, 9)
    for act in K.ACTS:
        for r, bv in ((1.0, math.inf), (0.6, 4.0)):
            run = NeuronRun(seed=0, activation=act, t=0.3, beta_v=bv)
            _, f = reduced._run_params(Cell(N=16, steps=1), run, 0)
            want = one_neuron.stein_terms(act, torch.tensor(lam), r, 0.3, bv, 24)
            got = np.array([K.stein(K.ACTS.index(act), x, r, f[K.F_DECAY], f[K.F_SD],
                                    f[K.F_LIN], f[K.F_C], gx, gw) for x in lam]).T
            np.testing.assert_allclose(got, np.stack([w.numpy() for w in want]),
                                       rtol=1e-5, atol=1e-8, err_msg=act)


def test_runs_do_not_depend_on_cell_mates_or_threads():
    cell = Cell(N=40, steps=500, log_points=5, eval_samples=20)
    runs = [NeuronRun(seed=s, activation=a, projection=p, t=0.3, lr=0.05)
            for s in (0, 1) for a in ("sigma_star", "tanh") for p in ("sphere", "none")]
    together = reduced.train(cell, runs)
    alone = pd.concat([reduced.train(cell, [r]) for r in runs])
    keys = ["seed", "activation", "projection", "step"]
    pd.testing.assert_frame_equal(together, alone.sort_values(keys).reset_index(drop=True))
    pd.testing.assert_frame_equal(together, reduced.train(cell, runs, threads=2))


def test_random_starts_are_each_runs_own_generator():
    """The batched starts equal each run's draws from its own PCG64 generator seeded by
    (seed, "mcm-init", N): a uniform direction (w_S, ‖w_⊥‖), norm 1 for pSGD, w_init_norm
    for plain SGD, with and without a mean direction in S."""
    for N, mu in ((40, 0.0), (7, 0.5)):
        cell = Cell(N=N, steps=1, mean_shift=mu, w_init_norm=0.3)
        runs = [NeuronRun(seed=s, activation="tanh", projection=p, t=0.3, lr=0.1)
                for s in range(6) for p in ("sphere", "none")]
        dS = reduced.dim_s(cell)
        for r, got in zip(runs, reduced.initial_states(cell, runs)):
            gen = np.random.Generator(np.random.PCG64(streams.seed_of(r.seed, "mcm-init", N)))
            want = np.append(gen.standard_normal(dS), math.sqrt(gen.chisquare(N - dS)))
            want = want / np.linalg.norm(want) * (1.0 if r.projection == "sphere" else 0.3)
            np.testing.assert_array_equal(got, want)


def test_planted_solution_stays_put():
    """Teacher-student: with σ*, w = v is a fixed point; the reduced state starts there."""
    N = 64
    v = np.zeros(N)
    v[1] = 1.0
    cell = Cell(N=N, steps=20_000, log_points=4)
    df = reduced.train(cell, [NeuronRun(seed=s, t=0.3, lr=0.01) for s in range(4)],
                       init=np.tile(v, (4, 1)))
    assert df.loc[df.step == 0, "overlap_v"].eq(1.0).all()
    assert df.loc[df.step == df.step.max(), "overlap_v"].min() > 0.9


def test_progress_chunks_do_not_change_results():
    """Stopping every 64 samples to report progress gives the same table as one call per log
    interval, and the progress reaches the total."""
    from easy2hard.core.progress import Progress

    cell = Cell(N=40, steps=700, log_points=5, eval_samples=10)
    runs = [NeuronRun(seed=s, activation=a, projection=p, t=0.3, lr=0.05)
            for s in (0, 1) for a in ("sigma_star", "tanh") for p in ("sphere", "none")]
    progress = Progress(len(runs) * cell.steps, every=0.0)
    chunked = reduced.train(cell, runs, progress=progress, chunk=64)
    pd.testing.assert_frame_equal(chunked, reduced.train(cell, runs, chunk=1 << 40))
    assert progress.done == len(runs) * cell.steps and progress.lines > 10


def test_chunks_cover_every_log_point():
    logs = np.array([0, 1, 5, 40, 100])
    out = reduced.chunks(logs, 16)
    assert [k for k, _ in out if k >= 0] == list(range(5))
    steps = [s for _, s in out]
    assert steps == sorted(steps) and steps[-1] == 100 and 16 in steps and 96 in steps


def test_reduced_sweep_cell_imports_no_torch():
    """The sweep-cell script's imports and a reduced-engine cell leave torch unimported (it
    costs seconds of start-up per job); the full engine imports it where it is used."""
    import subprocess
    import sys

    code = """
import sys
from easy2hard.core.tables import write_parquet
from easy2hard.mcm import sweeps
from easy2hard.pipeline.scripting import log_to, pick_device
spec = {"N": [8], "seeds": [0, 1], "engine": "reduced",
        "n_max": {"coef": 50, "power": 1, "log": False},
        "lr": {"coef": 0.05, "power": 0, "ref_N": 8}, "batch": 1, "activation": ["sigma_star"],
        "projection": ["sphere", "none"], "latent": ["rademacher"], "correlated": [False],
        "beta_u": [0.0], "beta_v": [float("inf")], "t": [0.3], "spikes": "axes", "mean_shift": 0.0,
        "latent_a": 0.1, "student_df": 5.0, "z": "integrated", "gh_order": 24, "w_init_norm": 1.0,
        "log_points": 3, "eval_samples": 4}
table = sweeps.train_cell(spec, 8)
assert len(table) == 4 * 4, table
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr

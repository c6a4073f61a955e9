"""Reference denoisers of the image evaluation (Wiener, empirical optimum), the seed-mean gap
table, nearest-neighbour memorisation, and the image figures' drawn data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.core import ddpm
from easy2hard.images import clones, evaluation, memorisation, plots, reference


def gaussian_images(n, lam, seed):
    """n images (n, 1, 2, 2) of N(0.3, diag(lam)) in a random orthonormal basis."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(np.random.default_rng(99).standard_normal((4, 4)))[0]
    x = 0.3 + (rng.standard_normal((n, 4)) * np.sqrt(lam)) @ Q.T
    return x.reshape(n, 1, 2, 2).astype(np.float32)


LAM = np.array([2.0, 0.5, 0.1, 0.01])


def test_wiener_reaches_the_gaussian_mmse():
    # E‖ε − E[ε | x_k]‖²/D = (1/D) Σ ᾱλ/(ᾱλ + 1 − ᾱ) for Gaussian data; fitted on 40 000
    # samples (fit error ~ 1 %), checked on 4000 fresh images within 5 s.e. + 2 %.
    sched = ddpm.Schedule()
    ab = sched.alpha_bar()
    wiener = reference.fit("wiener", gaussian_images(40000, LAM, 0))
    test = gaussian_images(4000, LAM, 1)
    n, ks, eps = evaluation.common_draws({"test": test}, 4000, [50, 300, 700], sched.T, seed=0)
    losses = reference.per_image_losses(wiener, {"test": test}, eps, ks, ab)
    for t in ("50", "300", "700"):
        a = float(ab[int(t)])
        expected = np.mean(a * LAM / (a * LAM + 1 - a))
        x = losses[t]["test"]
        assert abs(x.mean() - expected) < 5 * x.std() / math.sqrt(n) + 0.02 * expected, t


def dense_posterior_mean(y, xk, ab):
    """The empirical posterior mean by the definition, no chunks or truncation."""
    d = ((xk[:, None, :] - ab.sqrt()[:, None, None] * y[None]) ** 2).sum(-1)
    w = torch.softmax(-d / (2 * (1 - ab[:, None])), dim=1)
    return w @ y


def test_empirical_optimum_is_the_posterior_mean_over_training_images():
    rng = np.random.default_rng(0)
    train = rng.standard_normal((300, 1, 3, 3))
    emp = reference.fit("empirical", train)
    ab = ddpm.Schedule().alpha_bar()[torch.tensor(rng.integers(0, 1000, 200))]
    x0 = torch.as_tensor(rng.standard_normal((200, 9)))
    eps = torch.as_tensor(rng.standard_normal((200, 9)))
    xk = ab.sqrt()[:, None] * x0 + (1 - ab).sqrt()[:, None] * eps
    expected = ((x0 - dense_posterior_mean(emp.y, xk, ab)) ** 2).sum(1)
    got = emp.error(x0, emp.project(x0, True), emp.project(eps, False), ab, chunk=32)
    assert torch.allclose(got, expected, rtol=1e-8, atol=1e-10)


def test_empirical_optimum_memorises_and_beats_wiener_on_its_training_set():
    sched = ddpm.Schedule()
    train = gaussian_images(200, LAM, 2)
    sets = {"test": gaussian_images(200, LAM, 3), "train": train}
    df = evaluation.reference_losses(sets, train, ["wiener", "empirical"], 200, [0], sched, seed=1)
    mean = df.groupby(["denoiser", "set", "t"])["loss"].mean()
    # at k = 0 the noise is tiny: the posterior mean is the training image itself ...
    assert mean["empirical", "train", "0"] < 1e-6
    # ... and far off for a held-out image, which it has to map to a training image
    assert mean["empirical", "test", "0"] > 10 * mean["wiener", "test", "0"]
    assert mean["empirical", "train", "all"] < mean["wiener", "train", "all"]


class WienerNet(torch.nn.Module):
    """The Wiener denoiser as a network: ε̂(x_k, k), to check the evaluation's pairing."""

    def __init__(self, wiener, alpha_bar):
        super().__init__()
        self.w, self.ab = wiener, alpha_bar

    def forward(self, x, k):
        a = self.ab[k].double()[:, None]
        xk = x.double().flatten(1)
        c = (xk - a.sqrt() * self.w.mu) @ self.w.V
        x0 = self.w.mu + (c * a.sqrt() * self.w.lam / (a * self.w.lam + 1 - a)) @ self.w.V.T
        return ((xk - a.sqrt() * x0) / (1 - a).sqrt()).view_as(x).float()


def test_unet_and_reference_losses_share_images_noise_and_steps():
    sched = ddpm.Schedule(T=100)
    train = gaussian_images(500, LAM, 4)
    sets = {"test": gaussian_images(50, LAM, 5), "train": train,
            "wide": gaussian_images(50, 4 * LAM, 6)}
    ref = evaluation.reference_losses(sets, train, ["wiener", "empirical"], 40, [10, 90], sched, seed=7)
    net = WienerNet(reference.fit("wiener", train), sched.alpha_bar())
    df = evaluation.evaluate(net, sets, 40, [10, 90], sched, seed=7, denoisers=ref)
    # the network is the Wiener denoiser: identical per-image losses up to float32
    assert np.allclose(df["loss"], df["wiener_loss"], rtol=1e-4)
    assert np.allclose(df["diff_minus_wiener"], 0, atol=1e-5)
    wide = df[(df["set"] == "wide") & (df["t"] == "90")].iloc[0]
    assert wide["wiener_diff_to_test"] > 5 * wide["wiener_diff_to_test_se"] > 0
    with pytest.raises(ValueError, match="images per set"):
        evaluation.evaluate(net, sets, 30, [10, 90], sched, seed=7, denoisers=ref)


def sparse_images(n, seed):
    """n images (n, 1, 2, 2) of a non-Gaussian law: ±√(λ/0.1) on 10 % of the eigen-coordinates,
    0 elsewhere (same mean and covariance as ``gaussian_images``)."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(np.random.default_rng(99).standard_normal((4, 4)))[0]
    c = rng.choice([-1.0, 1.0], (n, 4)) * (rng.random((n, 4)) < 0.1) * np.sqrt(LAM / 0.1)
    return (0.3 + c @ Q.T).reshape(n, 1, 2, 2).astype(np.float32)


def test_gaussian_twin_gap_is_zero_for_wiener_and_not_for_the_empirical_optimum():
    """C_S = loss(S) − loss(N(μ_S, Σ_S)): 0 up to sampling for the (affine) Wiener denoiser,
    clearly negative for a denoiser that knows S is sparse (the empirical optimum on S's law)."""
    sched = ddpm.Schedule(T=100)
    train, source = sparse_images(400, 10), sparse_images(20000, 11)
    twin = clones.twin("phase", source, 3000, seed=0)
    mu, cov = clones.fit(twin)
    assert np.allclose(cov, clones.fit(source)[1], atol=0.05 * LAM.max())
    sets = {"test": gaussian_images(3000, LAM, 5), "phase": source[:3000], "twin_phase": twin}
    ref = evaluation.reference_losses(sets, train, ["wiener", "empirical"], 3000, [10], sched, seed=7)
    df = evaluation.evaluate(WienerNet(reference.fit("wiener", train), sched.alpha_bar()), sets,
                             3000, [10], sched, seed=7, denoisers=ref)
    row = df[(df["set"] == "phase") & (df["t"] == "10")].iloc[0]
    assert abs(row["wiener_twin_gap"]) < 4 * row["wiener_twin_gap_se"]
    assert row["twin_gap"] == pytest.approx(row["wiener_twin_gap"], abs=1e-5)
    assert row["empirical_twin_gap"] < -5 * row["empirical_twin_gap_se"] < 0
    assert df[df["set"] == "test"]["twin_gap"].isna().all()
    g = evaluation.seed_mean_gaps(df.assign(dataset="x", run="r", seed=0, step=1))
    assert g[g["set"] == "phase"]["twin_gap"].notna().all()


def test_twins_draw_their_own_streams():
    x = sparse_images(500, 1)
    a, b = clones.twin("train", x, 50, seed=0), clones.twin("phase", x, 50, seed=0)
    assert np.array_equal(a, clones.twin("train", x, 50, seed=0)) and not np.allclose(a, b)
    with pytest.raises(ValueError, match="twin"):
        clones.twin("meancov", x, 5, seed=0)


def test_seed_mean_gaps_combine_standard_errors_of_independent_seeds():
    rows = []
    for seed, (d, se) in enumerate([(0.02, 0.003), (0.04, 0.004)]):
        for s in ("test", "phase"):
            rows.append({"dataset": "x", "run": "r", "seed": seed, "step": 5, "t": "all", "set": s,
                         "loss": 1.0, "diff_to_test": d if s != "test" else 0.0,
                         "diff_to_test_se": se, "wiener_diff_to_test": 0.01,
                         "wiener_diff_to_test_se": 0.001, "diff_minus_wiener": d - 0.01,
                         "diff_minus_wiener_se": se})
    g = evaluation.seed_mean_gaps(pd.DataFrame(rows))
    assert list(g["set"]) == ["phase"]
    row = g.iloc[0]
    assert row["diff_to_test"] == pytest.approx(0.03)
    assert row["diff_to_test_se"] == pytest.approx(math.sqrt(0.003**2 + 0.004**2) / 2)
    assert row["z_minus_wiener"] == pytest.approx(0.02 / (0.005 / 2))


# ------------------------------------------------------------------ memorisation
def test_nearest_ratio_finds_copies_and_new_images():
    rng = np.random.default_rng(0)
    train = rng.standard_normal((50, 1, 4, 4))
    copies = train[[3, 17]] + 1e-3 * rng.standard_normal((2, 1, 4, 4))
    r = memorisation.nearest_ratios(np.concatenate([copies, rng.standard_normal((30, 1, 4, 4))]), train)
    assert list(r["nearest"][:2]) == [3, 17] and (r["ratio"][:2] < 0.01).all()
    assert (r["ratio"][2:] > 1 / 3).mean() > 0.8  # fresh Gaussians are nobody's copy
    assert (r["d1"] <= r["d2"]).all()
    d = np.sqrt(((copies[0] - train) ** 2).sum((1, 2, 3)))
    assert r["d1"][0] == pytest.approx(np.sort(d)[0]) and r["d2"][0] == pytest.approx(np.sort(d)[1])


def test_copy_of_a_duplicated_training_image_is_memorised():
    """A sample equal to two identical training images has d1 = d2 = 0: ratio 0, whatever
    the round-off of the expanded distances (values far from 0 make it large)."""
    rng = np.random.default_rng(2)
    train = 100 + rng.standard_normal((40, 1, 32, 32))
    train[25] = train[7]
    r = memorisation.nearest_ratios(train[[7, 25, 3]], train)
    assert (r["d1"][:2] == 0).all() and (r["d2"][:2] == 0).all()
    assert (r["ratio"][:2] == 0).all()
    assert r["ratio"][2] == 0 and r["d2"][2] > 0  # a single copy: d1 = 0 < d2


def test_memorised_fraction_and_its_bootstrap_interval():
    ratios = np.r_[np.full(30, 0.1), np.full(70, 0.8)]
    s = memorisation.summary(ratios, 1 / 3, n_boot=2000, seed=0)
    assert s["frac_memorised"] == pytest.approx(0.3)
    # binomial s.e. sqrt(0.3 · 0.7 / 100) = 0.046: the 95 % interval spans about ±0.09
    assert s["frac_lo"] < 0.3 < s["frac_hi"]
    assert 0.15 < s["frac_hi"] - s["frac_lo"] < 0.22
    assert s["ratio_median"] == pytest.approx(0.8)


def test_memorisation_table_and_figure():
    rng = np.random.default_rng(1)
    train = rng.standard_normal((40, 1, 3, 3))
    by_step = {10: rng.standard_normal((8, 1, 3, 3)), 100: train[:8] + 1e-4}
    table = memorisation.memorisation_table(by_step, train, rng.standard_normal((20, 1, 3, 3)),
                                            1 / 3, 200, 0).assign(dataset="d", run="r")
    assert list(table["source"]) == ["samples", "samples", "test"]
    assert table["frac_memorised"].iloc[1] == 1.0 and table["n"].iloc[2] == 20
    fig, drawn = plots.memorisation({"memorisation": [_parquet(table)]}, {})
    got = drawn["memorisation"]
    assert list(got["step"].dropna()) == [10.0, 100.0]
    assert got["frac_memorised"].tolist() == table["frac_memorised"].tolist()


# --------------------------------------------------------------------- figures
def _parquet(df: pd.DataFrame) -> str:
    import tempfile

    path = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False).name
    df.to_parquet(path)
    return path


def fake_losses() -> pd.DataFrame:
    rows = []
    for seed in (0, 1):
        for step in (1, 10, 100):
            for t in ("all", "100"):
                for s in ("train", "test", "meancov", "phase"):
                    d = 0.0 if s == "test" else 0.001 * step * (seed + 1)
                    rows.append({"dataset": "d", "run": "r", "seed": seed, "step": step, "t": t,
                                 "set": s, "loss": 0.1 + d, "loss_se": 0.01, "n_images": 20,
                                 "diff_to_test": d, "diff_to_test_se": 0.001,
                                 "wiener_loss": 0.2 + (s == "phase") * 0.01,
                                 "wiener_diff_to_test": (s == "phase") * 0.01,
                                 "wiener_diff_to_test_se": 0.001, "empirical_loss": 0.5,
                                 "empirical_diff_to_test": 0.0, "empirical_diff_to_test_se": 0.0,
                                 "diff_minus_wiener": d - (s == "phase") * 0.01,
                                 "diff_minus_wiener_se": 0.001})
    return pd.DataFrame(rows)


def test_clone_losses_draws_unet_curves_and_reference_lines():
    df = fake_losses()
    fig, drawn = plots.clone_losses({"losses": [_parquet(df)]}, {})
    unet, ref = drawn["unet"], drawn["reference"]
    assert set(unet["set"]) == {"train", "test", "meancov", "phase"}
    assert len(unet) == 4 * 3 * 2  # sets x steps x t
    phase = unet[(unet["set"] == "phase") & (unet["t"] == "all")].sort_values("step")
    assert phase["diff_to_test"].tolist() == pytest.approx([0.0015, 0.015, 0.15])  # seed mean
    assert phase["wiener_diff_to_test"].tolist() == pytest.approx([0.01] * 3)
    wiener_test = ref[(ref["denoiser"] == "wiener") & (ref["set"] == "test")]
    assert wiener_test["loss"].tolist() == pytest.approx([0.2, 0.2])
    assert set(ref["denoiser"]) == {"wiener", "empirical"}


GAPS_PARAMS = {"z": 2.0, "sets": ["meancov", "phase"], "level": 0.95}


def _clone_gaps(losses: pd.DataFrame, **params):
    return plots.clone_gaps({"gaps": [_parquet(evaluation.seed_mean_gaps(losses))],
                             "losses": [_parquet(losses)], "tracking": []},
                            GAPS_PARAMS | params)


def test_clone_gaps_draws_the_unet_gap_beside_the_wiener_gap():
    fig, drawn = _clone_gaps(fake_losses())
    g = drawn["gaps"]
    assert set(g["set"]) == {"meancov", "phase"} and len(g) == 2 * 3 * 2
    last = g[(g["set"] == "phase") & (g["step"] == 100) & (g["t"] == "100")].iloc[0]
    assert last["diff_minus_wiener"] == pytest.approx(0.15 - 0.01)


def three_seed_losses() -> pd.DataFrame:
    """fake_losses with a third seed, k = 100, 800 and uniform, and a twin gap on phase
    that differs between seeds (−0.002, −0.004, −0.009 × step / 100)."""
    df = fake_losses()
    third = df[df["seed"] == 1].assign(seed=2)
    third["diff_to_test"] *= 3 / 2
    third["diff_minus_wiener"] = third["diff_to_test"] - third["wiener_diff_to_test"]
    df = pd.concat([df, third], ignore_index=True)
    df = pd.concat([df, df[df["t"] == "100"].assign(t="800")], ignore_index=True)
    factor = df["seed"].map({0: 2, 1: 4, 2: 9}) * df["step"] / 100
    df["twin_gap"] = np.where(df["set"] == "phase", -0.001 * factor, np.nan)
    df["twin_gap_se"] = np.where(df["set"] == "phase", 0.0001, np.nan)
    return df


def test_clone_gaps_lower_row_draws_seed_means_with_their_t_intervals():
    from scipy import stats

    losses = three_seed_losses()
    fig, drawn = _clone_gaps(losses, ks=["100", "all"])
    low = drawn["residuals"]
    assert set(low["t"]) == {"100", "all"} and set(low["n_seeds"]) == {3}
    for (t, name, step, quantity), row in low.set_index(["t", "set", "step", "quantity"]).iterrows():
        v = losses[(losses["t"] == t) & (losses["set"] == name) & (losses["step"] == step)][quantity]
        half = stats.t.ppf(0.975, 2) * v.std(ddof=1) / np.sqrt(3)
        assert (row["mean"], row["lo"], row["hi"]) == pytest.approx(
            (v.mean(), v.mean() - half, v.mean() + half), abs=1e-12)
    assert set(low[low["quantity"] == "twin_gap"]["set"]) == {"phase"}  # meancov has no twin
    # what the axes show is that data: the twin gap's dash-dot line at k = 100
    twin = low[(low["quantity"] == "twin_gap") & (low["t"] == "100")]
    lines = [ln for ax in fig.axes for ln in ax.lines if ln.get_linestyle() == "-."]
    assert any(list(ln.get_ydata()) == pytest.approx(twin["mean"].tolist()) for ln in lines)
    assert all(ax.get_xscale() == "log" for ax in fig.axes)


def test_clone_gaps_with_one_seed_draws_the_image_sampling_interval():
    losses = three_seed_losses()
    fig, drawn = _clone_gaps(losses[losses["seed"] == 0], ks=["all"])
    low = drawn["residuals"]
    assert set(low["interval"]) == {"image"} and set(low["t"]) == {"all"}
    twin = low[low["quantity"] == "twin_gap"]
    assert (twin["hi"] - twin["lo"]).tolist() == pytest.approx([4 * 0.0001] * 3)

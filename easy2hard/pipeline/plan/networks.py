"""Plan of the network stage: one table per (sweep, N, width m, depth L) (``CELL``, rule
networks_cell), and the figures named in networks.figures."""

from __future__ import annotations

import math

from ...networks.names import RUN_GRID
from ..unit_costs import unit
from .common import device, figure_files, path, per_job, without
from .stage import Claim, Cost, Figure, Job, Stage

FIGURES = ("fig3a_width", "fig3bc_depth", "figA4", "fig1c_mcm_clones")
CELL = "networks/{sweep}/N{N}_m{m}_L{L}.parquet"
#: the test sets evaluated at each logged step (the MCM and its two clones), each sample a
#: forward pass: about a third of a training sample's work
EVAL_SETS, FORWARD_SHARE = 3, 1 / 3


def cells(cfg: dict, sweep: str, results: str) -> list[str]:
    spec = cfg["networks"]["sweeps"][sweep]
    return [path(results, CELL, sweep=sweep, N=N, m=m, L=L)
            for N in spec["N"] for m in spec["width"] for L in spec["depth"]]


def cell_spec(cfg: dict, sweep: str) -> dict:
    """A sweep's spec less the lists that only add cells (N, width, depth)."""
    return without(cfg["networks"]["sweeps"][sweep], "N", "width", "depth")


def figure_tables(cfg: dict, figure: str, results: str) -> list[str]:
    return [p for s in cfg["networks"]["figures"][figure]["sweeps"]
            for p in cells(cfg, s, results)]


def targets(cfg: dict, results: str) -> list[str]:
    """Every table, and the PDF and PNG of every figure named in networks.figures."""
    out = [p for s in cfg["networks"]["sweeps"] for p in cells(cfg, s, results)]
    for fig in FIGURES:
        if fig in cfg["networks"]["figures"]:
            out += figure_files(results, fig)
    return out


def check(cfg: dict) -> list[str]:
    """The autoencoder has one hidden layer; figures name existing network sweeps."""
    sweeps = cfg["networks"]["sweeps"]
    out = [f"config key 'networks.sweeps.{name}.depth': the autoencoder has one hidden layer; "
           f"allowed: [1]" for name, spec in sweeps.items()
           if spec["model"] == "autoencoder" and spec["depth"] != [1]]
    allowed = ", ".join(map(repr, sorted(sweeps))) or "(none)"
    out += [f"config key 'networks.figures.{fig}.sweeps': unknown sweep {name!r}; "
            f"allowed: one of {allowed}"
            for fig, fspec in cfg["networks"]["figures"].items() for name in fspec["sweeps"]
            if name not in sweeps]
    return out + sweep_name_collisions(cfg)


def sweep_name_collisions(cfg: dict) -> list[str]:
    """An MCM sweep and a network sweep never share a name (they share logs and figures'
    sweep lists by name, and one name should mean one experiment)."""
    shared = sorted(set(cfg["mcm"]["sweeps"]) & set(cfg["networks"]["sweeps"]))
    return [f"config key 'networks.sweeps.{name}': the name is also an MCM sweep "
            f"(mcm.sweeps.{name}); allowed: a name not used under mcm.sweeps" for name in shared]


def _figure(name: str, params=None) -> Figure:
    """A network figure: it reads the cells of the sweeps networks.figures.<name> lists."""
    extra = {"params": params} if params else {}
    return Figure(name, f"easy2hard.networks.plots:{name}",
                  lambda cfg, results: {"tables": figure_tables(cfg, name, results)},
                  category="MCM networks", **extra)


def claim_inputs(figure: str):
    """The cells of a figure's sweeps; none when this config does not draw the figure."""
    def inputs(cfg: dict, results: str) -> dict:
        if figure not in cfg["networks"]["figures"]:
            return {}
        return {"tables": figure_tables(cfg, figure, results)}
    return inputs


EXCESS = ("per run, the overlap with v at the last step minus the chance level of its width "
          "(chance_overlap); t-interval over seeds")
TRAINED = "the seed-mean MCM test loss at the last step is below its step-0 value in every group"
SECTION = "paper §4.5"


def network_claim(figure: str, statement: str, prediction: str, control: str,
                  params: dict, source: str) -> Claim:
    return Claim(
        id=f"networks.{figure}", statement=statement, source=f"{SECTION}, {source}",
        prediction=f"{prediction} ({EXCESS})", control=control, calibration=TRAINED,
        evaluate=f"easy2hard.networks.claims:{figure}", inputs=claim_inputs(figure),
        params=lambda cfg: dict(params), figure=figure)


CLAIMS = (
    network_claim(
        "fig3a_width", "A wide two-layer autoencoder trained with Adam learns the hidden "
        "direction v with ReLU and ReLU².", "at the widest width, each activation's excess "
        "over chance > 0 beyond its interval", "the chance level of that width (random "
        "initialisation: E max over m neurons of |cos(w_i, v)|, exact)",
        {"activations": ["relu", "relu2"]}, "Fig. 3a"),
    network_claim(
        "fig3bc_depth", "As depth grows, ReLU² residual networks lose the spike while "
        "tanh and sigmoid ones recover it.", "at the deepest depth, tanh and sigmoid excess "
        "over chance > 0 beyond its interval", "ReLU² at the same depth (exploding "
        "activations): its excess must not exceed 0 beyond its interval",
        {"recover": ["tanh", "sigmoid"], "fail": ["relu2"]}, "Figs. 3b–c"),
    network_claim(
        "figA4", "Adam on a narrow autoencoder (m = 1) stays stuck, while the wide one "
        "learns v (Fig. A.4b: with plain SGD).", "every wide (m > 1) group's excess over "
        "chance > 0 beyond its interval, with ReLU and ReLU²", "the narrow (m = 1) groups of "
        "the same activations: their excess must not exceed 0 beyond its interval",
        {"activations": ["relu", "relu2"]}, "Fig. A.4"),
    Claim(
        id="networks.fig1c_mcm_clones",
        source="paper §1 and Fig. 1 (clone losses: mean and covariance are learnt before "
               "higher-order statistics); here on the MCM with a residual network, the "
               "project's Fig. 1c",
        statement="A deep network on the mixed cumulant model learns the Gaussian statistics "
                  "first: its test loss on the mean_iso clone separates from the meancov "
                  "clone's before its MCM loss drops below the meancov clone's.",
        prediction="the first step at which mean_iso − meancov test loss is > 0 beyond its "
                   "seed t-interval comes before the first at which meancov − MCM is, and the "
                   "latter happens by the last step",
        control="the mean_iso − meancov difference (what the covariance alone explains), "
                "at the last step",
        calibration="the seed-mean MCM test loss at the last step is below its step-0 value",
        evaluate="easy2hard.networks.claims:fig1c_mcm_clones",
        inputs=claim_inputs("fig1c_mcm_clones"), figure="fig1c_mcm_clones"),
)


def cell_cost(cfg: dict, sweep: str, N: str, m: str, L: str) -> Cost:
    """steps x (L + 1) lockstep steps (the optimiser's and each layer's fixed overhead), runs
    x (training samples + test samples at a third) x N x m x L multiply-adds, torch's import."""
    spec = cfg["networks"]["sweeps"][sweep]
    runs, steps = math.prod(len(spec[k]) for k in RUN_GRID), spec["steps"]
    tests = spec["log_points"] * spec["eval_samples"] * EVAL_SETS * FORWARD_SHARE
    samples = steps * spec["batch"] + tests
    flops = runs * samples * int(N) * int(m) * int(L)
    seconds = (unit("torch_start") + steps * (int(L) + 1) * unit("network_step")
               + flops * unit("network_flop"))
    return Cost(seconds, f"networks.sweeps.{sweep}", f"{runs} runs x {steps} steps")


JOBS = {
    "networks_cell": Job(
        outputs={"table": CELL}, cost=cell_cost,
        params=lambda cfg: {"spec": per_job(cell_spec, cfg, "sweep"), **device(cfg)},
        wildcards=lambda cfg: {"m": "[0-9]+", "L": "[0-9]+"}),
}

STAGE = Stage(
    name="networks", targets=targets, check=check, jobs=JOBS, claims=CLAIMS,
    figures=(
        _figure("fig3a_width"),
        _figure("fig3bc_depth"),
        _figure("figA4", lambda cfg: {"sweeps": cfg["networks"]["figures"]["figA4"]["sweeps"]}),
        _figure("fig1c_mcm_clones"),
    ),
)

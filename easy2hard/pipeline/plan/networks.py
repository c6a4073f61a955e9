"""Plan of the network stage: one table per (sweep, N, width m, depth L) under
results/networks/{sweep}/N{N}_m{m}_L{L}.parquet, and the figures named in networks.figures."""

from __future__ import annotations

from .common import device, figure_files, per_job, without
from .stage import Figure, Stage

FIGURES = ("fig3a_width", "fig3bc_depth", "figA4", "fig1c_mcm_clones")


def cells(cfg: dict, sweep: str, results: str) -> list[str]:
    spec = cfg["networks"]["sweeps"][sweep]
    return [f"{results}/networks/{sweep}/N{N}_m{m}_L{L}.parquet"
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


JOBS = {
    "networks_cell": lambda cfg: {"spec": per_job(cell_spec, cfg, "sweep"), **device(cfg)},
}

STAGE = Stage(
    name="networks", targets=targets, check=check, jobs=JOBS,
    figures=(
        _figure("fig3a_width"),
        _figure("fig3bc_depth"),
        _figure("figA4", lambda cfg: {"sweeps": cfg["networks"]["figures"]["figA4"]["sweeps"]}),
        _figure("fig1c_mcm_clones"),
    ),
)

"""File names of the network sweeps (workflow/rules/networks.smk), from the config dict.

One table per (sweep, N, width m, depth L): results/mcm/{sweep}/N{N}_m{m}_L{L}.parquet.
"""

from __future__ import annotations

FIGURES = ("fig3a_width", "fig3bc_depth", "figA4", "fig1c_mcm_clones")


def cells(config: dict, sweep: str, results: str = "results") -> list[str]:
    spec = config["networks"]["sweeps"][sweep]
    return [f"{results}/mcm/{sweep}/N{N}_m{m}_L{L}.parquet"
            for N in spec["N"] for m in spec["width"] for L in spec["depth"]]


def figure_tables(config: dict, figure: str, results: str = "results") -> list[str]:
    return [p for s in config["networks"]["figures"][figure]["sweeps"]
            for p in cells(config, s, results)]


def targets(config: dict, results: str = "results") -> list[str]:
    """Every table, and the PDF and PNG of every figure named in networks.figures."""
    out = [p for s in config["networks"]["sweeps"] for p in cells(config, s, results)]
    for fig in FIGURES:
        if fig in config["networks"]["figures"]:
            out += [f"{results}/figures/{fig}.pdf", f"{results}/figures/{fig}.png"]
    return out


def check(config: dict) -> None:
    """Cross-key checks the schema cannot express; raises ValueError naming the key."""
    sweeps = config["networks"]["sweeps"]
    for name, spec in sweeps.items():
        if spec["model"] == "autoencoder" and spec["depth"] != [1]:
            raise ValueError(f"config key 'networks.sweeps.{name}.depth': the autoencoder "
                             f"has one hidden layer; allowed: [1]")
    for fig, fspec in config["networks"]["figures"].items():
        for name in fspec["sweeps"]:
            if name not in sweeps:
                raise ValueError(
                    f"config key 'networks.figures.{fig}.sweeps': unknown sweep {name!r}; "
                    f"allowed: one of {', '.join(map(repr, sorted(sweeps))) or '(none)'}")

"""CPU seconds of the overlap SDE (easy2hard.theory.dynamics.predict), the unit costs of the
theory_dynamics estimate (easy2hard.pipeline.cost, ``sde_path``, ``sde_path_2d``,
``sde_table_2d``): one JSON line per (sweep, N, form) of config/config.yaml's sweeps drawn
against theory, with the seconds per path and per path x (1 + c n_max), c = lr Δ_t e^{-t} the
drift's time scale per sample; a path's steps grow with c n_max (its sample budget in drift
time), and the 1 is its fixed part (the n grid). The last line is the median of each unit.

    .venv/bin/python benchmarks/sde_paths.py [--paths 16] [--config config/config.yaml]
"""

import argparse
import json
import math
import statistics
import time

import numpy as np

from easy2hard.core import ou
from easy2hard.pipeline import config
from easy2hard.pipeline.plan import mcm
from easy2hard.theory import dynamics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=16)
    ap.add_argument("--config", default="config/config.yaml")
    args = ap.parse_args()
    cfg = config.load(args.config)
    units: dict[str, list[float]] = {"sde_path": [], "sde_path_2d": [], "sde_table_2d": []}
    for sweep in mcm.predicted_sweeps(cfg):
        for _, s in dynamics.sweep_settings(mcm.sweep_spec(cfg, sweep))[:1]:
            t0 = time.process_time()
            coef = dynamics.coefficients(s)
            if s.dim == 2:
                units["sde_table_2d"].append(time.process_time() - t0)
            for N, lr, n_max in mcm.sweep_cells(cfg, sweep):
                n = np.unique(np.round(np.geomspace(1, 2 * n_max, 120)))
                dynamics.predict(s, int(N), float(lr), n[:3], 4, 0, True, coef)  # compiled
                budget = 1 + lr * ou.delta(s.t) * math.exp(-s.t) * n_max
                for noise in (True, False):
                    t0 = time.process_time()
                    dynamics.predict(s, int(N), float(lr), n, args.paths, 0, noise, coef)
                    per_path = (time.process_time() - t0) / args.paths
                    units["sde_path_2d" if s.dim == 2 else "sde_path"].append(per_path / budget)
                    print(json.dumps({"sweep": sweep, "N": N, "noise": noise, "budget": budget,
                                      "s_per_path": per_path, "s_per_unit": per_path / budget}),
                          flush=True)
    print(json.dumps({k: statistics.median(v) for k, v in units.items() if v}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Re-run one MCM threshold cell with more seeds and smaller learning rates, simulation and
overlap SDE alike (easy2hard.pipeline.threshold_recheck), and print the Markdown table:

    .venv/bin/python scripts/mcm_recheck.py cumulant_correlated 16 [--seeds 128]
        [--lr-factors 1 0.5 0.25] [--paths 512] [--config config/config.yaml] [--out FILE]

The table goes to ``--out`` (default results/mcm/recheck/{sweep}_N{N}.parquet, written
atomically); progress goes to standard error.
"""

import argparse
import logging
import sys

from easy2hard.core.tables import write_parquet
from easy2hard.pipeline import config as configuration
from easy2hard.pipeline.plan import mcm as plan_mcm
from easy2hard.pipeline.threshold_recheck import markdown, recheck

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("sweep")
p.add_argument("N", type=int)
p.add_argument("--seeds", type=int, default=128)
p.add_argument("--lr-factors", type=float, nargs="+", default=[1.0, 0.5, 0.25])
p.add_argument("--paths", type=int, default=512, help="SDE paths (the config's are fewer)")
p.add_argument("--config", default="config/config.yaml")
p.add_argument("--out")
a = p.parse_args()
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
try:
    cfg = configuration.load(a.config)
except configuration.ConfigError as e:
    sys.exit(str(e))
sweeps = cfg["mcm"]["sweeps"]
if a.sweep not in sweeps:
    sys.exit(f"sweep {a.sweep!r} is not in {a.config}'s mcm.sweeps; allowed: {', '.join(sweeps)}")
try:
    table = recheck(plan_mcm.sweep_spec(cfg, a.sweep), a.sweep, a.N, a.seeds, a.lr_factors,
                    plan_mcm.threshold_params(cfg), {**cfg["theory"]["dynamics"], "paths": a.paths})
except ValueError as e:  # a bad --seeds, --lr-factors or N: one line, nothing written
    sys.exit(f"mcm_recheck: {e}")
write_parquet(table, a.out or f"{cfg['results_dir']}/mcm/recheck/{a.sweep}_N{a.N}.parquet")
print(markdown(table, plan_mcm.threshold_params(cfg)["bootstrap"]["ci"]))

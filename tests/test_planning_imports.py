"""Planning is torch-free: every snakemake invocation (and every SLURM job, which re-reads the
workflow) imports the plan and validates the config, so neither may load torch, numba or
scipy (seconds of import each)."""

import json
import subprocess
import sys

from .conftest import REPO

PROBE = """
import json, sys, yaml
from easy2hard.pipeline import config, cost, plan, provenance
raw = yaml.safe_load(open(sys.argv[1]))
if sys.argv[2:]:  # paper scale is refused on a CPU-only machine: plan it for a GPU
    raw["device"] = sys.argv[2]
cfg = config.validate(raw)
plan.final_output(cfg)
cost.estimate(cfg)
print(json.dumps(sorted(m for m in ("torch", "numba", "scipy") if m in sys.modules)))
"""


def test_planning_and_validation_import_no_torch_numba_or_scipy():
    for name, device in (("config.yaml", []), ("paper.yaml", ["cuda"]), ("authors.yaml", [])):
        proc = subprocess.run([sys.executable, "-c", PROBE, str(REPO / "config" / name), *device],
                              capture_output=True, text=True, cwd=REPO, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout.splitlines()[-1]) == [], (name, proc.stdout)

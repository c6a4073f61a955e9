"""What grouping MCM sweep cells saves on SLURM: submitted jobs and wall time.

Starts the single-node test cluster (tests/slurm_cluster.py; needs root and apt-get), runs
the same tiny sweep (CELLS cells) through profiles/slurm once with one cell per SLURM job
(group-components mcm=1) and once grouped (the profile's mcm=8, capped at --cores 2), and
counts the dry-run jobs of config/paper.yaml with and without grouping. Prints one JSON line.
    .venv/bin/python -m benchmarks.slurm_grouping
"""

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests import slurm_cluster  # noqa: E402
from tests.test_slurm import SLURM_ARGS  # noqa: E402

Ns = [8, 10, 12, 14, 16, 18]
CFG = {"device": "cpu", "datasets": {"build": []}, "figures": {},
       "mcm": {"sweeps": {"g": {"N": Ns, "n_max": {"coef": 20, "power": 1},
                                "t": [0.3], "seeds": [0, 1], "log_points": 5}}}}
ENV = {"E2H_SLURM_PARTITION": slurm_cluster.PARTITION, "E2H_SLURM_ACCOUNT": ""}


def smk(workdir, cfg, targets, *args):
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(cfg))
    env = dict(__import__("os").environ, **ENV)
    return subprocess.run([sys.executable, "-m", "snakemake", *targets,
                           "-s", str(REPO / "Snakefile"),
                           "--directory", str(workdir), "--configfile",
                           str(workdir / "config.yaml"), *args],
                          capture_output=True, text=True, env=env, timeout=900, check=True)


def dry_jobs(components: int) -> int:
    """Jobs the SLURM profile would submit for config/paper.yaml's MCM sweeps."""
    cfg = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    cells = [f"results/mcm/{s}/N{N}.parquet" for s, spec in cfg["mcm"]["sweeps"].items()
             for N in spec["N"]]
    with tempfile.TemporaryDirectory() as d:
        out = smk(Path(d), cfg, cells, "--workflow-profile", str(REPO / "profiles/slurm"),
                  "-n", "--group-components", f"mcm={components}").stdout
    return len(re.findall(r"Group job mcm", out))


def main():
    result = {"dry_paper_jobs_ungrouped": dry_jobs(1), "dry_paper_jobs_grouped": dry_jobs(8)}
    targets = [f"results/mcm/g/N{N}.parquet" for N in Ns]
    with tempfile.TemporaryDirectory() as d, slurm_cluster.SlurmCluster(Path(d) / "c"):
        for name, comp in (("ungrouped", 1), ("grouped", 8)):
            start = time.perf_counter()
            out = smk(Path(d) / name, CFG, targets, *SLURM_ARGS, "--group-components",
                      f"mcm={comp}")
            result[f"wall_{name}_s"] = round(time.perf_counter() - start, 1)
            text = out.stdout + out.stderr
            result[f"sbatch_{name}"] = len(re.findall(r"submitted with SLURM jobid", text))
    result["cells"] = len(Ns)
    result["dry_jobs_ratio"] = round(result["dry_paper_jobs_grouped"]
                                     / result["dry_paper_jobs_ungrouped"], 3)
    result["sbatch_ratio"] = round(result["sbatch_grouped"] / result["sbatch_ungrouped"], 3)
    result["wall_ratio"] = round(result["wall_grouped_s"] / result["wall_ungrouped_s"], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

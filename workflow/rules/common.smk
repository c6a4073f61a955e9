# Shared by every stage: config validation (before any job starts, including every
# cross-key check of easy2hard.pipeline.plan) and wildcard constraints. Which files the
# config asks for is decided in one place, easy2hard.pipeline.plan (rule all).
import os
import sys

# The library lives at the repository root: importable here, and in every job (local,
# --use-conda, SLURM) through PYTHONPATH, which jobs inherit. The workflow sets this
# variable rather than reading one from the user, so there is nothing for `envvars:` to assert.
sys.path.insert(0, workflow.basedir)
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        p for p in (workflow.basedir, os.environ.get("PYTHONPATH")) if p
    )
)

import atexit  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

from snakemake.settings.types import DeploymentMethod  # noqa: E402
from snakemake.utils import update_config  # noqa: E402

from easy2hard.pipeline import config as e2h_config  # noqa: E402

# --use-conda needs the conda command itself (Snakemake 9 checks conda >= 24.7.1, also
# where mamba is installed) and network access to create the environments: README "Conda".
if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
    if shutil.which("conda") is None:
        raise WorkflowError(
            "--use-conda: the `conda` command is not on PATH; Snakemake needs conda >= "
            "24.7.1 (mamba alone is not enough) and network access to create the "
            "environments. See docs/running.md, section 'Conda', or run without --use-conda."
        )

# A --configfile is a complete config: it replaces config/config.yaml rather than being
# merged into it (merging would mix the default sweeps into, say, config/paper.yaml).
# --config KEY=VALUE still overrides single keys on top, nested ones included: Snakemake
# passes nested values as text, parsed here against the schema's type.
try:
    _overrides = e2h_config.parse_overrides(dict(workflow.config_settings.config or {}))
    if workflow.overwrite_configfiles:
        _raw = {}
        for _f in workflow.overwrite_configfiles:
            # read_yaml also rejects duplicate keys and an empty file
            update_config(_raw, e2h_config.read_yaml(_f))
    else:
        for _f in workflow.configfiles:
            # duplicate keys (Snakemake keeps the last one silently)
            e2h_config.read_yaml(_f)
        _raw = e2h_config.canonical(config)
    update_config(_raw, _overrides)
    _validated = e2h_config.validate(_raw)
except e2h_config.ConfigError as err:
    raise WorkflowError(str(err)) from None
config.clear()
config.update(_validated)

from easy2hard.pipeline import plan, provenance  # noqa: E402

# Every output lives under one root per config (config key results_dir, default results), so
# runs of several configs (config/paper.yaml, config/authors.yaml) coexist.
RESULTS = config["results_dir"]

# ---------------------------------------------------------------- reliability checks: begin
# Before any job, in the main process only (jobs re-read this file): --config keys given
# twice, unwritable output roots, the cost estimate (printed; jobs over cost.max_job_hours
# were refused by the validation above) and datasets above a size (a warning). The checks
# that need the rules' output patterns (tables that fail their sidecar checksum, every
# output folder's writability) are in reliability_checks, which the Snakefile calls once
# every rule is defined. The figures of a run are kept (onstart) so that a failed figure job
# cannot delete a good one. docs/reliability.md lists each guarantee and its test.
from easy2hard.pipeline import cost as e2h_cost  # noqa: E402
from easy2hard.pipeline import integrity as e2h_integrity  # noqa: E402
from easy2hard.pipeline import claims_summary as e2h_claims_summary  # noqa: E402
from easy2hard.pipeline import stale as e2h_stale  # noqa: E402

# this run's own copies of the figures: under its results root and its run id
_E2H_KEPT_FIGURES = e2h_integrity.kept_dir(
    RESULTS, f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
)
if workflow.is_main_process:
    _problems = e2h_config.override_problems(sys.argv) + e2h_integrity.unwritable(
        [RESULTS, config["datasets"]["root"]]
    )
    if _problems:
        raise WorkflowError("\n".join(_problems))
    print(e2h_cost.table(e2h_cost.estimate(config)), file=sys.stderr)
    for _line in e2h_integrity.size_warnings(config):
        print(_line, file=sys.stderr)


def reliability_checks(workflow, targets):
    """Called at the end of the Snakefile, when every rule (and so every output pattern and
    code hash) is defined, and before Snakemake builds the DAG: a table made with other
    params or code than its job has now, and a corrupt table that a rule makes, is
    removed (a dry run only reports it), so that this run rebuilds it; then every folder a
    job may write into (at any depth) must be writable."""
    if not workflow.is_main_process:
        return
    outputs = [o.regex() for r in workflow.rules for o in r.output]
    dry = e2h_integrity.dry_run(sys.argv)
    # tables whose sidecar records other params or code than their job has now
    for line in e2h_stale.remove_stale_tables(workflow, RESULTS, dry):
        print(line, file=sys.stderr)
    for line in e2h_integrity.remove_corrupt_tables(RESULTS, outputs, dry_run=dry):
        print(line, file=sys.stderr)
    folders = e2h_integrity.output_folders(RESULTS, outputs, targets)
    problems = e2h_integrity.unwritable_folders(folders)
    if problems:
        raise WorkflowError("\n".join(problems))


# onstart runs only in a real run (no dry run, --list-rules or --lint), before its first job
onstart:
    e2h_integrity.keep_figures(os.path.join(RESULTS, "figures"), _E2H_KEPT_FIGURES)


onerror:
    for _fig in e2h_integrity.restore_figures(
        os.path.join(RESULTS, "figures"), _E2H_KEPT_FIGURES
    ):
        print(f"{_fig}: put back the figure a failed job removed", file=sys.stderr)


onsuccess:
    e2h_integrity.discard_kept(_E2H_KEPT_FIGURES)
    # the run's last line (at exit, after Snakemake's own closing lines): the verdict counts
    # of its claims (docs/claims.md)
    for _line in e2h_claims_summary.summary(RESULTS, config):
        atexit.register(print, _line, file=sys.stderr)


# ---------------------------------------------------------------- reliability checks: end


wildcard_constraints:
    **plan.common.WILDCARDS,

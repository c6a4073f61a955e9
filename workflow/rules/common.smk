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

from snakemake.common.configfile import load_configfile  # noqa: E402
from snakemake.utils import update_config  # noqa: E402

from easy2hard.pipeline import config as e2h_config  # noqa: E402

# A --configfile is a complete config: it replaces config/config.yaml rather than being
# merged into it (merging would mix the default sweeps into, say, config/paper.yaml).
# --config KEY=VALUE still overrides single keys on top.
if workflow.overwrite_configfiles:
    _raw = {}
    for _f in workflow.overwrite_configfiles:
        update_config(_raw, load_configfile(_f))
    update_config(_raw, workflow.config_settings.overwrite_config or {})
else:
    _raw = config

try:
    _validated = e2h_config.validate(_raw)
except e2h_config.ConfigError as err:
    raise WorkflowError(str(err)) from None
config.clear()
config.update(_validated)

from easy2hard.pipeline import plan  # noqa: E402

RESULTS = "results"


wildcard_constraints:
    sweep="[A-Za-z0-9_]+",
    N="[0-9]+",
    figure="[A-Za-z0-9_]+",

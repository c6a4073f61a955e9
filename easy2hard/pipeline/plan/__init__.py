"""The plan: every file the config asks for, in one place (``final_output``), and every
cross-key check of the config (``problems``), gathered from one module per stage.

Each stage module under this package exposes
  ``targets(cfg, results) -> list[str]``   the files ``rule all`` asks for, and
  ``check(cfg) -> list[str]``              cross-key problems, each naming its key and
                                           what is allowed (optional),
plus the input functions its rules use. Adding a stage = one module + one line below.
"""

from __future__ import annotations

from . import images, mcm, networks, report, theory  # noqa: E402

STAGES: list = [images, mcm, theory, networks]
from . import linear  # noqa: E402
STAGES.append(linear)
from . import fourier  # noqa: E402
STAGES.append(fourier)
from . import multipatch  # noqa: E402
STAGES.append(multipatch)
from . import random_features  # noqa: E402
STAGES.append(random_features)
STAGES.append(report)  # last: it renders tables the stages above make


def final_output(cfg: dict, results: str = "results") -> list[str]:
    """Every target of the workflow, in stage order, without duplicates."""
    out = [p for stage in STAGES for p in stage.targets(cfg, results)]
    return list(dict.fromkeys(out))


def problems(cfg: dict) -> list[str]:
    """Every cross-key problem of a schema-valid config, from every stage's ``check``. The
    report's check plans every target, so it runs only once the stages are sound."""
    out = [msg for stage in STAGES if stage is not report and hasattr(stage, "check")
           for msg in stage.check(cfg)]
    return out or report.check(cfg)

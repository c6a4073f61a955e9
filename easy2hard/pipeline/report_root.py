"""The results root of a config for ``make report``, checked before Snakemake starts.

    python -m easy2hard.pipeline.report_root CONFIG.yaml

prints the config's ``results_dir`` when every output of its run is there. A missing or
invalid config, or a run that has not made its outputs yet (``make report`` before
``make run``), is one line on stderr and exit status 1, instead of Snakemake's metadata
warnings, "marked for report but does not exist" and tracebacks.
"""

from __future__ import annotations

import os
import sys

from . import config


def problem(path: str) -> tuple[str | None, str | None]:
    """(results root, None) when the outputs of ``path``'s run are all there, else
    (None, one line saying why)."""
    from . import plan

    try:
        cfg = config.load(path)
    except config.ConfigError as err:
        return None, f"{path}: {err}"
    root = cfg["results_dir"]
    targets = plan.final_output(cfg, root)
    if not targets:
        return None, f"{path}: no report: the config enables no stage"
    missing = [t for t in targets if not os.path.exists(t)]
    if missing:
        return None, (f"{path}: no report yet: {len(missing)} of {len(targets)} outputs are "
                      f"missing under {root}/ (first: {missing[0]}); run `make run "
                      f"CONFIG={path}` first")
    return root, None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m easy2hard.pipeline.report_root CONFIG.yaml", file=sys.stderr)
        return 2
    root, why = problem(argv[0])
    print(root if why is None else why, file=sys.stdout if why is None else sys.stderr)
    return 0 if why is None else 1


if __name__ == "__main__":
    sys.exit(main())

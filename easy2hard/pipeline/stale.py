"""Stale tables found without Snakemake's metadata (``.snakemake/``).

Every table's sidecar records the rule that wrote it, a digest of that job's params and its
code hash (``easy2hard.core.tables.write_sidecar``). Before any job, :func:`remove_stale_tables`
evaluates, for each table under the results root, the params its rule would give the job
that makes it now (Snakemake's own ``Rule.expand_params``, with the wildcards read from the
table's path), and compares. A table made with other params or code is reported and removed
with its sidecar (a dry run removes nothing), so the run makes it again and, since it is then
newer than what reads it, those too. So a copied ``results/``, or a deleted ``.snakemake/``,
no longer hides a config or code change.

Why removal and not ``--forcerun``: the workflow is read before Snakemake sets its DAG
settings (``workflow.dag_settings`` is None while the Snakefile runs), so the set of forced
files cannot be extended from the workflow.

Limits (docs/reliability.md): only Parquet tables carry params in their sidecar (arrays,
checkpoints and figures are rerun when a table they read is); a table is judged only when its
rule still makes it and its params can be evaluated (a removed sweep's tables are left alone);
a stale table is removed also when the command names targets that do not need it (the next
run that does makes it again); tables written before sidecars had params are not judged.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..core import tables as io


def current_provenance(rule, table: str) -> tuple[str, str] | None:
    """(params digest, code hash) of the job of Snakemake ``rule`` that makes ``table`` now,
    or None if the rule does not make it or its params cannot be evaluated for it."""
    from snakemake.iocontainers import InputFiles, OutputFiles

    try:
        if not rule.is_producer(table):
            return None
        wildcards = rule.get_wildcards(table)
        params, _ = rule.expand_params(wildcards, InputFiles(), OutputFiles(), None)
    except Exception:  # an input function of a sweep no longer in the config, say
        return None
    return io.params_digest(params), str(dict(params.items()).get("code", ""))


def stale_tables(workflow, root: str | Path) -> list[tuple[Path, str, list[str]]]:
    """(table, rule, what differs: "params" and/or "code") for every table under ``root``
    whose sidecar's params digest or code hash differs from its job's now."""
    out = []
    root = Path(root)
    rules = {rule.name: rule for rule in workflow.rules}
    for sidecar in sorted(root.rglob(f"*.parquet{io.SIDECAR}")) if root.is_dir() else []:
        table = sidecar.with_name(sidecar.name[: -len(io.SIDECAR)])
        name, recorded = io.sidecar_rule(table), io.sidecar_field(table, "params")
        if not (table.is_file() and name and recorded and name in rules):
            continue
        now = current_provenance(rules[name], str(table))
        if now is None:
            continue
        old = (recorded, io.sidecar_field(table, "code") or "")
        changed = [what for what, a, b in zip(("params", "code"), old, now) if a != b]
        if changed:
            out.append((table, name, changed))
    return out


def remove_stale_tables(workflow, root: str | Path, dry_run: bool) -> list[str]:
    """Remove every stale table under ``root`` and its sidecar, so that this run makes it
    again (and, being newer, what reads it); a dry run removes nothing and only reports.
    One line per table."""
    lines = []
    for table, rule, changed in stale_tables(workflow, root):
        if not dry_run:
            for path in (table, io.sidecar_path(table)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        action = ("a run would make it again (dry run: nothing removed)" if dry_run
                  else "removed, so this run makes it again")
        lines.append(f"{table}: made with other {' and '.join(changed)} than its rule {rule} "
                     f"has now (recorded in {table.name}{io.SIDECAR}): {action}")
    return lines

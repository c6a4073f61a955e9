"""The claims jobs: each stage's claims evaluated on its tables, merged, and rendered.

``evaluate_stage`` is the one entry point of the generated rules ``claims_<stage>``: it calls
each claim's evaluate function (``easy2hard.<domain>.claims``, imported here only) on its
input tables and returns one row per claim. ``merge`` joins the stages' rows into
``claims.parquet``; ``page`` renders the report's Claims page; ``markdown`` writes
``docs/claims.md`` (``make claims``) with a hash of the claim definitions, so that a test
can tell when the document is older than the code that decides the claims.
"""

from __future__ import annotations

import hashlib
import html
import importlib
import json
import platform
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..core.claims import Evaluation, counts_text

TEXT = ("statement", "source", "prediction", "control", "calibration", "figure")
COLUMNS = ("id", "stage", "statement", "source", "prediction", "estimate", "lo", "hi",
           "control", "control_estimate", "control_lo", "control_hi", "n_seeds", "level",
           "refute_level", "verdict", "reason", "calibration", "figure", "deterministic",
           "commit", "machine", "config_hash")


def claim_inputs(inputs: dict, claim_id: str) -> dict:
    """The input groups of one claim, from the stage rule's ``<claim>__<group>`` keys."""
    prefix = claim_id.split(".", 1)[1] + "__"
    return {k[len(prefix):]: list(v) for k, v in inputs.items() if k.startswith(prefix)}


def evaluate_claim(spec: dict, inputs: dict) -> Evaluation:
    """One claim's evaluation; a claim whose tables this config does not make is
    ``inconclusive`` without calling its function."""
    if not inputs:
        return Evaluation("inconclusive", "this config makes none of its tables")
    module, _, name = spec["evaluate"].partition(":")
    evaluation = getattr(importlib.import_module(module), name)(inputs, dict(spec["options"]))
    if not isinstance(evaluation, Evaluation):
        raise TypeError(f"{spec['evaluate']} returned {type(evaluation).__name__}, "
                        "not an Evaluation")
    return named(evaluation, inputs.get("model", []))


def named(evaluation: Evaluation, model_tables: list) -> Evaluation:
    """The evaluation with its reason prefixed by the data and model it was decided on (the
    ``text`` of a claim's ``model`` input, a description table of the evaluated run)."""
    if not model_tables:
        return evaluation
    text = "; ".join(pd.read_parquet(path)["text"].iloc[0] for path in model_tables)
    return replace(evaluation, reason=f"[{text}] {evaluation.reason}")


def machine() -> str:
    """The CPU that computed the tables (torch kernels differ by instruction set)."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()} {model or platform.processor() or 'unknown CPU'}".strip()


def commit(root: str | Path) -> str:
    """The repository's commit (with ``-dirty`` when tracked files differ), or ``unknown``."""
    def git(*args):
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=30)
    try:
        head = git("rev-parse", "--short=12", "HEAD")
        if head.returncode != 0:
            return "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if dirty else "")


def evaluate_stage(inputs: dict, params: dict, root: str | Path) -> pd.DataFrame:
    """Every claim of one stage, one row each (``COLUMNS``)."""
    where = {"commit": commit(root), "machine": machine(), "config_hash": params["config_hash"]}
    rows = []
    for spec in params["claims"]:
        ev = evaluate_claim(spec, claim_inputs(inputs, spec["id"]))
        options = spec["options"]
        rows.append({"id": spec["id"], "stage": spec["stage"],
                     **{k: spec[k] for k in TEXT}, "deterministic": bool(spec["deterministic"]),
                     **ev.row(), "level": options["level"],
                     "refute_level": options["refute_level"], **where})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def merge(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Every stage's claims, in stage order, with the family size of the run."""
    out = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=COLUMNS)
    return out.assign(family=len(out))


def counts_line(df: pd.DataFrame) -> str:
    """``claims: 14 supported, 3 refuted, 5 inconclusive``."""
    return "claims: " + counts_text(df["verdict"])

"""The claims as declared, as documented and as run: ids that exist, docs/claims.md no older
than the code that decides the claims, every claim's function and figure real, and the claims
rules running on a tiny config with the verdict counts as the run's last line."""

import re

import pandas as pd
import pytest

from easy2hard.pipeline import plan
from easy2hard.pipeline.claims_report import definitions_hash, documented_hash, read_claims
from easy2hard.pipeline.plan.stage import Claim

from .conftest import REPO, snakemake, tiny_config, tiny_mcm_sweep

CLAIM_REF = re.compile(r"claim:([a-z_]+\.[A-Za-z0-9_]+)")
DECLARED = {c.id: c for stage in plan.STAGES for c in stage.claims}


def test_claims_are_declared_once_in_their_stage_with_real_functions_and_figures():
    figures = [re.sub(r"\\\{\w+\\\}", r"\\w+", re.escape(f.name)) for s in plan.STAGES
               for f in s.figures]
    assert DECLARED, "no stage declares a claim"
    assert plan.claims.check({}) == []
    for stage in plan.STAGES:
        for c in stage.claims:
            assert isinstance(c, Claim) and c.id.startswith(stage.name + "."), c.id
            assert re.fullmatch(r"[a-z_]+\.[A-Za-z0-9_]+", c.id), c.id
            fn = c.function()
            assert callable(fn) and fn.__doc__, f"{c.evaluate}: no docstring"
            assert c.module.startswith(f"easy2hard.") and c.module.endswith(".claims"), c.id
            assert not c.figure or any(re.fullmatch(f, c.figure) for f in figures), (c.id, c.figure)
            assert all([c.statement, c.source, c.prediction, c.control, c.calibration]), c.id
    ids = [c.id for s in plan.STAGES for c in s.claims]
    assert len(ids) == len(set(ids))


def test_docs_cite_only_claims_that_exist():
    docs = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    unknown = {f"{p.relative_to(REPO)}: {m}" for p in docs
               for m in CLAIM_REF.findall(p.read_text(encoding="utf-8")) if m not in DECLARED}
    assert not unknown


def test_every_stage_doc_cites_its_claims():
    missing = [c.id for c in DECLARED.values()
               if f"claim:{c.id}" not in (REPO / "docs/stages" /
                                          f"{c.id.split('.')[0]}.md").read_text()]
    assert not missing, f"claims no stage doc cites: {missing}"


def test_claims_doc_is_no_older_than_the_claim_definitions():
    doc = REPO / "docs" / "claims.md"
    assert doc.exists(), "docs/claims.md is missing: `make run && make claims`"
    current = definitions_hash(REPO, plan.STAGES)
    assert documented_hash(doc) == current, (
        "docs/claims.md is older than the claims' code or text: `make run && make claims`")
    assert set(read_claims(doc)["id"]) == set(DECLARED)


@pytest.fixture(scope="module")
def tiny_claims_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("claims")
    cfg = tiny_config(datasets={"build": []}, theory={"enabled": True})
    cfg["mcm"]["sweeps"] = {"cum": tiny_mcm_sweep(N=[8, 12])}
    cfg["mcm"]["figures"] = {"mcm_threshold_scaling": {"sweeps": ["cum"]}}
    proc = snakemake(work, cfg)
    return work, proc


def test_tiny_run_decides_its_claims_and_ends_with_the_counts(tiny_claims_run):
    work, proc = tiny_claims_run
    table = pd.read_parquet(work / "results" / "claims.parquet")
    stages = {s.name for s in plan.STAGES if s.claims and s.name in ("mcm", "theory")}
    assert set(table["stage"]) == stages
    assert set(table["id"]) == {c.id for s in stages for c in plan.STAGES[
        [x.name for x in plan.STAGES].index(s)].claims}
    assert table["family"].eq(len(table)).all()
    assert table["verdict"].isin(["supported", "refuted", "inconclusive"]).all()
    assert table["reason"].str.len().gt(0).all()
    counts = {v: int((table["verdict"] == v).sum()) for v in ("supported", "refuted",
                                                                "inconclusive")}
    last = [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]
    assert last.startswith(f"claims: {counts['supported']} supported, {counts['refuted']} "
                           f"refuted, {counts['inconclusive']} inconclusive"), last
    page = (work / "results" / "claims.html").read_text()
    assert all(cid in page for cid in table["id"])


def test_compare_claims_script_prints_what_differs(tmp_path):
    import subprocess
    import sys

    table = read_claims(REPO / "docs" / "claims.md")
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    table.to_parquet(a)
    changed = table.copy()
    changed.loc[0, "verdict"] = "refuted" if changed.loc[0, "verdict"] != "refuted" else "supported"
    changed.to_parquet(b)
    script = [sys.executable, str(REPO / "scripts" / "compare_claims.py")]
    same = subprocess.run([*script, str(a), str(REPO / "docs" / "claims.md")],
                          capture_output=True, text=True)
    assert same.returncode == 0 and "agree" in same.stdout, same.stdout + same.stderr
    diff = subprocess.run([*script, str(a), str(b)], capture_output=True, text=True)
    assert diff.returncode == 1 and f"{table.loc[0, 'id']}: verdict" in diff.stdout
    missing = subprocess.run([*script, str(a), str(tmp_path / "none")], capture_output=True,
                             text=True)
    assert missing.returncode == 2 and "no such claims table" in missing.stderr

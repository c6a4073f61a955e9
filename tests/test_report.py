"""`snakemake --report` gives one self-contained HTML file holding every figure, its
caption, and the main tables (config `report.tables`)."""

import base64
import re

import pandas as pd
import pytest

from .conftest import REPO, tiny_config, tiny_mcm_sweep


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from .conftest import snakemake

    work = tmp_path_factory.mktemp("report")
    cfg = tiny_config(datasets={"build": []}, theory={"enabled": True},
                      report={"enabled": True, "tables": ["theory/exponents", "mcm/cum/N8"],
                              "max_rows": 50})
    cfg["mcm"]["sweeps"] = {"cum": tiny_mcm_sweep(N=[8])}
    cfg["mcm"]["figures"] = {"mcm_projection": {"sweeps": ["cum"]}}
    snakemake(work, cfg)
    snakemake(work, cfg, "--report", "report.html")
    return work, (work / "report.html").read_text()


def test_report_holds_every_figure_with_caption(report):
    """Each figure PNG is embedded byte for byte (so it renders), with its caption."""
    work, html = report
    figures = sorted(p.name for p in (work / "results/figures").glob("*.png"))
    assert "mcm_projection.png" in figures and len(figures) >= 2
    embedded = {name: base64.b64decode(data) for name, data in re.findall(
        r"data:image/png;charset=utf8;filename=([^;]+);base64,([A-Za-z0-9+/=]+)", html)}
    missing = [n for n in figures if n not in embedded]
    assert not missing, f"figures missing from the report: {missing}"
    for name in figures:
        assert embedded[name] == (work / "results/figures" / name).read_bytes(), name
    caption = (REPO / "workflow/report/mcm_projection.rst").read_text()
    words = re.findall(r"[A-Za-z]{6,}", caption)[:8]
    assert words and all(w in html for w in words), f"caption words missing: {words}"


def test_report_holds_main_tables(report):
    work, html = report
    for table in ("theory/exponents", "mcm/cum/N8"):
        page = work / f"results/report/tables/{table}.html"
        assert page.exists(), page
        assert f"{table.split('/')[-1]}.html" in html
    page = (work / "results/report/tables/mcm/cum/N8.html").read_text()
    rows = len(pd.read_parquet(work / "results/mcm/cum/N8.parquet"))
    note = f"first 50 of {rows} rows" if rows > 50 else f"all {rows} rows"
    assert note in page
    assert page.count("<tr") == min(rows, 50) + 1  # the header row and the rows shown


def test_report_is_self_contained(report):
    _, html = report
    # no reference to a local file or a remote script/image that a browser must fetch
    assert not re.search(r"""src=["'](?!data:|#)[^"']*\.(png|js|css)["']""", html)


def test_every_figure_rule_has_report_caption():
    """Static: each figure_* rule wraps its PNG in report(...) with an existing caption."""
    bad = []
    for smk in sorted((REPO / "workflow/rules").glob("*.smk")):
        parts = re.split(r"^rule\s+(\w+):", smk.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2]):
            if not name.startswith("figure_"):
                continue
            cap = re.search(r"caption=\"([^\"]+)\"", body)
            if "report(" not in body or not cap or not (smk.parent / cap.group(1)).exists():
                bad.append(f"{smk.name}:{name}")
    assert not bad, f"figure rules without report(...) and an existing caption: {bad}"


def test_report_has_the_claims_page(report):
    """The Claims page (claims.html, one row per claim of the run) is in the report."""
    work, html = report
    claims = pd.read_parquet(work / "results/claims.parquet")
    page = (work / "results/claims.html").read_text()
    assert page.count("<tr>") == len(claims) + 1 and "claims.html" in html


def test_every_caption_is_valid_restructuredtext():
    """A caption with a bare |x| is a reStructuredText substitution that `make report`
    reports as an error; every caption renders without warnings."""
    import io

    import docutils.core

    bad = {}
    for path in sorted((REPO / "workflow/report").glob("*.rst")):
        if path.name == "workflow.rst":  # a Jinja template, rendered by Snakemake first
            continue
        warnings = io.StringIO()
        docutils.core.publish_string(path.read_text(), writer_name="html", settings_overrides={
            "warning_stream": warnings, "report_level": 2})
        if warnings.getvalue():
            bad[path.name] = warnings.getvalue().strip()
    assert not bad

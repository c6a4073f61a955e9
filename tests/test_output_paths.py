"""Each output pattern is written once: as its plan module's path constant.

Every rule's output templates (the job tables, ``plan.job_models``) are searched for in the
sources of the plan, the rule files, the scripts and the library: a string literal that spells
a template again (its fixed text in order, each ``{wildcard}`` any ``{...}`` field of an
f-string or a template) is a second copy, which drifts. The constant itself is the one
occurrence allowed.
"""

from __future__ import annotations

import functools
import io
import re
import tokenize

import pytest

from easy2hard.pipeline import plan

from .conftest import REPO

SOURCES = [*REPO.glob("easy2hard/**/*.py"), *REPO.glob("workflow/**/*.smk"),
           *REPO.glob("workflow/scripts/*.py"), REPO / "Snakefile"]


def literal_regex(template: str) -> re.Pattern:
    """A string literal spelling ``template``: its fixed parts in order, each wildcard any
    ``{...}`` field (``{d}``, ``{{d}}``, ``{spec['d']}``) inside the same quotes."""
    parts = re.split(r"\{\w+\}", template)
    field = r"\{[^\"'\n]*?\}"
    body = field.join(re.escape(p) for p in parts)
    return re.compile(rf"^[rbfuRBFU]*[\"']([^\s\"']*/)?{body}[\"']$")


def templates() -> dict[str, str]:
    """Every output template with its rule, skipping the figure files (one shared constant
    names every figure) and templates without a fixed directory part."""
    out = {}
    for rule, (_, job) in plan.job_models().items():
        for template in job.outputs.values():
            if not rule.startswith("figure_") and "/" in re.sub(r"\{\w+\}", "", template):
                out[template] = rule
    return out


def string_literals(text: str) -> list[tuple[int, str]]:
    """(line, text) of every one-line string literal of a Python or rule file: docstrings
    and comments, which describe the paths, are left out."""
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.STRING
            and not tok.string.lstrip("rbfuRBFU").startswith(('"""', "'''"))]


@functools.cache
def all_literals() -> list[tuple[str, int, str]]:
    return [(str(src.relative_to(REPO)), line, literal) for src in SOURCES
            for line, literal in string_literals(src.read_text())]


def occurrences(pattern: re.Pattern) -> list[str]:
    return [f"{src}:{line}: {literal}" for src, line, literal in all_literals()
            if pattern.search(literal)]


@pytest.mark.parametrize("template", sorted(templates()))
def test_output_pattern_is_written_once(template):
    hits = occurrences(literal_regex(template))
    assert len(hits) <= 1, f"{templates()[template]}'s output {template} is written " \
                           f"{len(hits)} times:\n" + "\n".join(hits)


def test_a_retyped_pattern_is_found():
    """The search finds an f-string copy of a template (the planted break of the test)."""
    pattern = literal_regex("linear/trained/{target}/d{d}.parquet")
    assert pattern.search('f"{results}/linear/trained/{t}/d{d}.parquet"')
    assert pattern.search('f"{LINEAR}/x/linear/trained/{{target}}/d{{d}}.parquet"')
    assert not pattern.search('"linear/trained/"')
    assert not pattern.search('"the tables (linear/trained/{t}/d{d}.parquet)"')
    found = string_literals('x = f"{r}/linear/trained/{t}/d{d}.parquet"  # linear/trained/{a}/d{b}.parquet\n')
    assert [pattern.search(s) is not None for _, s in found] == [True]

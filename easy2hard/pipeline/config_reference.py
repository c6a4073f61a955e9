"""``config/README.md``: every config key with its type, default, allowed values and
description, generated from ``config/schema.yaml`` (the one source of every default).

    python -m easy2hard.pipeline.config_reference > config/README.md

``tests/test_config_reference.py`` fails when the file is out of date.
"""

from __future__ import annotations

import json

from .config import _resolve, load_schema

HEADER = """# Configuration reference

Generated from `config/schema.yaml` by `python -m easy2hard.pipeline.config_reference >
config/README.md`; do not edit by hand (a test fails when it is out of date). Every key is
optional: a missing key takes its default. Configs: `config/config.yaml` (the offline
default), `config/paper.yaml` (paper scale), `config/authors.yaml` (the authors' network
setting), `config/test/*.yaml` (the tiny configs of the tests). A stage runs iff its
`<stage>.enabled` is true. `<name>` stands for a name you choose (a sweep, a run). Every
number must be finite (no NaN) unless its row says "or .inf"; seeds are below 2**32.

| key | type | default | allowed | description |
|---|---|---|---|---|
"""


def _type(sub: dict, root: dict) -> str:
    t = sub.get("type", "")
    t = " or ".join(t) if isinstance(t, list) else t
    items = _resolve(sub["items"], root) if isinstance(sub.get("items"), dict) else {}
    if t == "array" and items.get("type"):
        t = f"list of {items['type']}"
    return t


def _allowed(sub: dict, root: dict) -> str:
    items = _resolve(sub.get("items", {}), root) if isinstance(sub.get("items"), dict) else {}
    parts = []
    for s in (sub, items):
        if "enum" in s:
            parts.append("one of " + ", ".join(map(str, s["enum"])))
        parts += [f"{sym} {s[k]}" for k, sym in (("minimum", "≥"), ("exclusiveMinimum", ">"),
                                                ("maximum", "≤"), ("exclusiveMaximum", "<"))
                  if k in s]
        if "pattern" in s:
            parts.append(f"matches `{s['pattern']}`")
        if s.get("x-infinite"):
            parts.append("or .inf")
    if "minItems" in sub:
        parts.append(f"at least {sub['minItems']} items")
    return "; ".join(parts)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def rows(sub: dict, root: dict, path: str = "") -> list[str]:
    """One table row per key under ``sub``, depth first in schema order."""
    out = []
    sub = _resolve(sub, root)
    named = sub.get("additionalProperties")
    children = list(sub.get("properties", {}).items())
    if isinstance(named, dict):
        children.append(("<name>", named))
    for key, child in children:
        child = _resolve(child, root)
        full = f"{path}.{key}" if path else key
        default = json.dumps(child["default"], ensure_ascii=False) if "default" in child else ""
        out.append(f"| `{full}` | {_type(child, root)} | {_cell(default)} | "
                   f"{_cell(_allowed(child, root))} | {_cell(child.get('description', ''))} |")
        if "properties" in child or isinstance(child.get("additionalProperties"), dict):
            out += rows(child, root, full)
    return out


def render(schema: dict | None = None) -> str:
    schema = load_schema() if schema is None else schema
    return HEADER + "\n".join(rows(schema, schema)) + "\n"


if __name__ == "__main__":
    print(render(), end="")

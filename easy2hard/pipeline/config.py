"""Load and validate the pipeline config against ``config/schema.yaml``.

The schema is the one source of every default. Validation fills defaults in and turns
each violation into a message that names the key and what is allowed, so a bad value
stops the workflow before any job starts. After the schema, every cross-key check runs:
the generic ones below, the U-Net ones below (stage checks the plan may absorb) and every
stage's ``check`` gathered by ``easy2hard.pipeline.plan.problems``.

The validated config is canonical (:func:`canonical`): mappings with sorted keys, plain
Python numbers, integral floats of integer keys as ints. Rule params are slices of it, so
two configs that differ only in key order give the same params and rerun nothing.

Run ``python -m easy2hard.pipeline.config FILE...`` to check config files by hand: a YAML
syntax error names the file, line and column.
"""

from __future__ import annotations

import copy
import math
import numbers
import sys
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


class ConfigError(ValueError):
    """A config value is missing, of the wrong type or out of range."""


# ------------------------------------------------------------------ canonical form
def canonical(obj):
    """``obj`` in one canonical form: mappings as plain dicts with sorted keys (recursively),
    tuples as lists, numpy and other numeric types as Python int/float, -0.0 as 0.0.

    Snakemake compares a rule's params by their ``repr``; in this form equal content gives
    equal text whatever the key order of the config file or the types of its numbers.
    """
    if isinstance(obj, Mapping):
        return {k: canonical(obj[k]) for k in sorted(obj, key=lambda k: (not isinstance(k, str), str(k)))}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, (bool, str)) or obj is None:
        return obj
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", None) == 0:
        obj = obj.item()  # numpy scalar
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        return float(obj) + 0.0  # -0.0 + 0.0 == 0.0
    return obj


# ------------------------------------------------------------------ schema walking
def _resolve(sub: dict, root: dict) -> dict:
    """``sub`` with its ``$ref`` (to ``#/$defs/...``) merged in, siblings winning."""
    while isinstance(sub, dict) and "$ref" in sub:
        target = root
        for part in sub["$ref"].lstrip("#/").split("/"):
            target = target[part]
        sub = {**target, **{k: v for k, v in sub.items() if k != "$ref"}}
    return sub if isinstance(sub, dict) else {}


def _types(sub: dict) -> list[str]:
    t = sub.get("type", [])
    return t if isinstance(t, list) else [t]


def _child(sub: dict, key) -> dict:
    """The schema of ``key`` of a mapping (properties, else additionalProperties)."""
    if key in sub.get("properties", {}):
        return sub["properties"][key]
    extra = sub.get("additionalProperties")
    return extra if isinstance(extra, dict) else {}


def _walk(value, sub: dict, root: dict, leaf):
    """Rebuild ``value`` with ``leaf(value, schema)`` applied to every scalar."""
    sub = _resolve(sub, root)
    if isinstance(value, Mapping):
        return {k: _walk(v, _child(sub, k), root, leaf) for k, v in value.items()}
    if isinstance(value, list):
        items = sub.get("items") if isinstance(sub.get("items"), dict) else {}
        return [_walk(v, items, root, leaf) for v in value]
    return leaf(value, sub)


def _integral(value, sub: dict):
    """An integral float of an integer-typed key as int (JSON Schema's ``integer``
    accepts 100.0; a file name or ``range`` does not)."""
    types = _types(sub)
    if (isinstance(value, float) and "integer" in types and "number" not in types
            and math.isfinite(value) and value.is_integer()):
        return int(value)
    return value


def _parsed(value, sub: dict):
    """A --config string parsed as the YAML value the schema asks for (Snakemake passes
    nested override values as strings: ``--config 'theory={kmax: 6}'`` gives '6')."""
    types = _types(sub)
    if not isinstance(value, str) or not types or "string" in types:
        return value
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    if isinstance(parsed, str) and ({"number", "integer"} & set(types)):
        try:  # '1e5': YAML 1.1 reads it as a string, the command line means a number
            parsed = float(parsed)
        except ValueError:
            return value
    return value if isinstance(parsed, str) else parsed


def parse_overrides(overrides: dict, schema: dict | None = None) -> dict:
    """``--config`` overrides with each string value parsed against the schema's type."""
    schema = load_schema() if schema is None else schema
    return _walk(canonical(overrides or {}), schema, schema, _parsed)


# ------------------------------------------------------------------ messages
def _with_defaults(cls):
    """A validator class that also writes each property's default into the instance."""
    validate_props = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if "default" in sub and key not in instance:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": set_defaults})


def _key(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def _bounds(s: dict) -> str:
    bounds = [f"{sym} {s[k]}" for k, sym in (("minimum", ">="), ("exclusiveMinimum", ">"),
                                             ("maximum", "<="), ("exclusiveMaximum", "<")) if k in s]
    return "a number " + " and ".join(bounds)


def _allowed(error) -> str:
    s, v = error.schema, error.validator
    simple = {
        "type": lambda: f"a value of type {s['type']}",
        "minItems": lambda: f"a list with at least {s['minItems']} item(s)",
        "maxItems": lambda: f"a list with at most {s['maxItems']} item(s)",
        "minProperties": lambda: f"at least {s['minProperties']} entr(y/ies)",
        "additionalProperties": lambda: "only the keys " + ", ".join(sorted(s.get("properties", {}))),
        "required": lambda: "the keys " + ", ".join(s["required"]),
        "pattern": lambda: f"a string matching {s['pattern']}",
        "uniqueItems": lambda: "a list without repeated items",
        "enum": lambda: "one of " + ", ".join(repr(x) for x in s["enum"]),
    }
    if v in simple:
        return simple[v]()
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return _bounds(s)
    return f"a value satisfying {v}={s.get(v)!r}"


def _number_hint(error) -> str:
    """'; write 100000' when a number arrives as a string (YAML 1.1 reads 1e5 as text)."""
    if error.validator != "type" or not isinstance(error.instance, str):
        return ""
    if not {"number", "integer"} & set(_types(error.schema)):
        return ""
    try:
        x = float(error.instance)
    except ValueError:
        return ""
    if x.is_integer() and "integer" in _types(error.schema):
        return f"; write {int(x)}"
    if not math.isfinite(x):
        return "; write .inf" if x > 0 else "; write -.inf"
    return f"; write {yaml.safe_dump(x).splitlines()[0]}"  # e.g. 1.0e-05, which YAML reads


def _message(error) -> str:
    key = _key(error.absolute_path)
    desc = error.schema.get("description")
    msg = f"config key '{key}': {error.message}{_number_hint(error)}; allowed: {_allowed(error)}"
    return msg + (f" ({desc})" if desc else "")


def _raise(problems: list[str]) -> None:
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))


# ------------------------------------------------------------------ validation
def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def validate(config: dict, schema: dict | None = None, *, cross_key: bool = True) -> dict:
    """Return a validated, canonical copy of ``config`` with every default filled in.

    Raises ConfigError listing every problem, each naming its key and the allowed values:
    first the schema's, then (on a schema-valid config) every cross-key problem, unless
    ``cross_key`` is False (for tests of one stage's ``check``).
    """
    schema = load_schema() if schema is None else schema
    cfg = canonical(config)
    cls = _with_defaults(jsonschema.Draft202012Validator)
    # Defaults first (a second pass sees the filled-in values), then the errors.
    list(cls(schema).iter_errors(cfg))
    errors = sorted(cls(schema).iter_errors(cfg), key=lambda e: list(map(str, e.absolute_path)))
    _raise([_message(e) for e in errors])
    cfg = canonical(_walk(cfg, schema, schema, _integral))
    if cross_key:
        _raise(cross_key_problems(cfg))
    return cfg


def cross_key_problems(cfg: dict) -> list[str]:
    """Every cross-key problem of a schema-valid config: repeated seeds anywhere, and each
    stage's ``check`` in the plan."""
    from . import plan  # the plan imports the domain packages: only when validating

    return duplicate_seeds(cfg) + plan.problems(cfg)


def duplicate_seeds(cfg, path: str = "") -> list[str]:
    """Every ``seeds`` list holds each seed once (a repeat would be counted twice in a seed mean)."""
    out = []
    if isinstance(cfg, Mapping):
        for key, value in cfg.items():
            sub = f"{path}.{key}" if path else str(key)
            if key == "seeds" and isinstance(value, list):
                dups = sorted({s for s in value if value.count(s) > 1}, key=str)
                if dups:
                    out.append(f"config key '{sub}': seed(s) {', '.join(map(str, dups))} repeated; "
                               f"allowed: each seed once")
            else:
                out += duplicate_seeds(value, sub)
    return out


# ------------------------------------------------------------------ files
def read_yaml(path: str | Path) -> dict:
    """A config file as a dict; a missing file, a YAML syntax error (with its line and
    column) or a non-mapping top level is one ConfigError line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"config file {path}{where}: YAML syntax error: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: the top level must be a mapping of keys, "
                          f"not a {type(data).__name__}")
    return data


def load(path: str | Path) -> dict:
    return validate(read_yaml(path))


def main(argv: list[str] | None = None) -> int:
    """Check config files: one line per problem, exit status 1 if any."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m easy2hard.pipeline.config CONFIG.yaml ...", file=sys.stderr)
        return 2
    bad = 0
    for path in argv:
        try:
            load(path)
            print(f"{path}: valid")
        except ConfigError as err:
            bad += 1
            print(f"{path}: {err}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

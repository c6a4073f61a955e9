"""Load and validate the pipeline config against ``config/schema.yaml``.

The schema is the one source of every default. Validation fills defaults in and turns
each violation into a message that names the key and what is allowed, so a bad value
stops the workflow before any job starts.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


class ConfigError(ValueError):
    """A config value is missing, of the wrong type or out of range."""


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


def _allowed(error) -> str:
    s = error.schema
    v = error.validator
    if v == "enum":
        return "one of " + ", ".join(repr(x) for x in s["enum"])
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        bounds = []
        for k, sym in (("minimum", ">="), ("exclusiveMinimum", ">"),
                       ("maximum", "<="), ("exclusiveMaximum", "<")):
            if k in s:
                bounds.append(f"{sym} {s[k]}")
        return "a number " + " and ".join(bounds)
    if v == "type":
        return f"a value of type {s['type']}"
    if v == "minItems":
        return f"a list with at least {s['minItems']} item(s)"
    if v == "minProperties":
        return f"at least {s['minProperties']} entr(y/ies)"
    if v == "additionalProperties":
        return "only the keys " + ", ".join(sorted(s.get("properties", {})))
    if v == "required":
        return "the keys " + ", ".join(s["required"])
    if v == "pattern":
        return f"a string matching {s['pattern']}"
    return f"a value satisfying {v}={s.get(v)!r}"


def _message(error) -> str:
    key = _key(error.absolute_path)
    desc = error.schema.get("description")
    msg = f"config key '{key}': {error.message}; allowed: {_allowed(error)}"
    return msg + (f" ({desc})" if desc else "")


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def validate(config: dict, schema: dict | None = None) -> dict:
    """Return a validated copy of ``config`` with every default filled in.

    Raises ConfigError listing every problem, each naming its key and the allowed values.
    """
    schema = load_schema() if schema is None else schema
    cfg = copy.deepcopy(config)
    cls = _with_defaults(jsonschema.Draft202012Validator)
    # Defaults first (a second pass sees the filled-in values), then the errors.
    list(cls(schema).iter_errors(cfg))
    errors = sorted(cls(schema).iter_errors(cfg), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n  - ".join(_message(e) for e in errors)
        raise ConfigError(f"invalid configuration:\n  - {lines}")
    check_references(cfg)
    return cfg


def check_references(cfg: dict) -> None:
    """Cross-key checks the schema cannot express: figures name existing sweeps."""
    sweeps = set(cfg.get("mcm", {}).get("sweeps", {}))
    problems = []
    for fig, spec in cfg.get("figures", {}).items():
        for name in (spec or {}).get("sweeps", []):
            if name not in sweeps:
                problems.append(f"config key 'figures.{fig}.sweeps': unknown sweep {name!r}; "
                                f"allowed: one of {', '.join(map(repr, sorted(sweeps))) or '(no sweeps defined)'}")
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))


def load(path: str | Path) -> dict:
    with open(path) as fh:
        return validate(yaml.safe_load(fh) or {})

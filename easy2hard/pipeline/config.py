"""Load and validate the pipeline config against ``config/schema.yaml``.

The schema is the one source of every default. Validation fills defaults in and turns
each violation into a message that names the key and what is allowed, so a bad value
stops the workflow before any job starts. After the schema, every cross-key check runs:
the generic ones below (numbers, scalings, the results folder, duplicate seeds), then
``easy2hard.pipeline.plan.problems`` (the needs of the enabled stages, the datasets and
every enabled stage's ``check``), then the cost limit (``easy2hard.pipeline.cost``).

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
import os
import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from ..core import budget

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"
# The project (the Snakefile's folder) and its own folders, which no results root may be.
PROJECT_DIR = SCHEMA_PATH.parents[1]
PROJECT_FOLDERS = (".git", ".snakemake", "easy2hard", "config", "workflow", "tests", "docs")
# Seeds reach numba's np.random.seed (theory.dynamics, fourier.classifier), which takes 32
# bits, as well as numpy's and torch's generators, which take more.
SEED_LIMIT = 2**32
# A sample budget (coef * N**power) is a count of samples held in an int64.
BUDGET_LIMIT = 2**63


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


@lru_cache(maxsize=None)
def _block_defaults(path: tuple) -> str:
    schema = load_schema()
    sub = schema
    for key in path:
        sub = _resolve(_child(_resolve(sub, schema), key), schema)
    block: dict = {}
    cls = _with_defaults(jsonschema.Draft202012Validator)
    list(cls({**sub, "$defs": schema["$defs"]}).iter_errors(block))
    return yaml.safe_dump(canonical(block))


def block_defaults(*path: str) -> dict:
    """The schema's defaults of the optional block at ``path`` (e.g. ``"mcm", "figures",
    "mcm_threshold_scaling"``) as validation fills them into an empty block: what a stage
    reads where the config leaves the block out."""
    return yaml.safe_load(_block_defaults(path))


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
    _raise(number_problems(cfg, schema) + results_dir_problems(cfg))
    cfg = canonical(_walk(cfg, schema, schema, _integral))
    if cross_key:
        _raise(cross_key_problems(cfg))
    return cfg


# ------------------------------------------------------------------ numbers and paths
def _leaves(value, sub: dict, root: dict, path: tuple = ()):
    """(path, value, schema) of every scalar of ``value``."""
    sub = _resolve(sub, root)
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(v, _child(sub, k), root, (*path, k))
    elif isinstance(value, list):
        items = sub.get("items") if isinstance(sub.get("items"), dict) else {}
        for i, v in enumerate(value):
            yield from _leaves(v, items, root, (*path, i))
    else:
        yield path, value, sub


def _is_seed(path: tuple) -> bool:
    names = [p for p in path if isinstance(p, str)]
    return bool(names) and (names[-1] in ("seed", "seeds") or names[-1].endswith("_seed"))


def number_problems(cfg: dict, schema: dict) -> list[str]:
    """Every number is finite (``.inf`` only where its schema says ``x-infinite: true``; NaN
    nowhere), every seed fits the generators (below SEED_LIMIT), and every scaled budget or
    learning rate (``coef`` and ``power`` under a sweep with an ``N`` list) is finite, each
    problem naming its key."""
    out = []
    for path, value, sub in _leaves(cfg, schema, schema):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            continue
        key = _key(path)
        if math.isnan(value) or (math.isinf(value) and not sub.get("x-infinite")):
            out.append(f"config key '{key}': {value} is not a finite number; allowed: a finite "
                       f"number" + (" or .inf" if sub.get("x-infinite") else ""))
        elif _is_seed(path) and value >= SEED_LIMIT:
            out.append(f"config key '{key}': seed {value} does not fit the random generators; "
                       f"allowed: an integer below 2**32 = {SEED_LIMIT}")
    return out + (scaling_problems(cfg) if not out else [])


def _scaled(spec: Mapping, N: int) -> float:
    """coef * (N / ref_N)**(-power) (a learning rate) or coef * N**power (* ln N if log; a
    sample budget); inf where it overflows."""
    try:
        if "ref_N" in spec:
            return float(spec["coef"] * (N / spec["ref_N"]) ** (-spec["power"]))
        return budget.sample_budget(spec, N)
    except (OverflowError, ZeroDivisionError):
        return math.inf


def scaling_problems(cfg, path: tuple = (), Ns=None) -> list[str]:
    """Every ``{coef, power}`` mapping under a mapping with an ``N`` list gives a finite value
    at each N, and a sample budget (no ``ref_N``) below BUDGET_LIMIT, checked before the
    stages compute them (which would end in an OverflowError)."""
    out = []
    if not isinstance(cfg, Mapping):
        return out
    if isinstance(cfg.get("N"), list):
        Ns = cfg["N"]
    if Ns and "coef" in cfg and "power" in cfg:
        limit = math.inf if "ref_N" in cfg else BUDGET_LIMIT
        what = "coef * (N / ref_N)**(-power)" if "ref_N" in cfg else "coef * N**power"
        for N in Ns:
            value = _scaled(cfg, N)
            if not math.isfinite(value) or value >= limit:
                out.append(f"config key '{_key(path)}': {what} at N = {N} is {value:.3g} "
                           f"(coef = {cfg['coef']}, power = {cfg['power']}); allowed: a finite "
                           f"value" + ("" if "ref_N" in cfg else f" below 2**63 = {BUDGET_LIMIT:.3g}"))
                break
    for k, v in cfg.items():
        out += scaling_problems(v, (*path, k), Ns)
    return out


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def results_dir_problems(cfg: dict, workdir: str | Path | None = None,
                         project: str | Path = PROJECT_DIR) -> list[str]:
    """The results root stays inside the working directory (``..``, an absolute path or a
    symlink out only with ``results_dir_outside: true``), is none of the project's own folders
    (:data:`PROJECT_FOLDERS` of the Snakefile's folder, and the working directory's
    ``.snakemake``) and holds neither the working directory nor the project."""
    raw = cfg.get("results_dir", "results")
    work = Path(os.path.realpath(Path.cwd() if workdir is None else workdir))
    root = Path(os.path.realpath(work / raw))
    key = f"config key 'results_dir': {raw!r}"
    if not cfg.get("results_dir_outside"):
        if Path(raw).is_absolute() or ".." in Path(raw).parts or not _inside(root, work):
            return [f"{key} resolves to {root}, outside the working directory {work}; allowed: "
                    f"a folder inside it, or any folder with results_dir_outside: true"]
    project = Path(os.path.realpath(project))
    own = [project / name for name in PROJECT_FOLDERS] + [work / ".snakemake"]
    for folder in own:
        if _inside(root, Path(os.path.realpath(folder))):
            return [f"{key} resolves to {root}, inside the project's own folder {folder}; "
                    f"allowed: a folder of its own, such as results"]
    for folder, what in ((work, "the working directory"), (project, "the project")):
        if _inside(folder, root):
            return [f"{key} resolves to {root}, which holds {what} {folder}; allowed: a "
                    f"folder of its own, such as results"]
    return []


def cross_key_problems(cfg: dict) -> list[str]:
    """Every cross-key problem of a schema-valid config: repeated seeds anywhere, each
    stage's ``check`` in the plan, then (on an otherwise sound config) every job estimated
    above ``cost.max_job_hours``."""
    from . import cost, plan  # the plan imports the domain packages: only when validating

    out = duplicate_seeds(cfg) + plan.problems(cfg)
    return out or cost.problems(cfg)


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
class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping of a YAML document gives one key twice."""


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader that rejects a key given twice in one mapping (plain YAML keeps
    the last one silently). Merged keys (``<<: *anchor``) may still be overridden."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)):
                    continue  # unhashable keys: YAML's own constructor reports them
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise DuplicateKeyError(
                        None, None, f"key {key!r} given twice (lines {seen[key]} and {line}); "
                        f"allowed: each key once per mapping", key_node.start_mark)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml_text(text: str):
    """YAML text as Python objects; a key given twice in a mapping raises DuplicateKeyError."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)


def read_yaml(path: str | Path) -> dict:
    """A config file as a dict; a missing or empty file, a YAML syntax error (with its line
    and column), a key given twice (with both lines) or a non-mapping top level is one
    ConfigError line naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    try:
        data = load_yaml_text(text)
    except DuplicateKeyError as exc:
        raise ConfigError(f"config file {path}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"config file {path}{where}: YAML syntax error: {problem}") from None
    if data is None:
        raise ConfigError(f"config file {path} is empty; allowed: a mapping of config keys "
                          f"(see config/config.yaml)")
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: the top level must be a mapping of keys, "
                          f"not a {type(data).__name__}")
    return data


def load(path: str | Path, overrides: dict | None = None) -> dict:
    """A config file, with ``overrides`` (``--config`` items) merged on top, validated."""
    data = read_yaml(path)
    if overrides:
        _merge(data, parse_overrides(overrides))
    return validate(data)


def _merge(base: dict, extra: Mapping) -> None:
    """``extra`` merged into ``base`` in place, nested mappings key by key (as Snakemake's
    ``update_config``)."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


# ------------------------------------------------------------------ --config items
def nested(dotted: dict) -> dict:
    """``{"theory.kmax": 6}`` as ``{"theory": {"kmax": 6}}`` (other keys unchanged)."""
    out: dict = {}
    for key, value in dotted.items():
        parts = str(key).split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if isinstance(node.get(parts[-1]), dict) and isinstance(value, Mapping):
            _merge(node[parts[-1]], value)
        else:
            node[parts[-1]] = value
    return out


def snakemake_form(dotted_key: str, value: str) -> str:
    """The ``--config`` item Snakemake accepts for a dotted key: ``theory.kmax=6`` as
    ``theory={kmax: 6}`` (Snakemake's own parser allows only identifiers before '=')."""
    head, *rest = dotted_key.split(".")
    inner = value
    for part in reversed(rest):
        inner = f"{{{part}: {inner}}}"
    return f"{head}={inner}"


def override_items(argv: list[str]) -> list[tuple[int, str, str]]:
    """The ``--config KEY=VALUE`` items of a command line, as (argument number, key, value)."""
    out, collecting = [], False
    for i, arg in enumerate(argv):
        if arg in ("--config", "-C"):
            collecting = True
            continue
        if arg.startswith("--config="):
            arg, collecting = arg.split("=", 1)[1], True
        elif arg.startswith("-"):
            collecting = False
            continue
        if collecting and "=" in arg:
            key, value = arg.split("=", 1)
            out.append((i, key, value))
    return out


def override_problems(argv: list[str]) -> list[str]:
    """Every key given twice among the ``--config`` items of ``argv`` (naming the key and both
    argument numbers) or twice inside one item's YAML value (naming the key and both lines)."""
    out, seen = [], {}
    for i, key, value in override_items(argv):
        if key in seen:
            out.append(f"--config: key {key!r} given twice (arguments {seen[key]} and {i}); "
                       f"allowed: each key once")
        seen.setdefault(key, i)
        try:
            load_yaml_text(value)
        except DuplicateKeyError as exc:
            out.append(f"--config {key}=...: {exc.problem}")
        except yaml.YAMLError:
            pass  # Snakemake reads such a value as a string; the schema judges it
    return out


USAGE = """\
usage: python -m easy2hard.pipeline.config CONFIG.yaml [CONFIG.yaml ...] [--config KEY=VALUE ...]

Check easy2hard config files against config/schema.yaml and every cross-key check of the
stages, as the workflow does before any job starts: one line per file, "valid" or each
problem naming its key and what is allowed. Exit status 0 when every file is valid, 1 if
any is not, 2 on a usage error.

  CONFIG.yaml          a complete config (as snakemake --configfile CONFIG.yaml)
  --config KEY=VALUE   override keys on top of each file, as snakemake --config; nested keys
                       as KEY={sub: value} or in dotted form (theory.kmax=6), which this
                       checker accepts and translates to the form Snakemake accepts
  -h, --help           show this text

Also printed: the estimated CPU time of each stage and the longest job
(easy2hard.pipeline.cost); a job above cost.max_job_hours is an error. A dataset above
easy2hard.pipeline.integrity.DATASET_WARN_BYTES is a warning.
"""


def main(argv: list[str] | None = None) -> int:
    """Check config files: one line per problem, exit status 1 if any."""
    argv = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE, end="")
        return 0
    items = override_items(argv)
    used = {i for i, _, _ in items} | {i for i, a in enumerate(argv) if a in ("--config", "-C")}
    files = [a for i, a in enumerate(argv) if i not in used and not a.startswith("--config=")]
    unknown = [a for a in files if a.startswith("-")]
    if not files or unknown:
        print(f"unknown option {unknown[0]}\n" if unknown else "", file=sys.stderr, end="")
        print(USAGE, file=sys.stderr, end="")
        return 2
    problems = override_problems(argv)
    overrides = nested({key: value for _, key, value in items})
    for _, key, value in items:
        if "." in key:
            print(f"--config {key}={value}: for snakemake write --config "
                  f"'{snakemake_form(key, value)}'")
    bad = 0
    for path in files:
        try:
            _raise(problems)
            cfg = load(path, overrides)
            print(f"{path}: valid")
            print(_cost_table(cfg))
        except ConfigError as err:
            bad += 1
            print(f"{path}: {err}", file=sys.stderr)
    return 1 if bad else 0


def _cost_table(cfg: dict) -> str:
    from . import cost, integrity

    return "\n".join([cost.table(cost.estimate(cfg)), *integrity.size_warnings(cfg)])


if __name__ == "__main__":
    sys.exit(main())

"""Results that know their code: a content hash of the library source a job imports.

Snakemake compares a job's script, params, inputs and software environment, but not the
library modules the script imports. ``code_hash`` follows the imports of a script through the
``easy2hard`` package (absolute and relative, at any depth, function-level imports included),
and hashes the syntax tree of every module reached, with docstrings removed. The hash joins the
rule's params (``attach_code_hashes``, called by the ``Snakefile`` once every rule is
defined), so editing a function reruns exactly the jobs that import its module, and their
figures; reverting an edit is a change too; a whitespace-, comment- or docstring-only edit
changes nothing.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = "easy2hard"
#: the folder that holds the package (the repository root)
ROOT = Path(__file__).resolve().parents[2]


def module_file(root: Path, name: str) -> Path | None:
    """The source file of module ``name`` under ``root``, or None if it is no module of ours."""
    base = Path(root, *name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name a ``from ... import`` refers to, inside module ``module``."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_names(tree: ast.AST, module: str = "", is_package: bool = False) -> set[str]:
    """Every module name an AST may import: ``import a.b``, ``from a import b`` (b may be a
    module) and relative imports, resolved against ``module``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in out if name == PACKAGE or name.startswith(PACKAGE + ".")}


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def library_modules(root: str | Path, source: str | Path | None, extra: tuple = ()) -> dict[str, Path]:
    """Every library module that ``source`` (a script; None for none) imports, directly or
    not, with its file; ``extra`` names modules imported dynamically (a figure's drawing
    function), which are included with their imports."""
    root = Path(root)
    todo = (imported_names(_parse(Path(source))) if source is not None else set()) | set(extra)
    found: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        for full in _with_parents(name):
            if full in found:
                continue
            path = module_file(root, full)
            if path is None:
                continue
            found[full] = path
            todo |= imported_names(_parse(path), full, path.name == "__init__.py")
    return found


@lru_cache(maxsize=None)
def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


@lru_cache(maxsize=None)
def source_digest(path: Path) -> str:
    """The hash of one module's syntax tree without docstrings (line numbers excluded)."""
    tree = _without_docstrings(ast.parse(path.read_text(encoding="utf-8")))
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def code_hash(root: str | Path, script: str | Path | None, extra: tuple = ()) -> str:
    """One hash of every library module ``script`` imports, and of the modules ``extra``
    with their imports (16 hex digits)."""
    modules = library_modules(root, script, tuple(extra))
    digest = hashlib.sha256()
    for name in sorted(modules):
        digest.update(f"{name}:{source_digest(modules[name])}\n".encode())
    return digest.hexdigest()[:16]


def modules_hash(*modules: str, root: str | Path = ROOT) -> str:
    """The code hash of the library modules ``modules`` and every module they import: the
    code of one computation (``modules_hash("easy2hard.images.training")``: what makes the
    U-Net weights), narrower than a script's."""
    return code_hash(root, None, extra=modules)


def function_docstring(root: str | Path, draw: str) -> str:
    """The first paragraph of the docstring of ``"package.module:function"``, read from its
    source without importing it (for ``snakemake --list-rules``)."""
    module, _, name = draw.partition(":")
    path = module_file(Path(root), module)
    for node in ast.walk(_parse(path)) if path else ():
        if isinstance(node, ast.FunctionDef) and node.name == name:
            doc = ast.get_docstring(node) or ""
            return " ".join(doc.split("\n\n")[0].split())
    return ""


def attach_code_hashes(workflow) -> None:
    """Give every script rule of a Snakemake ``workflow`` a ``code`` param: the hash of the
    library source its script imports. Rules that set their own (the generated figure rules,
    whose drawing module the script imports dynamically) keep it."""
    import os

    for rule in workflow.rules:
        if rule.script is None or "code" in rule.params.keys():
            continue
        script = os.path.join(rule.basedir.get_path_or_uri(secret_free=True), rule.script)
        rule.set_params(code=code_hash(workflow.basedir, script))

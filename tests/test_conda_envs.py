"""The conda environments under envs/ are complete for the rules that name them.

No conda channel is reachable here, so this checks what it can without solving an env:
every env file parses and pins its packages; each env provides every third-party module
that its rules' scripts import, and that the library modules they use import (found by
static analysis of the import statements); and the library is importable from the
repository root through PYTHONPATH, which is how jobs find it under --use-conda
(workflow/rules/common.smk exports it; see README "Conda").
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

ENVS = REPO / "envs"
RULES = REPO / "workflow" / "rules"
PACKAGE = "easy2hard"

# import name -> conda-forge package name, where they differ
CONDA_NAME = {"torch": "pytorch", "yaml": "pyyaml", "skimage": "scikit-image",
              "PIL": "pillow", "sklearn": "scikit-learn", "cv2": "opencv"}


def env_files():
    return sorted(ENVS.glob("*.yaml"))


def env_packages(path: Path) -> dict[str, str]:
    """Package name -> version spec of a conda env file (pip entries included)."""
    spec = yaml.safe_load(path.read_text())
    out = {}
    for dep in spec.get("dependencies", []):
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(?:={1,2}\s*([^\s]+))?", item)
            out[m.group(1).lower()] = m.group(2) or ""
    return out


def rule_blocks() -> dict[str, dict]:
    """Rule name -> {'conda': env path, 'script': script path, 'file': .smk} for every rule."""
    rules = {}
    for smk in sorted(RULES.glob("*.smk")):
        text = smk.read_text()
        parts = re.split(r"^(?:rule|checkpoint)\s+(\w+):", text, flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2]):
            body = re.split(r"^\S", body, maxsplit=1, flags=re.M)[0]  # up to next top level
            info = {"file": smk.name}
            for key in ("conda", "script"):
                m = re.search(rf"^\s+{key}:\s*\n\s+[\"']([^\"']+)[\"']", body, flags=re.M)
                if m:
                    info[key] = (smk.parent / m.group(1)).resolve()
            rules[name] = info
    return rules


def _walk(node, into_functions: bool):
    for child in ast.iter_child_nodes(node):
        if not into_functions and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                     ast.Lambda)):
            continue
        yield child
        yield from _walk(child, into_functions)


def _imports(path: Path, module_level_only: bool) -> set[str]:
    """Dotted names imported by a file; with module_level_only, not those inside functions
    (lazy imports, which run only when the function is called)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in _walk(tree, into_functions=not module_level_only):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside the package: resolve against its path
                pkg = path.resolve().relative_to(REPO).parent.parts
                base = ".".join(pkg[: len(pkg) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
                names.add(mod)
                names.update(f"{mod}.{a.name}" for a in node.names)  # maybe submodules
            elif node.module:
                names.add(node.module)
                if node.module.split(".")[0] == PACKAGE:
                    names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def library_file(module: str) -> Path | None:
    parts = module.split(".")
    path = REPO.joinpath(*parts)
    for cand in (path.with_suffix(".py"), path / "__init__.py"):
        if cand.exists():
            return cand
    return None


def required_modules(script: Path) -> tuple[set[str], set[str]]:
    """Third-party top-level modules and library modules a script needs to run.

    A script's own imports all count. For library modules only module-level imports
    count: an import inside a library function is lazy (torch in tables.load_torch runs
    only for scripts that load checkpoints, and those import torch themselves).
    """
    third, library, todo = set(), set(), list(_imports(script, module_level_only=False))
    while todo:
        name = todo.pop()
        top = name.split(".")[0]
        if top == PACKAGE:
            f = library_file(name)
            if f is None or name in library:
                continue
            library.add(name)
            todo.extend(_imports(f, module_level_only=True))
            if f.name != "__init__.py":
                todo.append(PACKAGE)  # importing a submodule runs the package __init__
        elif top not in sys.stdlib_module_names and top != "__future__":
            third.add(top)
    text = "\n".join(library_file(m).read_text() for m in library) + script.read_text()
    if re.search(r"parquet", text, flags=re.I):
        third.add("pyarrow")  # pandas' Parquet engine, imported lazily by pandas
    return third, library


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize("path", env_files(), ids=lambda p: p.name)
def test_env_parses_and_is_pinned(path):
    spec = yaml.safe_load(path.read_text())
    assert isinstance(spec, dict), f"{path}: not a YAML mapping"
    assert spec.get("channels"), f"{path}: no channels"
    assert set(spec["channels"]) <= {"conda-forge", "pytorch", "nvidia"}, \
        f"{path}: channels {spec['channels']} (conda-forge, plus pytorch/nvidia if needed)"
    assert "defaults" not in spec["channels"]
    pkgs = env_packages(path)
    unpinned = [name for name, version in pkgs.items() if not version]
    assert not unpinned, f"{path}: unpinned packages {unpinned}"
    assert "python" in pkgs, f"{path}: python itself must be pinned"


def test_env_python_satisfies_project_and_snakemake():
    """Scripts unpickle snakemake's object in the env's python: same minor as ours or newer
    than the project's floor (pyproject requires-python)."""
    import tomllib

    floor = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    lo = tuple(int(x) for x in re.findall(r"\d+", floor)[:2])
    for path in env_files():
        version = env_packages(path)["python"]
        assert tuple(int(x) for x in version.split(".")[:2]) >= lo, f"{path}: python {version}"


def test_every_rule_names_an_existing_env():
    rules = rule_blocks()
    assert rules, "no rules found under workflow/rules"
    missing = {name: info["file"] for name, info in rules.items()
               if name != "all" and "conda" not in info}
    assert not missing, f"rules without a conda: directive: {missing}"
    for name, info in rules.items():
        if "conda" in info:
            assert info["conda"].exists(), f"rule {name}: env {info['conda']} does not exist"
            assert info["conda"].parent == ENVS.resolve()


def _env_rules():
    rules = rule_blocks()
    return sorted((name, info["conda"], info["script"]) for name, info in rules.items()
                  if "conda" in info and "script" in info and info["script"].exists())


@pytest.mark.parametrize("rule, env, script", _env_rules(), ids=lambda x: getattr(x, "name", x))
def test_env_provides_script_imports(rule, env, script):
    pkgs = env_packages(env)
    third, _ = required_modules(script)
    missing = sorted(m for m in third if CONDA_NAME.get(m, m).lower() not in pkgs)
    assert not missing, (f"rule {rule}: {script.relative_to(REPO)} (or the library modules it "
                         f"imports) needs {missing}, which {env.relative_to(REPO)} lacks")


def _figure_modules():
    """The modules of every registered drawing function (their rules are generated, all
    with envs/plot.yaml and workflow/scripts/figure.py)."""
    from easy2hard.pipeline import plan

    return sorted({fig.module for stage in plan.STAGES for fig in stage.figures})


@pytest.mark.parametrize("module", _figure_modules())
def test_plot_env_provides_figure_imports(module):
    """A drawing function runs inside figure.py in the plot env: every import of its module
    (its functions' lazy ones included, since the figure calls them) is in that env."""
    pkgs = env_packages(ENVS / "plot.yaml")
    third = (required_modules(REPO / "workflow" / "scripts" / "figure.py")[0]
             | required_modules(library_file(module))[0])
    missing = sorted(m for m in third if CONDA_NAME.get(m, m).lower() not in pkgs)
    assert not missing, f"{module} needs {missing}, which envs/plot.yaml lacks"


def _claims_modules():
    """The modules of every claim's evaluate function (their rules claims_<stage> are
    generated, all with envs/plot.yaml and workflow/scripts/claims_stage.py)."""
    from easy2hard.pipeline import plan

    return sorted({c.module for stage in plan.STAGES for c in stage.claims})


@pytest.mark.parametrize("module", _claims_modules())
def test_plot_env_provides_claims_imports(module):
    """A claim's evaluate function runs inside claims_stage.py in the plot env."""
    pkgs = env_packages(ENVS / "plot.yaml")
    third = (required_modules(REPO / "workflow" / "scripts" / "claims_stage.py")[0]
             | required_modules(library_file(module))[0])
    missing = sorted(m for m in third if CONDA_NAME.get(m, m).lower() not in pkgs)
    assert not missing, f"{module} needs {missing}, which envs/plot.yaml lacks"


def test_static_analysis_sees_lazy_and_relative_imports(tmp_path):
    """The analysis itself can fail: a script importing a library module that imports
    scipy at module level needs scipy."""
    script = tmp_path / "s.py"
    script.write_text("from easy2hard.core import tables\nimport seaborn as sns\n")
    third, library = required_modules(script)
    assert {"seaborn", "pandas", "numpy", "pyarrow"} <= third
    assert "easy2hard.core.tables" in library


def test_library_importable_through_pythonpath(tmp_path):
    """As under --use-conda: the package is found through PYTHONPATH=<repo root> (set by
    common.smk), not through an installed copy, from any working directory."""
    modules = sorted({m for _, _, script in _env_rules()
                      for m in required_modules(script)[1]} | {PACKAGE})
    code = (
        "import sys\n"
        # drop setuptools' editable-install finders: only PYTHONPATH may provide the package
        "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
        "import importlib\n"
        f"for m in {modules!r}:\n"
        "    mod = importlib.import_module(m)\n"
        f"    assert mod.__file__.startswith({str(REPO)!r}), (m, mod.__file__)\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]

"""The code hash follows a script's imports through the library, and sees code, not prose."""

from easy2hard.pipeline import provenance


def _package(tmp_path, files: dict):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_imports_are_followed_absolute_relative_and_lazy(tmp_path):
    root = _package(tmp_path, {
        "easy2hard/__init__.py": "",
        "easy2hard/core/__init__.py": "",
        "easy2hard/core/a.py": "X = 1\n",
        "easy2hard/core/unused.py": "Y = 2\n",
        "easy2hard/dom/__init__.py": "",
        "easy2hard/dom/b.py": "from ..core import a\n\ndef f():\n    from . import c\n",
        "easy2hard/dom/c.py": "import numpy\n",
        "script.py": "import os\nfrom easy2hard.dom.b import f\n",
    })
    found = provenance.library_modules(root, root / "script.py")
    assert set(found) == {"easy2hard", "easy2hard.core", "easy2hard.core.a", "easy2hard.dom",
                          "easy2hard.dom.b", "easy2hard.dom.c"}


def test_hash_ignores_comments_blank_lines_and_docstrings_but_not_code(tmp_path):
    files = {"easy2hard/__init__.py": "", "easy2hard/m.py": '"""Doc."""\n\ndef f():\n    return 1\n',
             "script.py": "from easy2hard import m\n"}
    root = _package(tmp_path, files)
    base = provenance.code_hash(root, root / "script.py")

    def rehash(text):
        fresh = _package(tmp_path / f"v{len(text)}", {**files, "easy2hard/m.py": text})
        return provenance.code_hash(fresh, fresh / "script.py")

    assert rehash('"""Other doc."""\n\n\n# note\ndef f():  # why\n    return 1\n') == base
    assert rehash('"""Doc."""\n\ndef f():\n    return 2\n') != base
    assert rehash('"""Doc."""\n\ndef f():\n    return 1\n\n\ndef g():\n    pass\n') != base

"""Only the modules `core.TENSORFLOW_MODULES` lists load TensorFlow or Keras when imported.

Read statically: each file's top-level imports (not those inside functions or under
`if TYPE_CHECKING:`), followed through project modules. One subprocess then confirms that the
light modules really leave TensorFlow out of `sys.modules`.
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core import TENSORFLOW_MODULES

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEAVY_PACKAGES = ("tensorflow", "keras")
LAYERS = ("core", "ui", "pages", "bench")
PROJECT_FILES = sorted(
    ["Home.py", *(str(path.relative_to(PROJECT_ROOT)) for layer in LAYERS for path in (PROJECT_ROOT / layer).rglob("*.py"))]
)


def module_name(path: str) -> str:
    """A file's dotted module name: core/runs.py is core.runs, and core/__init__.py is core."""
    parts = list(Path(path).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULE_FILES = {module_name(path): PROJECT_ROOT / path for path in PROJECT_FILES}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def top_level_imports(source: str, package: str = "") -> set[str]:
    """Every module a source imports when it loads: each dotted prefix of an imported name, plus
    `package.name` candidates for `from package import name` (a submodule, if such a file exists)."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue  # runs only when called: a lazy import
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                anchor = package.rsplit(".", node.level - 1)[0] if node.level else ""  # `from . import x`
                base = ".".join(part for part in (anchor, node.module) if part)
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                names = []
            for name in names:
                parts = name.split(".")
                found.update(".".join(parts[: end + 1]) for end in range(len(parts)))
            for child in ("body", "orelse", "finalbody", "handlers"):  # class, if, try, with, for, while
                visit(getattr(node, child, []))

    visit(ast.parse(source).body)
    return found


@functools.cache
def tensorflow_chain(module: str) -> tuple[str, ...]:
    """The import chain from a project module to TensorFlow or Keras, or () when it loads neither."""
    path = MODULE_FILES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for name in sorted(top_level_imports(path.read_text(encoding="utf-8"), package)):
        if name.split(".")[0] in HEAVY_PACKAGES:
            return (module, name)
        if name in MODULE_FILES and name != module:
            chain = tensorflow_chain(name)
            if chain:
                return (module, *chain)
    return ()


def test_the_reader_sees_only_imports_that_run_at_load():
    source = (
        "import os, keras.ops\n"
        "from core.recipes import RECIPES\n"
        "from . import runs\n"
        "try:\n    import cv2\nexcept ImportError:\n    import PIL\n"
        "class A:\n    import numpy\n"
        "if TYPE_CHECKING:\n    import tensorflow\n"
        "def lazy():\n    import streamlit\n"
    )
    found = top_level_imports(source, package="core")
    assert {"os", "keras", "keras.ops", "core", "core.recipes", "core.runs", "cv2", "PIL", "numpy"} <= found
    assert not {"tensorflow", "streamlit"} & found


@pytest.mark.parametrize("path", sorted({*PROJECT_FILES, *TENSORFLOW_MODULES}))
def test_only_the_listed_modules_load_tensorflow(path):
    assert path in PROJECT_FILES, f"core.TENSORFLOW_MODULES lists {path}, which is not a module of the project"
    chain = " -> ".join(tensorflow_chain(module_name(path)))
    if path in TENSORFLOW_MODULES:
        assert chain, f"{path} no longer loads TensorFlow: remove it from core.TENSORFLOW_MODULES"
    else:
        assert not chain, f"{path} loads TensorFlow ({chain}); import it inside a function, or list the file"


def test_the_light_modules_really_leave_tensorflow_out():
    """Python's own import machinery agrees: every light module imported, no TensorFlow (nor, for core's, Streamlit)."""
    # Pages and Home draw with Streamlit when imported, and `__main__` runs a command: not importable here.
    importable = [path for path in PROJECT_FILES if path.split("/")[0] in ("core", "ui", "bench") and "__main__" not in path]
    light = [module_name(path) for path in importable if path not in TENSORFLOW_MODULES]
    core = [name for name in light if name.split(".")[0] == "core"]
    others = [name for name in light if name not in core]
    assert len(core) > 10 and any(name.startswith("ui.") for name in others)
    code = (
        "import importlib, json, sys\n"
        "def loaded(names): return sorted(name for name in sys.modules if name.split('.')[0] in names)\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        f"after_core = loaded({(*HEAVY_PACKAGES, 'streamlit')!r})\n"
        f"for name in {others!r}: importlib.import_module(name)\n"
        f"print(json.dumps([after_core[:5], loaded({HEAVY_PACKAGES!r})[:5]]))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == [[], []]

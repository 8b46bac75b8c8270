"""Keeps `core/` free of Streamlit, and listing runs free of TensorFlow.

Which modules may load TensorFlow when imported is tests/test_tensorflow_boundary.py's business.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORE = PROJECT_ROOT / "core"
CORE_FILES = sorted(CORE.rglob("*.py"))


def streamlit_imports(source: str) -> list[str]:
    """Every way `source` imports streamlit: statements, and module names passed as strings."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "streamlit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == "streamlit":
                found.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # importlib.import_module("streamlit"), __import__("streamlit.x"), and the like.
            if node.value.split(".")[0] == "streamlit":
                found.append(node.value)
    return found


def test_the_scanner_finds_every_form_of_import():
    sources = [
        "import streamlit",
        "import streamlit as st",
        "import os, streamlit.components.v1 as components",
        "from streamlit import session_state",
        "from streamlit.runtime import exists",
        "def f():\n    import streamlit\n",
        "import importlib\nst = importlib.import_module('streamlit')",
        "st = __import__('streamlit.delta_generator')",
    ]
    for source in sources:
        assert streamlit_imports(source), source
    for source in ["import streamlit_drawable_canvas", "from . import streamlit", "x = 'streamlit is a web framework'"]:
        assert not streamlit_imports(source), source


def test_core_has_python_files():
    names = {path.name for path in CORE_FILES}
    assert {"training.py", "runs.py", "evaluation.py", "cli.py"} <= names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: str(path.relative_to(CORE)))
def test_core_module_does_not_import_streamlit(path):
    assert streamlit_imports(path.read_text(encoding="utf-8")) == []


def test_listing_runs_does_not_import_tensorflow_or_keras(tmp_path):
    # Listing, reading a record and choosing the default run are what every page does on load.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from core.runs import RunStore\n"
        f"store = RunStore(Path({str(tmp_path)!r}), shipped_dir=None)\n"
        "store.list_runs(); store.broken_runs(); store.default_run_id()\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'keras'))[:5])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"

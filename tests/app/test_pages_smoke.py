"""Every page renders without an exception, with a model and with none."""

import subprocess
import sys

import pytest

from tests.app.conftest import PAGES, PROJECT_ROOT, open_page


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_a_model(app_env, page):
    app = open_page(page)
    assert not app.exception, app.exception


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_a_model(app_with_model, page):
    app = open_page(page)
    assert not app.exception, app.exception
    assert any(app_with_model in caption.value for caption in app.sidebar.caption)


def test_the_predict_page_path_imports_no_tensorflow():
    """A first drawing must not wait for TensorFlow's import: Predict answers through NumPy."""
    code = (
        "import sys\n"
        "import ui.pages, ui.views.prediction, ui.widgets.sidebar, ui.widgets.navigation, core.images\n"
        "print(sorted(name for name in ('tensorflow', 'keras') if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

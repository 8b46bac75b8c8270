"""Every page renders without an exception, with a model and with none."""

import pytest

from tests.app.conftest import PAGES, open_page


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_a_model(app_env, page):
    app = open_page(page)
    assert not app.exception, app.exception


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_a_model(app_with_model, page):
    app = open_page(page)
    assert not app.exception, app.exception
    assert any(app_with_model in caption.value for caption in app.sidebar.caption)


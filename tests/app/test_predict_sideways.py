"""The Predict page reads a page photographed sideways turned back, as `python -m core predict` does."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from core.runs import SHIPPED_RUN_DIR
from tests.app.conftest import open_page
from tests.browser.test_upload import two_line_photo


@pytest.fixture()
def app_with_shipped_model(app_env) -> str:
    """The run store holds a copy of the shipped model, which reads pen digits well; returns its id."""
    app_env.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SHIPPED_RUN_DIR, app_env / "shipped-copy")
    return "shipped-copy"


def test_a_two_line_photo_turned_on_its_side_reads_both_lines(app_with_shipped_model):
    sideways = np.ascontiguousarray(cv2.rotate(two_line_photo(), cv2.ROTATE_90_CLOCKWISE))
    png = cv2.imencode(".png", cv2.cvtColor(sideways, cv2.COLOR_RGB2BGR))[1].tobytes()

    app = open_page("pages/Predict.py")
    app.file_uploader(key="predict_uploads").set_value(("sideways.png", png, "image/png")).run()

    assert not app.exception
    assert [metric.value for metric in app.metric if metric.label == "Prediction"] == ["12345|67890"]
    assert any("read turned left" in caption.value for caption in app.caption)

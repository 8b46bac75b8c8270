"""The Predict page says "Not a digit" for an eleven-output model's answer, apart from "not sure"."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.app.conftest import open_page
from tests.not_a_digit_model import always_not_a_digit


@pytest.fixture()
def app_with_not_a_digit_model(app_env, sample_data) -> str:
    """The default run is an eleven-output model that answers "not a digit" to anything."""
    from core.config import ELEVENTH_CLASS, TrainingConfig
    from core.runs import RunStore
    from core.training import train

    config = TrainingConfig.for_architecture("fast", epochs=1, train_size=400, batch_size=64, non_digits=ELEVENTH_CLASS)
    result = train(config, sample_data)
    always_not_a_digit(result.model)
    store = RunStore(app_env, shipped_dir=None)
    record = store.save(result)
    store.set_default(record.run_id)
    return record.run_id


def _star_png(centres: list[int]) -> bytes:
    """Dark five-pointed stars on white paper, one per centre, side by side."""
    paper = np.full((240, 120 + 200 * len(centres)), 255, np.uint8)
    for centre in centres:
        angles = np.pi / 2 + np.arange(5) * 4 * np.pi / 5  # every second corner: the star's strokes
        corners = np.stack([centre + 80 * np.cos(angles), 120 - 80 * np.sin(angles)], axis=1).astype(np.int32)
        cv2.polylines(paper, [corners], True, 0, 10)
    return cv2.imencode(".png", paper)[1].tobytes()


def _predictions(app) -> list[str]:
    return [metric.value for metric in app.metric if metric.label == "Prediction"]


def test_a_mark_is_answered_not_a_digit_and_opens_in_feature_maps(app_with_not_a_digit_model):
    app = open_page("pages/Predict.py")
    app.file_uploader(key="predict_uploads").set_value(("star.png", _star_png([160]), "image/png")).run()
    assert not app.exception
    assert _predictions(app) == ["Not a digit"]
    assert any(warning.value.startswith("Not a digit:") for warning in app.warning)
    assert not any(warning.value.startswith("Not sure") for warning in app.warning)

    next(button for button in app.button if button.label.startswith("Open its feature maps")).click().run()
    assert not app.exception
    assert [metric.value for metric in app.main.metric] == ["Not a digit"]


def test_several_marks_read_as_dashes(app_with_not_a_digit_model):
    app = open_page("pages/Predict.py")
    app.file_uploader(key="predict_uploads").set_value(("stars.png", _star_png([160, 360]), "image/png")).run()
    assert not app.exception
    assert _predictions(app) == ["--"]

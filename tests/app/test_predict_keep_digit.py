"""Predict's "Right: keep it" and "Wrong? It is a …" under every answer store the digit on My digits."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.kept_digits import open_store
from tests.app.conftest import open_page, switch_to


def _digit_png(sample_data, digit: int, count: int = 1) -> bytes:
    """The sample's first test image of `digit`, `count` times side by side, four times MNIST's size."""
    image = sample_data.x_test[np.flatnonzero(sample_data.y_test == digit)[0]]  # (28, 28) uint8, white on black
    row = np.concatenate([np.pad(image, 8)] * count, axis=1)
    return cv2.imencode(".png", cv2.resize(row, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST))[1].tobytes()


@pytest.fixture()
def answered(app_with_model, sample_data):
    """Predict with an upload of a 1, answered "1" by the session's model."""
    app = open_page("pages/Predict.py")
    app.file_uploader(key="predict_uploads").set_value(("one.png", _digit_png(sample_data, 1), "image/png")).run()
    assert not app.exception
    assert [metric.value for metric in app.metric if metric.label == "Prediction"] == ["1"]
    return app


def test_right_keep_it_stores_the_digit_as_answered(answered, app_with_model, kept_digits_path):
    answered.button(key="upload_0_keep_right").click().run()

    assert not answered.exception
    [kept] = open_store(kept_digits_path).list()
    assert (kept.label, kept.answer, kept.run_id, kept.writer) == (1, "1", app_with_model, "")
    assert 0 < kept.confidence <= 1 and kept.model_input.max() == 255
    assert any(success.value.startswith("Kept as a 1") for success in answered.success)
    assert not any(button.key == "upload_0_keep_right" for button in answered.button)  # kept once, not twice


def test_wrong_it_is_a_keeps_the_chosen_digit_under_the_sessions_writer_name(answered, kept_digits_path):
    answered.sidebar.text_input(key="predict_writer_name").input("  Ann ").run()
    answered.selectbox(key="upload_0_keep_wrong").set_value(7).run()

    assert not answered.exception
    [kept] = open_store(kept_digits_path).list()
    assert (kept.label, kept.answer, kept.writer, kept.model_was_right) == (7, "1", "Ann", False)
    switch_to(answered, "pages/My_digits.py").run()  # the name outlives the page's widgets
    switch_to(answered, "pages/Predict.py").run()
    assert answered.sidebar.text_input(key="predict_writer_name").value == "Ann"


def test_each_digit_of_a_picture_of_several_can_be_kept(app_with_model, sample_data, kept_digits_path):
    app = open_page("pages/Predict.py")
    app.file_uploader(key="predict_uploads").set_value(("ones.png", _digit_png(sample_data, 1, count=2), "image/png")).run()
    assert not app.exception
    app.selectbox(key="upload_0_keep_1_wrong").set_value(4).run()

    assert not app.exception
    assert [digit.label for digit in open_store(kept_digits_path).list()] == [4]
    assert not app.button(key="upload_0_keep_0_right").disabled  # the first digit is still to keep


def test_a_store_that_cannot_be_used_is_an_error_message_not_a_crash(answered, kept_digits_path):
    kept_digits_path.write_bytes(b"garbage" * 100)
    answered.button(key="upload_0_keep_right").click().run()
    assert not answered.exception
    assert any(str(kept_digits_path) in error.value for error in answered.error)


def test_a_demo_server_offers_the_buttons_disabled_with_the_reason(app_with_model, sample_data, kept_digits_path):
    app = open_page("pages/Predict.py", secrets={"DIGIT_LAB_MODE": "demo"})
    app.file_uploader(key="predict_uploads").set_value(("one.png", _digit_png(sample_data, 1), "image/png")).run()
    assert not app.exception
    assert app.button(key="upload_0_keep_right").disabled and app.selectbox(key="upload_0_keep_wrong").disabled
    assert any(caption.value.startswith("Keeping digits is off on this demo server") for caption in app.caption)
    assert not kept_digits_path.exists()

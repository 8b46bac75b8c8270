"""The limits a shared server needs, as a visitor meets them: an upload rate per session, and a line for Grad-CAM."""

from __future__ import annotations

import threading

import cv2
import numpy as np

from tests.app.conftest import open_page


def _bar_png() -> bytes:
    paper = np.full((240, 240), 255, np.uint8)
    cv2.line(paper, (120, 30), (120, 210), 0, 18)  # a "1", dark ink on white paper
    return cv2.imencode(".png", paper)[1].tobytes()


def _predictions(app) -> list[str]:
    return [metric.value for metric in app.metric if metric.label == "Prediction"]


def test_uploads_beyond_the_rate_are_held_back_with_a_message(app_with_model, monkeypatch):
    monkeypatch.setattr("ui.limits.UPLOADS_PER_MINUTE", 2)
    app = open_page("pages/Predict.py")
    files = [(f"digit-{number}.png", _bar_png(), "image/png") for number in range(3)]
    app.file_uploader(key="predict_uploads").set_value(files).run()
    assert not app.exception
    assert len(_predictions(app)) == 2
    (warning,) = [warning.value for warning in app.warning if "Upload limit" in warning.value]
    assert "digit-2.png" in warning and "2 images a minute" in warning
    app.run()  # the files already read stay read: a rerun counts nothing new
    assert len(_predictions(app)) == 2


def test_grad_cam_out_of_patience_in_line_says_the_server_is_busy(app_with_model, monkeypatch):
    """The line's own message, while a page waits, is core.limits' `on_wait` (tests/core/test_limits.py)."""
    from ui.limits import heavy_work_slots

    monkeypatch.setattr("ui.limits.HEAVY_WORK_PATIENCE_S", 0.0)
    slots, release, taken = heavy_work_slots(), threading.Event(), threading.Barrier(3)

    def hold() -> None:
        with slots.slot(lambda place: None, patience_s=10):
            taken.wait(10)
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
    taken.wait(10)  # every slot is busy
    try:
        app = open_page("pages/Misclassified.py")
        assert not app.exception
        assert any("server is busy" in warning.value for warning in app.warning)
    finally:
        release.set()
        for thread in holders:
            thread.join(10)
    app.run()
    assert not any("server is busy" in warning.value for warning in app.warning)
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert any(caption.startswith("Grad-CAM for") for caption in captions), "Grad-CAM once a slot is free"

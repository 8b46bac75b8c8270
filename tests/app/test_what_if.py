"""What if: a test digit, the last drawing or an upload, bent by sliders, answered by the NumPy forward pass."""

from __future__ import annotations

import cv2
import numpy as np

from core.data import load_sample
from core.numpy_model import load_numpy_model
from core.perturbations import Perturbation, perturb
from core.runs import MODEL_FILE
from ui.session_keys import LAST_PREDICT_INPUT
from tests.app.conftest import open_page, switch_to


def _metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.main.metric}


def _captions(app) -> list[str]:
    return [caption for image in app.get("image") for caption in image.captions]


def test_rotating_a_test_digit_changes_the_answer_as_core_computes_it(app_with_model, app_env):
    app = open_page("pages/What_if.py")
    assert not app.exception
    image = load_sample().x_test[0]
    model = load_numpy_model(app_env / app_with_model / MODEL_FILE)
    original = model.probabilities(image[np.newaxis] / 255.0)[0]
    digit = int(original.argmax())
    assert _metrics(app)["Prediction"] == str(digit)
    assert _metrics(app)[f"Probability of {digit}"] == f"{original[digit]:.1%}"

    app.slider(key="whatif_rotation_deg").set_value(90.0).run()
    assert not app.exception
    turned = model.probabilities(perturb(image, Perturbation(rotation_deg=90.0))[np.newaxis])[0]
    assert _metrics(app)[f"Probability of {digit}"] == f"{turned[digit]:.1%}"
    assert _metrics(app)["Prediction"] == str(int(turned.argmax()))
    assert f"Grad-CAM for {int(turned.argmax())}" in _captions(app)


def test_reset_puts_every_slider_back(app_with_model):
    app = open_page("pages/What_if.py")
    untouched = _metrics(app)
    app.slider(key="whatif_blur_sigma").set_value(2.0).run()
    app.slider(key="whatif_occlusion_size").set_value(10).run()
    assert _metrics(app) != untouched
    app.button(key="whatif_reset").click().run()
    assert app.slider(key="whatif_blur_sigma").value == 0.0 and app.slider(key="whatif_occlusion_size").value == 0
    assert _metrics(app) == untouched


def test_occlusion_map_is_one_button(app_with_model):
    app = open_page("pages/What_if.py")
    app.button(key="whatif_occlusion_map").click().run()
    assert not app.exception
    assert any(caption.startswith("how much a 6-pixel patch centred on each pixel lowers") for caption in _captions(app))


def test_the_last_drawing_is_bent_and_opens_in_feature_maps(app_with_model):
    app = open_page("pages/What_if.py")
    app.radio(key="whatif_source").set_value("Last drawing on Predict").run()
    assert any("Draw or upload a digit on the Predict page" in info.value for info in app.info)
    drawing = np.zeros((28, 28), np.float32)
    drawing[4:24, 12:16] = 1.0  # a plain "1"
    app.session_state[LAST_PREDICT_INPUT] = drawing
    app.run()
    app.slider(key="whatif_shift_x").set_value(-3.0).run()
    assert not app.exception
    assert "last input on Predict" in _captions(app)
    predicted = _metrics(app)["Prediction"]
    app.button(key="whatif_open_maps").click().run()
    assert not app.exception
    assert app.radio(key="fm_source").value == "Version from What if"
    assert [metric.value for metric in app.main.metric] == [predicted]  # Feature maps answers the bent version alike


def test_an_uploaded_digit_is_read_like_on_predict(app_with_model):
    paper = np.full((240, 240), 255, np.uint8)
    cv2.line(paper, (120, 30), (120, 210), 0, 18)
    app = open_page("pages/What_if.py")
    app.radio(key="whatif_source").set_value("Upload a digit").run()
    app.file_uploader(key="whatif_upload").set_value(("one.png", cv2.imencode(".png", paper)[1].tobytes(), "image/png")).run()
    assert not app.exception
    assert "one.png" in _captions(app)
    assert "Prediction" in _metrics(app)
    app.file_uploader(key="whatif_upload").set_value(("blank.png", cv2.imencode(".png", paper * 0 + 255)[1].tobytes(), "image/png")).run()
    assert app.error and "No digit found" in app.error[0].value


def test_feature_maps_without_a_what_if_version_says_where_to_make_one(app_with_model):
    app = open_page("pages/Feature_maps.py")
    app.radio(key="fm_source").set_value("Version from What if").run()
    assert any("What if page" in info.value for info in app.info)
    switch_to(app, "pages/What_if.py").run()
    assert not app.exception

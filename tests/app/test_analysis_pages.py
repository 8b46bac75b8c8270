"""Misclassified, Confusion matrix, Feature maps and Predict show what `core` computes."""

from __future__ import annotations

import json
import re

import cv2
import numpy as np

from core.data import load_sample
from core.evaluation import class_metrics, confusion_matrix, misclassified_indices
from core.inspection import build_feature_extractor
from core.runs import RunStore
from tests.app.conftest import open_page, switch_to


def _metric(app, label: str) -> str:
    return next(metric.value for metric in app.metric if metric.label == label)


def _expected(app_env, run_id):
    store = RunStore(app_env, shipped_dir=None)
    probabilities = store.test_probabilities(run_id)
    labels = load_sample().y_test
    return store, probabilities, labels


def test_misclassified_counts_match_core(app_with_model, app_env):
    _, probabilities, labels = _expected(app_env, app_with_model)
    mistakes = misclassified_indices(labels, probabilities)
    app = open_page("pages/Misclassified.py")
    assert not app.exception
    assert _metric(app, "Errors") == f"{len(mistakes):,}"
    assert _metric(app, "Test accuracy") == f"{1 - len(mistakes) / len(labels):.2%}"
    table = app.dataframe[0].value
    assert list(table["index"]) == list(mistakes[: len(table)])


def test_score_cam_stands_in_for_a_blank_grad_cam_map_and_says_so(app_with_model, monkeypatch):
    """A blank map would look like the bare digit (today's `best` recipe gives one for most digits, README)."""
    from ui.widgets.grad_cam import SCORE_CAM_NOTE

    def grad_cam_of_value(value: float):
        return lambda explainer, image, class_index: np.full((28, 28), value, np.float32)

    def heat_captions(app) -> list[str]:
        return [caption for image in app.get("image") for caption in image.captions if "-CAM for" in caption]

    monkeypatch.setattr("ui.loaders.explainers.grad_cam", grad_cam_of_value(1.0))
    app = open_page("pages/Misclassified.py")
    assert not app.exception
    (caption,) = heat_captions(app)
    assert caption.startswith("Grad-CAM for") and SCORE_CAM_NOTE not in [note.value for note in app.caption]
    monkeypatch.setattr("ui.loaders.explainers.grad_cam", grad_cam_of_value(0.0))
    app.run()
    assert not app.exception
    assert heat_captions(app) == [caption.replace("Grad-CAM", "Score-CAM")]
    assert SCORE_CAM_NOTE in [note.value for note in app.caption]


def test_misclassified_filter_by_true_digit(app_with_model, app_env):
    _, probabilities, labels = _expected(app_env, app_with_model)
    app = open_page("pages/Misclassified.py")
    app.selectbox(key="mis_true").set_value(8).run()
    expected = misclassified_indices(labels, probabilities, true_digit=8)
    assert any(f"{len(expected):,} mistakes match" in caption.value for caption in app.caption)


def test_misclassified_grid_names_digits_as_digits(app_with_model, app_env):
    _, probabilities, labels = _expected(app_env, app_with_model)
    first = misclassified_indices(labels, probabilities)[0]
    app = open_page("pages/Misclassified.py")
    grid = [caption.value for caption in app.caption if caption.value.startswith(f"#{first}:")]
    answer, confidence = probabilities[first].argmax(), probabilities[first].max()
    assert grid == [f"#{first}: {labels[first]} → **{answer}** ({confidence:.0%})"]


def test_misclassified_explains_any_digit_with_grad_cam(app_with_model, app_env):
    _, probabilities, labels = _expected(app_env, app_with_model)
    first_mistake = misclassified_indices(labels, probabilities)[0]
    app = open_page("pages/Misclassified.py")
    predicted, true = int(probabilities[first_mistake].argmax()), int(labels[first_mistake])
    assert app.selectbox(key="mis_explained").value == predicted
    app.selectbox(key="mis_explained").set_value(true).run()  # "why not the right digit?"
    assert not app.exception
    assert f"Grad-CAM for {true}" in [caption for image in app.get("image") for caption in image.captions]


def test_confusion_page_counts_and_class_table_match_core(app_with_model, app_env):
    _, probabilities, labels = _expected(app_env, app_with_model)
    matrix = confusion_matrix(labels, probabilities.argmax(axis=1))
    app = open_page("pages/Confusion_matrix.py")
    assert not app.exception
    assert _metric(app, "Errors") == f"{int(matrix.sum() - matrix.trace()):,}"
    table = app.dataframe[0].value
    np.testing.assert_allclose(table["recall"].to_numpy(), class_metrics(matrix).recall)
    assert list(table["support"]) == list(np.bincount(labels, minlength=10))


def test_confusion_cell_lists_its_images(app_with_model, app_env):
    _, probabilities, labels = _expected(app_env, app_with_model)
    app = open_page("pages/Confusion_matrix.py")
    app.selectbox(key="cm_true").set_value(3).run()
    app.selectbox(key="cm_predicted").set_value(3).run()
    count = int(np.sum((labels == 3) & (probabilities.argmax(axis=1) == 3)))
    assert any(f"{count:,} test images are digit 3 predicted as 3" in caption.value for caption in app.caption)


def test_feature_maps_show_every_feature_layer(app_with_model, app_env):
    store = RunStore(app_env, shipped_dir=None)
    names = build_feature_extractor(store.load_model(app_with_model)).layer_names
    app = open_page("pages/Feature_maps.py")
    assert not app.exception
    shown = [header.value.split(" · ")[0] for header in app.main.subheader if " · " in header.value]
    assert shown == list(names)


def _digit_png(draw) -> bytes:
    paper = np.full((240, 240), 255, np.uint8)  # dark ink on white paper
    draw(paper)
    return cv2.imencode(".png", paper)[1].tobytes()


def test_predict_upload_shows_a_prediction_and_survives_a_bad_file(app_with_model):
    app = open_page("pages/Predict.py")
    one = _digit_png(lambda paper: cv2.line(paper, (120, 30), (120, 210), 0, 18))
    app.file_uploader(key="predict_uploads").set_value(
        [("one.png", one, "image/png"), ("notes.png", b"just some text", "image/png")]
    ).run()
    assert not app.exception
    predictions = [metric.value for metric in app.metric if metric.label == "Prediction"]
    assert len(predictions) == 1 and predictions[0] in [str(digit) for digit in range(10)]
    assert any("notes.png" in error.value for error in app.error)


def test_predict_shows_each_line_of_an_upload_apart(app_with_model):
    def two_lines(paper: np.ndarray) -> None:  # two bars above one, well apart
        for x, top in ((70, 20), (170, 20), (120, 135)):
            cv2.line(paper, (x, top), (x, top + 85), 0, 12)

    app = open_page("pages/Predict.py")
    app.file_uploader(key="predict_uploads").set_value(("lines.png", _digit_png(two_lines), "image/png")).run()
    assert not app.exception
    (prediction,) = [metric.value for metric in app.metric if metric.label == "Prediction"]
    assert re.fullmatch(r"[0-9?]{2}\|[0-9?]", prediction), prediction


def test_feature_maps_use_the_last_prediction_input(app_with_model):
    app = open_page("pages/Predict.py")
    one = _digit_png(lambda paper: cv2.line(paper, (120, 30), (120, 210), 0, 18))
    app.file_uploader(key="predict_uploads").set_value(("one.png", one, "image/png")).run()
    switch_to(app, "pages/Feature_maps.py").run()
    app.radio(key="fm_source").set_value("Last drawing on Predict").run()
    assert not app.exception
    assert not any("Draw or upload" in info.value for info in app.info)
    assert [metric.label for metric in app.main.metric] == ["Prediction"]


def test_a_drawing_opens_in_feature_maps_in_one_click(app_with_model):
    app = open_page("pages/Predict.py")
    one = _digit_png(lambda paper: cv2.line(paper, (120, 30), (120, 210), 0, 18))
    app.file_uploader(key="predict_uploads").set_value(("one.png", one, "image/png")).run()
    predicted = next(metric.value for metric in app.metric if metric.label == "Prediction")
    next(button for button in app.button if button.label.startswith("Open its feature maps")).click().run()
    assert not app.exception
    assert app.radio(key="fm_source").value == "Last drawing on Predict"
    assert [metric.value for metric in app.main.metric] == [predicted]
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert f"Grad-CAM for {predicted}" in captions


def test_predict_upload_of_a_number_reads_every_digit(app_with_model):
    sample = load_sample()
    # Four real MNIST digits side by side, enlarged, dark ink on white paper: a photographed number.
    picks = [int(np.flatnonzero(sample.y_test == digit)[0]) for digit in (2, 0, 4, 7)]
    row = np.hstack([np.pad(sample.x_test[index], 4) for index in picks])  # (36, 144) white on black
    paper = 255 - cv2.resize(row, None, fx=6, fy=6, interpolation=cv2.INTER_LINEAR)
    app = open_page("pages/Predict.py")
    app.file_uploader(key="predict_uploads").set_value(("number.png", cv2.imencode(".png", paper)[1].tobytes(), "image/png")).run()
    assert not app.exception
    predictions = [metric.value for metric in app.metric if metric.label == "Prediction"]
    assert len(predictions) == 1 and len(predictions[0]) == 4
    assert any("4 digits found" in caption.value for caption in app.caption)


def test_feature_maps_explain_any_digit_and_show_neighbours(app_with_model):
    app = open_page("pages/Feature_maps.py")
    app.selectbox(key="fm_explained").set_value(7).run()
    assert not app.exception
    assert any("Nearest training images" in caption.value for caption in app.caption)


def test_insight_reports_the_calibration_core_computes(app_with_model, app_env):
    from core.calibration import apply_temperature, expected_calibration_error

    store, probabilities, labels = _expected(app_env, app_with_model)
    temperature = store.get(app_with_model).temperature  # fitted on validation digits at save time
    app = open_page("pages/Insight.py")
    assert not app.exception
    assert _metric(app, "Expected calibration error") == f"{expected_calibration_error(probabilities, labels):.2%}"
    assert _metric(app, "Run's temperature") == f"{temperature:.2f}"
    scaled = apply_temperature(probabilities, temperature)
    assert _metric(app, "ECE after scaling") == f"{expected_calibration_error(scaled, labels):.2%}"
    raw_charts = [chart.proto.spec for chart in app.get("plotly_chart")[:2]]
    app.toggle(key="insight_scaled").set_value(True).run()
    assert not app.exception
    scaled_charts = [chart.proto.spec for chart in app.get("plotly_chart")[:2]]
    assert all(raw != scaled for raw, scaled in zip(raw_charts, scaled_charts))  # both plots redrawn


def test_a_confusion_cell_image_opens_in_feature_maps(app_with_model, app_env):
    app = open_page("pages/Confusion_matrix.py")
    chosen = app.selectbox(key="cm_chosen").value
    next(button for button in app.button if button.label.startswith("Open its feature maps")).click().run()
    assert not app.exception
    assert app.number_input(key="fm_index").value == chosen


def test_insight_map_draws_the_chosen_number_of_digit_images(app_with_model):
    app = open_page("pages/Insight.py")
    scatter = json.loads(app.get("plotly_chart")[2].proto.spec)
    assert len(scatter["layout"]["images"]) == app.slider(key="insight_thumbnails").value > 0
    assert scatter["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    app.slider(key="insight_thumbnails").set_value(0).run()
    assert not app.exception
    assert "images" not in json.loads(app.get("plotly_chart")[2].proto.spec)["layout"]

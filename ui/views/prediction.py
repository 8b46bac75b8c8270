"""How the Predict page shows one input: the digits found, each one's preprocessing, the answer."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import streamlit as st

from core.preprocessing import PreprocessedDigit
from core.reading import LINE_SEPARATOR, QUARTER_TURNS, read_image
from core.runs import RunRecord
from core.segmentation import SegmentedDigit
from core.uncertainty import NOT_A_DIGIT_ANSWER, Verdict, judge, likeliest_digit
from ui.loaders.light import get_predictor
from ui.session_keys import LAST_PREDICT_INPUT
from ui.widgets.charts import probability_bars
from ui.widgets.keep_digit import keep_digit_buttons
from ui.widgets.navigation import open_feature_maps_button

BOX_COLOUR = (255, 127, 14)  # the app's accent orange, RGB

STEP_WIDTH = 110
"""Each preprocessing step is shown this many pixels wide."""

SHOWN_SIDE = 1024
"""The annotated picture is drawn at most this big: it is shown 420 px wide, and a 12 MP photo sent to the
browser whole would cost more than reading it."""


def annotate(image: np.ndarray, digits: list[SegmentedDigit]) -> np.ndarray:
    """An RGB copy of the input, at most `SHOWN_SIDE` px, with a numbered box round each digit found:
    the numbers are the digits' places in the reading, and name their sections below."""
    scale = min(1.0, SHOWN_SIDE / max(image.shape[:2]))
    shown = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    if shown.ndim == 2:
        canvas = cv2.cvtColor(shown, cv2.COLOR_GRAY2RGB)
    else:
        canvas = np.ascontiguousarray(shown[..., :3])
    thickness = max(1, round(max(canvas.shape[:2]) / 250))
    for number, found in enumerate(digits, start=1):
        box = found.box
        left, top = round(box.left * scale), round(box.top * scale)
        cv2.rectangle(canvas, (left, top), (round(box.right * scale), round(box.bottom * scale)), BOX_COLOUR, thickness)
        cv2.putText(
            canvas, str(number), (left, max(top - 4 * thickness, 12 * thickness)),
            cv2.FONT_HERSHEY_SIMPLEX, 0.5 * thickness, BOX_COLOUR, thickness, cv2.LINE_AA,
        )
    return canvas


def step_picture(image: np.ndarray) -> str:
    """A preprocessing step's picture as an inline PNG at most `STEP_WIDTH` px wide.

    `st.image` given an array encodes it, decodes it again to shrink it, encodes it once more and stores it
    for the browser to fetch, one request per picture: a quarter of a canvas answer's server time. Shrunk and
    encoded once here, the seven pictures travel with the answer itself.
    """
    height, width = image.shape[:2]
    if width > STEP_WIDTH:
        image = cv2.resize(image, (STEP_WIDTH, max(1, round(height * STEP_WIDTH / width))), interpolation=cv2.INTER_AREA)
    if image.ndim == 3:  # OpenCV writes BGR(A)
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR)
    return "data:image/png;base64," + base64.b64encode(cv2.imencode(".png", image)[1]).decode("ascii")


def _show_steps_and_bars(digit: PreprocessedDigit, probabilities: np.ndarray, key: str) -> None:
    st.image([step_picture(step.image) for step in digit.steps], caption=[step.name for step in digit.steps], width=STEP_WIDTH)
    st.vega_lite_chart(probability_bars(probabilities), key=key)


def _doubt(verdict: Verdict, probabilities: np.ndarray) -> str:
    """Why no digit is named (call only when `verdict.digit` is None)."""
    if verdict.not_a_digit:
        return f"Not a digit: this looks like a letter, a symbol or a doodle ({verdict.confidence:.0%} sure)."
    return (
        f"Not sure: this may not be a digit. Most like a **{likeliest_digit(probabilities)}** "
        f"({verdict.confidence:.0%}) or a **{verdict.runner_up}** ({verdict.runner_up_probability:.0%})."
    )


def show_prediction(run: RunRecord, image: np.ndarray, key: str) -> None:
    """Finds the digits in an image, predicts them all in one call, and draws the result.

    Raises:
        NoInkError: the image holds no digit.
    """
    # A page photographed sideways is read turned, as the CLI reads it; its boxes are in the turned picture.
    reading = read_image(image, get_predictor(run.run_id), run.not_sure_floor)
    digits, probabilities, answer = reading.digits, reading.probabilities, reading.text  # (k, classes) 10 or 11
    if reading.turn != "upright":
        image = np.ascontiguousarray(cv2.rotate(image, QUARTER_TURNS[reading.turn]))
    verdicts = [judge(row, run.not_sure_floor) for row in probabilities]
    st.session_state[LAST_PREDICT_INPUT] = digits[0].preprocessed.model_input
    lowest = min(verdict.confidence for verdict in verdicts)
    if len(digits) == 1:
        verdict, row = verdicts[0], probabilities[0]
        left, right = st.columns([1, 3])
        left.metric("Prediction", NOT_A_DIGIT_ANSWER if verdict.not_a_digit else answer)
        left.metric("Confidence", f"{lowest:.1%}")
        if verdict.digit is None:
            left.warning(_doubt(verdict, row))
        if left.toggle("Where did it look?", key=f"{key}_grad_cam", help="Grad-CAM heat over the model's input"):
            from ui.widgets.grad_cam import grad_cam_for_any_digit  # Grad-CAM needs TensorFlow; a plain answer does not

            grad_cam_for_any_digit(run.run_id, digits[0].preprocessed.model_input, likeliest_digit(row), f"{key}_explained", left)
        open_feature_maps_button(None, key=f"{key}_open_maps", where=left)
        keep_digit_buttons(run, digits[0].preprocessed, verdict, f"{key}_keep", left)
        with right:
            _show_steps_and_bars(digits[0].preprocessed, row, key=f"{key}_bars")
        return
    left, right = st.columns([1, 3])
    left.metric("Prediction", answer)
    left.metric("Lowest confidence", f"{lowest:.1%}")
    lines = answer.split(LINE_SEPARATOR)
    turned = "" if reading.turn == "upright" else f" The photo lies sideways: it was read {reading.turn}."
    left.caption(
        f"{len(digits)} digits found in {len(lines)} line{'s' if len(lines) > 1 else ''}, read left to right, "
        f"top line first; `?` is not sure, `-` not a digit.{turned}"
    )
    left.dataframe({"line": range(1, len(lines) + 1), "reads": lines}, hide_index=True)
    right.image(annotate(image, digits), width=420)
    for number, (found, verdict, row) in enumerate(zip(digits, verdicts, probabilities)):
        with st.expander(f"Digit {number + 1} (line {found.box.line + 1}): {verdict.label} ({verdict.confidence:.0%})"):
            if verdict.digit is None:
                st.warning(_doubt(verdict, row))
            open_feature_maps_button(None, key=f"{key}_open_maps_{number}", digit=found.preprocessed.model_input)
            keep_digit_buttons(run, found.preprocessed, verdict, f"{key}_keep_{number}")
            _show_steps_and_bars(found.preprocessed, row, key=f"{key}_bars_{number}")

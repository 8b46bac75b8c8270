"""What if's sections: choosing a digit, the sliders that bend it, and the answer for the bent version.

The answer comes from the run's NumPy forward pass (no TensorFlow), so it follows every slider at once;
Grad-CAM loads TensorFlow on its first use, after the first answer is on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import streamlit as st

from core.images import UPLOAD_EXTENSIONS, ImageDecodeError, decode_image
from core.perturbations import Perturbation, perturb
from core.preprocessing import NoInkError, preprocess_digit
from core.robustness import occlusion_map
from core.runs import RunRecord
from ui.loaders.light import get_data, get_predictor
from ui.session_keys import LAST_PREDICT_INPUT
from ui.widgets.charts import probability_bars
from ui.widgets.navigation import open_feature_maps_button

MAP_PATCH_SIZE = 6  # the occlusion map's patch while the patch slider is at 0: about a stroke's length
SOURCES = ("Test digit", "Last drawing on Predict", "Upload a digit")
_DEFAULTS = {field.name: field.default for field in fields(Perturbation)}


@dataclass(frozen=True)
class Slider:
    """One slider, bound to the `Perturbation` field of the same name."""

    field: str
    label: str
    low: float
    high: float
    step: float
    help: str

    @property
    def key(self) -> str:
        return f"whatif_{self.field}"


SLIDERS = (
    Slider("rotation_deg", "Rotation (degrees, counter-clockwise)", -90.0, 90.0, 1.0, "About the image centre"),
    Slider("scale", "Scale", 0.4, 2.0, 0.05, "Zoom about the image centre"),
    Slider("shift_x", "Shift right (pixels)", -10.0, 10.0, 0.5, "Negative moves it left"),
    Slider("shift_y", "Shift down (pixels)", -10.0, 10.0, 0.5, "Negative moves it up"),
    Slider("thickness", "Stroke thickness (pixels)", -3, 3, 1, "Dilate (thicker) or, below 0, erode (thinner)"),
    Slider("blur_sigma", "Blur (sigma, pixels)", 0.0, 3.0, 0.1, "Gaussian blur"),
    Slider("noise_std", "Noise (standard deviation)", 0.0, 0.8, 0.02, "Gaussian noise, the same draw each time"),
    Slider("contrast", "Contrast", 0.05, 1.0, 0.05, "Ink and background fade towards mid-grey"),
    Slider("occlusion_size", "Patch size (pixels)", 0, 28, 1, "A black square; 0 hides nothing"),
    Slider("occlusion_x", "Patch left edge", 0, 27, 1, "Column of the patch's left side"),
    Slider("occlusion_y", "Patch top edge", 0, 27, 1, "Row of the patch's top side"),
)


def _reset_sliders() -> None:
    for slider in SLIDERS:
        st.session_state[slider.key] = _DEFAULTS[slider.field]


def choose_digit() -> tuple[np.ndarray, str] | None:
    """The digit to bend, (28, 28) uint8 or float in [0, 1], and its caption; None (with a hint) if there is none yet."""
    source = st.radio("Digit", SOURCES, horizontal=True, key="whatif_source")
    if source == SOURCES[0]:
        data = get_data()
        index = st.number_input("Test-set index", 0, len(data.x_test) - 1, 0, step=1, key="whatif_index")
        return data.x_test[index], f"test #{index}, true label {data.y_test[index]}"
    if source == SOURCES[1]:
        drawing = st.session_state.get(LAST_PREDICT_INPUT)
        if drawing is None:
            st.info("Draw or upload a digit on the Predict page first; it will appear here.")
        return (drawing, "last input on Predict") if drawing is not None else None
    upload = st.file_uploader("A photo or scan of one digit", type=list(UPLOAD_EXTENSIONS), key="whatif_upload")
    if upload is None:
        return None
    try:
        return preprocess_digit(decode_image(upload.getvalue(), name=upload.name)).model_input, upload.name
    except (ImageDecodeError, NoInkError) as error:
        st.error(str(error))  # core messages already name the file
        return None


def perturbation_sliders() -> Perturbation:
    """Draws the sliders and a reset; returns their setting."""
    for slider in SLIDERS:
        st.session_state.setdefault(slider.key, _DEFAULTS[slider.field])
    st.button("Reset", on_click=_reset_sliders, key="whatif_reset")
    geometry, pen, patch = st.tabs(["Geometry", "Pen and light", "Occlusion"])
    for slider in SLIDERS:
        where = geometry if slider.field.startswith(("rotation", "scale", "shift")) else patch if slider.field.startswith("occlusion") else pen
        where.slider(slider.label, slider.low, slider.high, step=slider.step, key=slider.key, help=slider.help)
    return Perturbation(**{slider.field: st.session_state[slider.key] for slider in SLIDERS})


def what_if_answer(run: RunRecord, image: np.ndarray, caption: str, perturbation: Perturbation) -> None:
    """The bent digit beside the original, the answers for both, Grad-CAM, the occlusion map and a link to Feature maps."""
    predict = get_predictor(run.run_id)
    bent = perturb(image, perturbation)  # (28, 28) float32 in [0, 1]
    original_probabilities, probabilities = predict(np.stack([perturb(image, Perturbation()), bent]))  # 2 x (10,)
    original_digit, digit = int(original_probabilities.argmax()), int(probabilities.argmax())

    original_column, bent_column, heat_column = st.columns(3)
    original_column.image(image, width=140, caption=caption, clamp=True)
    bent_column.image(bent, width=140, caption="this version", clamp=True)

    answer, confidence, kept = st.columns(3)
    answer.metric("Prediction", digit, delta=None if digit == original_digit else f"was {original_digit}", delta_color="off")
    confidence.metric("Confidence", f"{probabilities[digit]:.1%}")
    kept.metric(
        f"Probability of {original_digit}",
        f"{probabilities[original_digit]:.1%}",
        delta=f"{(probabilities[original_digit] - original_probabilities[original_digit]) * 100:+.1f} points",
    )
    st.vega_lite_chart(probability_bars(probabilities), key="whatif_bars")

    map_column, link_column = st.columns(2)
    if map_column.button("Occlusion map", key="whatif_occlusion_map", help="Slides the patch over every pixel"):
        size = perturbation.occlusion_size or MAP_PATCH_SIZE
        drop = occlusion_map(predict, bent, size, digit)  # (28, 28) float32
        from core.explain import overlay

        map_column.image(
            overlay(bent, np.clip(drop, 0.0, 1.0)), width=200,
            caption=f"how much a {size}-pixel patch centred on each pixel lowers P({digit}); peak {drop.max():.0%}",
        )
    open_feature_maps_button(bent, key="whatif_open_maps", where=link_column, label="Open this version in Feature maps")
    from ui.widgets.grad_cam import show_grad_cam  # Grad-CAM needs TensorFlow; the answer does not

    # Last, into its place beside the digits: the answer above is on the screen meanwhile.
    show_grad_cam(heat_column, run.run_id, bent, digit, width=140)

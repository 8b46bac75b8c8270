"""Grad-CAM as every page shows it, and the digit picker Misclassified, Insight and Predict share (TensorFlow-backed)."""

from __future__ import annotations

import numpy as np
from streamlit.delta_generator import DeltaGenerator

from ui.loaders.explainers import grad_cam_overlay

BLANK_MAP_NOTE = (
    "Blank: weighed by how they move this score, the last convolution's features lower it everywhere, so "
    "Grad-CAM has nothing to show; the score comes from the layers after it. Today's `best` recipe gives such maps "
    "for most digits. Saliency, in Feature maps, still shows the pixels the answer depends on."
)
"""Said under a blank Grad-CAM map, which would otherwise look like the bare digit (README, Inspect)."""


def show_grad_cam(where: DeltaGenerator, run_id: str, image: np.ndarray, digit: int, width: int) -> None:
    """The digit with the Grad-CAM heat of `digit`'s score, and a note when the map is blank."""
    picture, blank = grad_cam_overlay(run_id, image, digit)
    where.image(picture, caption=f"Grad-CAM for {digit}", width=width)
    if blank:
        where.caption(BLANK_MAP_NOTE)


def grad_cam_for_any_digit(run_id: str, image: np.ndarray, predicted: int, key: str, where: DeltaGenerator) -> None:
    """A digit picker, the prediction by default, and the Grad-CAM of that digit's score: "why not a 7?"."""
    explained = where.selectbox(
        "Grad-CAM for digit", range(10), index=predicted, key=key, help="Pick another digit to see what speaks for it"
    )
    show_grad_cam(where, run_id, image, explained, width=140)

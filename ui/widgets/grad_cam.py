"""Grad-CAM as every page shows it, and the digit picker Misclassified, Insight and Predict share (TensorFlow)."""

from __future__ import annotations

import numpy as np
from streamlit.delta_generator import DeltaGenerator

from ui.loaders.explainers import SCORE_CAM, heat_overlay

SCORE_CAM_NOTE = (
    "Grad-CAM was blank: weighed by how they move this score, the last convolution's features lower it "
    "everywhere, and the layers after it set the score (today's `best` recipe does this for most digits). "
    "Score-CAM instead masks the digit with each of those features and keeps the ones that raise the score."
)
"""Said under a Score-CAM map, so nobody takes it for Grad-CAM's (README, Real handwriting)."""


def show_grad_cam(where: DeltaGenerator, run_id: str, image: np.ndarray, digit: int, width: int) -> None:
    """The digit with the heat of `digit`'s score: Grad-CAM's, or Score-CAM's with a note where Grad-CAM's is blank."""
    picture, method = heat_overlay(run_id, image, digit)
    where.image(picture, caption=f"{method} for {digit}", width=width)
    if method == SCORE_CAM:
        where.caption(SCORE_CAM_NOTE)


def grad_cam_for_any_digit(run_id: str, image: np.ndarray, predicted: int, key: str, where: DeltaGenerator) -> None:
    """A digit picker, the prediction by default, and the Grad-CAM of that digit's score: "why not a 7?"."""
    explained = where.selectbox(
        "Grad-CAM for digit", range(10), index=predicted, key=key, help="Pick another digit to see what speaks for it"
    )
    show_grad_cam(where, run_id, image, explained, width=140)

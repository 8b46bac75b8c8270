"""The Grad-CAM digit picker Misclassified, Insight and Predict share (TensorFlow-backed)."""

from __future__ import annotations

import numpy as np
from streamlit.delta_generator import DeltaGenerator

from ui.loaders.explainers import grad_cam_overlay


def grad_cam_for_any_digit(run_id: str, image: np.ndarray, predicted: int, key: str, where: DeltaGenerator) -> None:
    """A digit picker, the prediction by default, and the Grad-CAM of that digit's score: "why not a 7?"."""
    explained = where.selectbox(
        "Grad-CAM for digit", range(10), index=predicted, key=key, help="Pick another digit to see what speaks for it"
    )
    where.image(grad_cam_overlay(run_id, image, explained), caption=f"Grad-CAM for {explained}", width=140)

"""Things people draw or upload that are not digits, from two sources that never meet.

Models learn "not a digit" from `core.drawn_marks` (procedural shapes and scribbles); `bench.realworld`
scores them on `core.font_marks` (stroke-font letters and symbols). Training on one and scoring on
the other keeps the score honest: a model cannot pass by remembering the marks it is scored on.
Both draw like the canvas draws (white strokes on black, 280x280) and go through the same
preprocessing as any drawing, so the model sees them exactly as it would on the Predict page.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from core.preprocessing import NoInkError
from core.segmentation import segment_digits

CANVAS_SIDE = 280
WHITE = 255


def blank_canvas() -> np.ndarray:
    """(280, 280) uint8 black, the canvas's size."""
    return np.zeros((CANVAS_SIDE, CANVAS_SIDE), np.uint8)


def as_model_inputs(drawings: Iterable[np.ndarray]) -> np.ndarray:
    """The drawings as the model sees them: (n, 28, 28) float32 in [0, 1], one per drawing read as one mark.

    A drawing split into several marks is left out: the app would judge it mark by mark, and a piece
    of a drawing (one stroke of a cross) may well be a digit.
    """
    inputs = []
    for drawing in drawings:
        try:
            found = segment_digits(drawing)
        except NoInkError:
            continue
        if len(found) == 1:
            inputs.append(found[0].preprocessed.model_input)
    return np.stack(inputs)

"""The MNIST image format every layer agrees on: square grayscale digits, one class per digit."""

import numpy as np

IMAGE_SIDE = 28
"""Pixels on each side of a digit image: what MNIST stores, preprocessing produces and models take."""

NUM_CLASSES = 10
"""The digits 0 to 9: a model's output width and the labels' range."""


def as_stored_digits(model_inputs: np.ndarray) -> np.ndarray:
    """Model inputs in [0, 1] (any float, any shape) as uint8 0..255, the way MNIST stores digits."""
    return np.rint(np.clip(model_inputs, 0.0, 1.0) * 255.0).astype(np.uint8)

"""Running a trained model: loading it safely and turning digit images into probabilities."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from core.mnist_format import IMAGE_SIDE, NUM_CLASSES

if TYPE_CHECKING:
    import keras

# Calling the model directly skips predict()'s ~45 ms of per-call set-up; batches bound memory.
EVALUATION_BATCH_SIZE = 1000


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scales uint8 digits (white on black) to the float tensor every model takes.

    Args:
        images: (n, 28, 28) uint8 in [0, 255], or (n, 28, 28) float in [0, 1] already scaled.

    Returns:
        (n, 28, 28, 1) float32 in [0, 1].
    """
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"Expected images of shape (n, {IMAGE_SIDE}, {IMAGE_SIDE}), got {images.shape}.")
    scaled = images.astype(np.float32)
    if images.dtype == np.uint8:
        scaled /= 255.0
    return scaled[..., np.newaxis]  # (n, 28, 28, 1)


def _answer_in_batches(forward: Callable[[np.ndarray], object], images: np.ndarray) -> np.ndarray:
    """The model's answers for a stack of digits, `EVALUATION_BATCH_SIZE` at a time (bounding memory)."""
    import keras  # here, not at the top: `core.numpy_model` uses this module without TensorFlow

    batch = to_model_input(images)  # (n, 28, 28, 1)
    outputs = [
        keras.ops.convert_to_numpy(forward(batch[start : start + EVALUATION_BATCH_SIZE]))
        for start in range(0, len(batch), EVALUATION_BATCH_SIZE)
    ]
    return np.concatenate(outputs) if outputs else np.zeros((0, NUM_CLASSES), np.float32)


def graph_predictor(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """`predict_probabilities` for one model called many times: traced once into a TensorFlow graph, which
    answers a 1,000-digit batch about a quarter sooner than an eager call (the robustness grid's 310 calls)."""
    import tensorflow as tf

    forward = tf.function(lambda batch: model(batch, training=False), reduce_retracing=True)
    return lambda images: _answer_in_batches(forward, images)


def predict_probabilities(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Class probabilities for a stack of digits.

    Args:
        model: a trained digit classifier.
        images: (n, 28, 28) uint8, or float in [0, 1].

    Returns:
        (n, classes) float32 probabilities, rows summing to 1: ten digits, and "not a digit" for
        models trained with it (`core.non_digit_training`).
    """
    return _answer_in_batches(lambda batch: model(batch, training=False), images)


def load_model(path: Path) -> keras.Model:
    """Loads a `.keras` file with safe mode on, so a model file can never run code.

    Raises:
        ValueError: the file is missing or is not a loadable Keras model.
    """
    import keras

    if not path.is_file():
        raise ValueError(f"Model file {path} does not exist.")
    try:
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many types for a damaged zip or config.
        raise ValueError(f"Model file {path} could not be loaded: {error}") from error

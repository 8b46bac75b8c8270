"""Teaching a model "not a digit": procedural marks (`core.drawn_marks`) join the training digits.

Chosen by `TrainingConfig.non_digits`: an eleventh output trained to name them, or outlier exposure
(Hendrycks et al., 2019), a uniform target over the ten digits that teaches low confidence. The third
way, an eleventh output fitted after training, is `core.not_a_digit_output`.
"""

from __future__ import annotations

import logging

import numpy as np

from core.config import ELEVENTH_CLASS, ELEVENTH_CLASS_AFTER_TRAINING, NO_NON_DIGITS
from core.drawn_marks import drawn_mark_images
from core.mnist_format import NUM_CLASSES
from core.uncertainty import NOT_A_DIGIT

logger = logging.getLogger(__name__)

NON_DIGIT_SHARE = 0.1
"""Marks added per training digit: enough to learn from, few enough to leave digit accuracy alone."""


def output_classes(method: str) -> int:
    """How many outputs a model trained with `method` has: 11 with an eleventh class, else 10."""
    return NUM_CLASSES + 1 if method in (ELEVENTH_CLASS, ELEVENTH_CLASS_AFTER_TRAINING) else NUM_CLASSES


def with_non_digits(images: np.ndarray, labels: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training digits plus `NON_DIGIT_SHARE` as many marks labelled `NOT_A_DIGIT`, in random order.

    Args:
        images: (n, 28, 28) uint8 training digits.
        labels: (n,) uint8 digits.
        method: one of `core.config.NON_DIGIT_METHODS`; "none" returns the inputs as they are.
        seed: seeds the marks and the order.
    """
    if method == NO_NON_DIGITS:
        return images, labels
    marks = drawn_mark_images(max(1, round(len(images) * NON_DIGIT_SHARE)), seed)  # (m, 28, 28) uint8
    logger.info("training with %d non-digit marks (%s)", len(marks), method)
    all_images = np.concatenate([images, marks])
    all_labels = np.concatenate([labels, np.full(len(marks), NOT_A_DIGIT, labels.dtype)])
    order = np.random.default_rng(seed).permutation(len(all_images))
    return all_images[order], all_labels[order]

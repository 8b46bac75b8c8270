"""Tests for core.non_digit_training: drawn marks join the training digits under their own label."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ELEVENTH_CLASS, ELEVENTH_CLASS_AFTER_TRAINING, NO_NON_DIGITS, OUTLIER_EXPOSURE
from core.non_digit_training import NON_DIGIT_SHARE, output_classes, with_non_digits
from core.uncertainty import NOT_A_DIGIT


def _digits(count: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), rng.integers(0, 10, count).astype(np.uint8)


def test_without_non_digits_the_training_set_is_unchanged():
    images, labels = _digits(50)
    assert with_non_digits(images, labels, NO_NON_DIGITS, seed=0) == (images, labels)


@pytest.mark.parametrize("method", [ELEVENTH_CLASS, OUTLIER_EXPOSURE])
def test_marks_join_shuffled_under_the_not_a_digit_label(method):
    images, labels = _digits(200)
    all_images, all_labels = with_non_digits(images, labels, method, seed=0)
    marks = all_labels == NOT_A_DIGIT
    assert 0.9 * NON_DIGIT_SHARE * 200 <= marks.sum() <= NON_DIGIT_SHARE * 200
    assert len(all_images) == len(all_labels) == 200 + marks.sum()
    assert np.sort(all_labels[~marks]).tolist() == np.sort(labels).tolist()  # every digit kept, with its label
    assert marks[: len(marks) // 2].any() and marks[len(marks) // 2 :].any()  # mixed in, not appended
    assert all_images.dtype == np.uint8


def test_only_the_eleventh_class_adds_an_output():
    methods = (NO_NON_DIGITS, ELEVENTH_CLASS, ELEVENTH_CLASS_AFTER_TRAINING, OUTLIER_EXPOSURE)
    assert [output_classes(method) for method in methods] == [10, 11, 11, 10]

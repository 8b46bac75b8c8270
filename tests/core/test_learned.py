"""Tests for core.learned: first-layer filters and dead units, on a tiny network whose answers are known."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import keras
from keras import layers

from core.learned import DEAD_UNITS_BATCH, dead_units, first_filters, per_class_history
from core.numpy_model import NumpyModel, load_numpy_model
from core.progress import EpochMetrics
from core.runs import SHIPPED_RUN_DIR


def _hand_made_model(path: Path) -> NumpyModel:
    """conv (4 filters 3x3) -> flatten -> dense (3) -> dense (10, softmax), with weights set by hand.

    Digits are never negative, so on any digit with ink:
      filter 0 (all +1) fires; filter 1 (all -1) never; filter 2 (zeros, bias -1) never;
      filter 3 (+2 at the centre, -1 elsewhere, bias 0) fires on a lone bright pixel.
      dense unit 0 (all +1) fires; unit 1 (all -1) never; unit 2 (zeros, bias 0) outputs 0: never above 0.
    """
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)  # (26, 26, 4)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(3, activation="relu", name="hidden")(x)
    outputs = layers.Dense(10, activation="softmax", name="classifier")(x)
    model = keras.Model(inputs, outputs)
    kernel = np.zeros((3, 3, 1, 4), np.float32)
    kernel[..., 0] = 1.0
    kernel[..., 1] = -1.0
    kernel[..., 3] = -1.0
    kernel[1, 1, 0, 3] = 2.0
    model.get_layer("conv").set_weights([kernel, np.array([0, 0, -1, 0], np.float32)])
    dense = np.zeros((26 * 26 * 4, 3), np.float32)
    dense[:, 0], dense[:, 1] = 1.0, -1.0
    model.get_layer("hidden").set_weights([dense, np.zeros(3, np.float32)])
    model.save(path)
    return load_numpy_model(path)


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory) -> NumpyModel:
    return _hand_made_model(tmp_path_factory.mktemp("learned") / "tiny.keras")


def _lone_pixels(count: int) -> np.ndarray:
    images = np.zeros((count, 28, 28), np.uint8)  # (n, 28, 28) one bright pixel each, away from the border
    for index in range(count):
        images[index, 5 + index % 18, 5 + index // 18 % 18] = 255
    return images


def test_first_filters_are_the_kernels_each_scaled_to_its_largest_weight(hand_made):
    filters = first_filters(hand_made)
    assert filters.layer_name == "conv"
    assert filters.kernels.shape == (4, 3, 3) and filters.kernels.dtype == np.float32
    np.testing.assert_array_equal(filters.kernels[0], np.ones((3, 3)))
    np.testing.assert_array_equal(filters.kernels[1], -np.ones((3, 3)))
    np.testing.assert_array_equal(filters.kernels[2], np.zeros((3, 3)))  # all zero stays zero, no division by 0
    expected = np.full((3, 3), -0.5)
    expected[1, 1] = 1.0
    np.testing.assert_array_equal(filters.kernels[3], expected)  # the sign is kept, the largest |w| becomes 1


def test_first_filters_of_the_shipped_model_span_minus_one_to_one():
    kernels = first_filters(load_numpy_model(SHIPPED_RUN_DIR / "model.keras")).kernels  # (filters, kh, kw)
    assert kernels.ndim == 3 and kernels.shape[0] >= 8
    np.testing.assert_allclose(np.abs(kernels).max(axis=(1, 2)), 1.0)
    assert kernels.min() >= -1 and kernels.max() <= 1


def test_dead_units_counts_the_units_that_never_fire(hand_made):
    # More digits than one batch, so the peaks must carry from batch to batch.
    found = dead_units(hand_made, _lone_pixels(DEAD_UNITS_BATCH + 7))
    assert [(item.layer_name, item.dead, item.units) for item in found] == [("conv", 2, 4), ("hidden", 2, 3)]
    assert found[0].share == 0.5 and found[1].share == pytest.approx(2 / 3)


def test_a_unit_that_fires_on_one_digit_only_is_alive(hand_made):
    images = np.zeros((DEAD_UNITS_BATCH + 3, 28, 28), np.uint8)  # blank digits: nothing fires
    assert [item.dead for item in dead_units(hand_made, images)] == [4, 3]
    images[-1, 14, 14] = 255  # one lone pixel, in the second batch
    assert [item.dead for item in dead_units(hand_made, images)] == [2, 2]


def test_dead_units_need_digits(hand_made):
    with pytest.raises(ValueError, match="at least one digit"):
        dead_units(hand_made, np.zeros((0, 28, 28), np.uint8))


def _epoch(epoch: int, per_class: tuple[float, ...] = ()) -> EpochMetrics:
    return EpochMetrics(epoch, 0.5, 0.9, 0.4, 0.9, float(epoch), True, val_per_class_accuracy=per_class)


def test_the_digits_learned_last_have_the_lowest_accuracy_over_the_epochs():
    first = (0.9, 0.95, 0.5, 0.9, 0.9, 0.6, 0.9, 0.9, 0.4, math.nan)  # 9 absent from the validation split
    second = (0.99, 0.99, 0.9, 0.99, 0.99, 0.8, 0.99, 0.99, 0.95, math.nan)
    curves = per_class_history([_epoch(1, first), _epoch(2, second)])
    assert curves.epochs == (1, 2) and curves.accuracy.shape == (2, 10)
    # Means: 8 -> 0.675, 2 -> 0.7, 5 -> 0.7 (ties keep digit order); 9 has no accuracy and is never named.
    assert curves.learned_last(3) == [8, 2, 5]
    assert 9 not in curves.learned_last(10) and len(curves.learned_last(10)) == 9


def test_a_run_saved_before_per_class_accuracy_has_no_per_class_history():
    assert per_class_history([_epoch(1), _epoch(2)]) is None

"""Tests for core.inference: input scaling, batched prediction against one-at-a-time calls, safe loading."""

from __future__ import annotations

import numpy as np
import pytest

import keras

from core import inference
from core.architectures import build_fast
from core.inference import load_model, predict_probabilities, to_model_input


@pytest.fixture(scope="module")
def model() -> keras.Model:
    keras.utils.set_random_seed(0)
    return build_fast()


def test_to_model_input_scales_uint8_to_unit_range():
    images = np.array([[[0, 255] * 14] * 28], np.uint8)  # (1, 28, 28)
    batch = to_model_input(images)
    assert batch.shape == (1, 28, 28, 1)
    assert batch.dtype == np.float32
    assert batch.min() == 0.0 and batch.max() == 1.0
    np.testing.assert_allclose(batch[..., 0], images / 255.0, atol=1e-7)


def test_to_model_input_keeps_scaled_floats_and_does_not_touch_its_input():
    images = np.random.default_rng(0).random((3, 28, 28))  # float64 in [0, 1]
    original = images.copy()
    batch = to_model_input(images)
    np.testing.assert_allclose(batch[..., 0], images, atol=1e-7)
    np.testing.assert_array_equal(images, original)


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28, 1), (2, 28, 27), (0, 32, 32)])
def test_to_model_input_refuses_other_shapes(shape):
    with pytest.raises(ValueError, match="28, 28"):
        to_model_input(np.zeros(shape, np.uint8))


def test_predict_probabilities_matches_one_image_at_a_time(model, sample_data, monkeypatch):
    # A batch size of 7 makes 23 images cross three batch boundaries.
    monkeypatch.setattr(inference, "EVALUATION_BATCH_SIZE", 7)
    images = sample_data.x_test[:23]  # (23, 28, 28) uint8
    batched = predict_probabilities(model, images)
    one_by_one = np.concatenate(
        [np.asarray(model(images[i : i + 1, ..., np.newaxis] / 255.0, training=False)) for i in range(len(images))]
    )
    assert batched.shape == (23, 10)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    np.testing.assert_allclose(batched.sum(axis=1), 1.0, atol=1e-5)


def test_predict_probabilities_of_no_images(model):
    probabilities = predict_probabilities(model, np.zeros((0, 28, 28), np.uint8))
    assert probabilities.shape == (0, 10)


def test_load_model_round_trip(model, tmp_path, sample_data):
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_model(path)
    images = sample_data.x_test[:5]
    np.testing.assert_allclose(predict_probabilities(loaded, images), predict_probabilities(model, images), atol=1e-6)


def test_load_model_missing_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_model(tmp_path / "nothing.keras")


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04 truncated zip"])
def test_load_model_damaged_file(tmp_path, content):
    path = tmp_path / "model.keras"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="could not be loaded"):
        load_model(path)

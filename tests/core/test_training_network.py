"""Tests for core.training_network: the training form computes as asked, and never outlives training."""

from __future__ import annotations

import numpy as np
import pytest

import keras

from core.architectures import CLASSIFIER_LAYER, build_model
from core.fused_batch_norm import FusedBatchNormalization
from core.training_network import for_keeping, for_training

DIGITS = np.random.default_rng(5).uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)


def _computing_layers(model: keras.Model) -> list[keras.layers.Layer]:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


@pytest.mark.parametrize("name", ["fast", "best"])
@pytest.mark.parametrize("compute_dtype", ["float32", "bfloat16"])
def test_there_and_back_keeps_the_network_and_leaves_float32_keras_layers(name, compute_dtype):
    model = build_model(name)
    training = for_training(model, compute_dtype)
    assert any(isinstance(layer, FusedBatchNormalization) for layer in training.layers)
    kept = for_keeping(training)
    assert not any(isinstance(layer, FusedBatchNormalization) for layer in kept.layers)
    assert {layer.dtype_policy.name for layer in kept.layers} == {"float32"}
    assert [layer.name for layer in kept.layers] == [layer.name for layer in model.layers]
    np.testing.assert_allclose(kept(DIGITS, training=False), model(DIGITS, training=False), atol=1e-6)


def test_bfloat16_training_computes_in_bfloat16_with_float32_weights_and_probabilities():
    training = for_training(build_model("best"), "bfloat16")
    for layer in _computing_layers(training):
        expected = "float32" if layer.name == CLASSIFIER_LAYER else "bfloat16"
        assert layer.compute_dtype == expected, layer.name
    assert {weight.dtype for weight in training.weights} == {"float32"}
    probabilities = training(DIGITS, training=True)
    assert probabilities.dtype == "float32"
    np.testing.assert_allclose(np.sum(probabilities, axis=1), 1.0, atol=1e-5)


def test_a_network_without_batch_norm_is_left_as_it_is_in_float32():
    model = build_model("seed")
    assert for_training(model) is model
    assert for_keeping(model) is model


def test_an_unknown_compute_type_is_refused():
    with pytest.raises(ValueError, match="Compute type"):
        for_training(build_model("fast"), "float16")

"""Tests for core.fused_batch_norm: the fused layer trains exactly like Keras's."""

from __future__ import annotations

import numpy as np
import pytest

import keras
import tensorflow as tf

from core.fused_batch_norm import FusedBatchNormalization


def _layer_pair(shape: tuple[int, ...]) -> tuple[keras.layers.BatchNormalization, FusedBatchNormalization]:
    """Keras's layer and the fused one, built alike and given the same non-trivial weights."""
    rng = np.random.default_rng(0)
    plain = keras.layers.BatchNormalization(momentum=0.9)
    fused = FusedBatchNormalization(momentum=0.9)
    for layer in (plain, fused):
        layer.build(shape)
    weights = [rng.uniform(0.5, 1.5, shape[-1]), rng.normal(0, 1, shape[-1]),
               rng.normal(0, 1, shape[-1]), rng.uniform(0.5, 2, shape[-1])]  # gamma, beta, moving mean, variance
    for layer in (plain, fused):
        layer.set_weights([w.astype(np.float32) for w in weights])
    return plain, fused


@pytest.mark.parametrize("training", [True, False])
def test_the_fused_layer_answers_and_updates_its_statistics_like_keras(training):
    images = tf.constant(np.random.default_rng(1).normal(2.0, 3.0, (8, 5, 5, 6)).astype(np.float32))
    plain, fused = _layer_pair(images.shape)
    np.testing.assert_allclose(fused(images, training=training), plain(images, training=training), atol=1e-4)
    for fused_weight, plain_weight in zip(fused.get_weights(), plain.get_weights()):  # moving mean and variance too
        np.testing.assert_allclose(fused_weight, plain_weight, rtol=1e-5, atol=1e-6)


def test_the_fused_layer_has_keras_gradients():
    images = tf.constant(np.random.default_rng(2).normal(0.0, 1.0, (8, 5, 5, 6)).astype(np.float32))
    upstream = tf.constant(np.random.default_rng(3).normal(0.0, 1.0, images.shape).astype(np.float32))
    gradients = []
    for layer in _layer_pair(images.shape):
        with tf.GradientTape() as tape:
            tape.watch(images)
            loss = tf.reduce_sum(layer(images, training=True) * upstream)
        gradients.append(tape.gradient(loss, [images, layer.gamma, layer.beta]))
    for fused_gradient, plain_gradient in zip(gradients[1], gradients[0]):
        np.testing.assert_allclose(fused_gradient, plain_gradient, atol=1e-4)


def test_a_flat_input_goes_through_keras_own_code():
    features = tf.constant(np.random.default_rng(4).normal(0.0, 1.0, (8, 6)).astype(np.float32))  # (b, features)
    plain, fused = _layer_pair(features.shape)
    np.testing.assert_allclose(fused(features, training=True), plain(features, training=True), atol=1e-5)

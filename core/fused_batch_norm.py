"""Batch normalisation through TensorFlow's fused kernel while a network trains.

Keras 3's `BatchNormalization` computes the batch's moments, the normalisation and their gradients as
separate TensorFlow ops, each a pass over the activations. TensorFlow's fused kernel does each
direction in one. Measured on the 2-core development machine (issue 17): a training step of `fast`
at batch 256 took 32-35 ms with Keras's layer and 24-27 ms fused, the same network and data.

Only training uses it: `core.training_network` swaps the fused layer in before `fit` and Keras's own
back afterwards, weights unchanged, so no saved model holds it.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class FusedBatchNormalization(keras.layers.BatchNormalization):
    """Keras's `BatchNormalization`, normalising channels-last images in training with one fused op.

    Inference, and any input the fused op cannot take (not 4-D, not over the last axis, masked),
    goes through Keras's own code, so the two layers answer alike outside training.
    """

    def call(self, inputs: tf.Tensor, training: bool | None = None, mask: tf.Tensor | None = None) -> tf.Tensor:
        fusable = training and self.trainable and mask is None and len(inputs.shape) == 4 and self.axis in (-1, 3)
        if not fusable or self.renorm or not (self.scale and self.center):
            return super().call(inputs, training=training, mask=mask)
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, self.gamma, self.beta, epsilon=self.epsilon, is_training=True
        )[:3]
        # The fused op returns the unbiased variance; Keras keeps the biased one (divided by n, not n - 1).
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:-1]), variance.dtype)
        variance = variance * (count - 1.0) / count
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return outputs

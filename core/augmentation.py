"""Random distortions applied to training batches so a model copes with real handwriting.

MNIST's writers were careful and their digits were scanned the same way; people drawing with a
mouse or a marker slant, stretch and vary the pen. Each distortion imitates one of those.
"""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf
from keras import layers

THICKEN_SHARE = 0.25  # of images drawn with a heavier pen
THIN_SHARE = 0.25  # of images drawn with a lighter pen


def build_geometric_augmenter(seed: int) -> keras.Sequential:
    """Small rotations, slants, shifts and zooms: the variation real writers add to MNIST's."""
    return keras.Sequential(
        [
            layers.RandomRotation(0.04, fill_mode="constant", seed=seed),  # about +-14 degrees
            layers.RandomShear(x_factor=0.15, y_factor=0.0, fill_mode="constant", seed=seed + 1),
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed + 2),
            layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 3),
        ],
        name="augmentation",
    )


def random_stroke_width(images: tf.Tensor, seed: int, batch_index: tf.Tensor | int = 0) -> tf.Tensor:
    """Thickens a quarter of the images and thins another quarter, by half a pixel-widening each.

    Args:
        images: (batch, 28, 28, 1) float32 in [0, 1], ink bright.
        seed: makes the choice of images reproducible.
        batch_index: varies the choice from batch to batch, deterministically.

    Returns:
        The same shape; grey-level dilation (3x3 max) and erosion (3x3 min), blended half-way
        because a full pixel on each side doubles an MNIST stroke.
    """
    dilated = tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME")
    eroded = -tf.nn.max_pool2d(-images, ksize=3, strides=1, padding="SAME")
    # Stateless: the same seed and batch give the same choice whatever ran before in the process.
    stateless_seed = tf.stack([tf.cast(seed, tf.int64), tf.cast(batch_index, tf.int64)])
    draw = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed=stateless_seed)  # (batch, 1, 1, 1)
    thicker = 0.5 * (images + dilated)
    thinner = 0.5 * (images + eroded)
    return tf.where(draw < THICKEN_SHARE, thicker, tf.where(draw > 1 - THIN_SHARE, thinner, images))


def build_augmenter(seed: int) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """The whole distortion: geometry first, then the pen width; used inside the tf.data pipeline."""
    geometric = build_geometric_augmenter(seed)

    def augment(images: tf.Tensor, batch_index: tf.Tensor) -> tf.Tensor:
        """(batch, 28, 28, 1) float32 in [0, 1] in, the same shape distorted out."""
        return random_stroke_width(geometric(images, training=True), seed, batch_index)

    return augment

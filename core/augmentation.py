"""Random distortions applied to training batches so a model copes with real handwriting.

MNIST's writers were careful and their digits were scanned the same way; people drawing with a
mouse or a marker slant, stretch and vary the pen. Each distortion imitates one of those.
"""

from __future__ import annotations

import math
from typing import Callable

import tensorflow as tf

MAX_ROTATION_DEGREES = 14.0
MAX_SHEAR = 0.15  # horizontal slant, x shifted by this fraction of y
MAX_SCALE_CHANGE = 0.10  # zoom in or out by up to 10%
MAX_SHIFT_FRACTION = 0.08  # of the image side, each axis
THICKEN_SHARE = 0.25  # of images drawn with a heavier pen
THIN_SHARE = 0.25  # of images drawn with a lighter pen


def _uniform(shape: list, low: float, high: float, seed: tf.Tensor) -> tf.Tensor:
    return tf.random.stateless_uniform(shape, seed=seed, minval=low, maxval=high)


def affine_transforms(
    angle: tf.Tensor, shear: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor, height: tf.Tensor, width: tf.Tensor
) -> tf.Tensor:
    """The (batch, 8) output-to-input maps that `ImageProjectiveTransformV3` expects.

    Each image is rotated by `angle` radians (counter-clockwise as seen), slanted by `shear`
    (x moves by shear * y), scaled by `scale` about its centre, then moved by `shift` pixels
    (x, y). The op samples the input at the inverse of that map, so the inverse is built directly:
    inverse(rotation @ shear @ scale) = inverse(scale) @ inverse(shear) @ inverse(rotation).
    """
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Rows point down in an image, so "counter-clockwise as seen" is clockwise in (x, y) maths.
    inverse_rotation = tf.reshape(tf.stack([cos, -sin, sin, cos], axis=1), [-1, 2, 2])
    zeros, ones = tf.zeros_like(shear), tf.ones_like(shear)
    inverse_shear = tf.reshape(tf.stack([ones, -shear, zeros, ones], axis=1), [-1, 2, 2])
    inverse = (inverse_rotation @ inverse_shear) / scale[:, tf.newaxis, tf.newaxis]  # (batch, 2, 2)
    centre = tf.stack([(width - 1) / 2, (height - 1) / 2])  # (2,) as (x, y)
    # input = centre + inverse @ (output - centre - shift), so the constant part is:
    offset = centre - tf.linalg.matvec(inverse, centre + shift)  # (batch, 2)
    no_perspective = tf.zeros([tf.shape(angle)[0], 2])
    return tf.concat([inverse[:, 0, :], offset[:, :1], inverse[:, 1, :], offset[:, 1:], no_perspective], axis=1)


def random_affine(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Rotates, slants, zooms and shifts every image by its own random amount, in one resampling.

    One projective transform per image instead of four Keras layers in a row: half the time on a
    CPU, and no blur piling up from resampling the same digit four times.

    Args:
        images: (batch, height, width, 1) float32, ink bright on a black background.
        seed: (2,) int64 stateless seed; the same seed gives the same distortions.

    Returns:
        The same shape; pixels brought in from outside the image are black.
    """
    batch = tf.shape(images)[0]
    height = tf.cast(tf.shape(images)[1], tf.float32)
    width = tf.cast(tf.shape(images)[2], tf.float32)
    seeds = tf.random.experimental.stateless_split(seed, num=4)  # (4, 2)
    angle = _uniform([batch], -1.0, 1.0, seeds[0]) * math.radians(MAX_ROTATION_DEGREES)
    shear = _uniform([batch], -MAX_SHEAR, MAX_SHEAR, seeds[1])
    scale = _uniform([batch], 1 - MAX_SCALE_CHANGE, 1 + MAX_SCALE_CHANGE, seeds[2])
    shift = _uniform([batch, 2], -MAX_SHIFT_FRACTION, MAX_SHIFT_FRACTION, seeds[3]) * tf.stack([width, height])
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=affine_transforms(angle, shear, scale, shift, height, width),
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def random_stroke_width(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Thickens a quarter of the images and thins another quarter, by half a pixel-widening each.

    Args:
        images: (batch, 28, 28, 1) float32 in [0, 1], ink bright.
        seed: (2,) int64 stateless seed choosing which images change.

    Returns:
        The same shape; grey-level dilation (3x3 max) and erosion (3x3 min), blended half-way
        because a full pixel on each side doubles an MNIST stroke.
    """
    dilated = tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME")
    eroded = -tf.nn.max_pool2d(-images, ksize=3, strides=1, padding="SAME")
    draw = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed=seed)  # (batch, 1, 1, 1)
    thicker = 0.5 * (images + dilated)
    thinner = 0.5 * (images + eroded)
    return tf.where(draw < THICKEN_SHARE, thicker, tf.where(draw > 1 - THIN_SHARE, thinner, images))


def build_augmenter(seed: int) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """The whole distortion: geometry first, then the pen width; used inside the tf.data pipeline."""

    def augment(images: tf.Tensor, batch_index: tf.Tensor | int) -> tf.Tensor:
        """(batch, 28, 28, 1) float32 in [0, 1] in, the same shape distorted out.

        Stateless: the same seed and batch index give the same distortion whatever ran before.
        """
        batch_seed = tf.stack([tf.constant(seed, tf.int64), tf.cast(batch_index, tf.int64)])
        geometry_seed, pen_seed = tf.unstack(tf.random.experimental.stateless_split(batch_seed, num=2))
        return random_stroke_width(random_affine(images, geometry_seed), pen_seed)

    return augment

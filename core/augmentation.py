"""Random distortions applied to training batches so a model copes with real handwriting.

MNIST's writers were careful and their digits were scanned the same way; people drawing with a
mouse or a marker slant, stretch and vary the pen. Each distortion imitates one of those.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import tensorflow as tf

from core.mnist_format import IMAGE_SIDE

MAX_ROTATION_DEGREES = 14.0
MAX_SHEAR = 0.15  # horizontal slant, x shifted by this fraction of y
MAX_SCALE_CHANGE = 0.10  # zoom in or out by up to 10%
MAX_SHIFT_FRACTION = 0.08  # of the image side, each axis
ELASTIC_GRID = 4  # control points per side of the random displacement field (9 px apart at 28x28)
ELASTIC_MAX_DISPLACEMENT = 0.75  # pixels, at a control point; about 0.35 px on average over the image
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


def elastic_displacement(batch: tf.Tensor, height: tf.Tensor, width: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """A smooth random displacement per pixel: the wobble of a hand, not of the whole page.

    Simard et al. (2003) blur white noise with a Gaussian; drawing a coarse grid of random
    control points and interpolating it bicubically gives the same smooth field for far less work.

    Returns:
        (batch, height, width, 2) float32 displacements (dx, dy) in pixels.
    """
    control = _uniform([batch, ELASTIC_GRID, ELASTIC_GRID, 2], -1.0, 1.0, seed) * ELASTIC_MAX_DISPLACEMENT
    size = tf.stack([tf.cast(height, tf.int32), tf.cast(width, tf.int32)])
    return tf.image.resize(control, size, method="bicubic")


def sample_bilinear(images: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Reads every image at its own real-valued (x, y) positions, black outside the image.

    Args:
        images: (batch, height, width, 1) float32.
        x, y: (batch, height, width) column and row to read each output pixel from.
    """
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    # A black frame one pixel wide, and positions clipped onto it: outside reads as black.
    framed = tf.pad(images[..., 0], [[0, 0], [1, 1], [1, 1]])  # (batch, height + 2, width + 2)
    x = tf.clip_by_value(x + 1, 0.0, tf.cast(width + 1, tf.float32))
    y = tf.clip_by_value(y + 1, 0.0, tf.cast(height + 1, tf.float32))
    left = tf.minimum(tf.floor(x), tf.cast(width, tf.float32))
    top = tf.minimum(tf.floor(y), tf.cast(height, tf.float32))
    right_weight, bottom_weight = x - left, y - top
    flat = tf.reshape(framed, [tf.shape(images)[0], -1])
    row_length = width + 2

    def pixel(row: tf.Tensor, column: tf.Tensor) -> tf.Tensor:
        index = tf.cast(row, tf.int32) * row_length + tf.cast(column, tf.int32)
        return tf.reshape(tf.gather(flat, tf.reshape(index, [tf.shape(images)[0], -1]), batch_dims=1), tf.shape(x))

    upper = pixel(top, left) * (1 - right_weight) + pixel(top, left + 1) * right_weight
    lower = pixel(top + 1, left) * (1 - right_weight) + pixel(top + 1, left + 1) * right_weight
    return (upper * (1 - bottom_weight) + lower * bottom_weight)[..., tf.newaxis]


def warp(images: tf.Tensor, transforms: tf.Tensor, displacement: tf.Tensor) -> tf.Tensor:
    """Applies an affine map and then a displacement field in one resampling.

    Args:
        images: (batch, height, width, 1) float32.
        transforms: (batch, 8) output-to-input maps, as `affine_transforms` builds them.
        displacement: (batch, height, width, 2) extra (dx, dy) added to each output position.
    """
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    rows, columns = tf.meshgrid(tf.range(height, dtype=tf.float32), tf.range(width, dtype=tf.float32), indexing="ij")
    x = columns + displacement[..., 0]  # (batch, height, width)
    y = rows + displacement[..., 1]
    a = transforms[:, :, tf.newaxis, tf.newaxis]  # (batch, 8, 1, 1)
    return sample_bilinear(images, a[:, 0] * x + a[:, 1] * y + a[:, 2], a[:, 3] * x + a[:, 4] * y + a[:, 5])


def random_affine(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Rotates, slants, zooms, shifts and elastically bends every image by its own random amount.

    One resampling for the lot instead of five Keras layers in a row: faster on a CPU, and no blur
    piling up from resampling the same digit again and again.

    Args:
        images: (batch, height, width, 1) float32, ink bright on a black background.
        seed: (2,) int64 stateless seed; the same seed gives the same distortions.

    Returns:
        The same shape; pixels brought in from outside the image are black.
    """
    batch = tf.shape(images)[0]
    height = tf.cast(tf.shape(images)[1], tf.float32)
    width = tf.cast(tf.shape(images)[2], tf.float32)
    seeds = tf.random.experimental.stateless_split(seed, num=5)  # (5, 2)
    angle = _uniform([batch], -1.0, 1.0, seeds[0]) * math.radians(MAX_ROTATION_DEGREES)
    shear = _uniform([batch], -MAX_SHEAR, MAX_SHEAR, seeds[1])
    scale = _uniform([batch], 1 - MAX_SCALE_CHANGE, 1 + MAX_SCALE_CHANGE, seeds[2])
    shift = _uniform([batch, 2], -MAX_SHIFT_FRACTION, MAX_SHIFT_FRACTION, seeds[3]) * tf.stack([width, height])
    transforms = affine_transforms(angle, shear, scale, shift, height, width)
    return warp(images, transforms, elastic_displacement(batch, height, width, seeds[4]))


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


def distorted_copies(images: np.ndarray, seed: int, copies: int, batch_size: int = 1024) -> np.ndarray:
    """`copies` differently distorted versions of every digit, distorted exactly as training does.

    Real users' digits vary more than MNIST's; these stand in for them where a decision must be
    fitted on held-out digits (the "not sure" floor) without touching any real handwriting.

    Args:
        images: (n, 28, 28) uint8 digits, ink bright.

    Returns:
        (copies * n, 28, 28) float32 in [0, 1]: all n digits once, then all n again, and so on.
    """
    # Compiled, so each batch is one call into TensorFlow rather than dozens of GIL-bound eager ops.
    augment = tf.function(
        build_augmenter(seed),
        input_signature=[tf.TensorSpec([None, IMAGE_SIDE, IMAGE_SIDE, 1], tf.float32), tf.TensorSpec([], tf.int64)],
    )
    floats = images[..., np.newaxis].astype(np.float32) / 255.0  # (n, 28, 28, 1)
    batches = [
        np.asarray(augment(floats[start : start + batch_size], tf.constant(copy * len(images) + start, tf.int64)))[..., 0]
        for copy in range(copies)
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(batches)

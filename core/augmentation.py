"""Random distortions applied to training batches so a model copes with real handwriting.

MNIST's writers were careful and their digits were scanned the same way; people drawing with a
mouse or a marker slant, stretch and vary the pen. Each distortion imitates one of those.
"""

from __future__ import annotations

from typing import Callable

import cv2
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from core.preprocessing import crop_to_ink, finish_digit, stroke_width

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


def random_stroke_width(images: tf.Tensor, seed: int) -> tf.Tensor:
    """Thickens a quarter of the images and thins another quarter, by half a pixel-widening each.

    Args:
        images: (batch, 28, 28, 1) float32 in [0, 1], ink bright.
        seed: makes the choice of images reproducible.

    Returns:
        The same shape; grey-level dilation (3x3 max) and erosion (3x3 min), blended half-way
        because a full pixel on each side doubles an MNIST stroke.
    """
    dilated = tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME")
    eroded = -tf.nn.max_pool2d(-images, ksize=3, strides=1, padding="SAME")
    draw = tf.random.uniform([tf.shape(images)[0], 1, 1, 1], seed=seed)  # (batch, 1, 1, 1)
    thicker = 0.5 * (images + dilated)
    thinner = 0.5 * (images + eroded)
    return tf.where(draw < THICKEN_SHARE, thicker, tf.where(draw > 1 - THIN_SHARE, thinner, images))


def build_augmenter(seed: int) -> Callable[[tf.Tensor], tf.Tensor]:
    """The whole distortion: geometry first, then the pen width; used inside the tf.data pipeline."""
    geometric = build_geometric_augmenter(seed)

    def augment(images: tf.Tensor) -> tf.Tensor:
        """(batch, 28, 28, 1) float32 in [0, 1] in, the same shape distorted out."""
        return random_stroke_width(geometric(images, training=True), seed)

    return augment


FLAGGED_ONES_SHARE = 0.5
"""Flagged copies added per plain 1: enough to teach the flag, not enough to forget the bar."""


def add_flagged_ones(images: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Appends copies of some 1s with a lead-in upstroke, the "flag" most European writers give a 1.

    MNIST's writers were American and wrote 1 as a bare bar, so a model trained on it alone reads a
    flagged 1 as a 7 (the commonest mistake on real handwriting). The copies are made here from
    MNIST's own 1s; no real-handwriting data is involved.

    Args:
        images: (n, 28, 28) uint8 training digits, white on black.
        labels: (n,) uint8.
        seed: picks the 1s and the flags' length and angle.

    Returns:
        (n + k, 28, 28) uint8 images and (n + k,) labels, the originals first.
    """
    rng = np.random.default_rng(seed)
    ones = np.flatnonzero(labels == 1)
    chosen = rng.choice(ones, size=int(len(ones) * FLAGGED_ONES_SHARE), replace=False)
    if len(chosen) == 0:
        return images, labels
    flagged = np.stack([_with_flag(images[index], rng) for index in chosen])  # (k, 28, 28) uint8
    return np.concatenate([images, flagged]), np.concatenate([labels, labels[chosen]])


def _with_flag(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One 1 with a flag from its top going down-left, re-normalised by the MNIST recipe."""
    large = cv2.resize(image, (112, 112), interpolation=cv2.INTER_LINEAR)  # 4x, room for a smooth line
    ink = large >= 128
    rows, columns = np.nonzero(ink)
    top = int(rows.min())
    top_column = int(columns[rows <= top + 4].mean())
    height = int(rows.max()) - top
    length = rng.uniform(0.2, 0.35) * height
    angle = np.deg2rad(rng.uniform(30, 65))  # below the horizontal
    end = (round(top_column - length * np.cos(angle)), round(top + length * np.sin(angle)))
    width = max(3, round(stroke_width(ink)))
    cv2.line(large, (top_column, top), end, 255, width, cv2.LINE_AA)
    _, model_input = finish_digit(crop_to_ink(large))  # (28, 28) float32 in [0, 1]
    return np.round(model_input * 255).astype(np.uint8)

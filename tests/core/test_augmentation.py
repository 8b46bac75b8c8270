"""Tests for core.augmentation: the geometry is exact, distortions are small, the pen-width change is exact."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from core.augmentation import (
    ELASTIC_MAX_DISPLACEMENT,
    affine_transforms,
    build_augmenter,
    distorted_copies,
    elastic_displacement,
    random_affine,
    random_stroke_width,
    sample_bilinear,
    warp,
)


@pytest.fixture(scope="module")
def digits(sample_data) -> np.ndarray:
    return (sample_data.x_train[:64, ..., np.newaxis] / 255.0).astype(np.float32)  # (64, 28, 28, 1)


def transform(image: np.ndarray, angle: float = 0.0, shear: float = 0.0, scale: float = 1.0, shift=(0.0, 0.0)) -> np.ndarray:
    """Applies one exact affine map to a (h, w) image with nearest-pixel sampling."""
    height, width = image.shape
    transforms = affine_transforms(
        tf.constant([angle]), tf.constant([shear]), tf.constant([scale]), tf.constant([shift], tf.float32),
        tf.constant(float(height)), tf.constant(float(width)),
    )
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[np.newaxis, ..., np.newaxis].astype(np.float32), transforms=transforms,
        output_shape=[height, width], fill_value=0.0, interpolation="NEAREST", fill_mode="CONSTANT",
    )
    return np.asarray(out)[0, ..., 0]


def test_affine_identity_shift_and_quarter_turn_are_exact(digits):
    image = digits[0, ..., 0]
    np.testing.assert_allclose(transform(image), image, atol=1e-6)
    shifted = transform(image, shift=(3.0, -2.0))  # 3 px right, 2 px up
    expected = np.zeros_like(image)
    expected[:-2, 3:] = image[2:, :-3]
    np.testing.assert_allclose(shifted, expected, atol=1e-6)
    np.testing.assert_allclose(transform(image, angle=math.pi / 2), np.rot90(image), atol=1e-6)


def test_affine_scale_and_shear_move_ink_the_right_way():
    square = np.zeros((28, 28), np.float32)
    square[10:18, 10:18] = 1.0
    assert transform(square, scale=1.5).sum() > 1.8 * square.sum()  # (1.5)^2 = 2.25 times the area
    slanted = transform(square, shear=0.5)
    top_columns = np.nonzero(slanted[10])[0]
    bottom_columns = np.nonzero(slanted[17])[0]
    assert bottom_columns.mean() > top_columns.mean()  # x moves with y: the bottom leans right


def test_warp_without_displacement_matches_tensorflows_projective_transform(digits):
    count = len(digits)
    rng = np.random.default_rng(0)
    transforms = affine_transforms(
        tf.constant(rng.uniform(-0.4, 0.4, count), tf.float32),
        tf.constant(rng.uniform(-0.2, 0.2, count), tf.float32),
        tf.constant(rng.uniform(0.8, 1.2, count), tf.float32),
        tf.constant(rng.uniform(-4, 4, (count, 2)), tf.float32),
        tf.constant(28.0), tf.constant(28.0),
    )
    expected = tf.raw_ops.ImageProjectiveTransformV3(
        images=digits, transforms=transforms, output_shape=[28, 28], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="CONSTANT",
    )
    np.testing.assert_allclose(warp(digits, transforms, tf.zeros([count, 28, 28, 2])), expected, atol=1e-5)


def test_bilinear_sampling_reads_pixels_blends_between_them_and_is_black_outside():
    image = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)  # (batch, rows, columns, 1)
    x = np.array([[[0.0, 3.0, 0.5, -5.0], [1.0, 2.5, 3.5, 9.0], [0.0, 1.0, 2.0, 3.0]]], np.float32)
    y = np.array([[[0.0, 2.0, 0.0, 1.0], [1.5, 1.0, 0.0, 1.0], [-1.0, 3.0, 2.5, 2.0]]], np.float32)
    out = np.asarray(sample_bilinear(tf.constant(image), tf.constant(x), tf.constant(y)))[0, ..., 0]
    expected = [
        [0.0, 11.0, 0.5, 0.0],  # corners exact, half-way blended, far left black
        [7.0, 6.5, 3.0 / 2, 0.0],  # half-way between rows or columns; half a pixel past the edge fades
        [0.0, 0.0, 10.0 / 2, 11.0],  # a whole pixel above or below the image is black
    ]
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_elastic_displacement_is_smooth_bounded_and_varies_per_image():
    field = np.asarray(elastic_displacement(32, tf.constant(28.0), tf.constant(28.0), tf.constant([5, 1], tf.int64)))
    assert field.shape == (32, 28, 28, 2)
    # Bicubic interpolation overshoots its control points a little, never by half.
    assert np.abs(field).max() < 1.5 * ELASTIC_MAX_DISPLACEMENT
    assert 0.3 < np.sqrt((field**2).mean()) < ELASTIC_MAX_DISPLACEMENT
    # Neighbouring pixels move by less than a pixel apart: the digit bends but never folds over.
    assert np.abs(np.diff(field, axis=1)).max() < 1 and np.abs(np.diff(field, axis=2)).max() < 1
    assert not np.allclose(field[0], field[1])


def test_augmenter_distorts_each_image_reproducibly(digits):
    augment = build_augmenter(seed=0)
    augmented = np.asarray(augment(digits, 0))
    assert augmented.shape == digits.shape
    assert augmented.dtype == np.float32
    changed = np.abs(augmented - digits).reshape(len(digits), -1).max(axis=1) > 0.05
    assert changed.mean() > 0.9
    np.testing.assert_array_equal(np.asarray(augment(digits, 0)), augmented)
    assert not np.array_equal(np.asarray(augment(digits, 1)), augmented)


def test_distortions_are_small_enough_to_keep_the_digit(digits):
    augmented = np.asarray(build_augmenter(seed=1)(digits, 0))
    # Constant zero fill, interpolation, max and min stay in the input's range.
    assert augmented.min() >= -1e-6 and augmented.max() <= 1 + 1e-6
    # Zooms of 10%, shifts of 8% and half a pixel of pen: the ink is neither lost nor blown up.
    ink_ratio = augmented.sum(axis=(1, 2, 3)) / digits.sum(axis=(1, 2, 3))
    assert np.all((ink_ratio > 0.4) & (ink_ratio < 2.0)), ink_ratio
    geometric = np.asarray(random_affine(tf.constant(digits), tf.constant([4, 2], tf.int64)))
    rows = np.arange(28, dtype=np.float32)[:, np.newaxis]
    for before, after in zip(digits[..., 0], geometric[..., 0]):
        # The centre of ink moves by at most the shift plus what a 14-degree turn of a
        # point within ~8 px of the centre adds: never off to a side.
        assert abs((after * rows).sum() / after.sum() - (before * rows).sum() / before.sum()) < 5


def test_random_stroke_width_matches_slow_dilation_and_erosion(digits):
    images = digits[:32]
    out = np.asarray(random_stroke_width(images, seed=tf.constant([3, 0], tf.int64)))
    assert out.shape == images.shape
    kinds = []
    for image, result in zip(images[..., 0], out[..., 0]):
        thicker = 0.5 * (image + slow_neighbourhood(image, np.max))
        thinner = 0.5 * (image + slow_neighbourhood(image, np.min))
        if np.allclose(result, image, atol=1e-6):
            kinds.append("same")
        elif np.allclose(result, thicker, atol=1e-6):
            kinds.append("thicker")
        elif np.allclose(result, thinner, atol=1e-6):
            kinds.append("thinner")
        else:
            pytest.fail("an image is neither unchanged, thickened nor thinned")
    # A quarter thickened and a quarter thinned, give or take what 32 draws allow.
    for kind in ("same", "thicker", "thinner"):
        assert kinds.count(kind) >= 2, kinds
    thicker_images = [i for i, kind in enumerate(kinds) if kind == "thicker"]
    assert all(out[i].sum() > images[i].sum() for i in thicker_images)


def slow_neighbourhood(image: np.ndarray, pick) -> np.ndarray:
    """3x3 max or min around every pixel of a (28, 28) image, ignoring pixels beyond the edge."""
    height, width = image.shape
    out = np.empty_like(image)
    for row in range(height):
        for column in range(width):
            window = image[max(row - 1, 0) : row + 2, max(column - 1, 0) : column + 2]
            out[row, column] = pick(window)
    return out


def test_distorted_copies_are_reproducible_different_and_in_range(sample_data):
    images = sample_data.x_train[:40]
    copies = distorted_copies(images, seed=3, copies=2, batch_size=16)
    assert copies.shape == (80, 28, 28) and copies.dtype == np.float32
    assert copies.min() >= -1e-6 and copies.max() <= 1 + 1e-6
    np.testing.assert_array_equal(distorted_copies(images, seed=3, copies=2, batch_size=16), copies)
    originals = images / 255.0
    # Every copy is distorted, and the two copies of one digit differ from each other.
    assert np.all(np.abs(copies[:40] - originals).max(axis=(1, 2)) > 0.05)
    assert np.all(np.abs(copies[:40] - copies[40:]).max(axis=(1, 2)) > 0.05)

"""Tests for core.augmentation: distortions are small, keep the digit, and the pen-width change is exact."""

from __future__ import annotations

import numpy as np
import pytest

from core.augmentation import build_augmenter, build_geometric_augmenter, random_stroke_width


@pytest.fixture(scope="module")
def digits(sample_data) -> np.ndarray:
    return (sample_data.x_train[:64, ..., np.newaxis] / 255.0).astype(np.float32)  # (64, 28, 28, 1)


def slow_neighbourhood(image: np.ndarray, pick) -> np.ndarray:
    """3x3 max or min around every pixel of a (28, 28) image, ignoring pixels beyond the edge."""
    height, width = image.shape
    out = np.empty_like(image)
    for row in range(height):
        for column in range(width):
            window = image[max(row - 1, 0) : row + 2, max(column - 1, 0) : column + 2]
            out[row, column] = pick(window)
    return out


def test_augmenter_distorts_each_image(digits):
    augmented = np.asarray(build_augmenter(seed=0)(digits, 0))
    assert augmented.shape == digits.shape
    assert augmented.dtype == np.float32
    changed = np.abs(augmented - digits).reshape(len(digits), -1).max(axis=1) > 0.05
    assert changed.mean() > 0.9


def test_geometric_augmenter_is_the_identity_outside_training(digits):
    augmenter = build_geometric_augmenter(seed=0)
    np.testing.assert_array_equal(np.asarray(augmenter(digits, training=False)), digits)


def test_distortions_are_small_enough_to_keep_the_digit(digits):
    augmented = np.asarray(build_augmenter(seed=1)(digits, 0))
    # Constant zero fill, interpolation, max and min stay in the input's range.
    assert augmented.min() >= -1e-6 and augmented.max() <= 1 + 1e-6
    # Zooms of 10%, shifts of 8% and half a pixel of pen: the ink is neither lost nor blown up.
    ink_ratio = augmented.sum(axis=(1, 2, 3)) / digits.sum(axis=(1, 2, 3))
    assert np.all((ink_ratio > 0.4) & (ink_ratio < 2.0)), ink_ratio


def test_random_stroke_width_matches_slow_dilation_and_erosion(digits):
    images = digits[:32]
    out = np.asarray(random_stroke_width(images, seed=3))
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

"""Tests for core.template_digits: synthetic pen-drawn digits in the styles MNIST lacks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.template_digits import (
    FLAG_LENGTH,
    FLAG_SLOPE_DEGREES,
    GLYPHS,
    TEMPLATE_SHARE,
    draw_digit,
    one_glyph,
    smooth_stroke,
    template_digits,
    with_template_digits,
)


def test_every_digit_but_one_has_templates_and_one_is_drawn_by_rule() -> None:
    assert sorted(GLYPHS) == [0, 2, 3, 4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize("label", range(10))
def test_each_digit_comes_out_like_an_mnist_digit(label: int) -> None:
    image = draw_digit(label, np.random.default_rng(label))
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert image.max() == 255
    rows, columns = np.nonzero(image)
    assert max(rows.max() - rows.min(), columns.max() - columns.min()) + 1 == 20  # longest side 20 px
    total = image.sum(dtype=np.float64)
    centre = (np.arange(28) @ image.sum(axis=1) / total, np.arange(28) @ image.sum(axis=0) / total)
    assert centre == pytest.approx((14.0, 14.0), abs=1.0)  # centre of mass in the middle, as MNIST's


def test_most_ones_have_a_flag_reaching_left_and_down_from_the_top() -> None:
    rng = np.random.default_rng(0)
    glyphs = [one_glyph(rng) for _ in range(400)]
    flagged = [glyph for glyph in glyphs if len(glyph[0]) == 3]
    assert 0.65 < len(flagged) / len(glyphs) < 0.85  # a quarter are bare bars
    for glyph in flagged:
        (start_x, start_y), (top_x, top_y), (bottom_x, bottom_y) = glyph[0]
        length = math.hypot(top_x - start_x, start_y - top_y) / (bottom_y - top_y)
        slope = math.degrees(math.atan2(start_y - top_y, top_x - start_x))
        assert FLAG_LENGTH[0] - 1e-9 <= length <= FLAG_LENGTH[1] + 1e-9
        assert FLAG_SLOPE_DEGREES[0] - 1e-9 <= slope <= FLAG_SLOPE_DEGREES[1] + 1e-9
    lengths = [math.hypot(g[0][1][0] - g[0][0][0], g[0][0][1] - g[0][1][1]) / 84 for g in flagged]
    assert min(lengths) < 0.3 and max(lengths) > 0.8  # short and long flags both occur
    assert any(len(glyph) == 2 for glyph in flagged)  # some with a foot


def test_smooth_stroke_passes_through_every_point() -> None:
    points = np.array([[0.0, 0.0], [10.0, 5.0], [20.0, 0.0], [30.0, 8.0]])
    curve = smooth_stroke(points, steps=6)
    assert curve.shape == (3 * 6 + 1, 2)
    np.testing.assert_allclose(curve[::6], points)
    short = np.array([[0.0, 0.0], [5.0, 5.0]])
    np.testing.assert_array_equal(smooth_stroke(short), short)


def test_template_digits_are_reproducible_and_cover_every_class() -> None:
    images, labels = template_digits(300, seed=3)
    again, same_labels = template_digits(300, seed=3)
    other, _ = template_digits(300, seed=4)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, same_labels)
    assert not np.array_equal(images, other)
    assert images.shape == (300, 28, 28) and labels.dtype == np.uint8
    assert set(labels.tolist()) == set(range(10))
    assert template_digits(0, seed=0)[0].shape == (0, 28, 28)


def test_with_template_digits_keeps_the_originals_first() -> None:
    images = np.random.default_rng(0).integers(0, 256, (200, 28, 28), dtype=np.uint8)
    labels = np.arange(200, dtype=np.uint8) % 10
    more_images, more_labels = with_template_digits(images, labels, seed=0)
    extra = round(200 * TEMPLATE_SHARE)
    assert more_images.shape == (200 + extra, 28, 28) and more_labels.shape == (200 + extra,)
    np.testing.assert_array_equal(more_images[:200], images)
    np.testing.assert_array_equal(more_labels[:200], labels)
    np.testing.assert_array_equal(more_images[200:], template_digits(extra, seed=0)[0])

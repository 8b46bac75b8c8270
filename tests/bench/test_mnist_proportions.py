"""Tests for bench.mnist_proportions: each digit's height over width, and its width in strokes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.mnist_proportions import proportions


def test_a_bar_is_tall_and_one_stroke_wide_and_a_ring_is_square_and_many_strokes_wide() -> None:
    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 12:14] = 255  # 20 tall, 2 wide
    ring = np.zeros((28, 28), np.uint8)
    cv2.circle(ring, (14, 14), 9, 255, 2)

    aspects, widths_in_strokes = proportions(np.stack([bar, ring]))

    assert aspects[0] == pytest.approx(10.0)
    assert widths_in_strokes[0] == pytest.approx(1.0, abs=0.2)
    assert aspects[1] == pytest.approx(1.0)
    assert widths_in_strokes[1] > 5

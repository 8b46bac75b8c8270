"""Tests for core.pen_strokes: fitting strokes to the canvas and drawing them as the canvas does."""

from __future__ import annotations

import numpy as np

from core.pen_strokes import draw_canvas, draw_strokes, fit_strokes


def test_fit_strokes_keeps_the_aspect_ratio_spans_the_longer_side_and_centres_where_asked():
    strokes = [np.array([[10, 10], [10, 50]]), np.array([[0, 30], [20, 30]])]  # 20 wide, 40 tall
    fitted = fit_strokes(strokes, 280, span=100, centre=(60.0, 200.0))
    points = np.concatenate(fitted)
    low, high = points.min(axis=0), points.max(axis=0)
    np.testing.assert_allclose(high - low, [50, 100])
    np.testing.assert_allclose((low + high) / 2, [60, 200])
    np.testing.assert_allclose(np.concatenate(fit_strokes(strokes, 280, span=100)).mean(axis=0)[0], 140)


def test_a_tap_draws_a_round_dot_and_a_line_draws_its_pen_width():
    gray = np.zeros((60, 60), np.uint8)
    draw_strokes(gray, [np.array([[30.0, 30.0]])], pen_width=10)
    rows, columns = np.nonzero(gray > 127)
    assert 8 <= rows.max() - rows.min() + 1 <= 11 and 8 <= columns.max() - columns.min() + 1 <= 11
    canvas = draw_canvas([np.array([[0, 0], [0, 100]])], stroke_width=18, fill=0.7)
    assert canvas.shape == (280, 280, 4) and (canvas[..., 3] == 255).all()
    rows, columns = np.nonzero(canvas[..., 0] > 127)
    assert abs((rows.max() - rows.min() + 1) - 0.7 * 280) <= 2 and abs((columns.max() - columns.min() + 1) - 18) <= 2

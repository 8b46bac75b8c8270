"""Pen strokes drawn the way the Predict page's canvas draws them: white, anti-aliased, round caps, on black.

Shared by everything that turns recorded pen strokes into pictures: the UJI training digits
(`core.uji`), the template digits, the pendigits benchmark and the browser test that replays strokes.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

CANVAS_SIDE = 280
"""The Predict page's drawing canvas, in pixels."""

SUBPIXEL_BITS = 4
"""OpenCV draws with fixed-point coordinates: 4 bits keep the scaled points to 1/16 px, as a browser would."""

INK = 255


def fit_strokes(strokes: Sequence[np.ndarray], canvas_side: float, span: float,
                centre: tuple[float, float] | None = None) -> list[np.ndarray]:
    """Scales strokes so the longer side of their bounding box spans `span`, centred on `centre`.

    The aspect ratio is kept; a lone dot stays a dot.

    Args:
        strokes: each `(k, 2)` points (x, y), y down, in any unit.
        canvas_side: side of the square canvas; its middle is the default `centre`.
        span: length the longer side of the strokes' bounding box becomes, in canvas pixels.
        centre: where the middle of the bounding box lands, in canvas pixels.

    Returns:
        The strokes as `(k, 2)` float64 canvas pixels.
    """
    points = np.concatenate(strokes).astype(np.float64)  # (total points, 2)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    scale = span / extent if extent > 0 else 0.0
    target = np.array(centre if centre is not None else (canvas_side / 2, canvas_side / 2))
    offset = target - scale * (low + high) / 2
    return [stroke.astype(np.float64) * scale + offset for stroke in strokes]


def draw_strokes(gray: np.ndarray, strokes: Sequence[np.ndarray], pen_width: int) -> None:
    """Draws strokes given in pixels onto `gray` in place, in white with a round pen `pen_width` wide.

    A stroke whose points all coincide is a tap: browsers draw a round-capped zero-length line as a
    dot, while `cv2.polylines` would draw nothing.

    Args:
        gray: `(H, W)` uint8 picture, changed in place.
        strokes: each `(k, 2)` float pixels (x, y), y down, k >= 1.
        pen_width: pen width in pixels.
    """
    unit = 1 << SUBPIXEL_BITS
    for stroke in strokes:
        fixed = np.round(np.asarray(stroke) * unit).astype(np.int32)  # (k, 2) fixed-point pixels
        if (fixed == fixed[0]).all():
            centre = (int(fixed[0, 0]), int(fixed[0, 1]))
            cv2.circle(gray, centre, round(pen_width / 2 * unit), INK, -1, cv2.LINE_AA, SUBPIXEL_BITS)
        else:
            cv2.polylines(gray, [fixed.reshape(-1, 1, 2)], False, INK, pen_width, cv2.LINE_AA, SUBPIXEL_BITS)


def draw_canvas(strokes: Sequence[np.ndarray], *, canvas_size: int = CANVAS_SIDE, stroke_width: int = 18,
                fill: float = 0.7, centre: tuple[float, float] | None = None) -> np.ndarray:
    """Draws a digit's strokes as the app's drawing canvas would export them.

    White anti-aliased strokes with round caps and joins on an opaque black canvas. The digit keeps its
    aspect ratio and is scaled so its ink (strokes included) spans `fill` of the canvas along its longest
    side: the stroke width changes the pen, not the size of the drawing.

    Args:
        strokes: each `(k, 2)` points (x, y), y down, in any unit; k >= 1.
        canvas_size: side of the square canvas in pixels.
        stroke_width: pen width in pixels, like the canvas's stroke-width slider.
        fill: share of the canvas the ink's longest side spans, in (0, 1].
        centre: where the middle of the ink lands, in pixels (default: the canvas's middle).

    Returns:
        `(canvas_size, canvas_size, 4)` uint8 RGBA: ink (255, 255, 255, 255), background (0, 0, 0, 255).

    Raises:
        ValueError: `fill` is outside (0, 1], `stroke_width` < 1, or the pen is too wide for the fill.
    """
    if not 0 < fill <= 1:
        raise ValueError(f"fill must be in (0, 1], got {fill}.")
    if stroke_width < 1:
        raise ValueError(f"stroke_width must be at least 1 px, got {stroke_width}.")
    path_span = fill * canvas_size - stroke_width  # the pen adds half its width on each side
    if path_span <= 0:
        raise ValueError(f"A {stroke_width} px pen does not fit in {fill:.0%} of a {canvas_size} px canvas.")
    gray = np.zeros((canvas_size, canvas_size), np.uint8)
    draw_strokes(gray, fit_strokes(strokes, canvas_size, path_span, centre), stroke_width)
    alpha = np.full_like(gray, 255)  # a canvas export is opaque everywhere, background included
    return cv2.merge([gray, gray, gray, alpha])  # (canvas_size, canvas_size, 4)

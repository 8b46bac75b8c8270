"""Cut a digit found at working size out of the picture at its own, larger size.

`core.segmentation` finds digits on a copy shrunk to `MAX_WORKING_SIDE`, where the page's light, its
edges and the text lines are judged quickly and at one scale. A digit that is small on a big page keeps
few pixels there: a closed 4 17 px tall on a 1600 px photo fills its loop and reads 1. Its pixels at
the picture's own size are sharper, so the digit is cut from those, inside the ink found at working size.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.preprocessing import INK_PERCENTILE, stretch_ink

MIN_PAPER_PIXELS = 16
"""Fewer paper pixels than this round the digit: the paper's level is read from the whole window."""


def full_size_window(window: tuple[slice, slice], scale: tuple[float, float], shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The rows and columns at full size that a working-size window covers.

    Args:
        window: rows and columns of the digit's window in the working-size picture.
        scale: `(x, y)` full-size pixels per working-size pixel.
        shape: the full-size picture's shape.
    """
    rows, columns = window
    scale_x, scale_y = scale
    top, bottom = int(rows.start * scale_y), min(int(np.ceil(rows.stop * scale_y)), shape[0])
    left, right = int(columns.start * scale_x), min(int(np.ceil(columns.stop * scale_x)), shape[1])
    return np.s_[top:bottom, left:right]


def grade_ink(gray: np.ndarray, own: np.ndarray, rim: np.ndarray) -> np.ndarray:
    """The digit's ink at full size, bright on 0, graded as `suppress_background` grades it.

    Dark ink on light paper or light on dark is told apart inside the window itself (the digit's pixels
    against the paper round it), and the paper's level is read there too, so light that varies across
    the page does not matter at the scale of one digit.

    Args:
        gray: `(H', W')` uint8, the digit's window at full size (see `full_size_window`).
        own: `(h, w)` uint8, 1 on the digit's ink in the working-size window (some ink; `gray` is at
            least as large, so every working-size pixel covers one or more full-size ones).
        rim: `(h, w)` uint8, `own` grown by the anti-aliased rim kept round the ink (nonzero there).

    Returns:
        `(H', W')` uint8, 0 outside the rim.
    """
    size = (gray.shape[1], gray.shape[0])
    ink = cv2.resize(own, size, interpolation=cv2.INTER_NEAREST) > 0  # (H', W') bool
    paper = cv2.resize(rim, size, interpolation=cv2.INTER_NEAREST) == 0  # (H', W') bool
    paper_level = float(np.median(gray[paper] if paper.sum() >= MIN_PAPER_PIXELS else gray))
    dark_ink = float(np.mean(gray[ink])) < paper_level
    bright = cv2.bitwise_not(gray) if dark_ink else gray  # (H', W') uint8, ink bright on dark
    background = 255.0 - paper_level if dark_ink else paper_level
    graded = stretch_ink(bright, background, float(np.percentile(bright[ink], INK_PERCENTILE)))
    graded[paper] = 0
    return graded

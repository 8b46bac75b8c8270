"""Find the sheet of paper in a photo and paint everything round it (table, fingers, shadows) over.

A page photographed at an angle or turned shows the table round it. The pipeline reads the background's
level from the picture's border, so a dark table framing a light page made the page itself look like ink.
The paper is the largest bright, solid region of the picture once the ink is closed over; outside it, the
picture is replaced by the paper's own light carried outwards, so that nothing there stands out as ink.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

logger = logging.getLogger(__name__)

SMALL_SIDE = 256
"""The paper is found on a copy this size: it is the largest thing in the picture, and this is cheap."""

INK_CLOSING = 7
"""Side in small pixels of the closing that paints dark ink over with the paper round it (a 1024 px
photo's strokes are under 3 small pixels wide; digits drawn bigger and bolder leave holes, filled later)."""

WIDE_INK_CLOSING = 11
"""Side of the second closing that looks for writing in a dark region: a bold marker's digit on a small
picture has strokes wider than `INK_CLOSING`, which finds only their rims (9 and 11 read the stress sets
alike, 15 and 21 fewer of their shadowed digits)."""

MIN_PAPER_SHARE = 0.25
"""A sheet covers at least this share of the picture; a canvas's white strokes never come near it."""

MIN_SOLIDITY = 0.85
"""The sheet's area over its convex hull's: a page is a (tilted) quadrilateral, a stroke is not solid."""

MIN_FILLED_SHARE = 0.75
"""The sheet's bright part over the area its outline holds: the closing paints ordinary ink over, only
the strokes of a big marker digit leave holes; a canvas's white 0 is a ring round a hole as big as itself."""

MIN_OUTSIDE_SHARE = 0.02
"""Less of the picture than this outside the sheet is only its edge's rim: left to the line rules."""

MIN_STEP = 40
"""Grey levels the paper must be brighter than what surrounds it, for the two to be told apart."""

INK_STEP = 30
"""Grey levels a stroke is darker than the closing over it: a pen's ink even in a deep shadow (in the
small copy, where a stroke is thinner than a pixel, its contrast is diluted); noise and wood grain less."""

MIN_STROKE_PIXELS = 10
"""More stroke pixels than this in the dark region and it is paper: a single digit in a shadow, drawn with
a pen wider than the closing, shows as few as a dozen."""

WRITING_SIZE_SHARE = 4.0
"""A dark mark is writing only if its longer side is at most this many times the largest mark written on
the sheet (when the sheet holds any): a shadow falls on writing of the sheet's own size, while a table's
plank joints are far bigger than a row of small digits. A development photo's wooden table, its joint 5.8
times the 4 small pixels of its digits, was taken for paper in shadow and the page read as one digit; a
digit across a shadow's edge has 2.4 times as long a stroke in the shadow as on the lit paper (stress set)."""

EDGE_MARGIN = 0.008
"""The sheet's own edge (its shadow, its anti-aliased rim) is left outside it: this share of the side."""

SPREAD_SHARE = 0.1
"""How far the paper's light is carried outwards, as a Gaussian's sigma in shares of the small side."""


def keep_paper(gray: np.ndarray) -> np.ndarray:
    """The picture with everything outside its sheet of paper painted in the paper's light.

    Pictures without a sheet standing out (a canvas, a scan, a page filling the frame) are returned as
    they are.

    Args:
        gray: `(H, W)` uint8, any polarity.

    Returns:
        `(H, W)` uint8.
    """
    height, width = gray.shape
    shrink = SMALL_SIDE / max(height, width)
    if shrink >= 1:
        small = gray
    else:
        small = cv2.resize(gray, (max(1, round(width * shrink)), max(1, round(height * shrink))), interpolation=cv2.INTER_AREA)
    paper = paper_region(small)  # (h, w) bool, or None
    if paper is None:
        return gray
    # Normalised convolution: the paper's level, averaged over the paper only, spreads across its edge.
    sigma = SPREAD_SHARE * max(small.shape)
    weight = cv2.GaussianBlur(paper.astype(np.float32), (0, 0), sigma)
    level = cv2.GaussianBlur(np.where(paper, small, 0).astype(np.float32), (0, 0), sigma)
    fallback = float(np.median(small[paper]))
    fill_small = np.where(weight > 1e-3, level / np.maximum(weight, 1e-3), fallback)
    fill = cv2.resize(fill_small.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    inside = cv2.resize(paper.astype(np.uint8) * 255, (width, height), interpolation=cv2.INTER_LINEAR) > 127
    margin = max(1, round(EDGE_MARGIN * max(height, width)))
    inside = cv2.erode(inside.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0
    logger.debug("paper covers %.0f%% of the picture: the rest painted over", 100 * inside.mean())
    return np.where(inside, gray, np.clip(fill, 0, 255).astype(np.uint8))


def paper_region(small: np.ndarray) -> np.ndarray | None:
    """Where the sheet is in a small grey picture: `(h, w)` bool, or None when no sheet stands out.

    The sheet is the largest region brighter than Otsu's threshold once dark ink is closed over, holes
    filled, when it covers `MIN_PAPER_SHARE` of the picture, has few holes (`MIN_FILLED_SHARE`), is solid
    (`MIN_SOLIDITY`), leaves at least
    `MIN_OUTSIDE_SHARE` outside, and is `MIN_STEP` grey levels brighter than that outside, which holds
    no strokes: a shadow over part of a page is darker than the rest, but it has writing on it.
    """
    closed = _ink_closed(small, INK_CLOSING)
    level, bright = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    contours, _ = cv2.findContours((labels == largest).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea)
    paper = np.zeros(small.shape, np.uint8)
    cv2.drawContours(paper, [outline], -1, 1, thickness=cv2.FILLED)  # holes (big bold digits) filled
    area = float(np.count_nonzero(paper))
    outside = paper == 0
    if (
        area < MIN_PAPER_SHARE * small.size
        or stats[largest, cv2.CC_STAT_AREA] < MIN_FILLED_SHARE * area
        or outside.mean() < MIN_OUTSIDE_SHARE
        or area < MIN_SOLIDITY * cv2.contourArea(cv2.convexHull(outline))
        or np.median(closed[paper > 0]) - np.median(closed[outside]) < MIN_STEP
    ):
        return None
    # Dark strokes on the dark region: that is no table but paper in shadow, with writing on it. A pen
    # wider than the closing leaves only its stroke's rims, so a wider closing looks again.
    for closing_side in (INK_CLOSING, WIDE_INK_CLOSING):
        closed_at_side = closed if closing_side == INK_CLOSING else _ink_closed(small, closing_side)
        strokes_outside = _strokes_in_dark_region(small, closed_at_side, paper, outside, closing_side)
        if strokes_outside > MIN_STROKE_PIXELS:
            logger.debug("a dark region holds %d pixels of strokes: paper in shadow, kept", strokes_outside)
            return None
    return paper > 0


def _ink_closed(small: np.ndarray, side: int) -> np.ndarray:
    """The small picture with dark ink narrower than `side` closed over by the paper round it."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    return cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)


def _strokes_in_dark_region(
    small: np.ndarray, closed: np.ndarray, paper: np.ndarray, outside: np.ndarray, closing_side: int
) -> int:
    """Pixels of writing-sized strokes in the region round the sheet, found in `closed`, `small` closed by
    `_ink_closed` at `closing_side`.

    Only strokes half a closing away from the sheet's edge and the picture's count: there the closing is
    not exact (a sliver of table between a turned page and the picture's edge).
    """
    level, _ = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    margin = np.ones((closing_side, closing_side), np.uint8)
    away = cv2.erode(outside.astype(np.uint8), margin, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    within = cv2.erode(paper, margin, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    strokes = cv2.subtract(closed, small) > INK_STEP  # (h, w) bool
    written = _marks(within & strokes)  # (marks, 2): longer side, pixels
    marks_outside = _marks(away & (closed < level) & strokes)
    if len(written):
        marks_outside = marks_outside[marks_outside[:, 0] <= WRITING_SIZE_SHARE * written[:, 0].max()]
    return int(marks_outside[:, 1].sum())


def _marks(mask: np.ndarray) -> np.ndarray:
    """Each 8-connected mark of a bool mask: `(marks, 2)` int, its longer side and its pixel count."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return np.stack([stats[1:, cv2.CC_STAT_WIDTH : cv2.CC_STAT_HEIGHT + 1].max(axis=1), stats[1:, cv2.CC_STAT_AREA]], axis=1)

"""Split a picture of several digits (a row of them, or several lines) into single digits.

Each digit is cut out and finished with the same MNIST recipe `preprocess_digit` uses, so a digit in a
number reaches the model the way it would if it had been drawn alone.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import cv2
import numpy as np

from core.background import flatten_background
from core.full_resolution import full_size_window, grade_ink
from core.paper import keep_paper
from core.preprocessing import (
    MAX_INK_PIECES,
    PreprocessedDigit,
    PreprocessStep,
    crop_to_ink,
    finish_digit,
    ink_mask,
    ink_threshold,
    normalise_polarity,
    shrunk_to_working_size,
    stroke_width,
    suppress_background,
    to_grayscale,
)

logger = logging.getLogger(__name__)

OVERLAP_SHARE = 0.5
"""Pieces whose horizontal extents overlap by this share of the narrower one can be one digit."""

INTERSECTION_SHARE = 0.2
"""Pieces whose bounding boxes intersect by this share of the smaller box are one digit (the two halves
of a 4 or a 7 that was not closed); neighbouring digits' boxes at most graze each other."""

BREAK_GAP_STROKES = 1.0
"""Horizontally overlapping pieces stacked this many stroke widths apart or closer are one digit with a
broken stroke; further apart, they are digits on different lines."""

FRAGMENT_STROKES = 3.0
"""A piece less tall than this many stroke widths, and than `FLAT_SHARE` of the typical digit's height
(see `_digit_height`), is a fragment (a dash, a dot, a detached flag or bar): no digit is that flat next
to its neighbours."""

FLAT_SHARE = 0.6
"""See `FRAGMENT_STROKES`: a row of small digits drawn with a wide pen are digits, not fragments."""

HAIRLINE_STROKES = 0.8
"""A piece narrower than this share of the stroke width is a fragment: a stray hairline, not a stroke,
unless it is as tall as a digit (`THIN_ONE_SHARE`)."""

THIN_ONE_SHARE = 0.5
"""A hairline at least this share of the typical digit's height is a 1 written lighter than the rest: on a
development sheet, 1s thresholded 2 px wide beside strokes 2.6 px wide were dropped from three lines."""

FRAGMENT_SHARE = 0.35
"""A piece whose longest side is under this share of the typical digit's height is a fragment too."""

NEAR_STROKES = 1.5
"""A fragment this many stroke widths or closer to another piece joins the nearest one; further away,
it is a speck and is dropped."""

PIECE_ROOM = 24
"""Side in pixels of the square each ink blob needs at least: a sheet of digits may hold one blob per
such square of the working image (a 1024x768 page: 1,365), noise or texture holds many more."""

RULE_LENGTH_SHARE = 4.0
"""A piece longer than this many times the typical digit's height is no digit but a line: the paper's
edge, a ruled line, a table's edge or a fold. Judged only with `RULE_MIN_PIECES` digit-tall pieces."""

EDGE_ASPECT = 5.0
"""A piece touching the picture's border this many times longer than wide is a stretch of the page's
edge (a 1 of a sheet is rarely cut by the border, and a lone digit is never judged: `RULE_MIN_PIECES`)."""

SLIVER_ASPECT = 3.0
"""A piece along one side of the picture (touching it, not the opposite side) this many times longer
than it is deep is a sliver of table or page edge, even beside a lone digit: a turned page's corner
left them beside single digits of the photo stress set (`101` for `0`). A tightly cropped 1 touches
both sides, and is kept."""

SCRAP_SHARE = 0.75
"""A piece touching the picture's border, beside a sheet of digits, whose longer side is under this share
of the typical digit's height is a scrap of the page's edge or the table, not a digit: two development
photos read such scraps (0.5 and 0.6 of a digit) as an extra line; a digit the border cuts is unreadable."""

RULE_MIN_PIECES = 5
"""Fewer tall pieces give no typical digit height to judge by: they may be the broken strokes of one
digit, whose longest stroke is many times the others."""

SOLID_SHARE = 0.2
"""A piece whose mean width is this share of its longer side or more is an area, not a pen's stroke:
MNIST's strokes are 0.12 of the digit's longer side (p90 0.16); a cast shadow's corner left over by
`flatten_background` is 0.27-0.44 on the photo stress set (and was read as a digit: `885|6`, `0|9`)."""

SOLID_STROKES = 1.8
"""An area is also this many times wider than the picture's strokes (the median of the pieces below
`SOLID_SHARE`): a short piece of a broken stroke is as wide as the pen, however stubby; a shadow's
corner on the stress set 2.2-5.9 times."""

TOUCHING_WIDTHS = 2.0
"""A digit this many times wider than the picture's median digit may be digits that touch (see
`SegmentedDigit.splits`): on the development photos such blobs of 2 and 3 digits were 2.07-3.9 times as
wide, single digits at most 1.88 times. Judged only with `RULE_MIN_PIECES` digits or more."""

TOUCHING_CANDIDATES = 6
"""Touching digits are cut at up to this many columns, the lowest in ink of those less inked than both
neighbours (a blob of 3 digits on a development photo had both its touching points among them)."""

TOUCHING_MIN_PART = 0.5
"""Each of touching digits is at least this share of the typical digit's width (a 1 is narrower, but a 1
touching its neighbour is no wider than a digit: no split is sought)."""

STRAY_MIN_LINES = 2
"""See `stray_marks`: beside fewer lines of several digits, a line of one digit is as likely as any other."""

STRAY_SHARE = 0.75
"""See `stray_marks`: on a development sheet of 13 lines of 10 digits, a smudge between two lines, 0.55 of
the median digit's height, was read as a line `1` (the sheet's 1s stand 0.6-0.85 of it, beside their line's
digits)."""

LINE_OVERLAP_SHARE = 0.5
"""A digit joins a text line when their vertical extents overlap by this share of the shorter one."""

LINE_JOIN_SHARE = 0.3
"""Two lines that lie side by side, not one under the other, are one line when their bands overlap by this
share of the shorter band (see `join_side_by_side_lines`): on the development photos a last 1 hanging below
its number overlaps by 0.40 and a leading 1 written above its row by 0.40."""

WIDE_GAP_SPACINGS = 4.0
"""A gap between neighbouring digits of a line this many times the line's median gap, and `WIDE_GAP_HEIGHTS`
digit heights wide, parts two numbers written side by side (see `split_at_wide_gaps`)."""

WIDE_GAP_HEIGHTS = 2.5
"""See `WIDE_GAP_SPACINGS`, which tells the gaps apart: on the development photos the two numbers of a row
stood 5 digit heights apart, but numbers written with room between their digits left gaps of up to 4 heights,
at most 3.4 times their line's median gap. The heights keep a tightly written line (a median gap near 0)
whole."""

SLOPE_MIN_PAIRS = 2
"""Fewer neighbouring digits give no slope to trust: the text is taken as level."""

SLOPE_SPREAD = 0.3
"""Slopes whose interquartile range is wider than this are no line's but digits scattered over a page: a
development photo's scattered digits spread 0.64, its row written at 32 degrees 0.22, a sheet of lines 0.06."""

FAINT_SHARE = 0.5
"""A faint digit is found at this share of the ink's threshold (see `add_faint_digits`): on a development
photo of a thin pen under a shadow, the threshold was 60 and its faint digits stood whole from 20 to 40."""

FAINT_AREA_SHARE = 0.5
"""A faint piece counts when its area is this share of the median ink piece's or more: smaller, it is the
paper's grain or noise, which the lower threshold finds too."""

FAINT_STROKE_SHARE = 0.2
"""A faint piece touching the ink counts when its area beyond that ink is this share of the median ink
piece's or more: a 4's light stem or a 5's light body beside its bold bar, a few strokes' length. A
thin rim round bold ink lies within the ink's dilation. (0.1 reads the stress sets alike; 0.3 and the
faint-digit share, 0.5, lose such strokes.)"""

FAINT_TALL_SHARE = 1.5
"""A faint piece counts when it is at most this many times as tall as the largest ink piece's longer
side: a digit whose bold part is only its bar or stem is taller than that part. (2.0 let a light area
join an uneven-light stress photo's 9, read 3.)"""

FAINT_ROW_SHARE = 3.0
"""A faint piece counts when it is at most this many times as wide as the largest ink piece's longer
side: faint digits written touching make one piece as wide as the row, and a line across the page is wider."""

_DILATE_KERNEL = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class DigitBox:
    """Where one digit sits, in the pixel coordinates of the image passed to `segment_digits`."""

    left: int
    top: int
    width: int
    height: int
    line: int  # 0-based text line, top to bottom

    @property
    def right(self) -> int:
        """First column past the digit."""
        return self.left + self.width

    @property
    def bottom(self) -> int:
        """First row below the digit."""
        return self.top + self.height


@dataclass(frozen=True)
class SegmentedDigit:
    """One digit of a multi-digit picture: its place, and the pipeline's images and model input."""

    box: DigitBox
    preprocessed: PreprocessedDigit
    splits: tuple[tuple[SegmentedDigit, ...], ...] = ()
    """Set when the digit is far wider than the picture's digits (`TOUCHING_WIDTHS`): it may be digits
    that touch. Each way of cutting it at its columns of least ink, into 2, 3, ... digits; `core.reading`
    keeps the way the model reads most surely, or the whole digit."""


def segment_digits(image: np.ndarray) -> list[SegmentedDigit]:
    """Finds every digit in a picture and prepares each one for the model.

    The photo's uneven light is divided out first (see `core.background`), and lines far longer than a
    digit (the page's edge, ruled lines) and small scraps at the picture's border are dropped (see
    `rule_lines`, `border_scraps`). Ink blobs are grouped into
    digits (see `group_pieces`): a 5's detached flag, a 4 drawn in two strokes
    or a stroke with a gap stay one digit, and lone specks are dropped. Digits whose vertical extents
    overlap form a text line (see `reading_order`); a small mark in a line of its own beside a sheet's lines
    is a stray mark, and is dropped (see `stray_marks`). Digits that touch each other come out as one, with
    the ways of cutting it apart in `SegmentedDigit.splits` when it is far wider than the rest
    (`TOUCHING_WIDTHS`): the model chooses (`core.reading.split_touching_digits`).

    Args:
        image: uint8 `(H, W)` grey, `(H, W, 3)` RGB or `(H, W, 4)` RGBA, any size; light ink on dark or
            dark ink on light, as for `preprocess_digit`.

    Returns:
        The digits in reading order: lines top to bottom, each line left to right. Each digit's steps
        carry the names `preprocess_digit` uses, cut to the digit's box.

    Raises:
        NoInkError: No digit could be found (blank, uniform, or only specks).
        ValueError: `image` is not a uint8 array of one of the shapes above.
    """
    full_gray = to_grayscale(image)  # (H, W) uint8, validates the image
    gray = shrunk_to_working_size(full_gray)  # (h, w) uint8
    on_paper = keep_paper(gray)  # (h, w) uint8, the table round a page painted over
    bright = flatten_background(normalise_polarity(on_paper))  # (h, w) uint8, ink bright on dark, even light
    pieces_allowed = max(MAX_INK_PIECES, gray.size // PIECE_ROOM**2)  # a sheet holds 100 digits and more
    mask = ink_mask(bright, pieces_allowed)  # (h, w) uint8 255 on ink, raises NoInkError
    mask = drop_solid_areas(add_faint_digits(bright, mask, pieces_allowed))
    thresholded = suppress_background(bright, mask)  # (h, w) uint8, background 0
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    piece_boxes = _corners(stats[1:, :4])  # (pieces, 4) int: left, top, right, bottom (exclusive)
    stroke = stroke_width(mask > 0)
    page_marks = rule_lines(piece_boxes, stroke, mask.shape) | border_scraps(piece_boxes, stroke, mask.shape)
    digit_like = ~page_marks & ~edge_slivers(piece_boxes, mask.shape)  # (pieces,) bool
    if not digit_like.any():
        digit_like[:] = True  # nothing but slivers: read what there is, as `preprocess_digit` would
    group_of_piece = np.full(len(piece_boxes), -1)  # (pieces,) int, -1 dropped
    group_of_piece[digit_like] = group_pieces(piece_boxes[digit_like], stroke)
    group_boxes = _group_boxes(piece_boxes, group_of_piece)  # (groups, 4)
    ordered = reading_order(group_boxes)  # [(group, line)]
    strays = stray_marks(group_boxes, ordered)  # (groups,) bool
    if strays.any():
        kept = np.flatnonzero(~strays)
        ordered = [(int(kept[index]), line) for index, line in reading_order(group_boxes[kept])]

    # Label 0 is the background; pixels of dropped pieces map to -1 like it.
    group_of_label = np.concatenate([[-1], group_of_piece]).astype(np.int32)
    cutter = _DigitCutter(image, full_gray, gray, thresholded, labels, group_of_label)
    typical_width = _typical_width(group_boxes)
    digits = []
    for group, line in ordered:
        left, top, right, bottom = (int(value) for value in group_boxes[group])
        whole = cutter.cut(group, (left, top, right, bottom), line)
        splits = ()
        if typical_width is not None and right - left >= TOUCHING_WIDTHS * typical_width:
            ink = cutter.own(group, (left, top, right, bottom)).sum(axis=0)  # (width,) ink pixels per column
            splits = tuple(
                tuple(
                    cutter.cut(group, (left + start, top, left + end, bottom), line, start > 0, end < right - left)
                    for start, end in parts
                )
                for parts in touching_cuts(ink, typical_width)
            )
            logger.debug("a digit %.1f typical widths wide may be touching digits", (right - left) / typical_width)
        digits.append(SegmentedDigit(box=whole.box, preprocessed=whole.preprocessed, splits=splits))
    return digits


class _DigitCutter:
    """Cuts one digit, or a range of its columns, out of the picture `segment_digits` worked on."""

    def __init__(
        self,
        image: np.ndarray,
        full_gray: np.ndarray,
        gray: np.ndarray,
        thresholded: np.ndarray,
        labels: np.ndarray,
        group_of_label: np.ndarray,
    ) -> None:
        self.image, self.gray, self.thresholded = image, gray, thresholded
        self.labels, self.group_of_label = labels, group_of_label  # (h, w) piece labels; group of each label
        self.original = image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image
        self.scale_x, self.scale_y = image.shape[1] / gray.shape[1], image.shape[0] / gray.shape[0]
        # A picture shrunk to working size gives its digits' pixels at full size (see `core.full_resolution`).
        self.full_gray = full_gray if full_gray.shape != gray.shape else None

    def own(self, group: int, box: tuple[int, int, int, int]) -> np.ndarray:
        """`(bottom - top, right - left)` uint8, 1 on the group's ink inside `box` (left, top, right, bottom)."""
        left, top, right, bottom = box
        return (self.group_of_label[self.labels[top:bottom, left:right]] == group).astype(np.uint8)

    def cut(
        self, group: int, box: tuple[int, int, int, int], line: int, cut_left: bool = False, cut_right: bool = False
    ) -> SegmentedDigit:
        """The group's ink inside `box`, cut out and finished as a digit of text line `line`.

        `box` is the group's box, or a range of its columns (one of touching digits): then its rows shrink
        to the ink in those columns, and the rim of anti-aliased ink stops at a side cut from a neighbour
        (`cut_left`, `cut_right`), not to take the neighbour's stroke."""
        left, top, right, bottom = box
        rows = np.flatnonzero(self.own(group, box).any(axis=1))
        top, bottom = top + int(rows[0]), top + int(rows[-1]) + 1
        # One pixel of margin keeps the anti-aliased rim that `suppress_background` kept around the ink.
        window = np.s_[max(top - 1, 0) : bottom + 1, max(left - 1, 0) : right + 1]
        own = (self.group_of_label[self.labels[window]] == group).astype(np.uint8)  # (wh, ww) 1 on this digit
        margin_left = left - window[1].start  # 0 or 1 columns left of the box in the window
        # Only the box's columns are this digit's: the rest of a blob of touching digits is its neighbours'.
        own[:, :margin_left] = 0
        own[:, margin_left + right - left :] = 0
        rim = cv2.dilate(own, _DILATE_KERNEL)
        if cut_left:
            rim[:, :margin_left] = 0  # the column left of a cut holds the neighbour's ink
        if cut_right:
            rim[:, margin_left + right - left :] = 0
        # Masking to this digit's own blobs keeps a neighbour's stroke out of its cut-out.
        if self.full_gray is None:
            gray = self.gray[window]  # (wh, ww) uint8
            cut = cv2.bitwise_and(self.thresholded[window], self.thresholded[window], mask=rim)  # (wh, ww) uint8
        else:
            gray = self.full_gray[full_size_window(window, (self.scale_x, self.scale_y), self.full_gray.shape)]
            cut = grade_ink(gray, own, rim)  # (H', W') uint8, the window at full size
        cropped = crop_to_ink(cut)  # (ink height, ink width) uint8
        finishing_steps, model_input = finish_digit(cropped)
        found = _original_box(left, top, right, bottom, self.scale_x, self.scale_y, self.image.shape, line)
        steps = (
            PreprocessStep("original", self.original[found.top : found.bottom, found.left : found.right].copy()),
            PreprocessStep("grayscale", gray.copy()),
            PreprocessStep("thresholded", cut),
            PreprocessStep("cropped", cropped),
            *finishing_steps,
        )
        return SegmentedDigit(box=found, preprocessed=PreprocessedDigit(steps=steps, model_input=model_input))


def _typical_width(boxes: np.ndarray) -> float | None:
    """The median width of the digits, or None with fewer than `RULE_MIN_PIECES` digits to judge by."""
    return float(np.median(boxes[:, 2] - boxes[:, 0])) if len(boxes) >= RULE_MIN_PIECES else None


def touching_cuts(ink: np.ndarray, typical_width: float) -> list[list[tuple[int, int]]]:
    """The ways of cutting a blob of touching digits into 2 digits, 3, ... up to its width in typical
    digits (rounded, at least 2), for the model to choose from (see `SegmentedDigit.splits`).

    Digits touch where a column holds little ink, so cuts fall at columns of less ink than both their
    neighbours (the middle of a run of equal columns): every combination of the `TOUCHING_CANDIDATES`
    lowest such columns that leaves each part at least `TOUCHING_MIN_PART` typical widths wide.

    Args:
        ink: `(width,)` the blob's ink pixels per column.
        typical_width: the typical digit's width in pixels.

    Returns:
        Each way as its parts' column ranges `(start, end)` in the blob, left to right; fewer parts first.
    """
    width = len(ink)
    narrowest = max(int(np.ceil(TOUCHING_MIN_PART * typical_width)), 1)
    padded = np.concatenate([[np.inf], ink.astype(float), [np.inf]])
    candidates = []
    column = 0
    while column < width:  # runs of equal ink lower than both neighbours
        end = column
        while end + 1 < width and ink[end + 1] == ink[column]:
            end += 1
        middle = (column + end + 1) // 2
        if padded[column] > ink[column] < padded[end + 2] and narrowest <= middle <= width - narrowest:
            candidates.append(middle)
        column = end + 1
    candidates = sorted(sorted(candidates, key=lambda cut: ink[cut])[:TOUCHING_CANDIDATES])
    ways = []
    for count in range(2, max(2, round(width / typical_width)) + 1):
        for cuts in itertools.combinations(candidates, count - 1):
            bounds = [0, *cuts, width]
            if min(np.diff(bounds)) >= narrowest:
                ways.append(list(zip(bounds[:-1], bounds[1:])))
    return ways


def add_faint_digits(bright: np.ndarray, mask: np.ndarray, max_pieces: int) -> np.ndarray:
    """The ink mask with the digits written fainter than the rest added (see `FAINT_SHARE`).

    One threshold for the whole picture keeps the boldest digits and breaks faint ones (a thin pen, a
    light hand, the page's dim side) into specks, which are dropped. Where such a digit stands, a lower
    threshold finds it whole. A faint stroke of a digit whose other strokes are bold (a 4's arm written
    lighter than its stem) touches the ink found: it is added when it reaches a stroke's worth beyond that
    ink (`FAINT_STROKE_SHARE`). Nothing faint at the picture's border is added. What else the lower
    threshold finds (light left over by `flatten_background`, the paper's grain, the rim round bold ink)
    is an area `SOLID_STROKES` times wider than the ink's strokes, smaller than the pieces of ink found,
    or taller or wider than their digits and rows (`FAINT_TALL_SHARE`, `FAINT_ROW_SHARE`): that is left out.

    Args:
        bright: `(H, W)` uint8, ink bright on dark, the picture `mask` was found in.
        mask: `(H, W)` uint8, 255 on ink (see `ink_mask`).
        max_pieces: more faint pieces than this are noise or texture: none are added.

    Returns:
        `(H, W)` uint8, `mask` or a copy with the faint digits' pieces added.
    """
    blurred = cv2.GaussianBlur(bright, (3, 3), 0)  # as `ink_mask` thresholds it
    faint = (blurred > FAINT_SHARE * ink_threshold(blurred)).astype(np.uint8)
    labels, stats, widths = _pieces_and_widths(faint)
    _, ink_stats, ink_widths = _pieces_and_widths(mask)
    areas = stats[1:, cv2.CC_STAT_AREA]  # (faint pieces,)
    ink_area = float(np.median(ink_stats[1:, cv2.CC_STAT_AREA]))
    ink_side = ink_stats[1:, 2:4].max()  # the largest ink piece's longer side
    stroke = float(np.median(ink_widths))
    digit_like = (
        (areas >= FAINT_AREA_SHARE * ink_area)
        & (stats[1:, cv2.CC_STAT_HEIGHT] <= FAINT_TALL_SHARE * ink_side)
        & (stats[1:, cv2.CC_STAT_WIDTH] <= FAINT_ROW_SHARE * ink_side)
        & (widths < SOLID_STROKES * stroke)
    )  # (faint pieces,) bool
    near_ink = cv2.dilate(mask, _DILATE_KERNEL) > 0  # (H, W) the ink found, and what touches it
    area_beyond_ink = np.bincount(labels[~near_ink], minlength=len(stats))[1:]  # (faint pieces,)
    # Apart from the ink (all of the piece beyond it), or adding a stroke or more to it.
    new_ink = (area_beyond_ink == areas) | (area_beyond_ink >= FAINT_STROKE_SHARE * ink_area)  # (faint pieces,) bool
    # Faint at the picture's border is the page's edge, a binder or a shadow, not a digit cut off there.
    away_from_border = ~_at_border(_corners(stats[1:, :4]), mask.shape)
    added = np.concatenate([[False], digit_like & new_ink & away_from_border])  # (faint pieces + 1,) by label
    if not added.any() or np.count_nonzero(added) > max_pieces:
        return mask
    logger.debug("%d faint pieces added to the ink", np.count_nonzero(added))
    return np.where(added[labels], 255, mask).astype(np.uint8)


def drop_solid_areas(mask: np.ndarray) -> np.ndarray:
    """The ink mask without its pieces that are areas, not strokes (see `SOLID_SHARE`, `SOLID_STROKES`):
    the corners of a cast shadow that dividing out the light left behind.

    A piece's mean width is 2 * area / perimeter (its boundary pixels), as `stroke_width` takes it.
    With no piece stroke-like to compare with, the mask is returned as it is.

    Args:
        mask: `(H, W)` uint8, 255 on ink.

    Returns:
        `(H, W)` uint8, `mask` or a copy without the solid pieces.
    """
    labels, stats, widths = _pieces_and_widths(mask)
    shares = widths / np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    strokes = shares < SOLID_SHARE
    if not strokes.any():
        return mask
    solid = ~strokes & (widths >= SOLID_STROKES * float(np.median(widths[strokes])))  # (pieces,) bool
    if not solid.any():
        return mask
    logger.debug("%d of %d pieces are solid areas (shadows' corners), not strokes", solid.sum(), len(solid))
    return np.where(np.concatenate([[False], solid])[labels], 0, mask).astype(np.uint8)


def _pieces_and_widths(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A mask's pieces (8-connected): their labels `(H, W)`, OpenCV stats `(pieces + 1, 5)` with the
    background first, and their mean widths `(pieces,)` in pixels, 2 * area / perimeter (boundary pixels)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boundary = (mask > 0) & (cv2.erode(mask, _DILATE_KERNEL, borderType=cv2.BORDER_CONSTANT, borderValue=0) == 0)
    perimeters = np.bincount(labels[boundary], minlength=count)[1:]  # (pieces,)
    return labels, stats, 2.0 * stats[1:, cv2.CC_STAT_AREA] / np.maximum(perimeters, 1)


def group_pieces(boxes: np.ndarray, stroke: float) -> np.ndarray:
    """Decides which ink blobs belong to the same digit, from their bounding boxes alone.

    First, pieces stacked one above the other are merged (see `_stacked`), repeatedly, as the merged
    boxes grow. Then each fragment (a piece too flat, thin or small to be a digit: see `_fragments`) joins
    the nearest group within `NEAR_STROKES` stroke widths; a fragment only ever joins one group, so a
    fragment lying between two digits cannot weld them together. Fragments left alone are specks and are
    dropped, unless nothing else was found: then everything is one digit, as `preprocess_digit` sees it.

    Args:
        boxes: `(n, 4)` int blob boxes as left, top, right, bottom (right and bottom exclusive).
        stroke: typical stroke width in pixels (see `stroke_width`).

    Returns:
        `(n,)` int group of each blob, numbered 0.. without gaps; -1 for dropped specks.
    """
    count = len(boxes)
    group_of_piece = np.arange(count)
    stroke = max(stroke, 1.0)

    while True:  # Merging can make a box overlap a neighbour it did not before; stop when nothing changes.
        group_boxes = _group_boxes(boxes, group_of_piece)  # (groups, 4)
        links = _stacked(group_boxes, stroke)  # (groups, groups) bool
        if not links.any():
            break
        group_of_piece = _merge(group_of_piece, np.argwhere(links))

    # Fixed from here on, so that a fragment joining a digit cannot turn other digits into fragments.
    digit_height = _digit_height(_group_boxes(boxes, group_of_piece), stroke)

    while True:  # Chains of fragments (a dashed stroke) join up one link per round.
        group_boxes = _group_boxes(boxes, group_of_piece)
        fragments = np.flatnonzero(_fragments(group_boxes, stroke, digit_height))
        if len(group_boxes) < 2 or len(fragments) == 0:
            break
        gaps = _box_gaps(group_boxes)  # (groups, groups) float, inf on the diagonal
        nearest = gaps[fragments].argmin(axis=1)  # (fragments,)
        close = gaps[fragments, nearest] <= NEAR_STROKES * stroke
        if not close.any():
            break
        group_of_piece = _merge(group_of_piece, np.stack([fragments[close], nearest[close]], axis=1))

    keep = ~_fragments(_group_boxes(boxes, group_of_piece), stroke, digit_height)
    if not keep.any():
        return np.zeros(count, int)
    new_number = np.where(keep, np.cumsum(keep) - 1, -1)  # (groups,) kept groups renumbered 0..
    return new_number[group_of_piece]


def rule_lines(boxes: np.ndarray, stroke: float, shape: tuple[int, int]) -> np.ndarray:
    """Which pieces are lines, not digits: `(n,)` bool. Judged only beside at least `RULE_MIN_PIECES`
    pieces `FRAGMENT_STROKES` strokes tall or more, whose median height is the typical digit's: a piece
    is a line when its longer side exceeds `RULE_LENGTH_SHARE` times that height, or when it touches the
    picture's border and is `EDGE_ASPECT` times longer than wide (a stretch of the page's edge).

    A long line would otherwise set the scale that fragments are judged by, and every digit beside
    a page's edge would be dropped as too small.

    Args:
        boxes: `(n, 4)` int piece boxes as left, top, right, bottom.
        stroke: typical stroke width in pixels.
        shape: the picture's (height, width), in the boxes' pixels.
    """
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    typical = _typical_piece_height(heights, stroke)
    if typical is None:
        return np.zeros(len(boxes), bool)
    longer, shorter = np.maximum(widths, heights), np.maximum(np.minimum(widths, heights), 1)
    lines = (longer > RULE_LENGTH_SHARE * typical) | (_at_border(boxes, shape) & (longer >= EDGE_ASPECT * shorter))
    if lines.any():
        logger.debug("%d of %d pieces are lines (paper edges, rules), not digits", lines.sum(), len(boxes))
    return lines


def border_scraps(boxes: np.ndarray, stroke: float, shape: tuple[int, int]) -> np.ndarray:
    """Which pieces are scraps at the picture's border: `(n,)` bool, true where a piece touches the border
    and its longer side is under `SCRAP_SHARE` of the typical digit's height. Judged, with the same
    arguments, only where `rule_lines` judges: beside `RULE_MIN_PIECES` digit-tall pieces."""
    longer = (boxes[:, 2:4] - boxes[:, 0:2]).max(axis=1)  # (n,)
    typical = _typical_piece_height(boxes[:, 3] - boxes[:, 1], stroke)
    if typical is None:
        return np.zeros(len(boxes), bool)
    return _at_border(boxes, shape) & (longer < SCRAP_SHARE * typical)


def stray_marks(boxes: np.ndarray, ordered: list[tuple[int, int]]) -> np.ndarray:
    """Which digits are stray marks (a smudge, a slip of the pen) that `reading_order` put in a line of
    their own: `(n,)` bool. On a sheet of `STRAY_MIN_LINES` lines of several digits or more, a line of one
    mark whose longer side is under `STRAY_SHARE` of the median digit's height is no digit.

    Args:
        boxes: `(n, 4)` int digit boxes as left, top, right, bottom.
        ordered: `reading_order(boxes)`.
    """
    members: dict[int, list[int]] = {}
    for index, line in ordered:
        members.setdefault(line, []).append(index)
    strays = np.zeros(len(boxes), bool)
    if sum(len(line) > 1 for line in members.values()) < STRAY_MIN_LINES:
        return strays
    longer = (boxes[:, 2:4] - boxes[:, 0:2]).max(axis=1)  # (n,)
    typical = float(np.median(boxes[:, 3] - boxes[:, 1]))
    lone = [line[0] for line in members.values() if len(line) == 1]
    strays[lone] = longer[lone] < STRAY_SHARE * typical
    if strays.any():
        logger.debug("lines of one mark %s px long beside digits %.1f px tall: stray marks", longer[strays].tolist(), typical)
    return strays


def _typical_piece_height(heights: np.ndarray, stroke: float) -> float | None:
    """The median height of the pieces `FRAGMENT_STROKES` strokes tall or more, or None with fewer than
    `RULE_MIN_PIECES` of them (they may be the broken strokes of one digit)."""
    tall = heights >= FRAGMENT_STROKES * max(stroke, 1.0)
    return float(np.median(heights[tall])) if np.count_nonzero(tall) >= RULE_MIN_PIECES else None


def _at_border(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which boxes touch the picture's border: `(n,)` bool."""
    return (boxes[:, 0] <= 0) | (boxes[:, 1] <= 0) | (boxes[:, 2] >= shape[1]) | (boxes[:, 3] >= shape[0])


def edge_slivers(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which pieces are slivers along one side of the picture (see `SLIVER_ASPECT`): `(n,)` bool.

    Args:
        boxes: `(n, 4)` int piece boxes as left, top, right, bottom.
        shape: the picture's (height, width), in the boxes' pixels.
    """
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    left, right = boxes[:, 0] <= 0, boxes[:, 2] >= shape[1]
    top, bottom = boxes[:, 1] <= 0, boxes[:, 3] >= shape[0]
    upright = (left ^ right) & (heights >= SLIVER_ASPECT * np.maximum(widths, 1))
    lying = (top ^ bottom) & (widths >= SLIVER_ASPECT * np.maximum(heights, 1))
    return upright | lying


def _fragments(boxes: np.ndarray, stroke: float, digit_height: float) -> np.ndarray:
    """Which boxes are too flat, too thin or too small to be a digit on their own: `(n,)` bool.

    Args:
        boxes: `(n, 4)` as left, top, right, bottom.
        stroke: typical stroke width in pixels.
        digit_height: the typical digit's height (see `_digit_height`).
    """
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return (
        (heights < min(FRAGMENT_STROKES * stroke, FLAT_SHARE * digit_height))
        | ((widths < HAIRLINE_STROKES * stroke) & (heights < THIN_ONE_SHARE * digit_height))
        | (np.maximum(widths, heights) < FRAGMENT_SHARE * digit_height)
    )


def _digit_height(boxes: np.ndarray, stroke: float) -> float:
    """The typical digit's height, the scale fragments are judged against: the median height of the
    boxes that are neither hairlines nor flatter than `FRAGMENT_STROKES` strokes (else the tallest box
    that is not a hairline). Not the tallest box: beside a 7 or a 9 whose stem runs far below the line,
    the 0s and 1s of a sheet of numbers measured as fragments and were dropped."""
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    candidates = heights[widths >= HAIRLINE_STROKES * stroke]
    if not len(candidates):
        return float(heights.max())
    tall = candidates[candidates >= FRAGMENT_STROKES * stroke]
    return float(np.median(tall) if len(tall) else candidates.max())


def reading_order(boxes: np.ndarray) -> list[tuple[int, int]]:
    """Sorts digit boxes into text lines, top to bottom, and each line left to right.

    The boxes are first sheared by the text's slope (see `text_slope`), so that a steeply slanting row
    runs level. Then lines are followed left to right: a digit joins the line whose last digit so far its
    vertical extent overlaps most, if that overlap is at least `LINE_OVERLAP_SHARE` of the shorter of the
    two; otherwise it starts a new line. Comparing with the last digit, not the whole line, keeps a line
    whose slope changes (a page's perspective) together and apart from the line below. A digit written
    higher or lower than its neighbour, which starts a line of its own that way, joins its line after all
    (see `join_side_by_side_lines`). Two numbers written side by side are two lines (see `split_at_wide_gaps`).

    Args:
        boxes: `(n, 4)` int digit boxes as left, top, right, bottom.

    Returns:
        `(index into boxes, line number)` for every box, in reading order.
    """
    lines: list[list[int]] = []  # digits of each line, left to right
    centres_x = (boxes[:, 0] + boxes[:, 2]) / 2
    drop = text_slope(boxes) * centres_x  # (n,) float: how far the slope carries each box down
    tops, bottoms = boxes[:, 1] - drop, boxes[:, 3] - drop  # (n,) float, the row levelled
    for index in np.argsort(centres_x, kind="stable"):
        top, bottom = tops[index], bottoms[index]
        best, best_overlap = -1, 0.0
        for number, line in enumerate(lines):
            line_top, line_bottom = tops[line[-1]], bottoms[line[-1]]
            overlap = min(bottom, line_bottom) - max(top, line_top)
            needed = LINE_OVERLAP_SHARE * min(bottom - top, line_bottom - line_top)
            if overlap >= needed and overlap > best_overlap:
                best, best_overlap = number, overlap
        if best < 0:
            lines.append([int(index)])
        else:
            lines[best].append(int(index))
    lines = join_side_by_side_lines(lines, boxes[:, 0], boxes[:, 2], tops, bottoms)
    centres_y = (tops + bottoms) / 2
    lines = sorted(lines, key=lambda line: float(np.mean(centres_y[line])))
    lines = split_at_wide_gaps(lines, boxes[:, 0], boxes[:, 2], float(np.median(bottoms - tops)) if len(boxes) else 0.0)
    return [(index, line_number) for line_number, line in enumerate(lines) for index in line]


def split_at_wide_gaps(lines: list[list[int]], lefts: np.ndarray, rights: np.ndarray, digit_height: float) -> list[list[int]]:
    """Splits each line where a gap between neighbouring digits is far wider than the line's spacing:
    `WIDE_GAP_SPACINGS` times the median gap between its neighbours, and `WIDE_GAP_HEIGHTS` times the
    typical digit's height. Two numbers written side by side on a row are two lines, the left one first.

    Digits spaced wide but evenly (a number written with room between its digits) set their line's median
    gap themselves, and stay one line; so does a line of two digits, whose only gap is its median.

    Args:
        lines: the digits of each line, left to right, as indices into `lefts` and `rights`; in reading order.
        lefts, rights: `(n,)` each digit's first and past-last column.
        digit_height: the typical digit's height in pixels.

    Returns:
        The lines in reading order, each part of a split line in its place, left part first.
    """
    parts = []
    for line in lines:
        gaps = lefts[line[1:]] - rights[line[:-1]]  # (len(line) - 1,) px, negative where boxes overlap
        wide = max(WIDE_GAP_SPACINGS * float(np.median(gaps)), WIDE_GAP_HEIGHTS * digit_height) if len(gaps) else 0.0
        cuts = [0, *(np.flatnonzero(gaps > wide) + 1).tolist(), len(line)]
        parts.extend(line[start:end] for start, end in itertools.pairwise(cuts))
    if len(parts) > len(lines):
        logger.debug("%d lines split at wide gaps into %d", len(lines), len(parts))
    return parts


def join_side_by_side_lines(
    lines: list[list[int]], lefts: np.ndarray, rights: np.ndarray, tops: np.ndarray, bottoms: np.ndarray
) -> list[list[int]]:
    """Joins lines that lie wholly side by side and whose bands overlap by `LINE_JOIN_SHARE` of the shorter.

    A line's band runs from its highest digit's top to its lowest digit's bottom. Lines one under the
    other overlap in their columns, so however close they are written they are never joined; a 1 written
    higher than the rest of its row, or a split digit's piece, starts a line only beside its own.
    The best overlapping pair is joined first, until no pair is left.

    Args:
        lines: the digits of each line, left to right, as indices into the other arguments.
        lefts, rights: `(n,)` each digit's first and past-last column.
        tops, bottoms: `(n,)` float, each digit's top and bottom with the text's slope levelled out.

    Returns:
        The lines, each still left to right.
    """
    lines = [list(line) for line in lines]
    while True:
        best, best_share = None, LINE_JOIN_SHARE
        extents = [(lefts[line].min(), rights[line].max(), tops[line].min(), bottoms[line].max()) for line in lines]
        for first in range(len(lines)):
            for second in range(first + 1, len(lines)):
                left_a, right_a, top_a, bottom_a = extents[first]
                left_b, right_b, top_b, bottom_b = extents[second]
                if left_a < right_b and left_b < right_a:
                    continue  # their columns overlap: one line under the other
                overlap = min(bottom_a, bottom_b) - max(top_a, top_b)
                share = overlap / min(bottom_a - top_a, bottom_b - top_b)
                if share >= best_share:
                    best, best_share = (first, second), share
        if best is None:
            return lines
        first, second = best
        joined = sorted(lines[first] + lines[second], key=lambda index: lefts[index] + rights[index])
        lines = [line for number, line in enumerate(lines) if number not in best] + [joined]


def text_slope(boxes: np.ndarray) -> float:
    """How far the text drops per pixel to the right: the median slope from each digit to its nearest
    neighbour to the right within 45 degrees of level; 0 with fewer than `SLOPE_MIN_PAIRS` such pairs, or
    when their slopes disagree (`SLOPE_SPREAD`).

    A digit's nearest neighbour that way is the next digit of its own line, while lines are further apart
    than digits in a line; a row written (or photographed) at 35 degrees came out as four lines.

    Args:
        boxes: `(n, 4)` int digit boxes as left, top, right, bottom.
    """
    centres_x, centres_y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    right = centres_x[None, :] - centres_x[:, None]  # (n, n): from each digit (row) to each other (column)
    down = centres_y[None, :] - centres_y[:, None]
    distances = np.where((right > 0) & (np.abs(down) <= right), np.hypot(right, down), np.inf)
    has_neighbour = np.isfinite(distances).any(axis=1) if len(boxes) else np.zeros(0, bool)
    if np.count_nonzero(has_neighbour) < SLOPE_MIN_PAIRS:
        return 0.0
    rows = np.flatnonzero(has_neighbour)
    nearest = distances[rows].argmin(axis=1)
    slopes = down[rows, nearest] / right[rows, nearest]  # (pairs,)
    low, high = np.percentile(slopes, (25, 75))
    return float(np.median(slopes)) if high - low <= SLOPE_SPREAD else 0.0


def _corners(stats: np.ndarray) -> np.ndarray:
    """OpenCV's (x, y, width, height) rows as (left, top, right, bottom), right and bottom exclusive."""
    boxes = stats.astype(np.int64)  # (n, 4)
    return np.stack([boxes[:, 0], boxes[:, 1], boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]], axis=1)


def _group_boxes(boxes: np.ndarray, group_of_piece: np.ndarray) -> np.ndarray:
    """The bounding box of each group's pieces; groups numbered 0..g-1, pieces in group -1 ignored."""
    kept = group_of_piece >= 0
    groups = int(group_of_piece.max()) + 1 if kept.any() else 0
    result = np.empty((groups, 4), np.int64)
    result[:, :2] = np.iinfo(np.int64).max
    result[:, 2:] = np.iinfo(np.int64).min
    np.minimum.at(result[:, 0], group_of_piece[kept], boxes[kept, 0])
    np.minimum.at(result[:, 1], group_of_piece[kept], boxes[kept, 1])
    np.maximum.at(result[:, 2], group_of_piece[kept], boxes[kept, 2])
    np.maximum.at(result[:, 3], group_of_piece[kept], boxes[kept, 3])
    return result


def _stacked(boxes: np.ndarray, stroke: float) -> np.ndarray:
    """Pairs of boxes that are pieces of one digit: `(n, n)` bool, False on the diagonal.

    That is: boxes that intersect by `INTERSECTION_SHARE` of the smaller one; boxes that overlap
    horizontally and touch or overlap vertically; and horizontally overlapping boxes at most
    `BREAK_GAP_STROKES` stroke widths apart vertically, when one is a fragment or when the gap between
    them is no line break: another digit spans it, or no other digit shares their rows.
    """
    left, top, right, bottom = (boxes[:, column] for column in range(4))
    x_overlap = np.minimum(right[:, None], right[None, :]) - np.maximum(left[:, None], left[None, :])
    narrower = np.minimum((right - left)[:, None], (right - left)[None, :])
    y_gap = np.maximum(top[:, None], top[None, :]) - np.minimum(bottom[:, None], bottom[None, :])  # (n, n)
    aligned = x_overlap >= OVERLAP_SHARE * narrower
    areas = (right - left) * (bottom - top)  # (n,)
    intersection = np.maximum(x_overlap, 0) * np.maximum(-y_gap, 0)  # (n, n)
    links = (intersection >= INTERSECTION_SHARE * np.minimum(areas[:, None], areas[None, :])) | (aligned & (y_gap <= 0))

    fragment = _fragments(boxes, stroke, _digit_height(boxes, stroke))  # (n,)
    near = aligned & (y_gap > 0) & (y_gap <= BREAK_GAP_STROKES * stroke)
    for first, second in np.argwhere(np.triu(near)):
        if fragment[first] or fragment[second]:
            links[first, second] = links[second, first] = True
            continue
        # Two whole-looking digits, one above the other: a broken stroke, or two lines of text?
        gap_top, gap_bottom = min(bottom[first], bottom[second]), max(top[first], top[second])
        others = ~fragment
        others[[first, second]] = False
        spans_gap = others & (top <= gap_top) & (bottom >= gap_bottom)
        beside = others & (
            (np.minimum(bottom, bottom[first]) > np.maximum(top, top[first]))
            | (np.minimum(bottom, bottom[second]) > np.maximum(top, top[second]))
        )
        if spans_gap.any() or not beside.any():
            links[first, second] = links[second, first] = True
    np.fill_diagonal(links, False)
    return links


def _box_gaps(boxes: np.ndarray) -> np.ndarray:
    """Euclidean distance between every two boxes (0 when they touch or overlap), inf on the diagonal."""
    left, top, right, bottom = (boxes[:, column] for column in range(4))
    x_gap = np.maximum(0, np.maximum(left[:, None] - right[None, :], left[None, :] - right[:, None]))
    y_gap = np.maximum(0, np.maximum(top[:, None] - bottom[None, :], top[None, :] - bottom[:, None]))
    gaps = np.hypot(x_gap, y_gap)  # (n, n) float
    np.fill_diagonal(gaps, np.inf)
    return gaps


def _merge(group_of_piece: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Joins the groups named in `pairs` (union-find) and renumbers the groups 0.. without gaps."""
    parent = list(range(int(group_of_piece.max()) + 1))

    def root(group: int) -> int:
        while parent[group] != group:
            parent[group] = parent[parent[group]]
            group = parent[group]
        return group

    for first, second in pairs:
        parent[root(int(first))] = root(int(second))
    roots = np.array([root(group) for group in range(len(parent))])
    _, renumbered = np.unique(roots, return_inverse=True)
    return renumbered[group_of_piece]


def _original_box(
    left: int, top: int, right: int, bottom: int, scale_x: float, scale_y: float, shape: tuple[int, ...], line: int
) -> DigitBox:
    """A working-size box mapped back onto the original image (it differs when a big image was shrunk)."""
    height, width = shape[:2]
    original_left = min(int(np.floor(left * scale_x)), width - 1)
    original_top = min(int(np.floor(top * scale_y)), height - 1)
    original_right = max(min(int(np.ceil(right * scale_x)), width), original_left + 1)
    original_bottom = max(min(int(np.ceil(bottom * scale_y)), height), original_top + 1)
    return DigitBox(
        left=original_left,
        top=original_top,
        width=original_right - original_left,
        height=original_bottom - original_top,
        line=line,
    )

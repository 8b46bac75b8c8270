"""Remove the paper's uneven light from a photo before its ink is thresholded.

A phone photo's paper is not one grey: a lamp, the phone's own shadow and vignetting make it darker in
places than the ink is elsewhere, so one global threshold (Otsu) takes whole shadows for ink. The paper's
light changes slowly and the pen's strokes are narrow, so a grey-level opening with a window much wider
than a stroke keeps the light and loses the ink: that is the background, and it is divided out.

Evenly lit pictures (a canvas, a clean scan) are returned untouched, so they keep the path they had.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from core.preprocessing import stroke_width

logger = logging.getLogger(__name__)

WINDOW_SHARE = 0.06
"""The opening's window as a share of the picture's longer side: wider than any pen stroke of a digit
that fills less than a third of the picture, narrower than the shadows and the light's changes.
Chosen on the development photos (`python -m bench.photos`): 0.04 to 0.06 read the most digits."""

STROKE_WINDOW = 3.0
"""The window is at least this many stroke widths (of a rough Otsu mask) wide: where strokes cross or
a marker's digit is drawn big, the ink is about twice a stroke wide, and the opening must lose it."""

EVEN_SPREAD = 12
"""Grey levels between the background's 2nd and 98th percentiles under which the light counts as even."""

MIN_PAPER_LEVEL = 64.0
"""Darker than this is no paper but the table, a fold's deep shadow or the picture's black edge: its
noise is not amplified more than 255 / this (4x), or it would come out as ink."""

STROKE_BLOBS = 50
"""The stroke width is the median over at most this many of the largest blobs."""

SOLID_SHARE = 0.3
"""A blob whose stroke is wider than this share of its longer side is no stroke but an area (a shadow
taken for ink, a table's corner): MNIST's strokes are 0.12 of the digit's longer side, p90 0.16. Counted,
one shadow beside a single digit made the window so wide that the opening took the shadow away."""

MAX_WINDOW_SHARE = 0.5
"""The window is at most this share of the picture's shorter side. A shadow across a line of digits is, to
Otsu, one blob with them, its "stroke" as wide as the shadow; three of those made a window wider than the
picture, the opening then lost the shadow with the ink, and a generated number under a cast shadow read
as one "not a digit". Chosen on the generated stress photos (`bench.photo_stress`, seeds 0-2): 0.5 beat 0.75
on the cast shadow and uneven light conditions taken together; on seeds 3 and 4, held out, cast shadow rose
from 90.7 and 91.4% to 96.0 and 97.5%, uneven light fell by 1.2 and 0.6 points."""

_SHRINK = 4
"""The background is estimated at a quarter of the size: it changes slowly, and this is 16x cheaper."""


def flatten_background(bright: np.ndarray) -> np.ndarray:
    """Takes the slowly changing light away from an ink-bright picture, leaving ink on about 0, its
    contrast as if the whole page were lit like its brightest part.

    Args:
        bright: `(H, W)` uint8, ink bright on dark (see `core.preprocessing.normalise_polarity`).

    Returns:
        `(H, W)` uint8: `bright` less its background, divided by the paper's level; or `bright` itself
        when the light is even.
    """
    small, side = _shrunk_with_window(bright)
    # Whether the light is even is judged without padding (see `_opened_background`): carried into the
    # padding, a stroke running along the picture's edge (a canvas 0 touching its sides) becomes a wide
    # bright band that the opening keeps, and a canvas would look unevenly lit.
    low, high = np.percentile(_opened_background(small, side, bright.shape, padded=False), (2, 98))
    if high - low < EVEN_SPREAD:
        return bright
    paper_light = _opened_background(small, side, bright.shape, padded=True)  # (H, W) uint8
    logger.debug("uneven light (background %d..%d): divided out", low, high)
    # Light multiplies: in a shadow the ink's contrast with the paper shrinks with the paper's brightness.
    # Dividing by the paper's own level (255 - background, in this ink-bright picture) restores it.
    contrast = cv2.subtract(bright, paper_light).astype(np.float32)
    paper = np.maximum(255.0 - paper_light.astype(np.float32), MIN_PAPER_LEVEL)
    return np.clip(contrast * (255.0 / paper), 0, 255).astype(np.uint8)


def _shrunk_with_window(bright: np.ndarray) -> tuple[np.ndarray, int]:
    """The picture shrunk `_SHRINK` times, and the side in shrunk pixels of the window that loses its ink:
    `WINDOW_SHARE` of the longer side or `STROKE_WINDOW` strokes, whichever is wider, but no wider than
    `MAX_WINDOW_SHARE` of the shorter side; odd."""
    height, width = bright.shape
    small = cv2.resize(bright, (max(1, width // _SHRINK), max(1, height // _SHRINK)), interpolation=cv2.INTER_AREA)
    _, rough_ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)  # (h, w) uint8 0/1
    widest = max(WINDOW_SHARE * max(small.shape), STROKE_WINDOW * typical_stroke(rough_ink))
    widest = min(widest, MAX_WINDOW_SHARE * min(small.shape))
    return small, max(3, round(widest) | 1)


def _opened_background(small: np.ndarray, side: int, shape: tuple[int, int], padded: bool) -> np.ndarray:
    """The picture without its ink: a grey-level opening (darkest level, then brightest) of the shrunk
    picture over a `side` window, scaled back to the full `shape`.

    `padded`: the picture is first carried one window beyond its border. Left to `morphologyEx`'s own
    border, the opening replicates the eroded picture's edge for the dilation, so a shadow whose edge meets
    the border at a slant lost a wedge there, and the wedge came out as ink (a cast shadow's single digit
    read as two lines, `9|1`).

    Returns:
        `shape` uint8.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    if padded:
        carried = cv2.copyMakeBorder(small, side, side, side, side, cv2.BORDER_REPLICATE)
        opened = cv2.morphologyEx(carried, cv2.MORPH_OPEN, kernel)[side:-side, side:-side]
    else:
        opened = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
    # Grown by one shrunk pixel, so that scaling back up cannot leave the dark side of a sharp edge (the
    # table beside the page, a shadow's rim) a little brighter than its background: a line of false ink.
    grown = cv2.dilate(opened, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
    height, width = shape
    return cv2.resize(grown, (width, height), interpolation=cv2.INTER_LINEAR)


def typical_stroke(mask: np.ndarray) -> float:
    """The median stroke width of a rough ink mask's largest blobs that are strokes, in pixels (0 without).

    Under uneven light a global threshold takes a whole shadow for one huge blob: counted by area it
    would swamp the strokes, counted as one blob among the digits' it is outvoted. Blobs too wide for
    strokes are left out, unless they are all there is (one bold mark on a canvas).

    Args:
        mask: `(H, W)` uint8, non-zero on (roughly) ink.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    largest = 1 + np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1][:STROKE_BLOBS]  # labels, biggest first
    all_widths, stroke_widths = [], []
    for label in largest:
        left, top, width, height = stats[label, :4]
        width_of_blob = stroke_width(labels[top : top + height, left : left + width] == label)
        all_widths.append(width_of_blob)
        if width_of_blob <= SOLID_SHARE * max(width, height):
            stroke_widths.append(width_of_blob)
    widths = stroke_widths or all_widths
    return float(np.median(widths)) if widths else 0.0

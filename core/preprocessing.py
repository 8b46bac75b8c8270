"""Turn a canvas drawing, photo or scan of one digit into the 28x28 input the model expects.

Follows the recipe MNIST was made with: ink bright on black, cropped, scaled so its longest side is 20 px
(keeping the grey levels), then placed in a 28x28 field with its centre of mass at pixel (14, 14).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from core.mnist_format import IMAGE_SIDE

logger = logging.getLogger(__name__)

BOX_SIZE = 20
CENTRE = 14.0
"""Row and column the centre of mass lands on: MNIST's own digits average (14.0, 14.0), spread +-0.5."""

MIN_INK_CONTRAST = 40
"""Grey levels the ink must stand out from the background by; less is paper texture or sensor noise."""

MIN_INK_PIXELS = 5
"""A largest ink blob smaller than this is a speck or a stray click, not a digit."""

SPECK_FRACTION = 0.05
"""Ink blobs smaller than this fraction of the largest blob are specks and are dropped."""

LINE_ASPECT = 20
"""A blob this many times longer than wide, across half the picture, is a line (a page's edge), no digit."""

MAX_INK_PIECES = 50
"""More separate ink blobs than this is noise or texture: a written digit has 1 to 3, a long number ~30."""

DOT_SPAN = 1.5
"""Canvas ink no longer than this many pen widths is a click (a dot), not a digit."""

MAX_WORKING_SIDE = 1024
"""Larger images are shrunk to this before thresholding: the result is 20 px tall, and a 12 MP photo
would otherwise cost ~100 ms and make every step image heavy to display."""

LATTICE_SPAN = 0.9
"""A blob spanning this share of the picture's width and height, with `LATTICE_CELLS` holes, is a grid."""

LATTICE_CELLS = 6
"""Holes a blob must enclose to be a grid: a digit has at most two, an 8's."""

STROKE_TARGET = 0.12
"""Stroke width as a share of the digit's longest side: MNIST's median (p10 0.084, p90 0.164)."""

STROKE_RANGE = (0.07, 0.17)
"""Outside this share a stroke is thinned or thickened to `STROKE_TARGET`; inside, it is left alone."""

STROKE_MIN_SIDE = 40
"""Crops smaller than this are left alone: at MNIST's own size a one-pixel erosion is too coarse."""

INK_PERCENTILE = 95
"""The ink's typical brightness is this percentile of its pixels: `suppress_background` maps it to 255."""

MAX_ASPECT = 2.5
"""Height over width within which 99% of MNIST's digits of every class but 1 stand (`bench.mnist_proportions`)."""

SLENDER_MIN_STROKES = 4
"""A digit this many strokes wide is no lone stroke: 0.7% of MNIST's 1s are, and taller than `MAX_ASPECT`."""

MIXED_BORDER = 0.2
"""A border level further than this share of the grey range from the darkest and the brightest pixel is
no background but a mix of paper and shadow or table (see `normalise_polarity`). On the photo stress set
(seed 0, 30 per condition) under a tenth of the photos lie between, all four the border misread among them."""

POLARITY_SIDE = 256
"""The ink's polarity is judged on a copy this long: smaller, a fine pen's strokes fade under a lamp's
gradient (at 128, a development photo's A4 sheet read as light ink: `1` for 17 digits)."""

SURROUNDINGS_SHARE = 0.25
"""A pixel's surroundings, for its polarity: a window this share of the picture's shorter side, wider
than strokes and the loops of digits, narrower than a shadow."""

STANDOUT = 20
"""Grey levels a pixel must differ from its surroundings by to count for the polarity: more than noise."""

_DILATE_KERNEL = np.ones((3, 3), np.uint8)


class NoInkError(ValueError):
    """The image holds no digit: it is blank, uniform, or holds only specks."""


@dataclass(frozen=True)
class PreprocessStep:
    """One intermediate image of the pipeline, for display."""

    name: str  # shown as caption on the Predict page
    image: np.ndarray  # uint8, 2-D grey or 3-D RGB(A)


@dataclass(frozen=True)
class PreprocessedDigit:
    """The pipeline's intermediate images and the array the model is fed."""

    steps: tuple[PreprocessStep, ...]
    model_input: np.ndarray  # (28, 28) float32 in [0, 1], white digit on black


def preprocess_digit(image: np.ndarray) -> PreprocessedDigit:
    """Runs the whole MNIST-style pipeline on one picture of a digit.

    Args:
        image: uint8 `(H, W)` grey, `(H, W, 3)` RGB or `(H, W, 4)` RGBA, any size. Light ink on dark,
            dark ink on light, and ink on transparent pixels all work.

    Returns:
        The steps "original", "grayscale", "thresholded", "cropped", "stroke width", "20px box",
        "centred 28x28", and the model input.

    Raises:
        NoInkError: No digit could be found (blank, uniform, or only specks).
        ValueError: `image` is not a uint8 array of one of the shapes above.
    """
    _check_image(image)
    gray = working_grayscale(image)  # (h, w) uint8, h and w <= MAX_WORKING_SIDE
    bright = normalise_polarity(gray)  # (h, w) uint8, ink bright on dark
    thresholded = suppress_background(bright, ink_mask(bright))  # (h, w) uint8, background 0
    cropped = crop_to_ink(thresholded)  # (ink height, ink width) uint8
    finishing_steps, model_input = finish_digit(cropped)
    steps = (
        PreprocessStep("original", image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image),
        PreprocessStep("grayscale", gray),
        PreprocessStep("thresholded", thresholded),
        PreprocessStep("cropped", cropped),
        *finishing_steps,
    )
    return PreprocessedDigit(steps=steps, model_input=model_input)


def finish_digit(cropped: np.ndarray) -> tuple[tuple[PreprocessStep, ...], np.ndarray]:
    """Turns one cropped digit into the model input: the second half of the MNIST recipe.

    Shared by `preprocess_digit` and `core.segmentation`, so a digit cut out of a row of digits is
    finished exactly like a digit drawn alone.

    Args:
        cropped: `(H, W)` uint8, ink bright on 0, cropped to the ink (see `crop_to_ink`).

    Returns:
        The steps "stroke width", "20px box" and "centred 28x28", and the `(28, 28)` float32 model
        input in [0, 1].

    Raises:
        NoInkError: `cropped` holds no ink.
    """
    stroked = crop_to_ink(normalise_stroke_width(widen_slender_digit(cropped)))  # (h, w) uint8, MNIST-like
    boxed = stretch_to_full_range(fit_to_box(stroked, BOX_SIZE))  # longest side 20, uint8, peak 255
    centred = centre_by_mass(place_in_frame(boxed, IMAGE_SIDE))  # (28, 28) uint8
    model_input = centred.astype(np.float32) / np.float32(255.0)  # (28, 28) float32 in [0, 1]
    steps = (
        PreprocessStep("stroke width", stroked),
        PreprocessStep("20px box", boxed),
        PreprocessStep("centred 28x28", centred),
    )
    return steps, model_input


def working_grayscale(image: np.ndarray) -> np.ndarray:
    """One grey channel (see `to_grayscale`), shrunk so its longest side is at most `MAX_WORKING_SIDE`.

    Raises:
        ValueError: `image` has an unsupported shape or dtype.
    """
    return shrunk_to_working_size(to_grayscale(image))


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Converts to one grey channel, flattening any alpha channel (see `composite_alpha`).

    Raises:
        ValueError: `image` has an unsupported shape or dtype.
    """
    _check_image(image)
    image = np.ascontiguousarray(image)  # OpenCV needs plain strides; a no-op for most arrays
    if image.ndim == 2:
        return image
    channels = image.shape[2]
    if channels == 1:
        return np.ascontiguousarray(image[..., 0])
    if channels == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)  # (H, W) uint8
    # Compositing is linear, so flattening the luminance equals flattening RGB first, on one channel not three.
    luminance = cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY)  # (H, W) uint8, alpha ignored
    return composite_alpha(luminance, cv2.extractChannel(image, 3))


def composite_alpha(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Flattens a grey image onto black or white, whichever contrasts with its opaque pixels.

    White strokes on transparent pixels (a canvas) go onto black; black ink on a transparent background
    goes onto white. Either way the digit stays visible. Fully transparent images go onto black.

    Args:
        gray: `(H, W)` uint8 colour of each pixel, ignoring its alpha.
        alpha: `(H, W)` uint8 opacity, 255 opaque.

    Returns:
        `(H, W)` uint8.
    """
    if alpha.min() == 255:
        return gray
    weights = alpha.ravel().astype(np.float32)
    total = float(weights.sum())
    opaque_mean = float(gray.ravel().astype(np.float32) @ weights) / total if total else 0.0
    if opaque_mean >= 128:
        return cv2.multiply(gray, alpha, scale=1 / 255)  # gray * alpha over black
    # Over white: invert, composite over black, invert back.
    return cv2.bitwise_not(cv2.multiply(cv2.bitwise_not(gray), alpha, scale=1 / 255))


def border_level(gray: np.ndarray) -> int:
    """Median grey level of the image's outer frame, taken as the background.

    The frame is 2% of the shorter side wide (at least 1 px). A digit touching one or two edges covers
    well under half of the frame, so the median still reads the background.
    """
    height, width = gray.shape
    band = max(1, round(0.02 * min(height, width)))
    frame = np.concatenate(
        [
            gray[:band].ravel(),
            gray[-band:].ravel(),
            gray[band:-band, :band].ravel(),
            gray[band:-band, -band:].ravel(),
        ]
    )
    return int(np.median(frame))


def normalise_polarity(gray: np.ndarray) -> np.ndarray:
    """Returns the grey image with the ink bright on a dark background, inverting it if needed.

    The background is read from the border; the ink is whichever extreme lies further from it. The
    extremes are taken after a light blur so one hot or dead pixel cannot flip the decision. A border
    level far from both extremes (`MIXED_BORDER`) is no background but a mix: a cast shadow over most
    of the border, or a strip of table along a long side, made the paper read as ink. Then the ink is
    what stands out of its own surroundings more, darker or brighter (see `standing_out`).
    """
    background = border_level(gray)
    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    darkest, brightest = int(blurred.min()), int(blurred.max())
    margin = MIXED_BORDER * (brightest - darkest)
    if darkest + margin < background < brightest - margin:
        darker, brighter = standing_out(gray)
        if darker != brighter:
            return cv2.bitwise_not(gray) if darker > brighter else gray
    if background - darkest > brightest - background:
        return cv2.bitwise_not(gray)
    return gray


def standing_out(gray: np.ndarray) -> tuple[float, float]:
    """How much the picture's pixels stand out darker, and brighter, than their surroundings (the median
    of a window `SURROUNDINGS_SHARE` of the shorter side): the sums of grey levels beyond `STANDOUT`,
    on a copy `POLARITY_SIDE` px long. A median follows the paper's light, shadows included, and ignores
    the ink, which fills less than half of any window that wide.
    """
    height, width = gray.shape
    scale = POLARITY_SIDE / max(height, width)
    small = cv2.resize(gray, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    window = max(3, round(SURROUNDINGS_SHARE * min(small.shape)) | 1)
    difference = small.astype(np.int16) - cv2.medianBlur(small, window)  # (h, w) int16
    return float(np.maximum(-difference - STANDOUT, 0).sum()), float(np.maximum(difference - STANDOUT, 0).sum())


def ink_mask(bright: np.ndarray, max_pieces: int = MAX_INK_PIECES) -> np.ndarray:
    """Finds the digit's ink in a bright-ink image: blur, threshold, drop specks.

    The threshold is Otsu's, but never below a quarter of the way from background to the brightest ink:
    when the image is almost all background, Otsu alone splits the background's noise in two. When what
    it keeps is a lattice (a single digit on squared paper, whose grid outweighs the ink), the ink is
    taken above a second Otsu threshold among the pixels kept, if that leaves no lattice.

    Args:
        bright: `(H, W)` uint8, ink bright on dark (see `normalise_polarity`).
        max_pieces: more ink blobs than this are noise (see `remove_specks`).

    Returns:
        `(H, W)` uint8 mask, 255 on ink and 0 elsewhere, specks removed.

    Raises:
        NoInkError: Nothing stands out from the background, or only specks do.
    """
    blurred = cv2.GaussianBlur(bright, (3, 3), 0)  # (H, W) uint8, sensor noise smoothed
    background = border_level(blurred)
    peak = int(blurred.max())
    if peak - background < MIN_INK_CONTRAST:
        raise NoInkError(
            "No digit found: the image is blank or too faint. Draw a digit, or upload a picture with clear ink."
        )
    threshold = ink_threshold(blurred)
    _, mask = cv2.threshold(blurred, threshold, 255, cv2.THRESH_BINARY)
    if _holds_a_lattice(mask):
        # Grid paper under a digit or two: Otsu split the paper from its grid, not the grid from the ink.
        above, _ = cv2.threshold(blurred[blurred > threshold], 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        _, above_grid = cv2.threshold(blurred, above, 255, cv2.THRESH_BINARY)
        if above_grid.any() and not _holds_a_lattice(above_grid):
            logger.debug("a lattice (grid paper) at threshold %.0f: the ink taken above it, at %.0f", threshold, above)
            mask = above_grid
    return remove_specks(mask, max_pieces)


def _holds_a_lattice(mask: np.ndarray) -> bool:
    """Whether one blob of the mask spans the picture both ways and encloses `LATTICE_CELLS` holes or more:
    a grid's lines, which no digit (two holes at most) or page edge (none) makes."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    wide = stats[1:, cv2.CC_STAT_WIDTH] >= LATTICE_SPAN * width
    tall = stats[1:, cv2.CC_STAT_HEIGHT] >= LATTICE_SPAN * height
    for label in np.flatnonzero(wide & tall) + 1:
        _, hierarchy = cv2.findContours((labels == label).astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        holes = int(np.count_nonzero(hierarchy[0][:, 3] >= 0))  # contours with a parent: the blob's holes
        if holes >= LATTICE_CELLS:
            return True
    return False


def ink_threshold(blurred: np.ndarray) -> float:
    """The grey level above which a blurred bright-ink picture is ink: Otsu's, but never below a quarter
    of the way from the background (`border_level`) to the brightest ink (see `ink_mask`)."""
    background = border_level(blurred)
    otsu, _ = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return max(otsu, background + 0.25 * (int(blurred.max()) - background))


def remove_specks(mask: np.ndarray, max_pieces: int = MAX_INK_PIECES) -> np.ndarray:
    """Keeps the ink blobs of a mask that are at least `SPECK_FRACTION` of the largest one.

    A line across the picture (the page's edge in a photo, see `_spans_picture`) is not the scale:
    beside it a thin 1 would be a speck. The largest other blob is, when there is one.

    Raises:
        NoInkError: The mask is empty, its largest blob is smaller than `MIN_INK_PIXELS`, or more than
            `max_pieces` blobs are kept (noise or texture).
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]  # label 0 is the background
    if count <= 1 or areas.max() < MIN_INK_PIXELS:
        raise NoInkError("No digit found: only a few specks of ink. Draw or upload a larger digit.")
    lines = _spans_picture(stats[1:, :4], mask.shape)  # (blobs,) bool
    reference = areas[~lines].max() if not lines.all() else areas.max()
    keep = areas >= SPECK_FRACTION * reference
    if np.count_nonzero(keep) > max_pieces:
        raise NoInkError(
            f"No digit found: the picture is speckled all over ({np.count_nonzero(keep)} separate marks), "
            "like noise or a texture. Upload a picture of a written digit on plain paper."
        )
    lookup = np.concatenate([[0], np.where(keep, 255, 0)]).astype(np.uint8)
    return lookup[labels]  # (H, W) uint8


def _spans_picture(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which blobs are lines across the picture: `(n,)` bool, True where the bounding box is
    `LINE_ASPECT` times longer than wide and spans at least half the picture in its long direction.

    Args:
        boxes: `(n, 4)` OpenCV (x, y, width, height) rows.
        shape: the picture's (height, width).
    """
    widths, heights = boxes[:, 2], boxes[:, 3]
    tall = (heights >= LINE_ASPECT * widths) & (heights >= shape[0] / 2)
    wide = (widths >= LINE_ASPECT * heights) & (widths >= shape[1] / 2)
    return tall | wide


def reject_lone_dot(drawing: np.ndarray, pen_width: int) -> None:
    """Refuses a canvas drawing whose ink fits in a square little wider than the pen: a click, not a digit.

    Scaled to MNIST's 20 px box a dot becomes a filled disc, which any network reads as a confident 0.

    Args:
        drawing: the canvas image, light ink on a dark background (any shape `to_grayscale` takes).
        pen_width: the canvas stroke width in pixels.

    Raises:
        NoInkError: the ink spans no more than `DOT_SPAN` pen widths.
    """
    _, _, width, height = cv2.boundingRect(to_grayscale(drawing))
    if 0 < max(width, height) <= DOT_SPAN * pen_width:
        raise NoInkError("That is a dot, not a digit: draw a whole digit (0–9), larger than the pen.")


def suppress_background(bright: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sets everything but the ink to 0, keeping the ink's grey levels the way MNIST digits have them.

    The background level maps to 0 and the ink's typical brightness (95th percentile) to 255, so faint
    photos come out as bold as canvas strokes; the anti-aliased rim one pixel around the mask is kept.

    Args:
        bright: `(H, W)` uint8, ink bright on dark.
        mask: `(H, W)` uint8 ink mask from `ink_mask`.

    Returns:
        `(H, W)` uint8, 0 away from the ink.
    """
    ink_level = float(np.percentile(bright[mask > 0], INK_PERCENTILE)) if mask.any() else 255.0
    stretched = stretch_ink(bright, border_level(bright), ink_level)
    rim = cv2.dilate(mask, _DILATE_KERNEL)
    return cv2.bitwise_and(stretched, stretched, mask=rim)


def stretch_ink(bright: np.ndarray, background: float, ink_level: float) -> np.ndarray:
    """`bright` (uint8, ink bright on dark) with `background` mapped to 0 and `ink_level` to 255, clipped."""
    scale = 255.0 / max(ink_level - background, 1.0)
    table = np.clip((np.arange(256) - background) * scale, 0, 255).round().astype(np.uint8)
    return cv2.LUT(bright, table)


def crop_to_ink(image: np.ndarray) -> np.ndarray:
    """Crops a background-0 image to the bounding box of its non-zero pixels.

    Raises:
        NoInkError: Every pixel is 0.
    """
    x, y, width, height = cv2.boundingRect(image)
    if width == 0 or height == 0:
        raise NoInkError("No digit found: the image is blank. Draw a digit, or upload a picture of one.")
    return image[y : y + height, x : x + width]


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask in pixels: a ribbon of length L and width w has area L*w
    and a perimeter of about 2L, so w = 2 * area / perimeter (holes' edges count as perimeter)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2.0 * float(np.count_nonzero(mask)) / max(perimeter, 1.0)


def widen_slender_digit(image: np.ndarray) -> np.ndarray:
    """Widens a digit far taller than MNIST's digits are, unless it is the one stroke of a 1.

    Fitted into the 20 px box as it is, a 9 with a long tail or a 7 with a long stem comes out a few
    pixels wide, its loop or bar a dot, and reads 1. MNIST holds almost no such digits: above
    `MAX_ASPECT`, at least `SLENDER_MIN_STROKES` strokes wide, are 0.7% of its 1s and under 0.2% of
    any other digit. Such a digit is stretched sideways to `MAX_ASPECT`.

    Args:
        image: `(H, W)` uint8 cropped digit, ink bright on 0.

    Returns:
        `(H, W')` uint8, `W' = H / MAX_ASPECT` when widened, else `image` itself.
    """
    height, width = image.shape
    if height <= MAX_ASPECT * width or width < SLENDER_MIN_STROKES * stroke_width(image >= 128):
        return image
    return cv2.resize(image, (round(height / MAX_ASPECT), height), interpolation=cv2.INTER_LINEAR)


def normalise_stroke_width(image: np.ndarray) -> np.ndarray:
    """Thins a marker-thick digit or thickens a hairline one toward MNIST's stroke width.

    A small digit drawn with a wide pen fills its loops once scaled to 20 px (a 4 turns into a 9), and
    a hairline fades to grey; MNIST's strokes are about 12% of the digit's longest side. Grey-level
    erosion and dilation keep the anti-aliased edge.

    Args:
        image: `(H, W)` uint8 cropped digit, ink bright on 0.

    Returns:
        `(H', W')` uint8, the same digit with its stroke width brought into `STROKE_RANGE` (unchanged
        when already inside it, or when thinning would erase it).
    """
    mask = image >= 128
    longest = max(image.shape)
    width = stroke_width(mask)
    share = width / longest  # (p10, p90) of MNIST: (0.084, 0.164)
    if longest < STROKE_MIN_SIDE or STROKE_RANGE[0] <= share <= STROKE_RANGE[1] or not mask.any():
        return image
    radius = round(abs(width - STROKE_TARGET * longest) / 2)
    if radius == 0:
        return image
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if share > STROKE_RANGE[1]:
        thinned = cv2.erode(image, kernel)
        return thinned if (thinned >= 128).any() else image
    padded = cv2.copyMakeBorder(image, radius, radius, radius, radius, cv2.BORDER_CONSTANT, value=0)
    return cv2.dilate(padded, kernel)


def fit_to_box(image: np.ndarray, box_size: int = BOX_SIZE) -> np.ndarray:
    """Scales an image so its longest side is `box_size` pixels, keeping the aspect ratio.

    Shrinking averages pixels (INTER_AREA) so thin strokes fade to grey rather than vanish.

    Raises:
        ValueError: `image` is empty or `box_size` is not positive.
    """
    height, width = image.shape[:2]
    if height == 0 or width == 0 or box_size <= 0:
        raise ValueError(f"Cannot fit a {height}x{width} image into a {box_size} px box.")
    scale = box_size / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # (width, height) for OpenCV
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)


def stretch_to_full_range(image: np.ndarray) -> np.ndarray:
    """Scales grey levels so the brightest pixel is 255, as it is in every MNIST digit.

    Shrinking a thin stroke averages it with the background: without this a fine-pen digit would reach
    the model as a faint ghost. An all-zero image is returned unchanged.
    """
    peak = int(image.max())
    if peak in (0, 255):
        return image
    return cv2.convertScaleAbs(image, alpha=255.0 / peak)  # values are >= 0, so "abs" changes nothing


def place_in_frame(image: np.ndarray, frame_size: int = IMAGE_SIDE) -> np.ndarray:
    """Pads a grey image with 0 to `frame_size` x `frame_size`, centred.

    Raises:
        ValueError: `image` is larger than the frame.
    """
    height, width = image.shape
    if height > frame_size or width > frame_size:
        raise ValueError(f"A {height}x{width} image does not fit a {frame_size}x{frame_size} frame.")
    frame = np.zeros((frame_size, frame_size), np.uint8)
    top, left = (frame_size - height) // 2, (frame_size - width) // 2
    frame[top : top + height, left : left + width] = image
    return frame


def centre_by_mass(frame: np.ndarray) -> np.ndarray:
    """Shifts a grey image (28x28) so its intensity centre of mass sits at row and column `CENTRE`.

    The shift is rounded to whole pixels, which keeps strokes crisp and, like MNIST, lands the centre
    within half a pixel. It is limited so no ink leaves the frame: nothing wraps around or is cut off.
    An all-zero image is returned unchanged.
    """
    moments = cv2.moments(frame)
    if moments["m00"] == 0:
        return frame.copy()
    frame_height, frame_width = frame.shape
    x, y, width, height = cv2.boundingRect(frame)  # the ink's box, kept inside the frame below
    shift_x = min(max(round(CENTRE - moments["m10"] / moments["m00"]), -x), frame_width - x - width)
    shift_y = min(max(round(CENTRE - moments["m01"] / moments["m00"]), -y), frame_height - y - height)
    translation = np.float32([[1, 0, shift_x], [0, 1, shift_y]])
    return cv2.warpAffine(
        frame,
        translation,
        (frame_width, frame_height),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def shrunk_to_working_size(gray: np.ndarray) -> np.ndarray:
    """`gray` shrunk so its longest side is at most `MAX_WORKING_SIDE` (itself when it already is)."""
    height, width = gray.shape
    longest = max(height, width)
    if longest <= MAX_WORKING_SIDE:
        return gray
    scale = MAX_WORKING_SIDE / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError(f"Expected a uint8 numpy array, got {getattr(image, 'dtype', type(image).__name__)}.")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"Expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {image.shape}.")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"The image has no pixels (shape {image.shape}).")

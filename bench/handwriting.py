"""Read the pendigits (pen tablet) and Semeion (scanned) datasets and render them the way users feed the app.

Pendigits digits are replayed as white strokes on a black canvas export; Semeion bitmaps become photos of
dark ink on paper, and so can any pen strokes (`strokes_as_photo`, for UJI's measuring writers). Pendigits
and Semeion are for measuring only, never for training or for fitting thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from core.pen_strokes import draw_canvas, draw_strokes, fit_strokes

PEN_BOX_SIZE = 500
"""Side of the tablet box pendigits coordinates live in; y points up."""

SEMEION_SIDE = 16
SEMEION_VALUES = SEMEION_SIDE * SEMEION_SIDE + 10  # 256 pixels, then a one-hot label

@dataclass(frozen=True, eq=False)
class PenDigit:
    """One digit from the pen tablet, as written.

    `eq=False` because numpy arrays have no single truth value; digits compare by identity.
    """

    label: int  # 0-9
    writer: int  # writer id from the `.COMMENT` line
    strokes: tuple[np.ndarray, ...]  # each (k, 2) int32 read-only (x, y), 500x500 box, y up, k >= 1


def parse_pendigits(path: Path | str) -> list[PenDigit]:
    """Reads a UNIPEN file of digits such as `pendigits-orig.tra`.

    Header lines before the first `.SEGMENT` and keywords this reader does not use (`.DT`, `.INCLUDE`, ...)
    are skipped.

    Args:
        path: the UNIPEN text file.

    Returns:
        The digits in file order.

    Raises:
        ValueError: a line is malformed (points outside `.PEN_DOWN`/`.PEN_UP`, a non-integer coordinate,
            a missing or non-digit label, a `.COMMENT` that disagrees with its segment, a digit without
            strokes or writer); the message names the file and line number.
        OSError: the file cannot be read.
    """
    path = Path(path)
    digits: list[PenDigit] = []
    label: int | None = None  # None until the first .SEGMENT
    writer: int | None = None
    strokes: list[np.ndarray] = []
    points: list[tuple[int, int]] | None = None  # a list while the pen is down
    segment_line = 0

    def fail(line_number: int, message: str) -> ValueError:
        return ValueError(f"{path.name}:{line_number}: {message}")

    def finish_digit(line_number: int) -> None:
        if label is None:
            return
        if points is not None:
            raise fail(line_number, f"the digit starting on line {segment_line} ends with the pen still down")
        if not strokes:
            raise fail(segment_line, "the digit has no strokes")
        if writer is None:
            raise fail(segment_line, "the digit has no .COMMENT line naming its writer")
        digits.append(PenDigit(label=label, writer=writer, strokes=tuple(strokes)))

    with path.open(encoding="ascii", errors="replace") as lines:
        line_number = 0
        for line_number, line in enumerate(lines, start=1):
            fields = line.split()
            if not fields:
                continue
            keyword = fields[0]
            if not keyword.startswith("."):
                if points is None:
                    raise fail(line_number, f"coordinates outside .PEN_DOWN/.PEN_UP: {line.strip()!r}")
                if len(fields) != 2:
                    raise fail(line_number, f"expected two integers 'x y', got {line.strip()!r}")
                try:
                    points.append((int(fields[0]), int(fields[1])))
                except ValueError:
                    raise fail(line_number, f"expected two integers 'x y', got {line.strip()!r}") from None
            elif keyword == ".SEGMENT":
                finish_digit(line_number)
                label, writer, strokes = _segment_label(line, f"{path.name}:{line_number}"), None, []
                segment_line = line_number
            elif label is None:
                continue  # header keywords (.LEXICON, .HIERARCHY, ...)
            elif keyword == ".COMMENT":
                writer = _comment_writer(fields, label, f"{path.name}:{line_number}")
            elif keyword == ".PEN_DOWN":
                if points is not None:
                    raise fail(line_number, ".PEN_DOWN while the pen is already down")
                points = []
            elif keyword == ".PEN_UP":
                if points is None:
                    raise fail(line_number, ".PEN_UP without a .PEN_DOWN")
                if not points:
                    raise fail(line_number, "a stroke with no points")
                stroke = np.array(points, dtype=np.int32)  # (k, 2) x, y
                stroke.setflags(write=False)  # the dataclass is frozen; keep its arrays so too
                strokes.append(stroke)
                points = None
        finish_digit(line_number + 1)
    return digits


def _segment_label(line: str, where: str) -> int:
    """The digit in quotes on a `.SEGMENT DIGIT ... "8"` line; `where` ("file:line") prefixes errors."""
    parts = line.split('"')
    if len(parts) < 3 or len(parts[1]) != 1 or not parts[1].isdigit():
        raise ValueError(f"{where}: .SEGMENT line has no digit label in quotes: {line.strip()!r}")
    return int(parts[1])


def _comment_writer(fields: list[str], label: int, where: str) -> int:
    """The writer id of a `.COMMENT label writer sample` line, checking its label against the segment's."""
    try:
        comment_label, writer = int(fields[1]), int(fields[2])
    except (IndexError, ValueError):
        raise ValueError(f"{where}: expected '.COMMENT label writer sample', got {' '.join(fields)!r}") from None
    if comment_label != label:
        raise ValueError(f"{where}: .COMMENT label {comment_label} disagrees with the segment's label {label}")
    return writer


def rasterise_pen_digit(
    digit: PenDigit, *, canvas_size: int = 280, stroke_width: int = 18, fill: float = 0.7
) -> np.ndarray:
    """Draws a pen digit as the app's drawing canvas would export it (see `core.pen_strokes.draw_canvas`).

    Returns:
        `(canvas_size, canvas_size, 4)` uint8 RGBA: ink (255, 255, 255, 255), background (0, 0, 0, 255).

    Raises:
        ValueError: `fill` is outside (0, 1], `stroke_width` < 1, or the pen is too wide for the fill.
    """
    return draw_canvas(pen_digit_strokes(digit), canvas_size=canvas_size, stroke_width=stroke_width, fill=fill)


def pen_digit_strokes(digit: PenDigit) -> list[np.ndarray]:
    """The digit's strokes with y pointing down, as image rows and the canvas do: `(k, 2)` int32 each."""
    return [np.column_stack([stroke[:, 0], PEN_BOX_SIZE - stroke[:, 1]]) for stroke in digit.strokes]


def fit_pen_digit(digit: PenDigit, canvas_side: float, fill: float = 0.7) -> list[np.ndarray]:
    """The digit's strokes scaled and centred on a square canvas, its longer side spanning `fill` of it:
    `(k, 2)` float64 canvas pixels each, y down, as a hand would draw them on the Predict page."""
    return fit_strokes(pen_digit_strokes(digit), canvas_side, fill * canvas_side)


def parse_semeion(path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """Reads `semeion.data`: one digit a line, 256 ink values (16x16, row-major) then a one-hot label.

    Values may be written as integers or floats (`1.0000`); each must be 0 or 1.

    Returns:
        `(images, labels)`: `(n, 16, 16)` uint8 with 1 on ink, and `(n,)` uint8 labels 0-9.

    Raises:
        ValueError: a line has the wrong number of values, a value other than 0 or 1, or not exactly one
            label set; the message names the file and line number.
        OSError: the file cannot be read.
    """
    path = Path(path)
    images, labels = [], []
    with path.open(encoding="ascii", errors="replace") as lines:
        for line_number, line in enumerate(lines, start=1):
            fields = line.split()
            if not fields:
                continue
            where = f"{path.name}:{line_number}"
            if len(fields) != SEMEION_VALUES:
                raise ValueError(f"{where}: expected {SEMEION_VALUES} values, got {len(fields)}")
            try:
                values = np.array([float(field) for field in fields])  # (266,)
            except ValueError:
                raise ValueError(f"{where}: a value is not a number") from None
            if not np.isin(values, (0.0, 1.0)).all():
                raise ValueError(f"{where}: every value must be 0 or 1")
            one_hot = values[-10:]
            if one_hot.sum() != 1:
                raise ValueError(f"{where}: the last 10 values must set exactly one label, got {one_hot.sum():.0f}")
            images.append(values[:-10].reshape(SEMEION_SIDE, SEMEION_SIDE))
            labels.append(int(one_hot.argmax()))
    if not images:
        return np.zeros((0, SEMEION_SIDE, SEMEION_SIDE), np.uint8), np.zeros((0,), np.uint8)
    return np.stack(images).astype(np.uint8), np.array(labels, np.uint8)  # (n, 16, 16), (n,)


def semeion_as_photo(
    bitmap: np.ndarray,
    *,
    size: int = 160,
    border: int = 24,
    seed: int,
    ink: int = 30,
    paper: int = 235,
    noise: float = 4.0,
) -> np.ndarray:
    """Turns a 16x16 Semeion bitmap into a photo-like picture: dark ink on light paper, soft edges, noise.

    Bilinear upscaling plus a light blur rounds the 16x16 blocks off the way a pen and a camera lens would;
    the paper border lets the app find the background, as in a photo of a digit on a page.

    Args:
        bitmap: `(16, 16)` 0/1 (or bool) array, 1 on ink.
        size: side the bitmap is scaled to, in pixels.
        border: width of the plain paper margin added on every side.
        seed: seeds the noise, so the same digit always makes the same photo.
        ink: grey level of the ink.
        paper: grey level of the paper.
        noise: standard deviation of the per-pixel, per-channel Gaussian sensor noise, in grey levels.

    Returns:
        `(size + 2 * border, size + 2 * border, 3)` uint8 RGB.

    Raises:
        ValueError: `bitmap` is not 2-D or `size` is not positive.
    """
    if bitmap.ndim != 2 or size <= 0:
        raise ValueError(f"Expected a 2-D bitmap and a positive size, got shape {bitmap.shape} and size {size}.")
    levels = paper - (paper - ink) * bitmap.astype(np.float32)  # (16, 16) float32 grey
    scaled = cv2.resize(levels, (size, size), interpolation=cv2.INTER_LINEAR)  # (size, size)
    return paper_photo(scaled, border=border, seed=seed, paper=paper, noise=noise)


def strokes_as_photo(
    strokes: Sequence[np.ndarray],
    *,
    size: int = 160,
    border: int = 24,
    pen_width: int = 12,
    seed: int,
    ink: int = 30,
    paper: int = 235,
    noise: float = 4.0,
) -> np.ndarray:
    """Turns pen strokes into a photo-like picture of a digit written on paper, as `semeion_as_photo` does.

    Args:
        strokes: each `(k, 2)` points (x, y), y down, in any unit; scaled so the ink's longest side is `size`.
        size: side of the square the ink fills, in pixels.
        border: width of the plain paper margin added on every side.
        pen_width: the pen's width in pixels (12 at 160 px: a ballpoint on a digit a few centimetres tall).
        seed: seeds the noise, so the same digit always makes the same photo.
        ink, paper, noise: grey levels and sensor noise, as in `semeion_as_photo`.

    Returns:
        `(size + 2 * border, size + 2 * border, 3)` uint8 RGB.
    """
    drawn = np.zeros((size, size), np.uint8)
    draw_strokes(drawn, fit_strokes(strokes, size, size - pen_width), pen_width)
    levels = paper - (paper - ink) * (drawn.astype(np.float32) / 255.0)  # (size, size) float32 grey
    return paper_photo(levels, border=border, seed=seed, paper=paper, noise=noise)


def paper_photo(levels: np.ndarray, *, border: int, seed: int, paper: int, noise: float) -> np.ndarray:
    """A grey picture of ink on paper framed by plain paper, softened like a lens, with sensor noise.

    Args:
        levels: `(size, size)` float32 grey levels, ink dark.

    Returns:
        `(size + 2 * border, size + 2 * border, 3)` uint8 RGB.
    """
    size = levels.shape[0]
    framed = cv2.copyMakeBorder(levels, border, border, border, border, cv2.BORDER_CONSTANT, value=float(paper))
    blurred = cv2.GaussianBlur(framed, (0, 0), sigmaX=max(size / 160, 0.5))  # about 1 px at 160 px
    rgb = np.repeat(blurred[..., np.newaxis], 3, axis=2)  # (side, side, 3) float32
    rng = np.random.default_rng(seed)
    rgb += rng.normal(0.0, noise, rgb.shape).astype(np.float32)
    return np.clip(rgb, 0, 255).round().astype(np.uint8)

"""Photos of handwriting made to order: pen digits written on paper, then photographed badly on purpose.

The development photos tuned the photo pipeline, so they flatter it. These are new every seed: real pen
strokes (pendigits, as `bench.handwriting` reads them) written in dark ink on paper as one digit, a number
or a few lines, then put through one of `CONDITIONS` (uneven light, a cast shadow, perspective, blur,
JPEG, rotation, ruled or grid paper, coloured ink, uneven pen pressure). `python -m bench.photo_stress`
scores each condition; tests make their own small photos with `stress_photo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from bench.handwriting import PEN_BOX_SIZE, PenDigit
from core.reading import LINE_SEPARATOR

CONDITIONS = (
    "plain",
    "uneven light",
    "cast shadow",
    "perspective",
    "blur",
    "jpeg",
    "rotation",
    "ruled paper",
    "grid paper",
    "coloured ink",
    "uneven pressure",
)
"""What a photo goes through; "plain" is the same paper and ink with none of it, the baseline. Beyond issue
16's list, "uneven pressure" writes some strokes faint, as a development photo's 4 with a grey half was."""

LAYOUTS = ("single", "number", "lines")
"""One digit alone, a number of 3 to 7 digits on one line, or 2 to 3 lines of 2 to 6 digits."""

DIGIT_HEIGHT = (48, 90)
"""Range of a digit's height in pixels: a phone photo of a page shrunk to the pipeline's 1024 px."""

PEN_SHARE = (0.07, 0.13)
"""Range of the pen's width as a share of the digit's height (MNIST's strokes are about 0.12 of it)."""

MARGIN = 1.2
"""Paper around the writing, in digit heights."""

PAPER = (236, 233, 226)
INK = (35, 35, 45)
COLOURED_INKS = ((25, 55, 190), (190, 30, 40), (20, 120, 60), (120, 40, 150), (40, 130, 200))
"""Blue, red, green and violet ballpoint and a light blue felt pen, RGB."""

LIGHT_STROKE_CHANCE = 0.5
LIGHT_STROKE_SHADE = (0.3, 0.6)
"""Under "uneven pressure", each stroke is light with this chance, its ink this share as dark as the rest."""

RULE_COLOUR = (150, 180, 215)
TABLE = (95, 75, 60)
"""The wooden table a page lies on, seen round it when the page is photographed at an angle."""

NOISE = 3.0
"""Sensor noise, standard deviation in grey levels, on every photo."""

MAX_ROTATION = 15.0


@dataclass(frozen=True, eq=False)
class StressPhoto:
    """One generated photo and what is written on it."""

    image: np.ndarray  # (H, W, 3) uint8 RGB
    label: str  # digits in reading order, LINE_SEPARATOR between lines
    condition: str  # one of CONDITIONS
    layout: str  # one of LAYOUTS


def stress_photo(pen_digits: Sequence[PenDigit], condition: str, layout: str, seed: int) -> StressPhoto:
    """Writes randomly chosen `pen_digits` on paper in `layout`, and photographs them under `condition`.

    Args:
        pen_digits: the strokes to choose from (any number, all classes welcome).
        condition: one of `CONDITIONS`.
        layout: one of `LAYOUTS`.
        seed: the same seed always makes the same photo.

    Raises:
        ValueError: an unknown condition or layout, or no digits to choose from.
    """
    if condition not in CONDITIONS or layout not in LAYOUTS:
        raise ValueError(f"Unknown condition {condition!r} or layout {layout!r}.")
    if not pen_digits:
        raise ValueError("No pen digits to write with.")
    rng = np.random.default_rng(seed)
    lines = [[pen_digits[int(rng.integers(len(pen_digits)))] for _ in range(length)] for length in _line_lengths(layout, rng)]
    return photograph_writing(lines, condition, rng, layout)


def photograph_writing(
    lines: Sequence[Sequence[PenDigit]], condition: str, rng: np.random.Generator, layout: str = "lines"
) -> StressPhoto:
    """Writes `lines` of pen digits on paper, one under the other, and photographs them under `condition`.

    Args:
        lines: the digits of each text line, top line first.
        condition: one of `CONDITIONS`.
        rng: draws the digits' size, pen and spacing, and the condition's own chances.
        layout: what the photo is recorded as.

    Raises:
        ValueError: an unknown condition, or a line without digits.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"Unknown condition {condition!r}.")
    if not lines or not all(lines):
        raise ValueError("Every line needs at least one digit.")
    height = int(rng.integers(*DIGIT_HEIGHT))
    pen = max(2, round(height * rng.uniform(*PEN_SHARE)))
    coverage = _write(lines, height, pen, rng, uneven_pressure=condition == "uneven pressure")  # (H, W) in [0, 1]
    paper = _paper(coverage.shape, condition, height, rng)  # (H, W, 3) float32
    ink = COLOURED_INKS[int(rng.integers(len(COLOURED_INKS)))] if condition == "coloured ink" else INK
    photo = paper * (1 - coverage[..., None]) + np.array(ink, np.float32) * coverage[..., None]
    photo = _photograph(photo, condition, rng)
    photo += rng.normal(0.0, NOISE, photo.shape).astype(np.float32)
    image = np.clip(photo, 0, 255).round().astype(np.uint8)
    if condition == "jpeg":
        quality = int(rng.integers(8, 25))
        _, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    label = LINE_SEPARATOR.join("".join(str(digit.label) for digit in line) for line in lines)
    return StressPhoto(image=image, label=label, condition=condition, layout=layout)


def stress_set(pen_digits: Sequence[PenDigit], per_condition: int, seed: int = 0) -> list[StressPhoto]:
    """`per_condition` photos of every condition, the layouts taking turns, each from its own seed."""
    return [
        stress_photo(pen_digits, condition, LAYOUTS[index % len(LAYOUTS)], seed=seed * 1_000_003 + number * 7919 + index)
        for number, condition in enumerate(CONDITIONS)
        for index in range(per_condition)
    ]


def _line_lengths(layout: str, rng: np.random.Generator) -> list[int]:
    if layout == "single":
        return [1]
    if layout == "number":
        return [int(rng.integers(3, 8))]
    return [int(rng.integers(2, 7)) for _ in range(int(rng.integers(2, 4)))]


def _write(
    lines: Sequence[Sequence[PenDigit]],
    height: int,
    pen: int,
    rng: np.random.Generator,
    *,
    uneven_pressure: bool = False,
) -> np.ndarray:
    """The ink of `lines` written one under the other: `(H, W)` float32 coverage, 1 on ink.

    Digits keep their own width (a 1 is narrow), sit a little up or down, and stand apart by a third of
    a height or more, as people space digits they write one by one. With `uneven_pressure`, strokes are
    light by chance (`LIGHT_STROKE_CHANCE`); without it, `rng` is drawn exactly as before the condition existed,
    so every other condition's photos stay the same.
    """
    margin = round(MARGIN * height)
    line_pitch = round(height * rng.uniform(1.6, 2.0))
    placed = []  # (digit, left, top, width)
    widest = 0
    for number, line in enumerate(lines):
        x = margin + round(rng.uniform(0, 0.5) * height)
        for digit in line:
            width = _width_for(digit, height)
            top = margin + number * line_pitch + round(rng.uniform(-0.08, 0.08) * height)
            placed.append((digit, x, top, width))
            x += width + pen + round(rng.uniform(0.3, 0.7) * height)
        widest = max(widest, x)
    size = (margin + (len(lines) - 1) * line_pitch + height + margin, widest + margin)  # (H, W)
    coverage = np.zeros(size, np.uint8)
    for digit, left, top, width in placed:
        shades = _stroke_shades(len(digit.strokes), rng) if uneven_pressure else np.ones(len(digit.strokes))
        _draw(coverage, digit, left, top, width, height, pen, shades)
    return coverage.astype(np.float32) / 255.0


def _width_for(digit: PenDigit, height: int) -> int:
    points = np.concatenate(digit.strokes)  # (k, 2)
    extent = points.max(axis=0) - points.min(axis=0)
    return max(1, round(height * min(extent[0] / max(extent[1], 1), 1.3)))


def _stroke_shades(count: int, rng: np.random.Generator) -> np.ndarray:
    """(count,) how dark each stroke is written, 1 for full pressure (see `LIGHT_STROKE_CHANCE`)."""
    light = rng.random(count) < LIGHT_STROKE_CHANCE
    return np.where(light, rng.uniform(*LIGHT_STROKE_SHADE, size=count), 1.0)


def _draw(
    canvas: np.ndarray, digit: PenDigit, left: int, top: int, width: int, height: int, pen: int, shades: np.ndarray
) -> None:
    """Draws `digit`'s strokes into the box (left, top, width, height), anti-aliased, round pen, each stroke
    as dark as its entry of `shades` (a share of full coverage)."""
    points = np.concatenate(digit.strokes).astype(np.float64)
    points[:, 1] = PEN_BOX_SIZE - points[:, 1]
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, 1)
    scale = min(width / extent[0], height / extent[1])  # keeps the aspect ratio
    origin = np.array([left, top + (height - scale * extent[1]) / 2])  # a wide digit sits mid-line
    bits = 4  # OpenCV's fixed-point coordinates: 1/16 px
    for stroke, shade in zip(digit.strokes, shades, strict=True):
        # A light stroke goes on a layer of its own, so where it crosses a dark one the dark ink stays.
        layer = canvas if shade >= 1 else np.zeros_like(canvas)
        value = round(255 * float(shade))
        xy = stroke.astype(np.float64)
        xy[:, 1] = PEN_BOX_SIZE - xy[:, 1]
        fixed = np.round(((xy - low) * scale + origin) * (1 << bits)).astype(np.int32)
        if len(fixed) == 1 or (fixed == fixed[0]).all():
            centre, radius = (int(fixed[0, 0]), int(fixed[0, 1])), round(pen / 2 * (1 << bits))
            cv2.circle(layer, centre, radius, value, -1, cv2.LINE_AA, bits)
        else:
            cv2.polylines(layer, [fixed.reshape(-1, 1, 2)], False, value, pen, cv2.LINE_AA, bits)
        if layer is not canvas:
            np.maximum(canvas, layer, out=canvas)


def _paper(shape: tuple[int, int], condition: str, height: int, rng: np.random.Generator) -> np.ndarray:
    """Blank paper, ruled or squared for those conditions: `(H, W, 3)` float32 RGB."""
    paper = np.full((*shape, 3), PAPER, np.float32)
    if condition not in ("ruled paper", "grid paper"):
        return paper
    ruled = np.zeros(shape, np.uint8)
    pitch = round(height * (rng.uniform(0.45, 0.6) if condition == "grid paper" else rng.uniform(0.9, 1.3)))
    width = int(rng.integers(1, 3))
    offset = int(rng.integers(pitch))
    for y in range(offset, shape[0], pitch):
        cv2.line(ruled, (0, y), (shape[1], y), 255, width, cv2.LINE_AA)
    if condition == "grid paper":
        for x in range(offset, shape[1], pitch):
            cv2.line(ruled, (x, 0), (x, shape[0]), 255, width, cv2.LINE_AA)
    share = ruled.astype(np.float32)[..., None] / 255.0
    return paper * (1 - share) + np.array(RULE_COLOUR, np.float32) * share


def _photograph(page: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """The page as the camera sees it under `condition`: `(H', W', 3)` float32."""
    height, width = page.shape[:2]
    if condition == "uneven light":
        return page * _light(height, width, rng)[..., None]
    if condition == "cast shadow":
        return page * _shadow(height, width, rng)[..., None]
    if condition == "blur":
        sigma = rng.uniform(1.0, 2.0) * max(height, width) / 800
        return cv2.GaussianBlur(page, (0, 0), sigmaX=max(sigma, 1.0))
    if condition == "rotation":
        angle = rng.uniform(-MAX_ROTATION, MAX_ROTATION)
        return _rotated(page, angle)
    if condition == "perspective":
        return _tilted(page, rng)
    return page


def _light(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A lamp to one side and vignetting: `(H, W)` float32 gain from about 0.35 to 1."""
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    lamp_y, lamp_x = rng.uniform(-0.3, 1.3) * height, rng.uniform(-0.3, 1.3) * width
    distance = np.hypot(rows - lamp_y, columns - lamp_x) / np.hypot(height, width)
    darkest = rng.uniform(0.35, 0.6)
    return (1.0 - (1.0 - darkest) * np.clip(distance / distance.max(), 0, 1) ** 1.5).astype(np.float32)


def _shadow(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A phone's or a hand's shadow: a soft-edged polygon over part of the page, `(H, W)` float32 gain."""
    corners = np.array([(0, 0), (width, 0), (width, height), (0, height)], np.float32)
    start = int(rng.integers(4))
    # A quadrilateral from one corner of the page reaching in across a third to two thirds of it.
    reach = rng.uniform(0.35, 0.7)
    first, last = corners[start], corners[(start + 1) % 4]
    inner_first = first + (corners[(start + 3) % 4] - first) * reach
    inner_last = last + (corners[(start + 2) % 4] - last) * rng.uniform(0.1, reach)
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [np.round(np.array([first, last, inner_last, inner_first])).astype(np.int32)], 255)
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), sigmaX=max(height, width) * rng.uniform(0.005, 0.03))
    return 1.0 - rng.uniform(0.35, 0.6) * soft


def _rotated(page: np.ndarray, angle: float) -> np.ndarray:
    """The page turned by `angle` degrees, grown to keep every corner, the table showing round it."""
    height, width = page.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[:, 2] += ((new_width - width) / 2, (new_height - height) / 2)
    return cv2.warpAffine(page, matrix, (new_width, new_height), flags=cv2.INTER_LINEAR, borderValue=TABLE)


def _tilted(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The page photographed at an angle: a random perspective, the table showing round the page."""
    height, width = page.shape[:2]
    border = 0.08 * max(height, width)
    source = np.float32([(0, 0), (width, 0), (width, height), (0, height)])
    jitter = rng.uniform(0, 0.12, (4, 2)) * (width, height)
    target = np.float32(
        [
            (border + jitter[0, 0], border + jitter[0, 1]),
            (border + width - jitter[1, 0], border + jitter[1, 1]),
            (border + width - jitter[2, 0], border + height - jitter[2, 1]),
            (border + jitter[3, 0], border + height - jitter[3, 1]),
        ]
    )
    matrix = cv2.getPerspectiveTransform(source, target)
    size = (round(width + 2 * border), round(height + 2 * border))
    return cv2.warpPerspective(page, matrix, size, flags=cv2.INTER_LINEAR, borderValue=TABLE)

"""Things people draw or upload that are not digits: letters, shapes and scribbles.

The "not sure" floor is judged on them: a good floor flags many of these while real digits pass.
They are drawn like the canvas draws (white strokes on black, 280x280) and go through the same
preprocessing as any drawing, so the model sees them exactly as it would on the Predict page.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from core.preprocessing import NoInkError
from core.segmentation import segment_digits

CANVAS_SIDE = 280
LETTERS = "ACEFHKMNPRTUVWXY"  # leaving out letters that are digits in disguise: B, D, G, I, L, O, Q, S, Z
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)
_WHITE = 255


def _canvas() -> np.ndarray:
    return np.zeros((CANVAS_SIDE, CANVAS_SIDE), np.uint8)


def letter(character: str, font: int, thickness: int) -> np.ndarray:
    """One capital letter, centred, about 180 px tall."""
    canvas = _canvas()
    scale = 6.0
    (width, height), _ = cv2.getTextSize(character, font, scale, thickness)
    origin = ((CANVAS_SIDE - width) // 2, (CANVAS_SIDE + height) // 2)
    cv2.putText(canvas, character, origin, font, scale, _WHITE, thickness, cv2.LINE_AA)
    return canvas


def shape(kind: str, rng: np.random.Generator, thickness: int) -> np.ndarray:
    """A triangle, square, star, cross-hatch or spiral outline with a random size and turn."""
    canvas = _canvas()
    centre, radius = CANVAS_SIDE / 2, rng.uniform(70, 120)
    turn = rng.uniform(0, 2 * math.pi)
    if kind == "spiral":
        angles = np.linspace(0, 6 * math.pi, 200)
        radii = radius * angles / angles[-1]
        points = np.stack([centre + radii * np.cos(angles + turn), centre + radii * np.sin(angles + turn)], axis=1)
        cv2.polylines(canvas, [points.astype(np.int32)], False, _WHITE, thickness, cv2.LINE_AA)
        return canvas
    if kind == "hatch":
        for offset in np.linspace(-radius, radius, 5):
            cv2.line(canvas, (int(centre + offset), int(centre - radius)), (int(centre + offset), int(centre + radius)), _WHITE, thickness)
            cv2.line(canvas, (int(centre - radius), int(centre + offset)), (int(centre + radius), int(centre + offset)), _WHITE, thickness)
        return canvas
    corners = {"triangle": 3, "square": 4, "star": 10}[kind]
    angles = turn + np.arange(corners) * 2 * math.pi / corners
    radii = np.where(np.arange(corners) % 2, radius * 0.45, radius) if kind == "star" else np.full(corners, radius)
    points = np.stack([centre + radii * np.cos(angles), centre + radii * np.sin(angles)], axis=1)
    cv2.polylines(canvas, [points.astype(np.int32)], True, _WHITE, thickness, cv2.LINE_AA)
    return canvas


def scribble(rng: np.random.Generator, thickness: int) -> np.ndarray:
    """A random smooth pen path with many turns, like someone testing the pen."""
    canvas = _canvas()
    steps = rng.integers(40, 90)
    heading = rng.uniform(0, 2 * math.pi)
    point = np.array([CANVAS_SIDE / 2, CANVAS_SIDE / 2])
    points = [point.copy()]
    for _ in range(steps):
        heading += rng.normal(0, 0.9)
        point = np.clip(point + 12 * np.array([math.cos(heading), math.sin(heading)]), 30, CANVAS_SIDE - 30)
        points.append(point.copy())
    cv2.polylines(canvas, [np.array(points, np.int32)], False, _WHITE, thickness, cv2.LINE_AA)
    return canvas


def non_digit_drawings(seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """About 200 named drawings: every letter in every font, 60 shapes and 60 scribbles."""
    rng = np.random.default_rng(seed)
    drawings = [
        (f"letter {character}", letter(character, font, int(rng.integers(12, 24))))
        for character in LETTERS
        for font in _FONTS
    ]
    for index in range(60):
        kind = ("triangle", "square", "star", "spiral", "hatch")[index % 5]
        drawings.append((kind, shape(kind, rng, int(rng.integers(10, 24)))))
    drawings += [("scribble", scribble(rng, int(rng.integers(10, 24)))) for _ in range(60)]
    return drawings


def non_digit_inputs(seed: int = 0) -> np.ndarray:
    """The drawings as the model sees them: (n, 28, 28) float32, one per drawing read as one digit."""
    inputs = []
    for _, drawing in non_digit_drawings(seed):
        try:
            found = segment_digits(drawing)
        except NoInkError:
            continue
        if len(found) == 1:  # a drawing split into several "digits" is judged digit by digit elsewhere
            inputs.append(found[0].preprocessed.model_input)
    return np.stack(inputs)

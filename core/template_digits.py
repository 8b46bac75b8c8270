"""Synthetic handwriting: digits drawn with a pen from stroke templates, in European and American styles.

MNIST's writers were American: their 1 is a bare bar and a 1 with a long lead-in flag, the way most of
Europe writes it, sits among MNIST's 7s, so a model trained on MNIST alone reads it as a 7
(`python -m bench.mnist_neighbours` shows this). These digits add the styles MNIST lacks (flagged 1s of
every flag length and slope, some with a foot; crossed 7s; open 4s; 9s with a curled tail) beside
plain ones, for every digit, so the pen's uniform stroke says nothing about the class. They are drawn
like a canvas drawing and finished by the app's own preprocessing, and no real handwriting is involved.

A training option (`TrainingConfig.template_digits`), off by default: it lifts pen-tablet digits but
costs some scanned ones (the README's Real handwriting section has the figures).
"""

from __future__ import annotations

import math

import numpy as np

from core.mnist_format import IMAGE_SIDE, NUM_CLASSES, as_stored_digits
from core.pen_strokes import draw_strokes
from core.preprocessing import crop_to_ink, finish_digit

Stroke = tuple[tuple[float, float], ...]  # pen points (x, y) in a 100x100 box, y down
Glyph = tuple[Stroke, ...]

TEMPLATE_SHARE = 0.11
"""Template digits added per real training digit: about one in ten of what the model sees."""

PLAIN_ONE_SHARE = 0.25  # of the 1s drawn as a bare bar, the rest with a flag
FOOT_SHARE = 0.25  # of the flagged 1s that also get a foot
FLAG_LENGTH = (0.15, 0.9)  # of the 1's height
FLAG_SLOPE_DEGREES = (25.0, 65.0)  # below the horizontal, from the top of the 1 down to the left

MAX_ROTATION_DEGREES = 12.0
SLANT = (-0.35, 0.15)  # x moves by this fraction of y: negative leans the top to the right
WIDTH_SCALE = (0.75, 1.6)  # narrow to wide writing, as in forms that stretch each digit to its box
POINT_JITTER = 3.5  # standard deviation of each pen point, in the 100 px box
PEN_WIDTH = (5, 12)  # pixels on the 128 px drawing: thin to bold once scaled to 20 px
DRAWING_SIDE = 128


def _ellipse(centre_x: float, centre_y: float, radius_x: float, radius_y: float, start: float,
             turns: float = 1.05, points: int = 18) -> Stroke:
    angles = np.linspace(start, start + 2 * math.pi * turns, points)
    return tuple(zip(centre_x + radius_x * np.cos(angles), centre_y + radius_y * np.sin(angles)))


GLYPHS: dict[int, tuple[Glyph, ...]] = {
    0: ((_ellipse(50, 50, 28, 42, -math.pi / 2),),),
    2: (
        (((25, 30), (35, 12), (55, 8), (72, 20), (70, 40), (50, 62), (25, 90), (78, 90)),),
        (((25, 28), (40, 10), (62, 10), (72, 28), (60, 52), (28, 90), (45, 80), (78, 90)),),  # looped base
    ),
    3: (
        (((28, 15), (50, 8), (70, 20), (65, 38), (45, 48), (70, 58), (72, 78), (50, 92), (25, 85)),),
        (((25, 12), (72, 12), (45, 45), (68, 55), (72, 78), (50, 92), (25, 85)),),  # flat top
    ),
    4: (
        (((60, 8), (20, 65), (82, 65)), ((62, 35), (62, 95))),  # closed
        (((28, 8), (22, 55), (78, 55)), ((65, 8), (65, 95))),  # open
    ),
    5: (
        (((72, 10), (32, 10), (28, 45), (55, 40), (72, 58), (68, 80), (48, 92), (25, 85)),),
        (((30, 10), (26, 45), (55, 40), (72, 58), (68, 80), (48, 92), (25, 85)), ((30, 10), (72, 10))),
    ),
    6: ((((65, 8), (40, 25), (28, 55), (32, 82), (50, 92), (68, 80), (66, 60), (48, 52), (30, 62)),),),
    7: (
        (((20, 12), (80, 12), (40, 92)),),
        (((20, 12), (80, 12), (40, 92)), ((35, 52), (72, 52))),  # crossed
        (((22, 20), (30, 12), (80, 12), (50, 92)),),  # with a lead-in hook
    ),
    8: (
        (((60, 12), (38, 18), (38, 38), (62, 58), (65, 80), (48, 92), (30, 82), (35, 60), (60, 40), (62, 20),
          (55, 12)),),
        (_ellipse(50, 28, 20, 19, math.pi / 2, 1.0, 12), _ellipse(50, 70, 25, 22, -math.pi / 2, 1.0, 12)),
    ),
    9: (
        (((68, 25), (50, 10), (30, 20), (30, 40), (50, 48), (68, 35), (68, 20), (65, 92)),),
        (((68, 25), (50, 10), (30, 20), (30, 40), (50, 48), (68, 35), (68, 20), (62, 80), (45, 94), (30, 85)),),
    ),
}
"""Every digit but 1 (see `one_glyph`), one or more styles each."""


def one_glyph(rng: np.random.Generator) -> Glyph:
    """A 1: sometimes a bare bar, mostly with a lead-in flag of any length and slope, sometimes a foot."""
    if rng.random() < PLAIN_ONE_SHARE:
        return (((50, 8), (50, 92)),)
    length = rng.uniform(*FLAG_LENGTH) * 84  # the bar is 84 long
    slope = math.radians(rng.uniform(*FLAG_SLOPE_DEGREES))
    flag_start = (50 - length * math.cos(slope), 8 + length * math.sin(slope))
    glyph: Glyph = ((flag_start, (50, 8), (50, 92)),)
    if rng.random() < FOOT_SHARE:
        glyph += (((30, 92), (70, 92)),)
    return glyph


def smooth_stroke(points: np.ndarray, steps: int = 6) -> np.ndarray:
    """A Catmull-Rom curve through the points, `steps` samples per span, so strokes bend like a pen's.

    Args:
        points: `(k, 2)` float.

    Returns:
        `((k - 1) * steps + 1, 2)` float through every point; two or fewer points come back unchanged.
    """
    if len(points) < 3:
        return points
    padded = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0.0, 1.0, steps, endpoint=False)[:, np.newaxis]  # (steps, 1)
    spans = []
    for before, start, end, after in zip(padded[:-3], padded[1:-2], padded[2:-1], padded[3:]):
        spans.append(0.5 * (2 * start + (end - before) * t + (2 * before - 5 * start + 4 * end - after) * t**2
                            + (3 * start - before - 3 * end + after) * t**3))
    return np.vstack([*spans, points[-1:]])


def draw_digit(label: int, rng: np.random.Generator) -> np.ndarray:
    """One template digit with a random style, jitter, turn, slant, width and pen, as the model sees it.

    Returns:
        `(28, 28)` uint8, white on black, boxed and centred by the MNIST recipe.
    """
    glyph = one_glyph(rng) if label == 1 else GLYPHS[label][rng.integers(len(GLYPHS[label]))]
    angle = math.radians(rng.uniform(-MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    transform = rotation @ np.array([[rng.uniform(*WIDTH_SCALE), rng.uniform(*SLANT)], [0.0, 1.0]])
    drawing = np.zeros((DRAWING_SIDE, DRAWING_SIDE), np.uint8)
    pen = int(rng.integers(PEN_WIDTH[0], PEN_WIDTH[1] + 1))
    for stroke in glyph:
        points = np.asarray(stroke, float) + rng.normal(0.0, POINT_JITTER, (len(stroke), 2))
        path = (smooth_stroke(points) - 50.0) @ transform.T + DRAWING_SIDE / 2  # (m, 2) pixels
        draw_strokes(drawing, [path], pen)
    _, model_input = finish_digit(crop_to_ink(drawing))  # (28, 28) float32 in [0, 1]
    return as_stored_digits(model_input)


def template_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` template digits with random labels, the same for the same seed.

    Returns:
        `(count, 28, 28)` uint8 images and `(count,)` uint8 labels.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, count).astype(np.uint8)
    images = np.stack([draw_digit(int(label), rng) for label in labels]) if count else np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.uint8)
    return images, labels


def with_template_digits(images: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training digits followed by `TEMPLATE_SHARE` as many template digits.

    Args:
        images: `(n, 28, 28)` uint8 training digits.
        labels: `(n,)` uint8.
        seed: draws the template digits.

    Returns:
        `(n + k, 28, 28)` uint8 and `(n + k,)` uint8, the originals first and unchanged.
    """
    extra_images, extra_labels = template_digits(round(len(images) * TEMPLATE_SHARE), seed)
    return np.concatenate([images, extra_images]), np.concatenate([labels, extra_labels.astype(labels.dtype)])

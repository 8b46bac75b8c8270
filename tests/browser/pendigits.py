"""Real pen strokes from UCI pendigits (UNIPEN text), scaled into the Predict page's canvas.

The digits come from the committed fixture, for measuring canvas-style input only, never for training
(see tests/fixtures/README.md).
"""

from __future__ import annotations

from pathlib import Path

from bench.handwriting import PenDigit, parse_pendigits
from tests.fixtures import PENDIGITS_FIXTURE

TABLET_SIDE = 500  # UNIPEN coordinates are in a 500x500 box with y pointing up

Point = tuple[float, float]
Stroke = tuple[Point, ...]


def read_pendigits(path: Path = PENDIGITS_FIXTURE) -> list[PenDigit]:
    """The digits in file order (parsed by the benchmark's reader)."""
    return parse_pendigits(path)


def first_of_each_class(digits: list[PenDigit], per_class: int) -> list[PenDigit]:
    """The first `per_class` digits of every class, in class order: a deterministic test set."""
    chosen = []
    for label in range(10):
        of_label = [digit for digit in digits if digit.label == label][:per_class]
        if len(of_label) < per_class:
            raise ValueError(f"only {len(of_label)} digits of class {label}")
        chosen.extend(of_label)
    return chosen


def fit_to_canvas(digit: PenDigit, canvas_side: float, fill: float = 0.7) -> tuple[Stroke, ...]:
    """Scales and centres a digit so its longer side spans `fill` of the canvas, keeping its aspect ratio."""
    # Screen y points down, the tablet's up.
    screen = [[(float(x), float(TABLET_SIDE - y)) for x, y in stroke] for stroke in digit.strokes]
    xs = [x for stroke in screen for x, _ in stroke]
    ys = [y for stroke in screen for _, y in stroke]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    scale = fill * canvas_side / max(width, height, 1.0)
    centre_x, centre_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return tuple(
        tuple((canvas_side / 2 + (x - centre_x) * scale, canvas_side / 2 + (y - centre_y) * scale) for x, y in stroke)
        for stroke in screen
    )

"""Real pen strokes from UCI pendigits (UNIPEN text), scaled into the Predict page's canvas.

The digits come from the committed fixture, for measuring canvas-style input only, never for training
(see tests/fixtures/README.md).
"""

from __future__ import annotations

from pathlib import Path

from bench.handwriting import PenDigit, fit_pen_digit, parse_pendigits
from tests.fixtures import PENDIGITS_FIXTURE

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
    return tuple(tuple((float(x), float(y)) for x, y in stroke) for stroke in fit_pen_digit(digit, canvas_side, fill))

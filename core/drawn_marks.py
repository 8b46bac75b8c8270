"""Procedural shapes, scribbles and grid strokes, the non-digits models learn "not a digit" from.

Never scored by `bench.realworld` (that is `core.font_marks`). The shapes are kept clear of digit
look-alikes: no lone straight line (a 1), no plain ring (a 0); every shape has corners, crossings or
many turns. Grid strokes are random lines, bends and arcs between the points of a 3x3 grid, built the
way letters are (a stem, a bar, a bowl), but drawn by no font and spelling nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from core.mnist_format import as_stored_digits
from core.non_digits import CANVAS_SIDE, WHITE, as_model_inputs, blank_canvas

SHAPES = ("triangle", "square", "star", "spiral", "hatch", "zigzag", "crossed box", "scribble", "jagged line")
GRID_STROKES = "grid strokes"
KINDS = (*SHAPES, GRID_STROKES)
SHAPES_AND_GRID_STROKES = tuple(kind for shape in SHAPES for kind in (shape, GRID_STROKES))
"""What the fitted "not a digit" output learns from (`core.not_a_digit_output`): every other mark grid
strokes, with which it flags more of the letters it never saw at the same share of digits flagged (issue
15, README). The methods that train "not a digit" into the network keep the shapes alone, as measured."""
GRID_STROKE_COUNTS = (3, 6)
"""Strokes per grid mark, from 3 to 5: fewer often make a digit (a 7 is a bar and a stem)."""


def _outline(canvas: np.ndarray, points: np.ndarray, closed: bool, thickness: int) -> None:
    cv2.polylines(canvas, [points.astype(np.int32)], closed, WHITE, thickness, cv2.LINE_AA)


def _polygon(centre: float, radii: np.ndarray, turn: float) -> np.ndarray:
    """(k, 2) corners at even angles around the centre."""
    angles = turn + np.arange(len(radii)) * 2 * math.pi / len(radii)
    return np.stack([centre + radii * np.cos(angles), centre + radii * np.sin(angles)], axis=1)


def scribble(rng: np.random.Generator, thickness: int) -> np.ndarray:
    """A random smooth pen path with many turns, like someone testing the pen."""
    canvas = blank_canvas()
    heading = rng.uniform(0, 2 * math.pi)
    point = np.array([CANVAS_SIDE / 2, CANVAS_SIDE / 2])
    points = [point.copy()]
    for _ in range(rng.integers(40, 90)):
        heading += rng.normal(0, 0.9)
        point = np.clip(point + 12 * np.array([math.cos(heading), math.sin(heading)]), 30, CANVAS_SIDE - 30)
        points.append(point.copy())
    _outline(canvas, np.array(points), False, thickness)
    return canvas


def _grid_stroke(rng: np.random.Generator, anchor: Callable[[], np.ndarray], min_length: float) -> np.ndarray:
    """(k, 2) points of one stroke between two grid points: straight, bent at a third point, or bowed."""
    start, end = anchor(), anchor()
    while np.linalg.norm(end - start) < min_length:
        end = anchor()
    shape = rng.choice(("line", "line", "bent", "arc"))
    if shape == "line":
        return np.stack([start, end])
    if shape == "bent":
        return np.stack([start, anchor(), end])
    along = np.linspace(0, 1, 30)[:, np.newaxis]
    chord = end - start
    normal = np.array([-chord[1], chord[0]]) / np.linalg.norm(chord)
    bow = rng.uniform(0.2, 0.5) * np.linalg.norm(chord) * rng.choice((-1, 1))
    return start + along * chord + normal * bow * np.sin(math.pi * along)


def grid_strokes(rng: np.random.Generator, thickness: int) -> np.ndarray:
    """A letter-like mark: a few strokes between jittered points of a 3x3 grid, a capital's size."""
    canvas = blank_canvas()
    height = rng.uniform(150, 200)
    width = height * rng.uniform(0.5, 1.0)
    columns = CANVAS_SIDE / 2 + np.array([-0.5, 0.0, 0.5]) * width
    rows = CANVAS_SIDE / 2 + np.array([-0.5, 0.0, 0.5]) * height

    def anchor() -> np.ndarray:
        return np.array([columns[rng.integers(3)], rows[rng.integers(3)]]) + rng.normal(0, 0.06 * height, 2)

    for _ in range(int(rng.integers(*GRID_STROKE_COUNTS))):
        _outline(canvas, _grid_stroke(rng, anchor, 0.35 * height), False, thickness)
    return canvas


def drawn_mark(kind: str, rng: np.random.Generator, thickness: int) -> np.ndarray:
    """One mark of a kind in `KINDS`, with a random size, turn and pen."""
    if kind == "scribble":
        return scribble(rng, thickness)
    if kind == GRID_STROKES:
        return grid_strokes(rng, thickness)
    canvas = blank_canvas()
    centre, radius = CANVAS_SIDE / 2, rng.uniform(70, 120)
    turn = rng.uniform(0, 2 * math.pi)
    if kind == "spiral":
        angles = np.linspace(0, rng.uniform(4, 7) * math.pi, 200)
        radii = radius * angles / angles[-1]
        _outline(canvas, np.stack([centre + radii * np.cos(angles + turn), centre + radii * np.sin(angles + turn)], axis=1), False, thickness)
    elif kind == "hatch":
        for offset in np.linspace(-radius, radius, int(rng.integers(3, 6))):
            cv2.line(canvas, (int(centre + offset), int(centre - radius)), (int(centre + offset), int(centre + radius)), WHITE, thickness)
            cv2.line(canvas, (int(centre - radius), int(centre + offset)), (int(centre + radius), int(centre + offset)), WHITE, thickness)
    elif kind == "zigzag":
        corners = int(rng.integers(5, 10))
        xs = np.linspace(centre - radius, centre + radius, corners)
        ys = centre + np.where(np.arange(corners) % 2, -1, 1) * radius * rng.uniform(0.3, 0.8)
        _outline(canvas, np.stack([xs, ys], axis=1), False, thickness)
    elif kind == "jagged line":  # sharp turns between random points: letter-like, never a smooth digit
        corners = rng.uniform(centre - radius, centre + radius, size=(int(rng.integers(5, 9)), 2))
        _outline(canvas, corners, False, thickness)
    elif kind == "crossed box":
        corners = _polygon(centre, np.full(4, radius), turn)
        _outline(canvas, corners, True, thickness)
        _outline(canvas, corners[[0, 2]], False, thickness)
        _outline(canvas, corners[[1, 3]], False, thickness)
    else:
        count = {"triangle": 3, "square": 4, "star": 10}[kind]
        radii = np.where(np.arange(count) % 2, radius * 0.45, radius) if kind == "star" else np.full(count, radius)
        _outline(canvas, _polygon(centre, radii, turn), True, thickness)
    return canvas


def drawn_mark_drawings(count: int, seed: int = 0, kinds: Sequence[str] = SHAPES) -> list[tuple[str, np.ndarray]]:
    """`count` named marks, `kinds` taken in turn, each with its own random pen (10-24 px)."""
    rng = np.random.default_rng(seed)
    drawings = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        drawings.append((kind, drawn_mark(kind, rng, int(rng.integers(10, 25)))))
    return drawings


def drawn_mark_images(count: int, seed: int = 0, kinds: Sequence[str] = SHAPES) -> np.ndarray:
    """Marks to train on, as MNIST stores digits: (n <= count, 28, 28) uint8, white on black."""
    inputs = as_model_inputs(drawing for _, drawing in drawn_mark_drawings(count, seed, kinds))  # (n, 28, 28) float32
    return as_stored_digits(inputs)

"""Real European pen digits to train on: the digits of UJI Pen Characters v2, drawn as the canvas draws.

MNIST's writers were American, and a model trained on them alone reads a European flagged 1 as a 7.
UJI's 60 Spanish writers (flagged 1s, crossed 7s, open 4s) fill that gap. Writers 1-40 train
(`training_digits`), writers 41-60 never do: `bench.realworld` scores the model on them. Each training
digit is drawn anew on every epoch, with a random pen width, size, slant and position on the Predict
page's canvas, and finished by the app's own preprocessing into MNIST format.

Source: F. Prat, M. J. Castro, D. Llorens, A. Marzal, J. M. Vilar, UJI Pen Characters (Version 2),
UCI Machine Learning Repository, dataset 177, DOI 10.24432/C5FG8S, CC BY 4.0. The strokes ship in
`core/assets/uji_digits.npz`, built by `python -m bench.uji_asset`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from core.mnist_format import IMAGE_SIDE, as_stored_digits
from core.pen_strokes import CANVAS_SIDE, draw_strokes, fit_strokes
from core.preprocessing import crop_to_ink, finish_digit
from core.recipes import UJI_SHARE

logger = logging.getLogger(__name__)

UJI_ASSET = Path(__file__).parent / "assets" / "uji_digits.npz"

TRAINING_WRITERS = range(1, 41)
"""UCI's own training writers; their digits join the training data."""

MEASURING_WRITERS = range(41, 61)
"""UCI's test writers: only ever scored (`bench.realworld`), never trained on. Split by writer, not by
sample: a person's two repetitions look alike."""

PEN_WIDTHS = (8, 30)
"""Canvas pen widths drawn from, in pixels: the range `bench.realworld` measures (the slider allows 5-40)."""

FILLS = (0.3, 0.9)
"""Share of the canvas the digit's longest side spans: small to nearly full drawings."""

MAX_SLANT = 0.25
"""x moves by up to this fraction of y, either way: upright writers lean, slanted ones straighten."""


@dataclass(frozen=True, eq=False)
class UjiDigit:
    """One digit as written on the tablet. `eq=False`: numpy arrays have no single truth value."""

    label: int  # 0-9
    writer: int  # 1-60
    strokes: tuple[np.ndarray, ...]  # each (k, 2) int16 (x, y), y down, tablet units, k >= 1


def parse_uji_json(document: dict) -> list[UjiDigit]:
    """The digits of the shared data's `ujipenchars2_digits_strokes.json`, by label, then in file order.

    Sample `i` of a digit (0-based) is writer `i // 2 + 1`: the file runs writer by writer, two
    repetitions each.

    Raises:
        ValueError: a label is not a digit, or a digit has no strokes or an empty stroke.
    """
    digits = []
    for key in sorted(document["rawData"]):
        if not (len(key) == 1 and key.isdigit()):
            raise ValueError(f"UJI label {key!r} is not a digit.")
        for index, sample in enumerate(document["rawData"][key]):
            if not sample or not all(sample):
                raise ValueError(f"UJI digit {key}, sample {index} has no strokes or an empty stroke.")
            strokes = tuple(np.asarray(stroke, np.int16).reshape(-1, 2) for stroke in sample)
            digits.append(UjiDigit(label=int(key), writer=index // 2 + 1, strokes=strokes))
    return digits


def pack_digits(digits: Sequence[UjiDigit]) -> dict[str, np.ndarray]:
    """The digits as the asset's arrays, small enough to ship (~200 KB compressed).

    Each digit is moved so its points start at 0 (absolute tablet positions mean nothing). Every point
    is kept, repeated ones too: OpenCV's anti-aliased pen draws a repeated point slightly differently,
    and the copy should draw exactly like the original.

    Returns:
        `points` (p, 2) int16, `stroke_lengths` (s,) int32, `strokes_per_digit` (n,) int32,
        `labels` (n,) uint8, `writers` (n,) uint8.
    """
    points, stroke_lengths = [], []
    for digit in digits:
        low = np.concatenate(digit.strokes).min(axis=0)
        for stroke in digit.strokes:
            points.append(stroke - low)  # (k, 2)
            stroke_lengths.append(len(stroke))
    return {
        "points": np.concatenate(points).astype(np.int16),
        "stroke_lengths": np.array(stroke_lengths, np.int32),
        "strokes_per_digit": np.array([len(digit.strokes) for digit in digits], np.int32),
        "labels": np.array([digit.label for digit in digits], np.uint8),
        "writers": np.array([digit.writer for digit in digits], np.uint8),
    }


def unpack_digits(arrays: dict[str, np.ndarray]) -> list[UjiDigit]:
    """The digits back from `pack_digits`' arrays."""
    strokes = np.split(arrays["points"], np.cumsum(arrays["stroke_lengths"])[:-1])
    per_digit = np.split(np.arange(len(strokes)), np.cumsum(arrays["strokes_per_digit"])[:-1])
    return [
        UjiDigit(label=int(label), writer=int(writer), strokes=tuple(strokes[i] for i in stroke_indices))
        for label, writer, stroke_indices in zip(arrays["labels"], arrays["writers"], per_digit)
    ]


def load_uji_digits(writers: Sequence[int], path: Path = UJI_ASSET) -> list[UjiDigit]:
    """The shipped UJI digits of the given writers, by label.

    Raises:
        OSError: the asset cannot be read.
    """
    with np.load(path) as arrays:
        digits = unpack_digits(dict(arrays))
    wanted = set(writers)
    return [digit for digit in digits if digit.writer in wanted]


def training_digits() -> list[UjiDigit]:
    """Writers 1-40's digits: 800, for training."""
    return load_uji_digits(TRAINING_WRITERS)


def measuring_digits() -> list[UjiDigit]:
    """Writers 41-60's digits: 400, for measuring only."""
    return load_uji_digits(MEASURING_WRITERS)


def slanted(strokes: Sequence[np.ndarray], slant: float) -> list[np.ndarray]:
    """The strokes sheared: x moves by `slant` times the height above the digit's lowest point (y down)."""
    bottom = max(float(stroke[:, 1].max()) for stroke in strokes)
    return [np.column_stack([stroke[:, 0] + slant * (bottom - stroke[:, 1]), stroke[:, 1]]) for stroke in strokes]


def training_canvas(digit: UjiDigit, rng: np.random.Generator) -> np.ndarray:
    """The digit drawn on the Predict page's canvas with a random pen width, size, slant and position.

    Returns:
        `(280, 280)` uint8, white ink on black (one channel of the canvas's RGBA export).
    """
    pen_width = int(rng.integers(PEN_WIDTHS[0], PEN_WIDTHS[1] + 1))
    fill = rng.uniform(*FILLS)
    half_ink = fill * CANVAS_SIDE / 2
    centre = (rng.uniform(half_ink, CANVAS_SIDE - half_ink), rng.uniform(half_ink, CANVAS_SIDE - half_ink))
    strokes = slanted(digit.strokes, rng.uniform(-MAX_SLANT, MAX_SLANT))
    canvas = np.zeros((CANVAS_SIDE, CANVAS_SIDE), np.uint8)
    # The pen adds half its width on each side, so the path spans a pen width less than the ink.
    draw_strokes(canvas, fit_strokes(strokes, CANVAS_SIDE, fill * CANVAS_SIDE - pen_width, centre), pen_width)
    return canvas


def render_for_training(digit: UjiDigit, rng: np.random.Generator) -> np.ndarray:
    """A fresh `training_canvas` of the digit, in MNIST format.

    The canvas is clean white ink on black, so cropping it and `finish_digit` give exactly what
    `preprocess_digit` would, without the thresholding steps a photo needs (a quarter of the time).

    Returns:
        `(28, 28)` uint8, white on black, boxed and centred by the MNIST recipe.
    """
    _, model_input = finish_digit(crop_to_ink(training_canvas(digit, rng)))  # (28, 28) float32 in [0, 1]
    return as_stored_digits(model_input)


def uji_weight(mnist_count: int, uji_count: int, share: float = UJI_SHARE) -> float:
    """The sample weight of each UJI digit, so that together they weigh `share` of `mnist_count`."""
    return share * mnist_count / uji_count


class UjiEpochs:
    """Writers 1-40's digits as training samples, drawn anew every time they are asked for (every epoch).

    The drawings differ from call to call and repeat for the same seed.
    """

    def __init__(self, mnist_count: int, seed: int, digits: Sequence[UjiDigit] | None = None,
                 share: float = UJI_SHARE) -> None:
        self.digits = training_digits() if digits is None else list(digits)
        self.labels = np.array([digit.label for digit in self.digits], np.uint8)  # (n,)
        self.weight = uji_weight(mnist_count, len(self.digits), share)
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.digits)

    def render(self) -> np.ndarray:
        """One fresh drawing of every digit: `(n, 28, 28)` uint8."""
        started = time.perf_counter()
        images = np.zeros((len(self.digits), IMAGE_SIDE, IMAGE_SIDE), np.uint8)
        for index, digit in enumerate(self.digits):
            images[index] = render_for_training(digit, self._rng)
        logger.debug("Drew %d UJI digits in %.2f s", len(images), time.perf_counter() - started)
        return images

    def drawings(self, passes: int) -> np.ndarray:
        """`passes` fresh drawings of every digit, made now: `(passes, n, 28, 28)` uint8."""
        return np.stack([self.render() for _ in range(passes)])

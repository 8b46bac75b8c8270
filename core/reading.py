"""How a picture's digits read as text: one place for the CLI and the photo benchmark to agree on.

The benchmark scores exactly what `python -m core predict` prints, so both build the reading here,
including the choice of which way up a photographed page is read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Sequence

import cv2
import numpy as np

from core.preprocessing import NoInkError
from core.segmentation import SegmentedDigit, segment_digits
from core.uncertainty import judge

logger = logging.getLogger(__name__)

Predictor = Callable[[np.ndarray], np.ndarray]
"""A model: `(n, 28, 28)` digits in, `(n, classes)` probabilities out (see `core.inference`)."""

UPRIGHT_SURE = 0.99
"""A picture whose digits the model reads upright with this mean confidence or more is upright. Below
it, the picture is also read turned a quarter each way, and the most confident reading wins: on the
development photos a page turned by 90 degrees reads at 0.65-0.84 and upright at 0.93 or more."""

MIN_DIGITS_TO_TURN = 3
"""Fewer digits are always read upright: one digit on its side often is another digit (a 1 a dash, a
6 a 9-like blob), read as confidently; several digits all reading well turned means the page is."""

QUARTER_TURNS = {"turned left": cv2.ROTATE_90_COUNTERCLOCKWISE, "turned right": cv2.ROTATE_90_CLOCKWISE}
"""How a picture is turned to read a page photographed sideways."""

TOUCHING_SURE = 0.8
"""A blob that may be touching digits (see `SegmentedDigit.splits`) is cut only when the model reads every
part this surely or more, and more surely than the whole blob: on the photo stress set (seed 1), six
single digits twice as wide as the median digit had parts read at 0.8 or more, but less surely than the
digit whole."""

LINE_SEPARATOR = "|"
"""Stands between text lines in a reading, and in the development photos' labels."""


def reading_of(digits: Sequence[SegmentedDigit], probabilities: np.ndarray, not_sure_floor: float) -> str:
    """The digits' labels in reading order, lines apart: `12345|67890`; `?` where the model is not sure,
    `-` where it sees no digit (`12-4`).

    A number on one line keeps its digits together; a sheet of several lines must not run them into
    one long number, so `LINE_SEPARATOR` stands between the lines `segment_digits` found.

    Args:
        digits: the picture's digits, in the reading order `segment_digits` returns.
        probabilities: `(len(digits), classes)` the model's answer for each digit.
        not_sure_floor: the run's "not sure" floor (see `core.uncertainty.judge`).
    """
    text, line = "", None
    for digit, row in zip(digits, probabilities, strict=True):
        if line is not None and digit.box.line != line:
            text += LINE_SEPARATOR
        text += judge(row, not_sure_floor).label
        line = digit.box.line
    return text


def split_touching_digits(
    digits: Sequence[SegmentedDigit], probabilities: np.ndarray, predict: Predictor
) -> tuple[list[SegmentedDigit], np.ndarray]:
    """Cuts each blob that may be touching digits (see `SegmentedDigit.splits`) the way whose least sure
    digit the model reads most surely, if at least `TOUCHING_SURE` and more surely than the whole blob;
    between ways as sure, the one of fewer digits. `segment_digits` cannot tell where touching digits
    meet, nor how many there are (a blob of 3 digits also cuts into 2 that read as digits, less surely);
    how surely the parts read as digits can.

    Args:
        digits: a picture's digits in reading order (`segment_digits`).
        probabilities: `(len(digits), classes)` the model's answer for them.
        predict: the model, to read the parts.

    Returns:
        The digits with each cut blob replaced by its parts, and the model's answers for them.
    """
    ways = [(index, way) for index, digit in enumerate(digits) for way in digit.splits]
    if not ways:
        return list(digits), probabilities
    rows = predict(np.stack([part.preprocessed.model_input for _, way in ways for part in way]))  # (parts, classes)
    chosen: dict[int, tuple[float, tuple[SegmentedDigit, ...], np.ndarray]] = {}  # digit: (sureness, parts, rows)
    start = 0
    for index, way in ways:
        way_rows = rows[start : start + len(way)]
        start += len(way)
        sureness = float(way_rows.max(axis=1).min())
        if sureness >= max(TOUCHING_SURE, float(probabilities[index].max())) and sureness > chosen.get(index, (0.0,))[0]:
            chosen[index] = (sureness, way, way_rows)
    if chosen:
        logger.debug("%d of %d blobs cut into touching digits", len(chosen), len({index for index, _ in ways}))
    kept_digits, kept_rows = [], []
    for index, (digit, row) in enumerate(zip(digits, probabilities, strict=True)):
        if index in chosen:
            kept_digits.extend(chosen[index][1])
            kept_rows.extend(chosen[index][2])
        else:
            kept_digits.append(digit)
            kept_rows.append(row)
    return kept_digits, np.stack(kept_rows)


@dataclass(frozen=True)
class Reading:
    """A picture's digits, read the way up that the model reads most confidently."""

    digits: list[SegmentedDigit]  # boxes in the coordinates of the picture as turned
    probabilities: np.ndarray  # (len(digits), classes)
    turn: str  # "upright", or a key of QUARTER_TURNS
    text: str  # see `reading_of`

    @property
    def confidence(self) -> float:
        """The mean of the digits' top probabilities: how the ways up are compared."""
        return float(self.probabilities.max(axis=1).mean())

    @property
    def lines(self) -> int:
        """How many text lines the digits stand in."""
        return len({digit.box.line for digit in self.digits})


def read_either_way_up(
    image: np.ndarray, upright: Sequence[SegmentedDigit], probabilities: np.ndarray, predict: Predictor, not_sure_floor: float
) -> Reading:
    """Reads a picture upright, or turned a quarter either way when that reads more confidently
    (pictures of `MIN_DIGITS_TO_TURN` digits or more read upright less surely than `UPRIGHT_SURE`).

    Pages are photographed sideways (the text running up or down the picture); digits on their side
    read as other digits, less confidently, so the model itself says which way up is right. A turned
    reading must also stand in no more lines than the upright one: text runs along its lines, so a
    page read the wrong way up stands in more, shorter lines (a number turned is a column of one-digit
    lines), and some numbers turned read as confidently as upright (on the stress photos, 6 of 300).
    Either way up, blobs of touching digits are cut first (see `split_touching_digits`).

    Args:
        image: the picture `upright` was found in (any shape `segment_digits` takes).
        upright: `segment_digits(image)`.
        probabilities: `(len(upright), classes)` the model's answer for them.
        predict: the model, to read the turned pictures and the parts of touching digits.
        not_sure_floor: the run's "not sure" floor.
    """
    upright, probabilities = split_touching_digits(upright, probabilities, predict)
    best = Reading(upright, probabilities, "upright", reading_of(upright, probabilities, not_sure_floor))
    if best.confidence >= UPRIGHT_SURE or len(upright) < MIN_DIGITS_TO_TURN:
        return best
    for turn, rotation in QUARTER_TURNS.items():
        try:
            digits = segment_digits(np.ascontiguousarray(cv2.rotate(image, rotation)))
        except NoInkError:
            continue
        rows = predict(np.stack([digit.preprocessed.model_input for digit in digits]))  # (n, classes)
        digits, rows = split_touching_digits(digits, rows, predict)
        candidate = Reading(digits, rows, turn, reading_of(digits, rows, not_sure_floor))
        if candidate.confidence > best.confidence and candidate.lines <= best.lines:
            best = candidate
    if best.turn != "upright":
        logger.info("read %s (mean confidence %.3f)", best.turn, best.confidence)
    return best


def read_image(image: np.ndarray, predict: Predictor, not_sure_floor: float) -> Reading:
    """One picture read as Predict and the benchmarks read it: found, answered in one call, and read
    either way up (`read_either_way_up`).

    Raises:
        NoInkError: no digit was found.
    """
    upright = segment_digits(image)
    batch = np.stack([digit.preprocessed.model_input for digit in upright])  # (n, 28, 28)
    return read_either_way_up(image, upright, predict(batch), predict, not_sure_floor)

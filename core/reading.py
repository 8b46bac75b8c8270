"""How a picture's digits read as text: one place for the CLI and the photo benchmark to agree on.

The benchmark scores exactly what `python -m core predict` prints, so both build the reading here.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from core.segmentation import SegmentedDigit
from core.uncertainty import judge

LINE_SEPARATOR = "|"
"""Stands between text lines in a reading, and in the development photos' labels."""


def reading_of(digits: Sequence[SegmentedDigit], probabilities: np.ndarray, not_sure_floor: float) -> str:
    """The digits' labels in reading order, `?` where the model is not sure, lines apart: `12345|67890`.

    A number on one line keeps its digits together; a sheet of several lines must not run them into
    one long number, so `LINE_SEPARATOR` stands between the lines `segment_digits` found.

    Args:
        digits: the picture's digits, in the reading order `segment_digits` returns.
        probabilities: `(len(digits), 10)` the model's answer for each digit.
        not_sure_floor: the run's "not sure" floor (see `core.uncertainty.judge`).
    """
    text, line = "", None
    for digit, row in zip(digits, probabilities, strict=True):
        if line is not None and digit.box.line != line:
            text += LINE_SEPARATOR
        text += judge(row, not_sure_floor).label
        line = digit.box.line
    return text

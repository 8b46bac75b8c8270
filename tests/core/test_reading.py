"""Tests for core.reading: a picture's digits as the text the CLI prints, lines separated by `|`."""

from __future__ import annotations

import cv2
import numpy as np

from core.reading import LINE_SEPARATOR, reading_of
from core.segmentation import segment_digits


def _two_line_paper() -> np.ndarray:
    """Dark bars on white paper: two 1s on the upper line, three on the lower one."""
    paper = np.full((340, 420), 255, np.uint8)
    for x in (80, 180):
        cv2.line(paper, (x, 30), (x - 2, 140), 20, 14)
    for x in (80, 180, 280):
        cv2.line(paper, (x, 200), (x - 2, 310), 20, 14)
    return paper


def _certain(digits: list[int], *, unsure: tuple[int, ...] = ()) -> np.ndarray:
    """`(n, 10)` probabilities: each digit certain, except those at `unsure`, spread evenly."""
    probabilities = np.zeros((len(digits), 10), np.float32)
    probabilities[np.arange(len(digits)), digits] = 1.0
    probabilities[list(unsure)] = 0.1
    return probabilities


def test_lines_are_read_apart_with_the_separator() -> None:
    digits = segment_digits(_two_line_paper())

    reading = reading_of(digits, _certain([1, 2, 3, 4, 5]), not_sure_floor=0.5)

    assert reading == f"12{LINE_SEPARATOR}345"


def test_one_line_reads_as_one_number_and_unsure_digits_as_question_marks() -> None:
    paper = _two_line_paper()
    paper[170:] = 255  # only the upper line is left

    digits = segment_digits(paper)

    assert reading_of(digits, _certain([7, 0], unsure=(1,)), not_sure_floor=0.5) == "7?"

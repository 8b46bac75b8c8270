"""Tests for core.reading: a picture's digits as the text the CLI prints, lines separated by `|`."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.reading import (
    LINE_SEPARATOR,
    MIN_DIGITS_TO_TURN,
    TOUCHING_SURE,
    Reading,
    read_either_way_up,
    read_image,
    reading_of,
    split_touching_digits,
)
from core.segmentation import segment_digits
from core.uncertainty import NOT_A_DIGIT
from tests.core.test_segmentation import zeros_two_touching


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


def test_a_mark_that_is_not_a_digit_reads_as_a_dash() -> None:
    paper = np.full((200, 560), 255, np.uint8)
    for x in (60, 180, 300, 420):  # four bars on one line, the third taken for a letter
        cv2.line(paper, (x, 40), (x - 2, 160), 20, 14)
    digits = segment_digits(paper)
    probabilities = np.zeros((4, 11), np.float32)  # an eleven-output model's answers
    probabilities[np.arange(4), [1, 2, NOT_A_DIGIT, 4]] = 1.0

    assert reading_of(digits, probabilities, not_sure_floor=0.5) == "12-4"


@pytest.fixture(scope="module")
def shipped_predict():
    from core.numpy_model import load_predictor
    from core.runs import MODEL_FILE, SHIPPED_RUN_DIR

    return load_predictor(SHIPPED_RUN_DIR / MODEL_FILE)


def _tall_digit_on_paper(digit: int) -> np.ndarray:
    """A 9 with a small loop and a long tail, or a 7 with a short bar and a long stem, in a thin pen."""
    paper = np.full((170, 80), 240, np.uint8)
    if digit == 9:
        cv2.circle(paper, (40, 40), 10, 30, 3, cv2.LINE_AA)
        cv2.line(paper, (50, 40), (46, 130), 30, 3, cv2.LINE_AA)
    else:
        cv2.line(paper, (30, 30), (46, 30), 30, 3, cv2.LINE_AA)
        cv2.line(paper, (46, 30), (35, 130), 30, 3, cv2.LINE_AA)
    return paper


@pytest.mark.parametrize("digit", [9, 7])
def test_a_digit_far_taller_than_wide_is_not_read_as_1(shipped_predict, digit: int) -> None:
    # Fitted into MNIST's 20 px box as they are, both read 1 (0.81 and 0.98): their loop and bar shrink to a dot.
    assert read_image(_tall_digit_on_paper(digit), shipped_predict, not_sure_floor=0.5).text == str(digit)


def _number_on_paper(text: str) -> np.ndarray:
    """`text` in a thick Hershey hand, dark on white paper, upright, the digits well apart."""
    paper = np.full((220, 80 + 140 * len(text)), 255, np.uint8)
    for position, character in enumerate(text):
        cv2.putText(paper, character, (40 + 140 * position, 170), cv2.FONT_HERSHEY_SIMPLEX, 4.0, 20, 12, cv2.LINE_AA)
    return paper


def _read(image: np.ndarray, predict) -> Reading:
    digits = segment_digits(image)
    probabilities = predict(np.stack([digit.preprocessed.model_input for digit in digits]))
    return read_either_way_up(image, digits, probabilities, predict, not_sure_floor=0.5)


@pytest.mark.parametrize(("rotation", "turn"), [(cv2.ROTATE_90_CLOCKWISE, "turned left"), (cv2.ROTATE_90_COUNTERCLOCKWISE, "turned right")])
def test_a_page_photographed_sideways_is_read_turned_back(shipped_predict, rotation, turn) -> None:
    sideways = np.ascontiguousarray(cv2.rotate(_number_on_paper("3074"), rotation))

    reading = _read(sideways, shipped_predict)

    assert (reading.text, reading.turn) == ("3074", turn)


def test_an_upright_number_stays_upright(shipped_predict) -> None:
    reading = _read(_number_on_paper("3074"), shipped_predict)
    assert (reading.text, reading.turn) == ("3074", "upright")


def test_fewer_digits_than_a_line_are_never_turned() -> None:
    paper = _two_line_paper()
    paper[:, 150:] = 255  # one 1 on each line: two digits
    digits = segment_digits(paper)
    assert len(digits) < MIN_DIGITS_TO_TURN

    def always_unsure(batch: np.ndarray) -> np.ndarray:
        return np.full((len(batch), 10), 0.1, np.float32)

    reading = read_either_way_up(paper, digits, always_unsure(np.zeros((len(digits), 28, 28))), always_unsure, 0.5)

    assert reading.turn == "upright"


def test_a_number_is_not_turned_into_a_column_of_lines_however_sure_the_turned_digits() -> None:
    number = _number_on_paper("3074")
    digits = segment_digits(number)
    upright = np.full((len(digits), 10), 0.1, np.float32)
    upright[:, 3] = 0.9  # fairly sure upright, below UPRIGHT_SURE

    def sure_of_everything_turned(batch: np.ndarray) -> np.ndarray:
        return _certain([6] * len(batch))

    reading = read_either_way_up(number, digits, upright, sure_of_everything_turned, not_sure_floor=0.5)

    assert (reading.turn, reading.text) == ("upright", "3333")


def _reads_zeros(sureness: float):
    """A model that reads every input as a 0 this surely."""

    def predict(inputs: np.ndarray) -> np.ndarray:
        probabilities = np.full((len(inputs), 10), (1.0 - sureness) / 9, np.float32)
        probabilities[:, 0] = sureness
        return probabilities

    return predict


def test_touching_digits_are_cut_when_the_model_reads_the_parts_more_surely() -> None:
    digits = segment_digits(zeros_two_touching())
    whole = np.full((len(digits), 10), 0.02, np.float32)
    whole[:, 8] = 0.82  # the blob read as an 8, less surely than its parts as 0s

    kept, probabilities = split_touching_digits(digits, whole, _reads_zeros(0.99))

    assert len(kept) == len(digits) + 1 == len(probabilities)
    assert kept[:4] == digits[:4]
    assert kept[4].box.right <= kept[5].box.left + 1 and kept[5].box.right == digits[4].box.right
    assert reading_of(kept, probabilities, not_sure_floor=0.5) == "888800"


@pytest.mark.parametrize("parts_sureness", [0.9, TOUCHING_SURE - 0.05])
def test_a_blob_stays_whole_unless_its_parts_read_more_surely_and_surely_enough(parts_sureness: float) -> None:
    digits = segment_digits(zeros_two_touching())
    whole = np.full((len(digits), 10), 0.0, np.float32)
    whole[:, 8] = 0.95 if parts_sureness > TOUCHING_SURE else 0.5

    kept, probabilities = split_touching_digits(digits, whole, _reads_zeros(parts_sureness))

    assert kept == digits and np.array_equal(probabilities, whole)

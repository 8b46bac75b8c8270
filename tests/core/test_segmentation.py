"""Tests for core.segmentation: numbers and lines of digits are split into single digits in reading order."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.preprocessing import NoInkError, preprocess_digit
from core.segmentation import (
    DigitBox,
    SegmentedDigit,
    border_scraps,
    drop_solid_areas,
    edge_slivers,
    group_pieces,
    reading_order,
    segment_digits,
    split_at_wide_gaps,
    stray_marks,
    text_slope,
    touching_cuts,
)

MNIST_SAMPLE = Path(__file__).resolve().parents[2] / "core" / "assets" / "mnist_sample.npz"
STEP_NAMES = ("original", "grayscale", "thresholded", "cropped", "stroke width", "20px box", "centred 28x28")
TOLERANCE = 3
"""Pixels a box may differ from the drawing's own: the faintest anti-aliased edge falls below the threshold."""

Box = tuple[int, int, int, int]  # left, top, right, bottom (exclusive) of a drawing's ink


def _ink_box(image: np.ndarray) -> Box:
    x, y, width, height = cv2.boundingRect(image)
    return x, y, x + width, y + height


def _write(
    text: str,
    size: tuple[int, int] = (280, 280),
    origin: tuple[int, int] = (12, 170),
    scale: float = 2.4,
    thickness: int = 12,
) -> tuple[np.ndarray, list[Box]]:
    """Writes `text` with a thick Hershey font, white on black, one character at a time.

    Returns:
        The `(height, width)` uint8 canvas and the ink box of every character, left to right.
    """
    canvas = np.zeros(size, np.uint8)
    boxes = []
    x, y = origin
    for character in text:
        layer = np.zeros(size, np.uint8)
        cv2.putText(layer, character, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_AA)
        boxes.append(_ink_box(layer))
        canvas = np.maximum(canvas, layer)
        (advance, _), _ = cv2.getTextSize(character, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        x += advance
    return canvas, boxes


def _paper(canvas: np.ndarray) -> np.ndarray:
    """The same drawing as dark ink on white paper, RGB."""
    return np.repeat((255 - canvas)[..., None], 3, axis=2)


def _transparent_canvas(canvas: np.ndarray) -> np.ndarray:
    """The drawing canvas widget's output: white strokes whose alpha is the ink, transparent elsewhere."""
    return np.dstack([np.full(canvas.shape + (3,), 255, np.uint8), canvas])


def _assert_box_matches(box: DigitBox, drawn: Box, scale: float = 1.0) -> None:
    left, top, right, bottom = drawn
    tolerance = TOLERANCE * max(scale, 1.0)
    assert abs(box.left - left) <= tolerance, (box, drawn)
    assert abs(box.top - top) <= tolerance, (box, drawn)
    assert abs(box.left + box.width - right) <= tolerance, (box, drawn)
    assert abs(box.top + box.height - bottom) <= tolerance, (box, drawn)


def _count_blobs(image: np.ndarray) -> int:
    count, _ = cv2.connectedComponents((image > 127).astype(np.uint8), connectivity=8)
    return count - 1


# ----------------------------------------------------------------------------- pieces of one digit


def _five_in_pieces(canvas: np.ndarray, left: int = 60, top: int = 40, thickness: int = 16) -> None:
    """A 5 whose flag, stem and belly are three separate strokes, as a hurried hand draws it."""
    cv2.line(canvas, (left + 30, top), (left + 120, top), 255, thickness, cv2.LINE_AA)  # flag
    cv2.line(canvas, (left + 15, top + 26), (left + 10, top + 85), 255, thickness, cv2.LINE_AA)  # stem
    cv2.ellipse(canvas, (left + 60, top + 135), (55, 50), 0, -150, 140, 255, thickness, cv2.LINE_AA)  # belly


def _seven_in_pieces(canvas: np.ndarray, left: int = 70, top: int = 50, thickness: int = 16) -> None:
    """A continental 7: top bar, stem and crossbar drawn apart, none touching."""
    cv2.line(canvas, (left, top), (left + 120, top), 255, thickness, cv2.LINE_AA)  # top bar
    cv2.line(canvas, (left + 130, top + 25), (left + 50, top + 180), 255, thickness, cv2.LINE_AA)  # stem
    cv2.line(canvas, (left + 30, top + 95), (left + 60, top + 95), 255, thickness, cv2.LINE_AA)  # crossbar


def _four_in_two_strokes(canvas: np.ndarray, left: int = 60, top: int = 40, thickness: int = 16) -> None:
    """A 4 drawn as an L-shaped stroke and a separate upright that stops short of the crossbar."""
    cv2.line(canvas, (left + 60, top), (left, top + 120), 255, thickness, cv2.LINE_AA)
    cv2.line(canvas, (left, top + 120), (left + 150, top + 120), 255, thickness, cv2.LINE_AA)
    cv2.line(canvas, (left + 110, top + 10), (left + 110, top + 92), 255, thickness, cv2.LINE_AA)
    cv2.line(canvas, (left + 110, top + 148), (left + 110, top + 200), 255, thickness, cv2.LINE_AA)


def _broken_one(canvas: np.ndarray, left: int = 140, top: int = 40, thickness: int = 18) -> None:
    """A 1 whose stroke has a 10 px gap in the middle (the pen skipped); line caps add thickness / 2."""
    cv2.line(canvas, (left, top), (left, top + 90), 255, thickness, cv2.LINE_AA)
    cv2.line(canvas, (left, top + 90 + thickness + 10), (left, top + 200), 255, thickness, cv2.LINE_AA)


def _broken_zero(canvas: np.ndarray, left: int = 80, top: int = 40, thickness: int = 16) -> None:
    """A 0 left open at the top and with a skip on the right side."""
    centre, axes = (left + 60, top + 100), (60, 100)
    cv2.ellipse(canvas, centre, axes, 0, -75, 5, 255, thickness, cv2.LINE_AA)
    cv2.ellipse(canvas, centre, axes, 0, 30, 260, 255, thickness, cv2.LINE_AA)


def _dashed_one(canvas: np.ndarray, left: int = 140, top: int = 40, thickness: int = 10) -> None:
    """A 1 drawn as a dashed line: short dashes with dot-like 8 px gaps."""
    for dash_top in range(top, top + 200, 26):
        cv2.line(canvas, (left, dash_top), (left, dash_top + 8), 255, thickness, cv2.LINE_AA)


PIECEWISE_DIGITS = {
    "5-flag-stem-belly-apart": _five_in_pieces,
    "7-bar-stem-crossbar-apart": _seven_in_pieces,
    "4-in-two-strokes": _four_in_two_strokes,
    "1-broken-stroke": _broken_one,
    "0-broken-stroke": _broken_zero,
    "1-dashed": _dashed_one,
}


@pytest.mark.parametrize("case", PIECEWISE_DIGITS)
def test_a_digit_in_separate_pieces_stays_one_digit(case: str) -> None:
    canvas = np.zeros((280, 280), np.uint8)
    PIECEWISE_DIGITS[case](canvas)
    assert _count_blobs(canvas) >= 2  # the drawing really is in pieces

    digits = segment_digits(canvas)

    assert len(digits) == 1
    _assert_box_matches(digits[0].box, _ink_box(canvas))
    # All pieces go to the model: the single-digit pipeline, which keeps every blob, gives the same input.
    np.testing.assert_array_equal(digits[0].preprocessed.model_input, preprocess_digit(canvas).model_input)


@pytest.mark.parametrize("case", ["5-flag-stem-belly-apart", "7-bar-stem-crossbar-apart", "1-broken-stroke"])
def test_pieces_do_not_weld_a_digit_to_its_neighbours(case: str) -> None:
    # The digit in pieces sits between two whole digits, each about one stroke width away.
    canvas = np.zeros((280, 560), np.uint8)
    PIECEWISE_DIGITS[case](canvas, left=200 if case != "1-broken-stroke" else 270)
    left_digit = np.zeros_like(canvas)
    cv2.ellipse(left_digit, (120, 140), (50, 100), 0, 0, 360, 255, 16, cv2.LINE_AA)  # a 0 ending at x ~ 178
    right_digit = np.zeros_like(canvas)
    cv2.line(right_digit, (370, 40), (370, 240), 255, 16, cv2.LINE_AA)  # a 1 starting at x ~ 362
    canvas = np.maximum(canvas, np.maximum(left_digit, right_digit))

    digits = segment_digits(canvas)

    assert len(digits) == 3
    _assert_box_matches(digits[0].box, _ink_box(left_digit))
    _assert_box_matches(digits[2].box, _ink_box(right_digit))


# ----------------------------------------------------------------------------- rows and lines


@pytest.mark.parametrize(
    "dress",
    [lambda canvas: canvas, _paper, _transparent_canvas],
    ids=["white-on-black", "dark-on-paper", "transparent-canvas"],
)
@pytest.mark.parametrize("text", ["2024", "1379", "5680"])
def test_a_row_of_digits_comes_out_left_to_right(text: str, dress) -> None:
    canvas, drawn = _write(text)

    digits = segment_digits(dress(canvas))

    assert len(digits) == len(text)
    for digit, box in zip(digits, drawn):
        assert digit.box.line == 0
        _assert_box_matches(digit.box, box)


def test_each_digit_of_a_row_is_the_digit_drawn_alone() -> None:
    canvas, drawn = _write("2024")

    digits = segment_digits(canvas)

    for character, digit, box in zip("2024", digits, drawn):
        around = np.s_[box[1] - 5 : box[3] + 5, box[0] - 5 : box[2] + 5]
        alone = np.zeros_like(canvas)
        alone[around] = canvas[around]
        reference = preprocess_digit(alone).model_input
        # The only difference: alone, the ink is scaled to its own brightest pixels, here to all four digits'.
        np.testing.assert_allclose(digit.preprocessed.model_input, reference, atol=3 / 255, err_msg=character)


def test_two_lines_are_read_top_to_bottom_then_left_to_right() -> None:
    top_line, top_boxes = _write("12", size=(300, 300), origin=(40, 120), scale=3.0)
    bottom_line, bottom_boxes = _write("34", size=(300, 300), origin=(40, 250), scale=3.0)
    canvas = np.maximum(top_line, bottom_line)

    digits = segment_digits(_paper(canvas))

    assert [digit.box.line for digit in digits] == [0, 0, 1, 1]
    for digit, box in zip(digits, top_boxes + bottom_boxes):
        _assert_box_matches(digit.box, box)


def test_lines_closer_than_a_stroke_width_are_still_two_lines() -> None:
    # The 1 sits right above the 3, 9 px apart with a 12 px pen: that gap alone could be a broken stroke,
    # but no digit beside them spans it, so it is a line break.
    top_line, top_boxes = _write("12", size=(300, 300), origin=(40, 100), scale=3.0, thickness=14)
    bottom_line, bottom_boxes = _write("34", size=(300, 300), origin=(40, 170), scale=3.0, thickness=14)
    gap = min(box[1] for box in bottom_boxes) - max(box[3] for box in top_boxes)
    assert 0 < gap < 14

    digits = segment_digits(np.maximum(top_line, bottom_line))

    assert [digit.box.line for digit in digits] == [0, 0, 1, 1]
    for digit, box in zip(digits, top_boxes + bottom_boxes):
        _assert_box_matches(digit.box, box)


def test_a_slanting_line_is_still_one_line() -> None:
    # Each digit sits 12 px lower than the one before: the line's ends do not overlap vertically.
    canvas = np.zeros((320, 560), np.uint8)
    drawn = []
    for position, character in enumerate("31415926"):
        layer, boxes = _write(character, size=(320, 560), origin=(10 + 65 * position, 110 + 12 * position), scale=2.2)
        canvas = np.maximum(canvas, layer)
        drawn += boxes
    second_line, second_boxes = _write("27", size=(320, 560), origin=(10, 290), scale=2.2)
    canvas = np.maximum(canvas, second_line)

    digits = segment_digits(canvas)

    assert [digit.box.line for digit in digits] == [0] * 8 + [1] * 2
    for digit, box in zip(digits, drawn + second_boxes):
        _assert_box_matches(digit.box, box)


def test_specks_are_ignored() -> None:
    canvas, drawn = _write("2024")
    specked = canvas.copy()
    for row, column in [(30, 40), (250, 200), (60, 230), (220, 20)]:  # far from every digit
        cv2.circle(specked, (column, row), 3, 255, -1)

    digits = segment_digits(specked)

    assert len(digits) == 4
    clean = segment_digits(canvas)
    for digit, clean_digit, box in zip(digits, clean, drawn):
        assert digit.box == clean_digit.box
        _assert_box_matches(digit.box, box)
        np.testing.assert_array_equal(digit.preprocessed.model_input, clean_digit.preprocessed.model_input)


def test_small_digits_beside_a_long_tailed_one_are_digits_not_specks() -> None:
    # A 7 whose stem runs far below the line is 6 times as tall as the 2 and the 0 beside it: measured
    # against it, they were fragments and were dropped (a sheet of numbers lost its 0s and 1s).
    canvas = np.zeros((220, 300), np.uint8)
    cv2.putText(canvas, "20", (20, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 255, 3, cv2.LINE_AA)
    cv2.line(canvas, (130, 45), (170, 45), 255, 3, cv2.LINE_AA)
    cv2.line(canvas, (170, 45), (140, 200), 255, 3, cv2.LINE_AA)
    cv2.circle(canvas, (250, 150), 2, 255, -1)  # a speck stays a speck

    digits = segment_digits(_paper(canvas))

    assert [digit.box.line for digit in digits] == [0, 0, 0]
    assert [digit.box.left // 10 for digit in digits] == [2, 4, 12]
    assert digits[2].box.height > 5 * digits[0].box.height


def test_digits_written_fainter_than_the_rest_are_found() -> None:
    # "57" in ink a fifth as dark as "24": one threshold for the page broke them into specks.
    page = np.full((200, 480), 225, np.uint8)
    cv2.putText(page, "24", (20, 130), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 30, 3, cv2.LINE_AA)
    cv2.putText(page, "57", (250, 130), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 180, 3, cv2.LINE_AA)
    bold_only = page.copy()
    bold_only[:, 240:] = 225

    digits = segment_digits(page)

    assert len(digits) == 4
    assert [digit.box.left > 240 for digit in digits] == [False, False, True, True]
    for digit, alone in zip(digits, segment_digits(bold_only)):  # the bold digits as they were
        assert digit.box == alone.box


def test_a_stroke_written_fainter_than_the_rest_of_its_digit_is_kept() -> None:
    # A 4 whose stem is bold and whose arm and bar are written light (the stress photos' "uneven pressure",
    # a development photo's 4): the arm touches the stem, so it was never added as a faint digit of its own.
    page = np.full((200, 300), 225, np.uint8)
    cv2.putText(page, "2", (20, 150), cv2.FONT_HERSHEY_SIMPLEX, 4.0, 30, 8, cv2.LINE_AA)
    cv2.line(page, (180, 50), (150, 120), 175, 8, cv2.LINE_AA)  # arm, faint
    cv2.line(page, (150, 120), (230, 120), 175, 8, cv2.LINE_AA)  # bar, faint
    cv2.line(page, (210, 40), (210, 170), 30, 8, cv2.LINE_AA)  # stem, bold

    digits = segment_digits(page)

    assert len(digits) == 2
    four = digits[1].box
    assert four.left < 155 and four.right > 225 and four.bottom >= 170


def test_a_digit_whose_only_bold_stroke_is_its_bar_is_found_whole() -> None:
    # A lone 5 whose bar is bold and whose body is light: the faint piece is taller than the only ink
    # found, the bar, and must not be taken for a light area on that account.
    page = np.full((200, 200), 225, np.uint8)
    cv2.putText(page, "5", (60, 150), cv2.FONT_HERSHEY_SIMPLEX, 4.0, 175, 8, cv2.LINE_AA)  # faint
    cv2.line(page, (70, 73), (130, 73), 30, 9, cv2.LINE_AA)  # the bar, bold, over the 5's own

    digits = segment_digits(page)

    assert len(digits) == 1
    assert digits[0].box.height > 80  # the whole 5, not the bar alone


def test_a_short_faint_stroke_touching_bold_ones_is_kept() -> None:
    # "174": the 4's arm, bar and upper stem bold, its stem below the bar light. That stem adds less
    # beyond the ink than a faint digit would cover by itself, but a stroke's worth.
    page = np.full((200, 360), 225, np.uint8)
    cv2.line(page, (40, 45), (40, 160), 30, 8, cv2.LINE_AA)  # 1
    cv2.line(page, (80, 45), (140, 45), 30, 8, cv2.LINE_AA)  # 7
    cv2.line(page, (140, 45), (105, 160), 30, 8, cv2.LINE_AA)
    cv2.line(page, (250, 40), (210, 120), 30, 8, cv2.LINE_AA)  # 4
    cv2.line(page, (210, 120), (280, 120), 30, 8, cv2.LINE_AA)
    cv2.line(page, (265, 50), (265, 120), 30, 8, cv2.LINE_AA)
    cv2.line(page, (265, 120), (265, 165), 175, 8, cv2.LINE_AA)  # the 4's stem below its bar, faint

    digits = segment_digits(page)

    assert len(digits) == 3
    assert digits[2].box.bottom >= 165


def test_faint_digits_written_touching_beside_bold_ones_are_found() -> None:
    # "7 23 5" with "23" in light ink, its digits joined: one faint piece wider than any digit found.
    page = np.full((160, 520), 225, np.uint8)
    cv2.putText(page, "7", (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 30, 7, cv2.LINE_AA)
    cv2.putText(page, "23", (130, 120), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 175, 7, cv2.LINE_AA)
    cv2.line(page, (176, 118), (196, 108), 175, 7)  # the 2's base running into the 3
    cv2.putText(page, "5", (400, 120), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 30, 7, cv2.LINE_AA)

    boxes = [digit.box for digit in segment_digits(page)]

    assert len(boxes) == 3
    assert boxes[1].left < 140 and boxes[1].right > 230  # "23" in one box: cutting it is the reader's call


def test_a_one_written_thinner_than_the_other_digits_is_a_digit() -> None:
    # "2 3 4" drawn with a 5 px pen, a 1 between them with a 2 px one: narrower than the strokes, as
    # a hairline is, but as tall as a digit.
    page = np.full((160, 400), 225, np.uint8)
    for left, digit in ((20, "2"), (200, "3"), (300, "4")):
        cv2.putText(page, digit, (left, 110), cv2.FONT_HERSHEY_SIMPLEX, 2.4, 30, 5, cv2.LINE_AA)
    cv2.line(page, (140, 60), (140, 110), 30, 2)

    digits = segment_digits(page)

    assert [digit.box.left // 10 for digit in digits] == [2, 13, 20, 30]


def test_a_neighbours_stroke_does_not_leak_into_the_cut_out() -> None:
    # The 7's bar reaches over the top of the 1's box: the 1's cut-out must not show it.
    canvas = np.zeros((280, 400), np.uint8)
    cv2.line(canvas, (60, 60), (60, 230), 255, 16, cv2.LINE_AA)  # 1
    cv2.line(canvas, (110, 40), (330, 40), 255, 16, cv2.LINE_AA)  # 7's bar
    cv2.line(canvas, (330, 40), (200, 240), 255, 16, cv2.LINE_AA)  # 7's stem
    one_alone = canvas.copy()
    one_alone[:, 90:] = 0

    digits = segment_digits(canvas)

    assert len(digits) == 2
    np.testing.assert_array_equal(digits[0].preprocessed.model_input, preprocess_digit(one_alone).model_input)


# ----------------------------------------------------------------------------- single digits, errors, sizes


def _single_digits() -> dict[str, np.ndarray]:
    seven = np.zeros((280, 280), np.uint8)
    cv2.line(seven, (70, 50), (210, 50), 255, 18, cv2.LINE_AA)
    cv2.line(seven, (210, 50), (116, 230), 255, 18, cv2.LINE_AA)
    zero = np.zeros((280, 280), np.uint8)
    cv2.ellipse(zero, (140, 140), (70, 90), 0, 0, 360, 255, 18, cv2.LINE_AA)
    cases = {
        "canvas-7": _transparent_canvas(seven),
        "paper-0": _paper(zero),
        "font-8": _write("8", origin=(80, 200), scale=5, thickness=24)[0],
        "thin-7": cv2.line(np.zeros((280, 280), np.uint8), (70, 50), (210, 50), 255, 2, cv2.LINE_AA),
    }
    cv2.line(cases["thin-7"], (210, 50), (116, 230), 255, 2, cv2.LINE_AA)
    return cases


SINGLE_DIGITS = _single_digits()


@pytest.mark.parametrize("case", SINGLE_DIGITS)
def test_a_single_digit_gives_what_preprocess_digit_gives(case: str) -> None:
    image = SINGLE_DIGITS[case]

    digits = segment_digits(image)
    alone = preprocess_digit(image)

    assert len(digits) == 1
    assert isinstance(digits[0], SegmentedDigit)
    np.testing.assert_array_equal(digits[0].preprocessed.model_input, alone.model_input)
    assert tuple(step.name for step in digits[0].preprocessed.steps) == STEP_NAMES
    for step, alone_step in zip(digits[0].preprocessed.steps[3:], alone.steps[3:]):  # "cropped" onwards
        np.testing.assert_array_equal(step.image, alone_step.image)


@pytest.mark.skipif(not MNIST_SAMPLE.exists(), reason="MNIST sample asset not present")
def test_enlarged_mnist_digits_stay_single_digits() -> None:
    digits = np.load(MNIST_SAMPLE)["x_test"][:200]  # (200, 28, 28) uint8, white on black
    counts, differences = [], []
    for digit in digits:
        canvas = np.zeros((304, 304), np.uint8)
        canvas[40:264, 40:264] = cv2.resize(digit, (224, 224), interpolation=cv2.INTER_LINEAR)
        found = segment_digits(canvas)
        counts.append(len(found))
        differences.append(np.abs(found[0].preprocessed.model_input - preprocess_digit(canvas).model_input).max())
    # Handwriting has its breaks (open 4s, detached 5 flags): every one must still come out whole.
    assert counts == [1] * len(digits)
    assert np.mean(np.array(differences) == 0) >= 0.97


def test_steps_are_cut_to_the_digit() -> None:
    canvas, drawn = _write("47")
    image = _paper(canvas)

    digits = segment_digits(image)

    for digit in digits:
        steps = {step.name: step.image for step in digit.preprocessed.steps}
        box = digit.box
        np.testing.assert_array_equal(
            steps["original"], image[box.top : box.top + box.height, box.left : box.left + box.width]
        )
        assert steps["thresholded"].ndim == 2 and steps["thresholded"].dtype == np.uint8
        assert steps["centred 28x28"].shape == (28, 28)
        assert digit.preprocessed.model_input.shape == (28, 28) and digit.preprocessed.model_input.dtype == np.float32


def test_boxes_are_in_the_original_images_pixels_when_it_is_shrunk() -> None:
    canvas, drawn = _write("2024", size=(280, 280))
    scale = 8
    large = cv2.resize(canvas, (280 * scale, 280 * scale), interpolation=cv2.INTER_LINEAR)  # worked on at 1024 px

    digits = segment_digits(_paper(large))

    assert len(digits) == 4
    for digit, (left, top, right, bottom) in zip(digits, drawn):
        _assert_box_matches(digit.box, (left * scale, top * scale, right * scale, bottom * scale), scale=scale)


@pytest.mark.parametrize("light_ink", [False, True], ids=["dark-ink", "light-ink"])
def test_a_small_digit_on_a_picture_shrunk_to_working_size_reaches_the_model_as_if_cut_at_full_size(light_ink: bool) -> None:
    # 0s 20 px across on a 3000 px page: 7 px at working size, where their holes blur half shut.
    page = np.full((900, 3000), 235, np.uint8)
    for centre in range(300, 2800, 300):
        cv2.circle(page, (centre, 450), 10, 40, 9, cv2.LINE_AA)
    if light_ink:
        page = cv2.bitwise_not(page)

    digits = segment_digits(page)

    assert len(digits) == 9
    for digit in digits:
        box = digit.box
        alone = page[box.top - 20 : box.bottom + 20, box.left - 20 : box.right + 20]
        difference = np.abs(digit.preprocessed.model_input - preprocess_digit(alone).model_input).mean()
        assert difference < 0.02  # 0.105 when cut from the working-size copy


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((280, 280), np.uint8),
        np.zeros((280, 280, 4), np.uint8),
        np.full((300, 200, 3), 255, np.uint8),
        np.full((50, 50), 128, np.uint8),
    ],
    ids=["black", "transparent", "white-paper", "uniform-grey"],
)
def test_blank_images_raise_no_ink_error(image: np.ndarray) -> None:
    with pytest.raises(NoInkError, match="No digit"):
        segment_digits(image)


def test_a_sheet_of_more_digits_than_a_number_holds_is_read_line_by_line() -> None:
    sheet = np.zeros((720, 900), np.uint8)
    for line in range(6):  # 60 digits, more blobs than the single-digit pipeline allows (MAX_INK_PIECES)
        cv2.putText(sheet, "1234567890", (20, 100 + 115 * line), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 255, 6, cv2.LINE_AA)

    digits = segment_digits(_paper(sheet))

    assert len(digits) == 60
    assert [digit.box.line for digit in digits] == [line for line in range(6) for _ in range(10)]


def test_noise_over_a_whole_page_is_not_a_sheet_of_digits() -> None:
    noise = np.random.default_rng(3).integers(0, 256, (720, 900), dtype=np.uint8)
    with pytest.raises(NoInkError, match="speckled all over"):
        segment_digits(noise)


def test_only_specks_raise_no_ink_error() -> None:
    canvas = np.zeros((280, 280), np.uint8)
    canvas[100:102, 100:102] = 255
    with pytest.raises(NoInkError):
        segment_digits(canvas)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((28, 28), np.float32), np.zeros((28, 28, 2), np.uint8), np.zeros((0, 10), np.uint8), [[0, 255]]],
    ids=["float", "two-channels", "empty", "list"],
)
@pytest.mark.parametrize("pipeline", [preprocess_digit, segment_digits], ids=["one digit", "several digits"])
def test_bad_input_raises_value_error(pipeline, bad) -> None:
    with pytest.raises(ValueError):
        pipeline(bad)


# ----------------------------------------------------------------------------- grouping and ordering, from boxes


def test_group_pieces_joins_stacked_pieces_and_keeps_neighbours_apart() -> None:
    stroke = 10.0
    boxes = np.array(
        [
            [0, 0, 40, 100],  # a digit
            [0, 108, 40, 200],  # its lower half, 8 px below: a broken stroke
            [60, 0, 100, 200],  # the next digit, 20 px to the right
            [60, 230, 100, 330],  # a digit on the next line, 30 px below
            [300, 300, 304, 304],  # a speck, far from everything
            [105, 10, 112, 40],  # a fragment (a dot) 5 px right of the second digit
        ]
    )
    groups = group_pieces(boxes, stroke)
    assert groups[0] == groups[1]
    assert len({groups[0], groups[2], groups[3]}) == 3
    assert groups[4] == -1
    assert groups[5] == groups[2]


def test_group_pieces_tells_a_broken_stroke_from_a_line_break_by_the_neighbours() -> None:
    stroke = 10.0
    upper, lower = [0, 0, 40, 100], [0, 106, 40, 200]  # 6 px apart: less than a stroke width
    alone = group_pieces(np.array([upper, lower]), stroke)
    assert alone[0] == alone[1]  # nothing else around: a digit with a broken stroke
    spanned = group_pieces(np.array([upper, lower, [60, 20, 100, 180]]), stroke)
    assert spanned[0] == spanned[1] != spanned[2]  # a neighbour in the same line spans the gap
    two_lines = group_pieces(np.array([upper, lower, [60, 0, 100, 98], [60, 108, 100, 200]]), stroke)
    assert len(set(two_lines)) == 4  # neighbours on either side of the gap, none across it: two lines


def test_two_slanting_lines_stay_apart() -> None:
    # A sheet photographed at an angle: each line drops 10 px per digit, 85 px between lines, so the
    # right end of the upper line sits lower than the left end of the lower one.
    digits_per_line, left, top, width, height = 10, 0, 0, 40, 60
    boxes = np.array([
        [left + 55 * column, top + 85 * line + 10 * column, left + 55 * column + width, top + 85 * line + 10 * column + height]
        for line in range(2)
        for column in range(digits_per_line)
    ])

    ordered = reading_order(boxes)

    assert ordered == [(index, index // digits_per_line) for index in range(2 * digits_per_line)]


def test_a_row_written_steeply_downhill_is_one_line() -> None:
    # Each digit 60 px lower than the one before, 90 px tall: neighbours overlap by a third of a digit.
    boxes = np.array([[100 * column, 60 * column, 100 * column + 80, 60 * column + 90] for column in range(6)])

    assert text_slope(boxes) == pytest.approx(0.6)
    assert reading_order(boxes) == [(index, 0) for index in range(6)]


def test_digits_scattered_over_a_page_have_no_slope() -> None:
    # Neighbours to the right lie up, down and level: no line's direction.
    boxes = np.array([[0, 200, 40, 260], [150, 100, 190, 160], [300, 290, 340, 350], [450, 200, 490, 260], [600, 40, 640, 100]])

    assert text_slope(boxes) == 0.0


def test_reading_order_sorts_lines_then_columns() -> None:
    boxes = np.array([[100, 210, 150, 300], [0, 0, 50, 100], [0, 200, 50, 290], [100, 10, 150, 110]])
    assert reading_order(boxes) == [(1, 0), (3, 0), (2, 1), (0, 1)]


def test_a_digit_written_off_its_line_joins_it() -> None:
    # "1251" whose last 1 hangs 40 px low (overlapping its line by 40%), and a row whose leading 1 is
    # written 30 px high. Compared with its neighbour each 1 starts a line; lying beside its own, it joins it.
    hanging = np.array([[0, 0, 40, 60], [60, 0, 100, 60], [120, 0, 160, 60], [180, 40, 200, 90]])
    raised = np.array([[0, 170, 20, 220], [60, 200, 100, 260], [120, 200, 160, 260], [180, 200, 220, 260]])

    ordered = reading_order(np.concatenate([hanging, raised]))

    assert ordered == [(index, index // 4) for index in range(8)]


def test_two_lines_written_close_together_stay_apart() -> None:
    # The lower line's digits reach 30 px into the upper line's band, but the lines share their columns.
    upper = np.array([[60 * column, 0, 60 * column + 40, 60] for column in range(4)])
    lower = np.array([[60 * column, 40, 60 * column + 40, 100] for column in range(4)])

    ordered = reading_order(np.concatenate([upper, lower]))

    assert ordered == [(index, index // 4) for index in range(8)]


def test_two_numbers_side_by_side_on_a_row_are_two_lines() -> None:
    # Two rows, each a 4-digit number, a gap of 5 digit heights, and another 4-digit number.
    boxes = np.array([
        [left + 30 * column, 100 * row, left + 30 * column + 20, 100 * row + 40]
        for row in range(2)
        for left in (0, 320)
        for column in range(4)
    ])

    ordered = reading_order(boxes)

    assert ordered == [(index, index // 4) for index in range(16)]


def test_digits_spaced_wide_but_evenly_stay_one_line() -> None:
    # Gaps of 3 digit heights between every two digits: the line's own spacing, not two numbers.
    boxes = np.array([[140 * column, 0, 140 * column + 20, 40] for column in range(6)])

    assert reading_order(boxes) == [(index, 0) for index in range(6)]


def test_a_wide_gap_in_a_tightly_written_line_is_judged_by_the_digits_height() -> None:
    lefts, rights = np.array([0, 22, 44, 100, 122]), np.array([20, 42, 64, 120, 142])
    line = [[0, 1, 2, 3, 4]]

    assert split_at_wide_gaps(line, lefts, rights, digit_height=40.0) == line  # 36 px: under a digit
    assert split_at_wide_gaps(line, lefts, rights, digit_height=10.0) == [[0, 1, 2], [3, 4]]


def test_a_stray_mark_between_the_lines_of_a_sheet_is_no_line() -> None:
    paper = np.full((300, 400), 255, np.uint8)
    for top in (30, 190):  # two lines of four 1s, 80 px tall
        for left in (100, 180, 260, 340):
            cv2.line(paper, (left, top), (left, top + 80), 20, 8)
    cv2.line(paper, (30, 140), (30, 170), 20, 8)  # a smudge between them, under half a digit's height

    digits = segment_digits(paper)

    assert [digit.box.line for digit in digits] == [0] * 4 + [1] * 4
    assert all(digit.box.left > 60 for digit in digits)


def test_stray_marks_are_lone_small_marks_beside_lines_of_digits() -> None:
    lines = [[60 * column, 100 * row, 60 * column + 40, 100 * row + 60] for row in range(2) for column in range(4)]
    lone_digit, lone_mark = [[0, 300, 40, 360]], [[0, 200, 10, 230]]
    boxes = np.array(lines + lone_digit + lone_mark)

    assert stray_marks(boxes, reading_order(boxes)).tolist() == [False] * 9 + [True]
    beside_one_line = np.array(lines[:4] + lone_mark)  # a number and a mark: no sheet to judge by
    assert not stray_marks(beside_one_line, reading_order(beside_one_line)).any()


def zeros_two_touching() -> np.ndarray:
    """Four 0s on white paper, then two wider 0s whose rings touch at x = 480 (one blob)."""
    paper = np.full((160, 640), 255, np.uint8)
    for centre in (40, 120, 200, 280):
        cv2.ellipse(paper, (centre, 80), (16, 40), 0, 0, 360, 20, 8)
    for centre in (456, 504):
        cv2.ellipse(paper, (centre, 80), (20, 40), 0, 0, 360, 20, 8)
    return paper


def test_digits_that_touch_are_offered_cut_apart_where_they_touch() -> None:
    digits = segment_digits(zeros_two_touching())

    assert len(digits) == 5
    assert [bool(digit.splits) for digit in digits] == [False] * 4 + [True]
    halves = [way for way in digits[4].splits if len(way) == 2]
    assert any(abs(left.box.right - 480) <= 3 and abs(right.box.left - 480) <= 3 for left, right in halves)
    assert all(part.box.line == digits[4].box.line for way in digits[4].splits for part in way)


def test_digits_no_wider_than_the_rest_are_not_offered_cut() -> None:
    paper = zeros_two_touching()
    paper[:, 430:] = 255
    cv2.ellipse(paper, (456, 80), (20, 40), 0, 0, 360, 20, 8)  # one wider 0, alone

    assert not any(digit.splits for digit in segment_digits(paper))


def test_touching_cuts_fall_at_the_columns_of_least_ink() -> None:
    # Two 0s' columns of ink (sides 6, middles 2), touching at column 7 with 1 pixel of ink.
    ink = np.array([6, 6, 2, 2, 2, 6, 6, 1, 6, 6, 2, 2, 2, 6, 6])

    ways = touching_cuts(ink, typical_width=7.0)

    assert ways[0] == [(0, 7), (7, 15)]
    assert all(len(way) == 2 and min(end - start for start, end in way) >= 4 for way in ways)


# ----------------------------------------------------------------------------- real handwriting: MNIST digits


def _mnist_number(digits: np.ndarray, zoom: int = 8, margin: int = 40) -> np.ndarray:
    """Pastes 28x28 digits side by side, each enlarged `zoom` times, on a black canvas."""
    side = 28 * zoom
    canvas = np.zeros((side + 2 * margin, len(digits) * side + 2 * margin), np.uint8)
    for position, digit in enumerate(digits):
        left = margin + position * side
        enlarged = cv2.resize(digit, (side, side), interpolation=cv2.INTER_LINEAR)  # (side, side) uint8
        canvas[margin : margin + side, left : left + side] = enlarged
    return canvas


@pytest.mark.skipif(not MNIST_SAMPLE.exists(), reason="MNIST sample asset not present")
def test_mnist_numbers_split_into_their_digits() -> None:
    images = np.load(MNIST_SAMPLE)["x_train"]  # (5000, 28, 28) uint8
    rng = np.random.default_rng(7)
    for _ in range(40):
        chosen = rng.choice(len(images), 4, replace=False)
        digits = segment_digits(_mnist_number(images[chosen]))
        assert len(digits) == 4, chosen
        for position, digit in enumerate(digits):
            # Each digit's box lies in its own 224 px cell (a couple of pixels of slack at the seams).
            cell_left = 40 + position * 224
            assert cell_left - 2 <= digit.box.left and digit.box.left + digit.box.width <= cell_left + 226, chosen
            assert digit.box.line == 0


@pytest.mark.slow
@pytest.mark.skipif(not MNIST_SAMPLE.exists(), reason="MNIST sample asset not present")
def test_the_shipped_model_reads_mnist_numbers_back() -> None:
    from core.inference import load_model, predict_probabilities
    from core.runs import SHIPPED_RUN_DIR

    model = load_model(SHIPPED_RUN_DIR / "model.keras")
    sample = np.load(MNIST_SAMPLE)
    images, labels = sample["x_test"], sample["y_test"]  # (1000, 28, 28) uint8, (1000,)
    # Digits the model reads correctly at MNIST's size, so most numbers are real readings.
    readable = np.flatnonzero(predict_probabilities(model, images).argmax(axis=1) == labels)
    rng = np.random.default_rng(2024)
    for _ in range(8):
        chosen = rng.choice(readable, 4, replace=False)
        digits = segment_digits(_mnist_number(images[chosen]))
        probabilities = predict_probabilities(model, np.stack([digit.preprocessed.model_input for digit in digits]))
        read = "".join(str(value) for value in probabilities.argmax(axis=1))
        # Each digit enlarged and read alone: the number must read the same, whatever the model thinks.
        alone = np.stack([preprocess_digit(_mnist_number(images[[index]])).model_input for index in chosen])
        assert read == "".join(str(value) for value in predict_probabilities(model, alone).argmax(axis=1))


def test_solid_areas_are_dropped_and_strokes_kept_however_stubby() -> None:
    mask = np.zeros((200, 300), np.uint8)
    for x in (40, 100):
        cv2.line(mask, (x, 40), (x, 150), 255, 8)  # two 1s
    cv2.line(mask, (160, 60), (168, 60), 255, 8)  # a stub of a broken stroke: squat, but as wide as the pen
    cv2.fillPoly(mask, [np.array([(220, 120), (299, 120), (299, 199)], np.int32)], 255)  # a shadow's corner

    kept = drop_solid_areas(mask)

    assert kept[:, :200].tolist() == mask[:, :200].tolist()
    assert not kept[:, 200:].any()


def test_strokes_alone_are_all_kept() -> None:
    canvas, _ = _write("0518")
    assert drop_solid_areas((canvas > 127).astype(np.uint8) * 255).tolist() == ((canvas > 127).astype(np.uint8) * 255).tolist()


def test_slivers_along_one_side_are_told_from_digits_touching_the_border() -> None:
    boxes = np.array(
        [
            [0, 80, 6, 290],  # along the left side: a sliver of table
            [350, 0, 356, 200],  # along the right side, from the top
            [100, 0, 300, 8],  # along the top
            [120, 100, 200, 190],  # a digit in the middle
            [0, 0, 356, 300],  # a tightly cropped 1: touches every side
            [150, 0, 180, 120],  # a 1 touching the top only, upright
        ]
    )
    assert edge_slivers(boxes, (300, 356)).tolist() == [True, True, True, False, False, False]


def test_a_lone_digit_between_slivers_of_table_is_read_alone() -> None:
    canvas, boxes = _write("0", size=(300, 356), origin=(120, 200))
    paper = _paper(canvas)
    paper[200:260, :6] = 60  # the table showing past a turned page's corners, too little to be framed
    paper[:40, -8:] = 60

    digits = segment_digits(paper)

    assert len(digits) == 1
    found = digits[0].box
    assert abs(found.left - boxes[0][0]) <= TOLERANCE and abs(found.right - boxes[0][2]) <= TOLERANCE


def test_scraps_at_the_border_of_a_sheet_are_no_digits() -> None:
    canvas, boxes = _write("27182", size=(300, 500), origin=(20, 150), scale=2.0, thickness=6)
    paper = _paper(canvas)
    paper[270:, 40:48] = 60  # a scrap of the page's edge, half a digit tall, at the bottom
    paper[150:170, 492:] = 60  # and one on the right

    digits = segment_digits(paper)

    assert len(digits) == len(boxes)
    assert all(abs(digit.box.left - box[0]) <= TOLERANCE for digit, box in zip(digits, boxes))
    assert {digit.box.line for digit in digits} == {0}


def test_border_scraps_are_judged_only_beside_a_sheet() -> None:
    digits = [[20 + 60 * column, 100, 60 + 60 * column, 160] for column in range(5)]
    scraps = [[0, 10, 10, 30], [200, 280, 210, 300]]  # at the left and bottom borders, a third of a digit
    cut_digit = [[480, 100, 500, 160]]  # a whole digit's height, cut by the right border
    shape = (300, 500)
    assert border_scraps(np.array(digits + scraps + cut_digit), 4.0, shape).tolist() == [False] * 5 + [True, True, False]
    assert not border_scraps(np.array(digits[:2] + scraps), 4.0, shape).any()  # too few digits to judge by

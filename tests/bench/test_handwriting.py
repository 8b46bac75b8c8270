"""Tests for bench.handwriting (readers and renderers), the pure helpers of bench.realworld and its UJI set."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import bench.realworld as realworld
from bench.handwriting import (
    PenDigit,
    parse_pendigits,
    parse_semeion,
    rasterise_pen_digit,
    semeion_as_photo,
    strokes_as_photo,
)
from bench.realworld import NO_PREDICTION, balanced_subset, per_class_accuracy, plain_resize, top_confusions
from core.preprocessing import preprocess_digit
from core.uji import MEASURING_WRITERS, measuring_digits
from tests.fixtures import PENDIGITS_FIXTURE, PENDIGITS_FIXTURE_DIGITS

HEADER = """.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.HIERARCHY      DIGIT

"""
# A "1" in one stroke, then a "4" in two (the second stroke the vertical bar), as the tablet writes them.
TWO_DIGITS = HEADER + """.SEGMENT DIGIT    0 ? "1"
.COMMENT 1 12  224
.PEN_DOWN
 250  450
 250  250
 250   50
.PEN_UP
.DT 100

.SEGMENT DIGIT    1 ? "4"
.COMMENT 4 7  3
.PEN_DOWN
 150  450
 100  200
 300  200
.PEN_UP
.DT 100
.PEN_DOWN
 250  400
 250   50
.PEN_UP
.DT 100
"""


def _write(tmp_path: Path, text: str, name: str = "digits.tra") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="ascii")
    return path


def _digit(*strokes: list[tuple[int, int]], label: int = 1) -> PenDigit:
    return PenDigit(label=label, writer=0, strokes=tuple(np.array(stroke, np.int32) for stroke in strokes))


def _ink_box(canvas: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the pixels brighter than half, on the red channel."""
    return cv2.boundingRect((canvas[..., 0] > 127).astype(np.uint8))


# ---- pendigits ------------------------------------------------------------------------------


def test_parse_pendigits_reads_labels_writers_and_every_stroke(tmp_path):
    digits = parse_pendigits(_write(tmp_path, TWO_DIGITS))
    assert [(digit.label, digit.writer, len(digit.strokes)) for digit in digits] == [(1, 12, 1), (4, 7, 2)]
    np.testing.assert_array_equal(digits[1].strokes[0], [[150, 450], [100, 200], [300, 200]])
    np.testing.assert_array_equal(digits[1].strokes[1], [[250, 400], [250, 50]])
    assert all(stroke.dtype == np.int32 and stroke.shape[1] == 2 for stroke in digits[1].strokes)
    with pytest.raises(ValueError):
        digits[0].strokes[0][0, 0] = 1  # frozen digits keep read-only arrays


@pytest.mark.parametrize(
    ("broken", "replacement", "line", "message"),
    [
        (" 250   50\n.PEN_UP", " 250   5O\n.PEN_UP", 11, "two integers"),  # letter O for zero
        (" 250   50\n.PEN_UP", " 250 50 1\n.PEN_UP", 11, "two integers"),
        ('.SEGMENT DIGIT    1 ? "4"', ".SEGMENT DIGIT    1 ? 4", 15, "label in quotes"),
        (".COMMENT 4 7  3", ".COMMENT 5 7  3", 16, "disagrees"),
        (".COMMENT 4 7  3", ".COMMENT 4 x  3", 16, ".COMMENT label writer sample"),
        (".DT 100\n.PEN_DOWN\n 250  400", ".DT 100\n 250  400", 23, "outside .PEN_DOWN"),
    ],
)
def test_parse_pendigits_names_file_and_line_of_a_malformed_line(tmp_path, broken, replacement, line, message):
    text = TWO_DIGITS.replace(broken, replacement, 1)
    assert text != TWO_DIGITS
    with pytest.raises(ValueError, match=rf"digits\.tra:{line}: .*{message}"):
        parse_pendigits(_write(tmp_path, text))


def test_parse_pendigits_refuses_a_digit_left_with_the_pen_down(tmp_path):
    with pytest.raises(ValueError, match=r"digits\.tra:\d+: .*pen still down"):
        parse_pendigits(_write(tmp_path, TWO_DIGITS.rstrip().rsplit(".PEN_UP", 1)[0]))


def test_rasterise_flips_y_so_the_top_of_the_tablet_is_the_top_of_the_picture():
    # A tap high in the y-up box and a long stroke along its bottom: the tap must land in the top rows.
    canvas = rasterise_pen_digit(_digit([(250, 480)], [(50, 20), (450, 20)]))[..., 0]  # (280, 280)
    ink_rows = np.flatnonzero(canvas.max(axis=1) > 127)
    top, bottom = ink_rows[0], ink_rows[-1]
    assert top < 140 < bottom
    assert np.count_nonzero(canvas[top + 5] > 127) < 25  # the narrow tap
    assert np.count_nonzero(canvas[bottom - 5] > 127) > 150  # the long stroke


def test_rasterise_returns_an_opaque_rgba_canvas_with_white_anti_aliased_ink(tmp_path):
    canvas = rasterise_pen_digit(parse_pendigits(_write(tmp_path, TWO_DIGITS))[1])
    assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
    assert (canvas[..., 3] == 255).all()
    assert (canvas[..., 0] == canvas[..., 1]).all() and (canvas[..., 1] == canvas[..., 2]).all()
    assert canvas[..., 0].max() == 255 and canvas[0, 0, 0] == 0
    assert ((canvas[..., 0] > 0) & (canvas[..., 0] < 255)).any()  # soft edges, as a browser draws


@pytest.mark.parametrize("fill", [0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("stroke_width", [8, 18, 30])
def test_rasterise_scales_the_ink_to_fill_the_canvas_and_centres_it(tmp_path, fill, stroke_width):
    four = parse_pendigits(_write(tmp_path, TWO_DIGITS))[1]  # taller than wide
    x, y, width, height = _ink_box(rasterise_pen_digit(four, stroke_width=stroke_width, fill=fill))
    assert abs(max(width, height) - fill * 280) <= 3
    assert abs((x + width / 2) - 140) <= 2 and abs((y + height / 2) - 140) <= 2


def test_rasterise_ink_area_grows_with_the_stroke_width(tmp_path):
    four = parse_pendigits(_write(tmp_path, TWO_DIGITS))[1]
    areas = [int(rasterise_pen_digit(four, stroke_width=w)[..., 0].sum()) for w in (8, 12, 18, 24, 30)]
    assert areas == sorted(areas) and len(set(areas)) == len(areas)


def test_rasterise_draws_a_lone_tap_as_a_dot_and_refuses_impossible_settings():
    dot = rasterise_pen_digit(_digit([(100, 100)]), stroke_width=18)
    x, y, width, height = _ink_box(dot)
    assert 16 <= width <= 20 and 16 <= height <= 20 and abs(x + width / 2 - 140) <= 1
    with pytest.raises(ValueError, match="fill"):
        rasterise_pen_digit(_digit([(100, 100)]), fill=0)
    with pytest.raises(ValueError, match="does not fit"):
        rasterise_pen_digit(_digit([(100, 100)]), stroke_width=90, fill=0.3)


def test_pendigits_fixture_has_every_digit_class_and_writer():
    digits = parse_pendigits(PENDIGITS_FIXTURE)
    assert len(digits) == PENDIGITS_FIXTURE_DIGITS
    assert {digit.label for digit in digits} == set(range(10))
    assert len({digit.writer for digit in digits}) == 30
    assert sum(len(digit.strokes) > 1 for digit in digits) > 0.15 * len(digits)


# ---- semeion --------------------------------------------------------------------------------


def _semeion_line(bitmap: np.ndarray, label: int, as_float: bool) -> str:
    one_hot = np.eye(10, dtype=int)[label]
    values = [*bitmap.ravel(), *one_hot]
    return " ".join(f"{value:.4f}" if as_float else str(value) for value in values) + " \n"


def test_parse_semeion_reads_integer_and_float_lines(tmp_path):
    first = np.zeros((16, 16), int)
    first[2:14, 7:9] = 1
    second = np.eye(16, dtype=int)
    path = _write(tmp_path, _semeion_line(first, 1, True) + _semeion_line(second, 7, False) + "\n", "semeion.data")
    images, labels = parse_semeion(path)
    assert images.shape == (2, 16, 16) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[0], first)
    np.testing.assert_array_equal(images[1], second)
    np.testing.assert_array_equal(labels, [1, 7])
    assert labels.dtype == np.uint8


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda values: values[:-1], "expected 266 values"),
        (lambda values: ["0.5", *values[1:]], "0 or 1"),
        (lambda values: [*values[:-10], *["0"] * 10], "exactly one label"),
        (lambda values: ["ink", *values[1:]], "not a number"),
    ],
)
def test_parse_semeion_names_file_and_line_of_a_malformed_line(tmp_path, mutate, message):
    good = _semeion_line(np.zeros((16, 16), int), 3, False)
    bad = " ".join(mutate(good.split())) + "\n"
    with pytest.raises(ValueError, match=rf"semeion\.data:2: .*{message}"):
        parse_semeion(_write(tmp_path, good + bad + good, "semeion.data"))


def test_semeion_photo_has_dark_ink_on_light_paper_and_is_reproducible():
    bitmap = np.zeros((16, 16), np.uint8)
    bitmap[2:14, 6:10] = 1
    photo = semeion_as_photo(bitmap, seed=3)
    assert photo.shape == (208, 208, 3) and photo.dtype == np.uint8
    gray = photo.mean(axis=2)
    assert gray[:24].mean() > 200  # the paper border
    assert gray[24 + 60 : 24 + 100, 24 + 70 : 24 + 90].mean() < 60  # the middle of the ink bar
    assert photo.std(axis=(0, 1)).min() > 0 and gray[:24].std() > 1  # noisy, like a sensor
    np.testing.assert_array_equal(photo, semeion_as_photo(bitmap, seed=3))
    assert not np.array_equal(photo, semeion_as_photo(bitmap, seed=4))


def test_strokes_photo_has_dark_ink_on_light_paper_the_app_reads_and_is_reproducible():
    seven = (np.array([[0, 0], [100, 0], [40, 160]]), np.array([[20, 80], [90, 80]]))  # crossed, y down
    photo = strokes_as_photo(seven, seed=3)
    assert photo.shape == (208, 208, 3) and photo.dtype == np.uint8
    gray = photo.mean(axis=2)
    assert gray[:24].mean() > 200 and gray.min() < 60  # paper border, dark ink
    np.testing.assert_array_equal(photo, strokes_as_photo(seven, seed=3))
    assert not np.array_equal(photo, strokes_as_photo(seven, seed=4))
    assert preprocess_digit(photo).model_input.max() == 1.0  # the photo path finds the digit


# ---- realworld helpers ----------------------------------------------------------------------


def test_balanced_subset_is_class_balanced_sorted_and_deterministic():
    labels = np.repeat(np.arange(10), [50, 60, 70, 80, 90, 100, 110, 120, 130, 140])
    chosen = balanced_subset(labels, 103)
    assert len(chosen) == 103 and (np.diff(chosen) > 0).all()
    assert sorted(np.bincount(labels[chosen]).tolist()) == [10] * 7 + [11] * 3
    np.testing.assert_array_equal(chosen, balanced_subset(labels, 103))
    np.testing.assert_array_equal(balanced_subset(labels, None), np.arange(len(labels)))


def test_per_class_accuracy_and_top_confusions_count_mistakes():
    labels = np.array([1, 1, 1, 7, 7, 9, 9, 9, 9])
    predictions = np.array([1, 7, 7, 7, 1, 4, 4, 9, NO_PREDICTION])
    assert per_class_accuracy(labels, predictions) == {1: pytest.approx(1 / 3), 7: 0.5, 9: 0.25}
    assert top_confusions(labels, predictions, count=2) == [
        {"true": 1, "predicted": 7, "count": 2},
        {"true": 9, "predicted": 4, "count": 2},
    ]


def test_plain_resize_squashes_the_whole_picture_with_the_ink_bright():
    photo = np.full((100, 100, 3), 230, np.uint8)
    photo[20:80, 45:55] = 20  # a dark bar on light paper
    small = plain_resize(photo)
    assert small.shape == (28, 28) and small.dtype == np.float32
    assert small[14, 14] > 0.8 and small[14, 2] < 0.2


def test_the_uji_set_scores_only_writers_41_to_60_as_canvases_and_photos(monkeypatch):
    loaded, drawn, photographed = [], [], []
    monkeypatch.setattr(realworld, "measuring_digits", lambda: loaded.extend(measuring_digits()) or loaded)
    monkeypatch.setattr(realworld, "uji_canvases", lambda digits, *args: drawn.extend(digits) or
                        (rasterise_pen_digit(PenDigit(0, 0, (np.array([[0, 0], [0, 9]]),))) for _ in digits))
    monkeypatch.setattr(realworld, "strokes_as_photo", lambda strokes, seed: photographed.append(strokes) or
                        np.full((30, 30, 3), 255, np.uint8))
    monkeypatch.setattr(realworld, "predict_labels", lambda model, inputs, no_ink=None: np.zeros(len(inputs), int))

    results, failures = realworld.measure_uji(model=None, limit=20)
    assert [result.dataset for result in results] == ["uji", "uji"]
    assert [result.rendering for result in results] == ["canvas", "photo"]
    assert results[0].n == results[1].n == 20 and len(drawn) == len(photographed) == 20
    assert {digit.writer for digit in drawn} <= set(MEASURING_WRITERS)
    assert all(any(strokes is digit.strokes for digit in loaded) for strokes in photographed)
    assert results[0].correct == 2  # the 0s, since the stand-in model answers 0 to everything
    assert failures[0][1].tolist() == [digit.label for digit in drawn]

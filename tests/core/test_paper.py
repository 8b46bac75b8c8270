"""Tests for core.paper: the table round a photographed page painted over; canvases, scans and shadows kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.handwriting import parse_pendigits
from bench.stress_photos import photograph_writing, stress_photo
from core.paper import keep_paper
from core.preprocessing import to_grayscale
from core.segmentation import segment_digits
from tests.fixtures import PENDIGITS_FIXTURE


@pytest.fixture(scope="module")
def pen_digits():
    return parse_pendigits(PENDIGITS_FIXTURE)


def _writing(text: str = "2024", size: tuple[int, int] = (240, 640)) -> np.ndarray:
    """Dark Hershey digits on light paper filling the whole picture: `(H, W)` uint8."""
    page = np.full(size, 230, np.uint8)
    cv2.putText(page, text, (40, 170), cv2.FONT_HERSHEY_SIMPLEX, 4.0, 30, 9, cv2.LINE_AA)
    return page


@pytest.mark.parametrize("condition", ["perspective", "rotation"])
def test_the_table_round_a_page_is_painted_paper_and_every_digit_is_found(pen_digits, condition):
    for seed in range(3):
        photo = stress_photo(pen_digits, condition, "lines", seed=seed)
        gray = to_grayscale(photo.image)
        assert gray[:3, :3].mean() < 120  # the table shows in the corner
        assert keep_paper(gray)[:3, :3].mean() > 180  # painted in the paper's light
        lines = photo.label.split("|")
        digits = segment_digits(photo.image)
        assert len(digits) == sum(len(line) for line in lines), photo.label
        assert [sum(digit.box.line == number for digit in digits) for number in range(len(lines))] == [len(line) for line in lines]


def test_a_canvas_a_page_filling_the_frame_and_a_blank_picture_are_left_alone():
    canvas = np.zeros((280, 280), np.uint8)
    cv2.circle(canvas, (140, 140), 90, 255, 30)  # a bold white 0 on the black canvas
    page = _writing()
    blank = np.full((100, 100), 200, np.uint8)
    for picture in (canvas, page, blank):
        assert np.array_equal(keep_paper(picture), picture)


def test_paper_in_a_shadow_is_kept_when_it_holds_writing_and_painted_when_it_does_not():
    page = _writing()
    light = np.ones(page.shape, np.float32)
    light[:, :320] = 0.4  # a shadow over the left half, over "20"
    shadowed = (page * light).astype(np.uint8)
    assert np.array_equal(keep_paper(shadowed), shadowed)
    empty = np.full((240, 960), 230, np.uint8)
    empty[:, 320:] = _writing()
    empty[:, :240] = 90  # a dark band with nothing written on it: the table, or an empty shadow
    assert keep_paper(empty)[:, :200].min() > 180


def test_a_bold_digit_mostly_in_a_shadow_is_paper_in_shadow_though_its_pen_is_wider_than_the_closing():
    page = np.full((240, 300), 230, np.uint8)
    cv2.putText(page, "6", (90, 170), cv2.FONT_HERSHEY_SIMPLEX, 4.0, 30, 10, cv2.LINE_AA)  # strokes 10 px wide
    light = np.ones(page.shape, np.float32)
    light[:, :130] = 0.45  # the shadow's edge runs through the 6 (x 95-160)
    shadowed = (page * light).astype(np.uint8)
    assert np.array_equal(keep_paper(shadowed), shadowed)
    assert len(segment_digits(shadowed)) == 1


def test_big_pictures_are_answered_at_their_own_size(pen_digits):
    photo = photograph_writing([[pen_digits[0], pen_digits[1]]], "perspective", np.random.default_rng(0))
    big = cv2.resize(to_grayscale(photo.image), None, fx=3, fy=3)
    painted = keep_paper(big)
    assert painted.shape == big.shape and painted.dtype == np.uint8
    assert painted[:5, :5].mean() > 180


def test_a_table_with_lines_far_bigger_than_the_writing_is_no_paper_in_shadow():
    picture = np.full((480, 800), 100, np.uint8)  # a wooden table
    picture[:, :560] = 230  # the page, with a row of small digits
    for position, digit in enumerate("27182818"):
        cv2.putText(picture, digit, (60 + 30 * position, 250), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 30, 2, cv2.LINE_AA)
    cv2.line(picture, (600, 120), (760, 330), 20, 4)  # a joint between the table's planks
    assert keep_paper(picture)[:, 620:].min() > 180
    assert len(segment_digits(picture)) == 8

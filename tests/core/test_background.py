"""Tests for core.background: uneven light taken away from synthetic photos, even pictures left alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.background import EVEN_SPREAD, flatten_background, typical_stroke
from core.preprocessing import normalise_polarity
from core.segmentation import rule_lines, segment_digits

TEXT = "20241379"


def _ink(size: tuple[int, int] = (300, 900), text: str = TEXT, origin: tuple[int, int] = (40, 200)) -> np.ndarray:
    """`text` in a thin Hershey hand, white on black: where the pen went."""
    ink = np.zeros(size, np.uint8)
    cv2.putText(ink, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 4.0, 255, 7, cv2.LINE_AA)
    return ink


def _photo(ink: np.ndarray, light: np.ndarray) -> np.ndarray:
    """Dark ink on paper under `light` (a (H, W) float share of full light), as a phone records it."""
    paper = 235.0 * light
    return np.clip(paper - (paper - 30.0 * light) * (ink / 255.0), 0, 255).astype(np.uint8)


def _gradient(shape: tuple[int, int]) -> np.ndarray:
    """A lamp to the left: full light at the left edge, a third of it at the right."""
    return np.tile(np.linspace(1.0, 0.33, shape[1]), (shape[0], 1))


def _shadow(shape: tuple[int, int]) -> np.ndarray:
    """Even light with a phone's soft-edged shadow over the lower right, at 40% of the light."""
    light = np.ones(shape, np.float32)
    light[shape[0] // 2 :, shape[1] // 2 :] = 0.4
    return cv2.GaussianBlur(light, (0, 0), 8)


def _shadow_across(shape: tuple[int, int]) -> np.ndarray:
    """A shadow over the whole lower part, at 40% of the light, its soft edge running through the digits."""
    light = np.ones(shape, np.float32)
    light[int(shape[0] * 0.45) :, :] = 0.4
    return cv2.GaussianBlur(light, (0, 0), 6)


UNEVEN_LIGHTS = pytest.mark.parametrize(
    "light", [_gradient, _shadow, _shadow_across], ids=["gradient", "shadow", "shadow across"]
)


def _background_spread(bright: np.ndarray, ink: np.ndarray) -> float:
    """Grey levels between the 2nd and 98th percentiles of the paper away from the ink."""
    paper = bright[cv2.dilate(ink, np.ones((15, 15), np.uint8)) == 0]
    low, high = np.percentile(paper, (2, 98))
    return float(high - low)


@UNEVEN_LIGHTS
def test_uneven_paper_comes_out_even_and_the_ink_stays(light) -> None:
    ink = _ink()
    bright = normalise_polarity(_photo(ink, light(ink.shape)))
    assert _background_spread(bright, ink) > 60  # the test photo is really uneven

    flat = flatten_background(bright)

    assert _background_spread(flat, ink) < EVEN_SPREAD
    # The faintest ink (in the dark) still stands well clear of the brightest paper.
    assert np.percentile(flat[ink > 200], 5) > 4 * np.percentile(flat[ink == 0], 99)


@UNEVEN_LIGHTS
def test_every_digit_of_a_photo_in_uneven_light_is_found(light) -> None:
    ink = _ink()
    expected = segment_digits(ink)  # the same digits, drawn on a black canvas
    assert len(expected) == len(TEXT)

    digits = segment_digits(_photo(ink, light(ink.shape)))

    assert [digit.box.left for digit in digits] == pytest.approx([digit.box.left for digit in expected], abs=3)
    assert [digit.box.width for digit in digits] == pytest.approx([digit.box.width for digit in expected], abs=4)


def test_an_evenly_lit_picture_is_left_untouched() -> None:
    canvas = _ink()  # a canvas drawing: white strokes on exact black
    assert flatten_background(canvas) is canvas
    bold = np.zeros((304, 304), np.uint8)  # one big marker digit, strokes ~30 px wide
    cv2.putText(bold, "8", (50, 270), cv2.FONT_HERSHEY_SIMPLEX, 9.0, 255, 30, cv2.LINE_AA)
    assert flatten_background(bold) is bold
    touching = np.zeros((280, 280), np.uint8)  # a canvas 0 whose strokes run along all four sides
    cv2.ellipse(touching, (140, 138), (138, 138), 0, 0, 360, 255, 18)
    assert flatten_background(touching) is touching


def test_the_pages_edge_is_not_a_digit() -> None:
    ink = _ink()
    ink[:, 880:884] = 255  # the paper's edge, top to bottom
    photo = _photo(ink, _gradient(ink.shape))

    digits = segment_digits(photo)

    assert len(digits) == len(TEXT)
    assert max(digit.box.right for digit in digits) < 870


def test_rule_lines_need_enough_digits_to_judge_by() -> None:
    digits = [[x, 10, x + 30, 60] for x in range(10, 250, 50)]  # five digits 50 px tall
    edge = [[300, 0, 304, 400]]  # 400 px tall
    piece_of_edge = [[0, 100, 4, 140]]  # a short stretch of the page's edge, on the picture's border
    shape = (400, 400)
    assert rule_lines(np.array(digits + edge + piece_of_edge), 4.0, shape).tolist() == [False] * 5 + [True, True]
    assert not rule_lines(np.array(digits[:2] + edge), 4.0, shape).any()  # a broken digit's long stroke


def test_one_bold_mark_alone_still_sets_the_stroke_width():
    # A thick plus on a canvas is wider than a stroke by the solid-share rule, and it is all there is.
    mask = np.zeros((100, 100), np.uint8)
    mask[20:80, 35:65] = 255  # arms 30 px wide, 60 long
    mask[35:65, 20:80] = 255
    assert typical_stroke(mask) > 20


def _slanted_shadow(shape: tuple[int, int]) -> np.ndarray:
    """A cast shadow at 40% of the light right of a line that leans over the page and meets its top and
    bottom borders at a slant, as a hand's or a phone's shadow falls."""
    rows, columns = np.mgrid[: shape[0], : shape[1]]
    light = np.where(columns > shape[1] * 0.4 + 0.4 * rows, 0.4, 1.0).astype(np.float32)
    return cv2.GaussianBlur(light, (0, 0), 3)


def test_a_shadow_meeting_the_border_at_a_slant_leaves_no_ink_where_it_meets_it() -> None:
    ink = np.zeros((272, 316), np.uint8)
    cv2.putText(ink, "5", (90, 190), cv2.FONT_HERSHEY_SIMPLEX, 4.0, 255, 14, cv2.LINE_AA)  # a bold digit
    photo = _photo(ink, _slanted_shadow(ink.shape))

    flat = flatten_background(normalise_polarity(photo))

    paper = cv2.dilate(ink, np.ones((9, 9), np.uint8)) == 0
    assert np.percentile(flat[ink > 200], 50) > 100  # the digit is ink
    assert flat[paper].max() < 50  # and nothing else is: not the shadow's corners at the borders
    assert len(segment_digits(photo)) == 1

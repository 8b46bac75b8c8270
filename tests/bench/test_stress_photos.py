"""Tests for bench.stress_photos: every condition and layout makes a photo of what its label says."""

from __future__ import annotations

import numpy as np
import pytest

from bench.handwriting import parse_pendigits
from bench.stress_photos import CONDITIONS, LAYOUTS, TABLE, photograph_writing, stress_photo, stress_set
from core.reading import LINE_SEPARATOR
from tests.fixtures import PENDIGITS_FIXTURE


@pytest.fixture(scope="module")
def pen_digits():
    return parse_pendigits(PENDIGITS_FIXTURE)


@pytest.mark.parametrize("condition", CONDITIONS)
def test_every_condition_makes_an_rgb_photo_of_its_label(pen_digits, condition):
    for seed, layout in enumerate(LAYOUTS):
        photo = stress_photo(pen_digits, condition, layout, seed=seed)
        assert photo.image.dtype == np.uint8 and photo.image.ndim == 3 and photo.image.shape[2] == 3
        lines = photo.label.split(LINE_SEPARATOR)
        assert all(line.isdigit() for line in lines)
        if layout == "single":
            assert len(photo.label) == 1
        elif layout == "number":
            assert len(lines) == 1 and 3 <= len(photo.label) <= 7
        else:
            assert 2 <= len(lines) <= 3


def test_the_same_seed_makes_the_same_photo_and_another_seed_another(pen_digits):
    first = stress_photo(pen_digits, "blur", "number", seed=3)
    again = stress_photo(pen_digits, "blur", "number", seed=3)
    other = stress_photo(pen_digits, "blur", "number", seed=4)
    assert np.array_equal(first.image, again.image) and first.label == again.label
    assert first.image.shape != other.image.shape or not np.array_equal(first.image, other.image)


def test_the_writing_is_the_digits_given_line_by_line(pen_digits):
    three = next(digit for digit in pen_digits if digit.label == 3)
    eight = next(digit for digit in pen_digits if digit.label == 8)
    photo = photograph_writing([[three, eight], [eight]], "plain", np.random.default_rng(0))
    assert photo.label == "38|8"


@pytest.mark.parametrize("condition", ["perspective", "rotation"])
def test_a_page_at_an_angle_shows_the_table_in_the_corners(pen_digits, condition):
    photo = stress_photo(pen_digits, condition, "lines", seed=1)
    corner = photo.image[:3, :3].reshape(-1, 3).mean(axis=0)
    assert np.abs(corner - TABLE).max() < 15


def test_uneven_light_and_shadows_darken_part_of_the_paper(pen_digits):
    def paper_spread(condition: str) -> float:
        gray = stress_photo(pen_digits, condition, "lines", seed=2).image.mean(axis=2)
        return float(np.percentile(gray, 90) - np.percentile(gray, 30))  # the paper's levels, ink aside

    assert paper_spread("plain") < 15
    assert paper_spread("uneven light") > 40 and paper_spread("cast shadow") > 40


def test_ruled_and_grid_paper_have_lines_and_coloured_ink_is_coloured(pen_digits):
    plain = stress_photo(pen_digits, "plain", "single", seed=5).image.astype(int)
    for condition in ("ruled paper", "grid paper"):
        image = stress_photo(pen_digits, condition, "single", seed=5).image.astype(int)
        bluish = (image[..., 2] - image[..., 0]) > 40  # the rules are light blue
        assert bluish.mean() > 0.01 and ((plain[..., 2] - plain[..., 0]) > 40).mean() == 0
    coloured = stress_photo(pen_digits, "coloured ink", "number", seed=6).image.astype(int)
    assert (coloured.max(axis=2) - coloured.min(axis=2) > 80).mean() > 0.005


def test_a_stress_set_holds_every_condition_and_rejects_the_unknown(pen_digits):
    photos = stress_set(pen_digits, per_condition=2)
    assert [photo.condition for photo in photos] == [condition for condition in CONDITIONS for _ in range(2)]
    with pytest.raises(ValueError):
        stress_photo(pen_digits, "fog", "single", seed=0)
    with pytest.raises(ValueError):
        stress_photo([], "plain", "single", seed=0)


def test_uneven_pressure_writes_some_strokes_faint_and_leaves_the_rest_as_dark(pen_digits):
    def ink_levels(condition: str, seed: int) -> np.ndarray:
        gray = stress_photo(pen_digits, condition, "number", seed=seed).image.mean(axis=2)
        return gray[gray < 200]  # ink and its rim, paper aside

    plain = np.concatenate([ink_levels("plain", seed) for seed in range(4)])
    pressed = np.concatenate([ink_levels("uneven pressure", seed) for seed in range(4)])
    assert np.percentile(pressed, 5) < np.percentile(plain, 5) + 10  # full-pressure strokes stay as dark
    faint = (pressed > 110) & (pressed < 190)  # grey strokes between ink (~40) and paper (~230)
    assert faint.mean() > 2 * ((plain > 110) & (plain < 190)).mean()

"""Tests for bench.photo_stress: per-condition scores from generated photos, with stand-in models."""

from __future__ import annotations

import numpy as np
import pytest

from bench.handwriting import parse_pendigits
from bench.photo_stress import StressResult, read_stress_photo, score
from bench.stress_photos import photograph_writing
from tests.fixtures import PENDIGITS_FIXTURE


def _always(digit: int):
    """A stand-in model that answers `digit` with certainty for every input."""

    def predict(batch: np.ndarray) -> np.ndarray:
        rows = np.zeros((len(batch), 10), np.float32)
        rows[:, digit] = 1.0
        return rows

    return predict


def test_score_counts_digits_by_edit_distance_and_photos_exactly():
    results = [
        StressResult("blur", "number", "123", "123", 0.1, ""),
        StressResult("blur", "lines", "12|34", "12|39", 0.2, ""),  # one digit misread
        StressResult("blur", "single", "7", "", 0.3, "No digit found"),  # every digit lost
    ]
    entry = score("blur", results)
    assert (entry.photos, entry.digits, entry.errors) == (3, 8, 1)
    assert entry.digit_level == pytest.approx(1 - 2 / 8)
    assert entry.exact == pytest.approx(1 / 3)


def test_a_photo_is_read_through_the_cli_path_and_optionally_as_a_big_jpeg():
    ones = [digit for digit in parse_pendigits(PENDIGITS_FIXTURE) if digit.label == 1][:2]
    photo = photograph_writing([ones[:1], ones[1:]], "plain", np.random.default_rng(0))
    assert photo.label == "1|1"
    for megapixels in (None, 2.0):
        result = read_stress_photo(photo, _always(1), not_sure_floor=0.5, megapixels=megapixels)
        assert (result.reading, result.error) == ("1|1", "")
        assert result.seconds > 0

"""The "not sure" floor: fitted on validation digits, applied per input."""

from __future__ import annotations

import numpy as np
import pytest

from core.uncertainty import NOT_SURE_QUANTILE, fit_not_sure_floor, judge


def _probabilities(confidences: np.ndarray) -> np.ndarray:
    """(n, 10) rows whose largest entry (digit 3) is the given confidence, the rest spread evenly."""
    rows = np.tile(((1 - confidences) / 9)[:, None], (1, 10))
    rows[:, 3] = confidences
    return rows


def test_floor_leaves_the_chosen_share_of_validation_digits_below_it():
    confidences = np.random.default_rng(0).uniform(0.3, 1.0, 10_000)
    floor = fit_not_sure_floor(_probabilities(confidences))
    assert np.mean(confidences < floor) == pytest.approx(NOT_SURE_QUANTILE, abs=0.001)


def test_judge_names_the_digit_above_the_floor_and_doubts_below():
    sure = judge(_probabilities(np.array([0.9]))[0], not_sure_floor=0.6)
    assert (sure.digit, sure.label) == (3, "3")
    unsure = np.array([0.05, 0.02, 0.02, 0.40, 0.02, 0.02, 0.02, 0.35, 0.05, 0.05])
    verdict = judge(unsure, not_sure_floor=0.6)
    assert verdict.digit is None and verdict.label == "?"
    assert (verdict.runner_up, verdict.runner_up_probability) == (7, pytest.approx(0.35))
    assert verdict.confidence == pytest.approx(0.40)


def test_empty_validation_set_is_refused():
    with pytest.raises(ValueError, match="zero validation"):
        fit_not_sure_floor(np.zeros((0, 10)))

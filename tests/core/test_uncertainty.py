"""The "not sure" floor, fitted on validation digits, and the verdicts: a digit, "not sure" or "not a digit"."""

from __future__ import annotations

import numpy as np
import pytest

from core.uncertainty import (
    NOT_A_DIGIT,
    NOT_A_DIGIT_DOUBT,
    NOT_SURE_QUANTILE,
    digit_probabilities,
    fit_not_sure_floor,
    is_doubted,
    judge,
    likeliest_digit,
)


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


def _with_not_a_digit(rows: np.ndarray, not_a_digit: np.ndarray) -> np.ndarray:
    """(n, 11) rows: the (n, 10) digit rows scaled down to leave `not_a_digit` for the eleventh output."""
    return np.concatenate([rows * (1 - not_a_digit)[:, None], not_a_digit[:, None]], axis=1)


def test_an_eleventh_output_that_wins_says_not_a_digit():
    rows = _with_not_a_digit(_probabilities(np.array([0.9, 0.9])), np.array([0.8, 0.05]))
    mark, digit = judge(rows[0], not_sure_floor=0.5), judge(rows[1], not_sure_floor=0.5)
    assert mark.not_a_digit and mark.digit is None and mark.label == "-"
    assert mark.confidence == pytest.approx(0.8)  # how sure it is that this is no digit
    assert likeliest_digit(rows[0]) == 3  # the ten digits are still ranked, among themselves
    assert not digit.not_a_digit and (digit.digit, digit.label) == (3, "3")
    assert digit.confidence == pytest.approx(0.9 * 0.95)


def test_not_sure_and_not_a_digit_stay_apart():
    unsure_digit = judge(_with_not_a_digit(_probabilities(np.array([0.4])), np.array([0.2]))[0], not_sure_floor=0.5)
    assert unsure_digit.label == "?" and not unsure_digit.not_a_digit


def test_ten_outputs_never_say_not_a_digit():
    rows = _probabilities(np.array([0.95, 0.2]))
    assert [judge(row, not_sure_floor=0.5).label for row in rows] == ["3", "?"]
    assert is_doubted(rows, not_sure_floor=0.5).tolist() == [False, True]


def test_doubted_is_judge_for_a_whole_stack():
    rows = _with_not_a_digit(_probabilities(np.array([0.9, 0.3, 0.9, 0.99])), np.array([0.9, 0.0, 0.0, 0.1]))
    expected = [judge(row, not_sure_floor=0.5).digit is None for row in rows]
    assert is_doubted(rows, not_sure_floor=0.5).tolist() == expected == [True, True, False, False]


def test_a_digit_that_wins_while_not_a_digit_holds_a_good_share_is_not_sure():
    """A letter's likeliest digit can beat "not a digit" and still be far from a digit: say "not sure"."""
    below, at = NOT_A_DIGIT_DOUBT - 0.01, NOT_A_DIGIT_DOUBT
    rows = _with_not_a_digit(_probabilities(np.array([0.99, 0.99])), np.array([below, at]))
    assert rows[1, 3] > 2 * rows[1, NOT_A_DIGIT] and rows[1, 3] > 0.5  # the digit wins, well above the floor
    named, doubted = judge(rows[0], not_sure_floor=0.5), judge(rows[1], not_sure_floor=0.5)
    assert (named.digit, named.label) == (3, "3")
    assert doubted.label == "?" and not doubted.not_a_digit and doubted.confidence == pytest.approx(rows[1, 3])
    assert is_doubted(rows, not_sure_floor=0.5).tolist() == [False, True]


def test_digit_probabilities_leave_out_not_a_digit_and_sum_to_one():
    rows = _with_not_a_digit(_probabilities(np.array([0.9, 0.5])), np.array([0.5, 0.1]))
    digits = digit_probabilities(rows)
    assert digits.shape == (2, 10)
    np.testing.assert_allclose(digits.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(digits, _probabilities(np.array([0.9, 0.5])), rtol=1e-6)
    ten = _probabilities(np.array([0.7]))
    assert np.array_equal(digit_probabilities(ten), ten)


def test_the_floor_is_fitted_on_the_likeliest_digit_not_on_not_a_digit():
    confidences = np.random.default_rng(0).uniform(0.3, 1.0, 10_000)
    rows = _with_not_a_digit(_probabilities(confidences), np.full(len(confidences), 0.1))  # digits stay likeliest
    assert NOT_A_DIGIT == 10
    assert fit_not_sure_floor(rows) == pytest.approx(fit_not_sure_floor(_probabilities(confidences) * 0.9))


def test_the_floor_leaves_out_digits_already_answered_not_a_digit():
    confidences = np.random.default_rng(0).uniform(0.3, 1.0, 10_000)
    # The least confident fifth of the digits is answered "not a digit" (0.9 on the eleventh output).
    answered_not_a_digit = confidences < np.quantile(confidences, 0.2)
    rows = _with_not_a_digit(_probabilities(confidences), np.where(answered_not_a_digit, 0.9, 0.0))
    assert fit_not_sure_floor(rows) == pytest.approx(fit_not_sure_floor(_probabilities(confidences[~answered_not_a_digit])))
    assert fit_not_sure_floor(rows) > fit_not_sure_floor(_probabilities(confidences))


def test_a_floor_needs_a_digit_answered_as_a_digit():
    rows = _with_not_a_digit(_probabilities(np.array([0.5, 0.6])), np.array([0.9, 0.9]))
    with pytest.raises(ValueError, match="every validation digit"):
        fit_not_sure_floor(rows)

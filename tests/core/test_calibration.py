"""Tests for core.calibration: binning and ECE against slow loops, synthetic calibration, temperature scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.calibration import (
    apply_temperature,
    confidence_histogram,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_bins,
)


def softmax(logits: np.ndarray) -> np.ndarray:
    exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def random_probabilities(seed: int, rows: int, classes: int = 10, spread: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities from random logits and labels drawn at random (not from them)."""
    rng = np.random.default_rng(seed)
    probabilities = softmax(rng.normal(0.0, spread, (rows, classes)))
    return probabilities, rng.integers(0, classes, rows)


def draw_labels(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One label per row, drawn from that row's probabilities: the data is calibrated by construction."""
    cumulative = probabilities.cumsum(axis=1)  # (n, classes)
    draws = rng.random((len(probabilities), 1)) * cumulative[:, -1:]
    return (draws > cumulative).sum(axis=1)  # (n,)


def slow_bins(probabilities: np.ndarray, labels: np.ndarray, bins: int) -> list[list[tuple[float, bool]]]:
    """(confidence, correct) of every row, put in its bin one row at a time."""
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for row, label in zip(probabilities.tolist(), labels.tolist()):
        confidence = max(row)
        correct = row.index(confidence) == label
        for index in range(bins):
            lower, upper = index / bins, (index + 1) / bins
            if lower <= confidence < upper or (index == bins - 1 and confidence == upper):
                members[index].append((confidence, correct))
                break
    return members


def slow_ece(probabilities: np.ndarray, labels: np.ndarray, bins: int) -> float:
    total = 0.0
    for members in slow_bins(probabilities, labels, bins):
        if members:
            confidence = sum(c for c, _ in members) / len(members)
            accuracy = sum(1.0 for _, correct in members if correct) / len(members)
            total += len(members) / len(labels) * abs(accuracy - confidence)
    return total


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("bins", [1, 5, 15, 33])
def test_ece_matches_a_slow_loop(seed, bins):
    probabilities, labels = random_probabilities(seed, 500)
    # Half the labels follow the argmax, so bins hold a mix of right and wrong answers.
    labels[::2] = probabilities[::2].argmax(axis=1)
    assert expected_calibration_error(probabilities, labels, bins) == pytest.approx(
        slow_ece(probabilities, labels, bins), abs=1e-9
    )


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("bins", [4, 15])
def test_reliability_bins_match_a_slow_loop_and_sum_to_n(seed, bins):
    probabilities, labels = random_probabilities(seed, 400, spread=1.5)
    labels[::3] = probabilities[::3].argmax(axis=1)
    diagram = reliability_bins(probabilities, labels, bins)
    assert diagram.edges.shape == (bins + 1,)
    assert diagram.edges[0] == 0.0 and diagram.edges[-1] == 1.0
    assert diagram.confidence.shape == diagram.accuracy.shape == diagram.counts.shape == (bins,)
    assert diagram.counts.sum() == len(labels)
    for index, members in enumerate(slow_bins(probabilities, labels, bins)):
        assert diagram.counts[index] == len(members)
        if members:
            assert diagram.confidence[index] == pytest.approx(np.mean([c for c, _ in members]), abs=1e-12)
            assert diagram.accuracy[index] == pytest.approx(np.mean([k for _, k in members]), abs=1e-12)
            assert diagram.edges[index] <= diagram.confidence[index] <= diagram.edges[index + 1]
        else:
            assert np.isnan(diagram.confidence[index]) and np.isnan(diagram.accuracy[index])


def test_empty_bins_are_nan_with_zero_count():
    probabilities = np.array([[0.95, 0.05], [0.9, 0.1], [0.05, 0.95]])
    diagram = reliability_bins(probabilities, np.array([0, 1, 1]), bins=10)
    np.testing.assert_array_equal(diagram.counts, [0, 0, 0, 0, 0, 0, 0, 0, 0, 3])
    assert np.isnan(diagram.confidence[:9]).all() and np.isnan(diagram.accuracy[:9]).all()
    assert diagram.accuracy[9] == pytest.approx(2 / 3)
    assert diagram.confidence[9] == pytest.approx((0.95 + 0.9 + 0.95) / 3)


def test_confidence_one_goes_in_the_last_bin_and_edges_start_their_bin():
    probabilities = np.array([[1.0, 0.0], [0.5, 0.5], [0.75, 0.25]])
    diagram = reliability_bins(probabilities, np.array([0, 0, 1]), bins=4)
    # 1.0 in the closed last bin [0.75, 1]; 0.5 starts [0.5, 0.75); 0.75 starts [0.75, 1].
    np.testing.assert_array_equal(diagram.counts, [0, 0, 1, 2])
    np.testing.assert_allclose(diagram.accuracy[2:], [1.0, 0.5])


def test_perfect_predictions_at_full_confidence_have_zero_ece():
    labels = np.arange(10).repeat(5)
    assert expected_calibration_error(np.eye(10)[labels], labels) == 0.0


def test_perfectly_calibrated_data_has_ece_near_zero():
    rng = np.random.default_rng(7)
    probabilities = softmax(rng.normal(0.0, 2.0, (200_000, 10)))
    labels = draw_labels(probabilities, rng)
    assert expected_calibration_error(probabilities, labels) < 0.01
    # The same data made over-confident is clearly miscalibrated: the measure can tell them apart.
    sharpened = apply_temperature(probabilities, 0.3)
    assert expected_calibration_error(sharpened, labels) > 0.05


@pytest.fixture(scope="module")
def over_confident() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True logits, labels drawn from softmax(logits), and what an over-confident model reports: softmax(3 logits)."""
    rng = np.random.default_rng(11)
    logits = rng.normal(0.0, 1.5, (20_000, 10))
    labels = draw_labels(softmax(logits), rng)
    return logits, labels, softmax(3.0 * logits)


def test_over_confident_data_gets_a_temperature_above_one_that_helps(over_confident):
    _, labels, reported = over_confident
    temperature = fit_temperature(reported, labels)
    assert 2.7 < temperature < 3.3  # the truth is 3
    scaled = apply_temperature(reported, temperature)
    assert negative_log_likelihood(scaled, labels) < negative_log_likelihood(reported, labels)
    assert expected_calibration_error(scaled, labels) < 0.5 * expected_calibration_error(reported, labels)


def test_fitting_from_logits_agrees_with_fitting_from_probabilities(over_confident):
    logits, labels, reported = over_confident
    from_logits = fit_temperature(3.0 * logits, labels, from_logits=True)
    assert from_logits == pytest.approx(fit_temperature(reported, labels), rel=1e-4)


def test_fitted_temperature_beats_every_temperature_on_a_grid(over_confident):
    _, labels, reported = over_confident
    temperature = fit_temperature(reported, labels)
    best = negative_log_likelihood(apply_temperature(reported, temperature), labels)
    grid = np.exp(np.linspace(math.log(0.05), math.log(20.0), 120))
    assert all(best <= negative_log_likelihood(apply_temperature(reported, t), labels) + 1e-9 for t in grid)


def test_under_confident_data_gets_a_temperature_below_one():
    rng = np.random.default_rng(5)
    logits = rng.normal(0.0, 2.0, (10_000, 10))
    labels = draw_labels(softmax(logits), rng)
    assert 0.4 < fit_temperature(softmax(0.5 * logits), labels) < 0.6  # the truth is 0.5


def test_apply_temperature_is_a_power_law_that_keeps_the_ranking():
    probabilities = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]], np.float32)
    scaled = apply_temperature(probabilities, 2.0)
    root = np.sqrt(probabilities.astype(np.float64))  # softmax(log p / 2) = sqrt(p) / sum sqrt(p)
    np.testing.assert_allclose(scaled, root / root.sum(axis=1, keepdims=True), rtol=1e-6)
    assert scaled.dtype == np.float32
    np.testing.assert_array_equal(scaled.argmax(axis=1), probabilities.argmax(axis=1))
    np.testing.assert_allclose(apply_temperature(probabilities, 1.0), probabilities, rtol=1e-6)


def test_apply_temperature_survives_exact_zeros():
    scaled = apply_temperature(np.array([[1.0, 0.0, 0.0]]), 5.0)
    assert np.all(np.isfinite(scaled)) and scaled.sum() == pytest.approx(1.0)


def test_confidence_histogram_splits_counts_into_right_and_wrong():
    probabilities, labels = random_probabilities(4, 300)
    labels[::2] = probabilities[::2].argmax(axis=1)
    edges, counts_correct, counts_wrong = confidence_histogram(probabilities, labels, bins=20)
    assert edges.shape == (21,) and counts_correct.shape == counts_wrong.shape == (20,)
    np.testing.assert_array_equal(counts_correct + counts_wrong, reliability_bins(probabilities, labels, 20).counts)
    assert counts_correct.sum() == (probabilities.argmax(axis=1) == labels).sum()
    assert counts_correct.sum() + counts_wrong.sum() == len(labels)


BAD_INPUTS = [
    pytest.param(np.full(10, 0.1), np.array([0]), id="one-dimensional"),
    pytest.param(np.full((2, 10, 1), 0.1), np.array([0, 1]), id="three-dimensional"),
    pytest.param(np.ones((3, 1)), np.array([0, 0, 0]), id="one-class"),
    pytest.param(np.zeros((0, 10)), np.zeros(0, int), id="empty"),
    pytest.param(np.full((3, 10), 0.1), np.array([0, 1]), id="label-count"),
    pytest.param(np.full((2, 10), 0.1), np.array([0, 10]), id="label-too-big"),
    pytest.param(np.full((2, 10), 0.1), np.array([-1, 0]), id="label-negative"),
    pytest.param(np.full((2, 10), 0.1), np.array([0.0, 1.0]), id="float-labels"),
    pytest.param(np.full((2, 10), np.nan), np.array([0, 1]), id="nan"),
    pytest.param(np.full((2, 10), 1.5), np.array([0, 1]), id="above-one"),
    pytest.param(np.full((2, 10), -0.1), np.array([0, 1]), id="negative"),
]


@pytest.mark.parametrize("probabilities, labels", BAD_INPUTS)
@pytest.mark.parametrize(
    "function", [reliability_bins, expected_calibration_error, confidence_histogram, fit_temperature]
)
def test_bad_inputs_raise_value_error(function, probabilities, labels):
    with pytest.raises(ValueError):
        function(probabilities, labels)


@pytest.mark.parametrize("bins", [0, -3, 2.5])
def test_bad_bin_counts_raise_value_error(bins):
    probabilities, labels = random_probabilities(0, 10)
    with pytest.raises(ValueError, match="bins"):
        expected_calibration_error(probabilities, labels, bins)


def test_fit_temperature_refuses_logits_passed_as_probabilities():
    probabilities, labels = random_probabilities(0, 10)
    with pytest.raises(ValueError):
        fit_temperature(np.log(probabilities), labels)  # negative values
    with pytest.raises(ValueError, match="sum to 1"):
        fit_temperature(probabilities * 0.5, labels)


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.nan, math.inf])
def test_apply_temperature_refuses_non_positive_temperatures(temperature):
    with pytest.raises(ValueError, match="Temperature"):
        apply_temperature(np.full((1, 10), 0.1), temperature)

"""Tests for core.evaluation, each fast numpy function checked against an obviously correct slow loop."""

from __future__ import annotations

import numpy as np
import pytest

from core.evaluation import (
    ClassMetrics,
    cell_indices,
    class_metrics,
    confusion_matrix,
    misclassified_indices,
    row_normalised,
)

# ----------------------------------------------------------------------------- slow oracles


def slow_confusion_matrix(true_labels, predicted_labels) -> np.ndarray:
    matrix = np.zeros((10, 10), dtype=np.int64)
    for true_digit in range(10):
        for predicted_digit in range(10):
            for true_label, predicted_label in zip(true_labels, predicted_labels):
                if true_label == true_digit and predicted_label == predicted_digit:
                    matrix[true_digit, predicted_digit] += 1
    return matrix


def slow_class_metrics(matrix):
    precision, recall, f1, support = [], [], [], []
    for digit in range(10):
        true_positives = matrix[digit][digit]
        predicted = sum(matrix[row][digit] for row in range(10))
        actual = sum(matrix[digit][column] for column in range(10))
        p = true_positives / predicted if predicted else 0.0
        r = true_positives / actual if actual else 0.0
        precision.append(p)
        recall.append(r)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
        support.append(actual)
    return precision, recall, f1, support


def slow_argmax(row) -> int:
    """The first index holding the largest value, as np.argmax does."""
    best = 0
    for index in range(1, len(row)):
        if row[index] > row[best]:
            best = index
    return best


def slow_misclassified(true_labels, probabilities, true_digit=None, predicted_digit=None, order="confidence"):
    found = []
    for index, (label, row) in enumerate(zip(true_labels, probabilities)):
        predicted = slow_argmax(row)
        if predicted == label:
            continue
        if true_digit is not None and label != true_digit:
            continue
        if predicted_digit is not None and predicted != predicted_digit:
            continue
        found.append((index, row[predicted]))
    if order == "confidence":
        found.sort(key=lambda item: (-item[1], item[0]))
    return [index for index, _ in found]


def slow_cell(true_labels, probabilities, true_digit, predicted_digit):
    found = [
        (index, row[predicted_digit])
        for index, (label, row) in enumerate(zip(true_labels, probabilities))
        if label == true_digit and slow_argmax(row) == predicted_digit
    ]
    found.sort(key=lambda item: (-item[1], item[0]))
    return [index for index, _ in found]


# ----------------------------------------------------------------------------- data


def random_labels(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true_labels = rng.integers(0, 10, n).astype(np.uint8)
    # Mostly right, like a real model, with a digit that is never predicted and one that never occurs.
    predicted = np.where(rng.random(n) < 0.7, true_labels, rng.integers(0, 10, n)).astype(np.uint8)
    predicted[predicted == 9] = 4
    true_labels[true_labels == 6] = 5
    return true_labels, predicted


def random_probabilities(n: int, seed: int, *, coarse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Labels and (n, 10) probabilities; `coarse` rounds them so many confidences tie."""
    rng = np.random.default_rng(seed)
    true_labels = rng.integers(0, 10, n).astype(np.uint8)
    logits = rng.normal(size=(n, 10))
    logits[np.arange(n), true_labels] += rng.choice([0.0, 3.0], size=n)  # about half correct
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if coarse:
        probabilities = np.round(probabilities, 1)
    return true_labels, probabilities.astype(np.float32)


# ----------------------------------------------------------------------------- confusion matrix


@pytest.mark.parametrize("n, seed", [(0, 0), (1, 1), (7, 2), (300, 3), (1000, 4)])
def test_confusion_matrix_matches_double_loop(n, seed):
    true_labels, predicted = random_labels(n, seed)
    matrix = confusion_matrix(true_labels, predicted)
    assert matrix.shape == (10, 10)
    assert matrix.dtype == np.int64
    np.testing.assert_array_equal(matrix, slow_confusion_matrix(true_labels, predicted))
    assert matrix.sum() == n


def test_confusion_matrix_rows_are_true_digits_and_columns_predictions():
    matrix = confusion_matrix(np.array([3, 3, 7]), np.array([8, 8, 1]))
    assert matrix[3, 8] == 2
    assert matrix[7, 1] == 1
    assert matrix[8, 3] == 0
    assert matrix.sum() == 3


def test_confusion_matrix_accepts_lists():
    np.testing.assert_array_equal(confusion_matrix([0, 1], [0, 2]), slow_confusion_matrix([0, 1], [0, 2]))


@pytest.mark.parametrize(
    "true_labels, predicted, words",
    [
        ([1, 2, 3], [1, 2], "3 true labels but 2 predictions"),
        ([1, 2], [1, 10], "0..9"),
        ([-1, 2], [1, 2], "0..9"),
        ([1, 12], [1, 2], "0..9"),
    ],
)
def test_confusion_matrix_bad_input(true_labels, predicted, words):
    with pytest.raises(ValueError, match=words):
        confusion_matrix(np.array(true_labels), np.array(predicted))


# ----------------------------------------------------------------------------- row_normalised


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_row_normalised_matches_slow_division(seed):
    true_labels, predicted = random_labels(200, seed)
    matrix = confusion_matrix(true_labels, predicted)
    shares = row_normalised(matrix)
    assert shares.dtype == np.float64
    for row in range(10):
        total = sum(matrix[row])
        for column in range(10):
            expected = matrix[row][column] / total if total else 0.0
            assert shares[row, column] == pytest.approx(expected)


def test_row_normalised_rows_sum_to_one_or_zero_for_empty_rows():
    true_labels, predicted = random_labels(500, 5)
    matrix = confusion_matrix(true_labels, predicted)
    assert matrix[6].sum() == 0  # digit 6 never occurs in this data
    row_sums = row_normalised(matrix).sum(axis=1)
    np.testing.assert_allclose(row_sums, np.where(matrix.sum(axis=1) > 0, 1.0, 0.0))
    assert np.all(np.isfinite(row_normalised(np.zeros((10, 10), np.int64))))


# ----------------------------------------------------------------------------- class_metrics


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_class_metrics_match_slow_formulas(seed):
    true_labels, predicted = random_labels(400, seed)
    matrix = confusion_matrix(true_labels, predicted)
    metrics = class_metrics(matrix)
    assert isinstance(metrics, ClassMetrics)
    precision, recall, f1, support = slow_class_metrics(matrix.tolist())
    np.testing.assert_allclose(metrics.precision, precision)
    np.testing.assert_allclose(metrics.recall, recall)
    np.testing.assert_allclose(metrics.f1, f1)
    np.testing.assert_array_equal(metrics.support, support)
    assert metrics.support.dtype == np.int64
    for array in (metrics.precision, metrics.recall, metrics.f1):
        assert array.shape == (10,)
        assert np.all(np.isfinite(array))


def test_class_metrics_for_never_predicted_and_absent_classes_are_zero():
    true_labels, predicted = random_labels(400, 9)
    metrics = class_metrics(confusion_matrix(true_labels, predicted))
    assert metrics.precision[9] == 0.0  # 9 is never predicted
    assert metrics.recall[6] == 0.0 and metrics.support[6] == 0  # 6 never occurs
    assert metrics.f1[6] == 0.0


def test_class_metrics_perfect_predictions():
    labels = np.arange(10).repeat(3)
    metrics = class_metrics(confusion_matrix(labels, labels))
    np.testing.assert_array_equal(metrics.precision, np.ones(10))
    np.testing.assert_array_equal(metrics.recall, np.ones(10))
    np.testing.assert_array_equal(metrics.f1, np.ones(10))
    np.testing.assert_array_equal(metrics.support, np.full(10, 3))


# ----------------------------------------------------------------------------- mistakes


FILTERS = [(None, None), (3, None), (None, 5), (2, 7), (4, 4)]


@pytest.mark.parametrize("coarse", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("order", ["confidence", "index"])
@pytest.mark.parametrize("true_digit, predicted_digit", FILTERS)
def test_misclassified_indices_match_slow_loop(coarse, order, true_digit, predicted_digit):
    true_labels, probabilities = random_probabilities(600, 11, coarse=coarse)
    found = misclassified_indices(
        true_labels, probabilities, true_digit=true_digit, predicted_digit=predicted_digit, order=order
    )
    expected = slow_misclassified(true_labels, probabilities, true_digit, predicted_digit, order)
    assert found.tolist() == expected
    if (true_digit, predicted_digit) == (None, None):
        assert len(found) > 50  # the data really has mistakes to find


def test_misclassified_confidence_order_is_descending_with_ties_in_index_order():
    true_labels = np.array([0, 0, 0, 0, 0])
    probabilities = np.zeros((5, 10), np.float32)
    probabilities[:, 1] = [0.6, 0.9, 0.6, 0.2, 0.9]  # all predicted 1 (wrong) except index 3
    probabilities[:, 0] = [0.4, 0.1, 0.4, 0.8, 0.1]
    assert misclassified_indices(true_labels, probabilities).tolist() == [1, 4, 0, 2]
    assert misclassified_indices(true_labels, probabilities, order="index").tolist() == [0, 1, 2, 4]


def test_misclassified_indices_empty_when_all_correct():
    labels = np.arange(10)
    probabilities = np.eye(10, dtype=np.float32)
    found = misclassified_indices(labels, probabilities)
    assert found.shape == (0,)
    assert misclassified_indices(labels, probabilities, order="index").shape == (0,)


def test_misclassified_indices_unknown_order():
    true_labels, probabilities = random_probabilities(20, 0)
    with pytest.raises(ValueError, match="Order"):
        misclassified_indices(true_labels, probabilities, order="random")


def test_misclassified_indices_length_mismatch_raises():
    true_labels, probabilities = random_probabilities(20, 0)
    with pytest.raises(ValueError):
        misclassified_indices(true_labels[:19], probabilities)


@pytest.mark.parametrize("coarse", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("true_digit, predicted_digit", [(3, 3), (3, 8), (0, 9), (7, 1)])
def test_cell_indices_match_slow_loop(coarse, true_digit, predicted_digit):
    true_labels, probabilities = random_probabilities(800, 4, coarse=coarse)
    found = cell_indices(true_labels, probabilities, true_digit, predicted_digit)
    assert found.tolist() == slow_cell(true_labels, probabilities, true_digit, predicted_digit)


def test_cell_indices_agree_with_the_confusion_matrix():
    true_labels, probabilities = random_probabilities(800, 8)
    matrix = confusion_matrix(true_labels, probabilities.argmax(axis=1))
    for true_digit in range(10):
        for predicted_digit in range(10):
            cell = cell_indices(true_labels, probabilities, true_digit, predicted_digit)
            assert len(cell) == matrix[true_digit, predicted_digit]

"""Scores from stored test-set predictions: confusion matrix, per-class metrics, mistakes.

Pure numpy on (n, 10) probabilities, so it is computed once per run without loading the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.mnist_format import NUM_CLASSES


@dataclass(frozen=True)
class ClassMetrics:
    """Per-class scores, each an array of shape (10,)."""

    precision: np.ndarray  # float64; 0 where the class is never predicted
    recall: np.ndarray  # float64; 0 where the class never occurs
    f1: np.ndarray  # float64
    support: np.ndarray  # int64, true examples of each class


def confusion_matrix(true_labels: np.ndarray, predicted_labels: np.ndarray) -> np.ndarray:
    """Counts of (true, predicted) pairs.

    Args:
        true_labels: (n,) ints in 0..9.
        predicted_labels: (n,) ints in 0..9.

    Returns:
        (10, 10) int64; row = true digit, column = predicted digit.

    Raises:
        ValueError: the arrays differ in length or hold labels outside 0..9.
    """
    true_labels = np.asarray(true_labels, dtype=np.int64)
    predicted_labels = np.asarray(predicted_labels, dtype=np.int64)
    if true_labels.shape != predicted_labels.shape:
        raise ValueError(f"{true_labels.shape[0]} true labels but {predicted_labels.shape[0]} predictions.")
    for labels in (true_labels, predicted_labels):
        if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
            raise ValueError("Labels must lie in 0..9.")
    flat = np.bincount(true_labels * NUM_CLASSES + predicted_labels, minlength=NUM_CLASSES**2)
    return flat.reshape(NUM_CLASSES, NUM_CLASSES)


def row_normalised(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its total: the share of each true digit that went to each column."""
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros(matrix.shape, dtype=np.float64), where=totals > 0)


def class_metrics(matrix: np.ndarray) -> ClassMetrics:
    """Precision, recall, F1 and support per class from a confusion matrix."""
    true_positives = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    precision = np.divide(true_positives, predicted, out=np.zeros(NUM_CLASSES), where=predicted > 0)
    recall = np.divide(true_positives, support, out=np.zeros(NUM_CLASSES), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(NUM_CLASSES), where=both > 0)
    return ClassMetrics(precision=precision, recall=recall, f1=f1, support=support.astype(np.int64))


def misclassified_indices(
    true_labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    true_digit: int | None = None,
    predicted_digit: int | None = None,
    order: str = "confidence",
) -> np.ndarray:
    """Indices of wrong predictions, optionally filtered by true and predicted digit.

    Args:
        true_labels: (n,) ints in 0..9.
        probabilities: (n, 10) class probabilities.
        true_digit: keep only mistakes on this true digit.
        predicted_digit: keep only mistakes predicted as this digit.
        order: "confidence" (most confident mistakes first) or "index".

    Returns:
        (k,) int64 indices into the test set.

    Raises:
        ValueError: an unknown order.
    """
    predicted = probabilities.argmax(axis=1)  # (n,)
    keep = predicted != true_labels
    if true_digit is not None:
        keep &= true_labels == true_digit
    if predicted_digit is not None:
        keep &= predicted == predicted_digit
    indices = np.flatnonzero(keep)
    if order == "index":
        return indices
    if order != "confidence":
        raise ValueError(f"Order must be 'confidence' or 'index', not {order!r}.")
    confidence = probabilities[indices, predicted[indices]]
    # Stable sort on the negated confidence keeps ties in index order.
    return indices[np.argsort(-confidence, kind="stable")]


def cell_indices(true_labels: np.ndarray, probabilities: np.ndarray, true_digit: int, predicted_digit: int) -> np.ndarray:
    """Indices of the test images in one confusion-matrix cell, most confident first."""
    predicted = probabilities.argmax(axis=1)
    indices = np.flatnonzero((true_labels == true_digit) & (predicted == predicted_digit))
    return indices[np.argsort(-probabilities[indices, predicted_digit], kind="stable")]

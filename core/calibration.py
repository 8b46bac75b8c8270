"""Does 90% confidence mean right 9 times in 10? Reliability bins, expected calibration error, and
temperature scaling, all from a model's (n, classes) probabilities and the true labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

DEFAULT_RELIABILITY_BINS = 15
DEFAULT_HISTOGRAM_BINS = 20
TEMPERATURE_RANGE = (0.05, 20.0)
# float32 softmax underflows to exactly 0; flooring keeps log p finite without moving any real value.
_PROBABILITY_FLOOR = 1e-30
_ROW_SUM_TOLERANCE = 1e-3
_GOLDEN_SECTION_TOLERANCE = 1e-7  # in log T: T to about seven significant figures
_INVERSE_GOLDEN_RATIO = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays elementwise makes `==` raise, not answer.
class ReliabilityDiagram:
    """Top-1 confidence against accuracy in equal-width confidence bins.

    Attributes:
        edges: (bins + 1,) float64 from 0 to 1; bin i is [edges[i], edges[i + 1]), the last bin closed.
        confidence: (bins,) float64 mean top-1 confidence in each bin, NaN where empty.
        accuracy: (bins,) float64 share of correct top-1 answers in each bin, NaN where empty.
        counts: (bins,) int64 digits in each bin.
    """

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    counts: np.ndarray


class ConfidenceHistogram(NamedTuple):
    """How many right and wrong answers fell at each top-1 confidence, on the same equal-width bins."""

    edges: np.ndarray  # (bins + 1,) float64 from 0 to 1
    counts_correct: np.ndarray  # (bins,) int64
    counts_wrong: np.ndarray  # (bins,) int64


def _check_labels(labels: np.ndarray, rows: int, classes: int) -> np.ndarray:
    """Validates labels for a (rows, classes) score matrix; returns them as int64.

    Raises:
        ValueError: wrong shape, not integers, or outside [0, classes).
    """
    labels = np.asarray(labels)
    if labels.shape != (rows,):
        raise ValueError(f"Expected labels of shape ({rows},), got {labels.shape}.")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"Labels must be integers, got dtype {labels.dtype}.")
    if labels.min() < 0 or labels.max() >= classes:
        raise ValueError(f"Labels must be in [0, {classes}).")
    return labels.astype(np.int64)


def _check_scores(scores: np.ndarray, what: str) -> np.ndarray:
    """Validates an (n >= 1, classes >= 2) matrix of finite numbers; returns it as float64.

    Raises:
        ValueError: wrong shape, no rows, or values not finite.
    """
    scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[1] < 2:
        raise ValueError(f"Expected {what} of shape (n, classes >= 2), got {scores.shape}.")
    if scores.shape[0] == 0:
        raise ValueError("Cannot measure calibration on zero examples.")
    scores = scores.astype(np.float64)
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{what.capitalize()} must be finite.")
    return scores


def _check(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validates a probability matrix and its labels; returns them as float64 and int64.

    Raises:
        ValueError: shapes disagree, no rows, values outside [0, 1] or not finite, or labels out of range.
    """
    probabilities = _check_scores(probabilities, "probabilities")
    if probabilities.min() < 0.0 or probabilities.max() > 1.0:
        raise ValueError("Probabilities must be in [0, 1].")
    return probabilities, _check_labels(labels, *probabilities.shape)


def _check_bins(bins: int) -> int:
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins}.")
    return int(bins)


def _edges(bins: int) -> np.ndarray:
    # i / bins exactly (not linspace's i * (1 / bins)), so a confidence of 0.5 lands where a reader expects.
    return np.arange(bins + 1, dtype=np.float64) / bins  # (bins + 1,)


def _top1(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-1 confidence (n,) float64 and whether it was right (n,) bool."""
    return probabilities.max(axis=1), probabilities.argmax(axis=1) == labels


def _bin_of(confidence: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Index of the [edges[i], edges[i + 1]) bin holding each confidence; 1.0 joins the last bin."""
    return np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, len(edges) - 2)  # (n,)


def reliability_bins(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = DEFAULT_RELIABILITY_BINS
) -> ReliabilityDiagram:
    """Mean confidence and accuracy per equal-width confidence bin, for a reliability diagram.

    Args:
        probabilities: (n, classes) rows of class probabilities.
        labels: (n,) true class indices.
        bins: number of equal-width bins over [0, 1].

    Returns:
        A ReliabilityDiagram; its counts sum to n.

    Raises:
        ValueError: bad shapes, values or labels, or bins < 1.
    """
    probabilities, labels = _check(probabilities, labels)
    bins = _check_bins(bins)
    edges = _edges(bins)
    confidence, correct = _top1(probabilities, labels)  # (n,), (n,)
    bin_index = _bin_of(confidence, edges)  # (n,)
    counts = np.bincount(bin_index, minlength=bins)  # (bins,)
    confidence_sums = np.bincount(bin_index, weights=confidence, minlength=bins)  # (bins,)
    correct_sums = np.bincount(bin_index, weights=correct.astype(np.float64), minlength=bins)  # (bins,)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins become NaN, by design
        mean_confidence = np.where(counts > 0, confidence_sums / counts, np.nan)
        accuracy = np.where(counts > 0, correct_sums / counts, np.nan)
    return ReliabilityDiagram(edges, mean_confidence, accuracy, counts.astype(np.int64))


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = DEFAULT_RELIABILITY_BINS
) -> float:
    """Expected calibration error: sum over bins of (count / n) * |accuracy - mean confidence|.

    Top-1 confidence, equal-width bins over [0, 1], a confidence of exactly 1.0 in the last bin.

    Raises:
        ValueError: bad shapes, values or labels, or bins < 1.
    """
    diagram = reliability_bins(probabilities, labels, bins)
    filled = diagram.counts > 0
    gaps = np.abs(diagram.accuracy[filled] - diagram.confidence[filled])  # (filled bins,)
    return float(np.sum(diagram.counts[filled] * gaps) / diagram.counts.sum())


def confidence_histogram(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = DEFAULT_HISTOGRAM_BINS
) -> ConfidenceHistogram:
    """Counts of right and wrong answers per top-1 confidence bin.

    Returns:
        (edges, counts_correct, counts_wrong); counts_correct + counts_wrong sums to n.

    Raises:
        ValueError: bad shapes, values or labels, or bins < 1.
    """
    probabilities, labels = _check(probabilities, labels)
    bins = _check_bins(bins)
    edges = _edges(bins)
    confidence, correct = _top1(probabilities, labels)
    bin_index = _bin_of(confidence, edges)  # (n,)
    counts_correct = np.bincount(bin_index[correct], minlength=bins).astype(np.int64)
    counts_wrong = np.bincount(bin_index[~correct], minlength=bins).astype(np.int64)
    return ConfidenceHistogram(edges, counts_correct, counts_wrong)


def _log_probabilities(probabilities: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(probabilities, _PROBABILITY_FLOOR))  # (n, classes) float64


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted so the largest logit is 0 and exp cannot overflow."""
    exponentials = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def _mean_negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    scaled = logits / temperature  # (n, classes)
    top = scaled.max(axis=1)  # (n,)
    log_normaliser = top + np.log(np.exp(scaled - top[:, np.newaxis]).sum(axis=1))  # (n,) logsumexp
    return float(np.mean(log_normaliser - scaled[np.arange(len(labels)), labels]))


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean -log p(true label), the loss temperature scaling minimises.

    Raises:
        ValueError: bad shapes, values or labels.
    """
    probabilities, labels = _check(probabilities, labels)
    return _mean_negative_log_likelihood(_log_probabilities(probabilities), labels, 1.0)


def fit_temperature(
    logits_or_probabilities: np.ndarray, labels: np.ndarray, *, from_logits: bool = False
) -> float:
    """The temperature T > 0 minimising the mean NLL of softmax(logits / T).

    From probabilities, log p serves as the logits: softmax(log p) = p, so T = 1 changes nothing.
    The NLL is convex in 1 / T, hence unimodal in log T, so a golden-section search over
    log T in `TEMPERATURE_RANGE` finds the minimum (or the range's edge) without scipy.
    T > 1 softens an over-confident model; T < 1 sharpens an under-confident one.

    Args:
        logits_or_probabilities: (n, classes) probabilities, or logits when from_logits is True.
        labels: (n,) true class indices.
        from_logits: whether the first argument holds logits.

    Returns:
        The fitted temperature, within TEMPERATURE_RANGE.

    Raises:
        ValueError: bad shapes, labels or values (probabilities outside [0, 1] or rows not summing
            to 1 when from_logits is False; non-finite logits).
    """
    if from_logits:
        logits = _check_scores(logits_or_probabilities, "logits")
        labels = _check_labels(labels, *logits.shape)
    else:
        probabilities, labels = _check(logits_or_probabilities, labels)
        if np.any(np.abs(probabilities.sum(axis=1) - 1.0) > _ROW_SUM_TOLERANCE):
            raise ValueError("Probability rows must sum to 1; pass from_logits=True for logits.")
        logits = _log_probabilities(probabilities)

    def loss(log_temperature: float) -> float:
        return _mean_negative_log_likelihood(logits, labels, math.exp(log_temperature))

    low, high = (math.log(bound) for bound in TEMPERATURE_RANGE)
    left = high - _INVERSE_GOLDEN_RATIO * (high - low)
    right = low + _INVERSE_GOLDEN_RATIO * (high - low)
    left_loss, right_loss = loss(left), loss(right)
    while high - low > _GOLDEN_SECTION_TOLERANCE:
        if left_loss <= right_loss:  # the minimum is not right of `right`
            high, right, right_loss = right, left, left_loss
            left = high - _INVERSE_GOLDEN_RATIO * (high - low)
            left_loss = loss(left)
        else:
            low, left, left_loss = left, right, right_loss
            right = low + _INVERSE_GOLDEN_RATIO * (high - low)
            right_loss = loss(right)
    return float(math.exp((low + high) / 2.0))


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Rescales probabilities as softmax(log p / T); the predicted class never changes.

    Args:
        probabilities: (n, classes) rows of class probabilities.
        temperature: T > 0; 1 returns the input unchanged (up to rounding).

    Returns:
        (n, classes) probabilities, in the input's float dtype (float64 for non-float input).

    Raises:
        ValueError: temperature not a finite positive number, or probabilities not (n, classes) in [0, 1].
    """
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"Temperature must be a finite positive number, got {temperature}.")
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2:
        raise ValueError(f"Expected probabilities of shape (n, classes), got {probabilities.shape}.")
    values = probabilities.astype(np.float64)
    if not np.all(np.isfinite(values)) or (values.size and (values.min() < 0.0 or values.max() > 1.0)):
        raise ValueError("Probabilities must be finite and in [0, 1].")
    dtype = probabilities.dtype if np.issubdtype(probabilities.dtype, np.floating) else np.float64
    return softmax(_log_probabilities(values) / temperature).astype(dtype)

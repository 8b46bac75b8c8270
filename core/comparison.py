"""Two runs on the same test digits: where they disagree, how often each alone is right, and whether
B's gain over A is more than chance (McNemar's exact test)."""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Literal

import numpy as np

from core.mnist_format import NUM_CLASSES

SIGNIFICANCE = 0.05
Outcome = Literal["only A right", "only B right", "both wrong"]
OUTCOMES: tuple[Outcome, ...] = ("only A right", "only B right", "both wrong")


@dataclass(frozen=True)
class Agreement:
    """The 2x2 table of two runs' answers on the same digits."""

    both_right: int
    only_a_right: int
    only_b_right: int
    both_wrong: int


@dataclass(frozen=True)
class Disagreements:
    """The test digits the two runs answer differently, most confident disagreement first; arrays of equal length."""

    indices: np.ndarray  # (k,) test-set indices
    true_digits: np.ndarray  # (k,)
    a_digits: np.ndarray  # (k,)
    a_confidences: np.ndarray  # (k,) the probability A gave its answer
    b_digits: np.ndarray  # (k,)
    b_confidences: np.ndarray  # (k,)
    outcomes: tuple[Outcome, ...]  # which of them is right, for each


def _check_same_digits(labels: np.ndarray, *probabilities: np.ndarray) -> None:
    for rows in probabilities:
        if rows.shape != (len(labels), NUM_CLASSES):
            raise ValueError(f"Expected ({len(labels)}, {NUM_CLASSES}) probabilities, got {rows.shape}.")


def agreement(labels: np.ndarray, probabilities_a: np.ndarray, probabilities_b: np.ndarray) -> Agreement:
    """Counts the digits both runs get right, only A, only B, and neither.

    Raises:
        ValueError: the probabilities do not cover the labels' digits.
    """
    _check_same_digits(labels, probabilities_a, probabilities_b)
    a_right = probabilities_a.argmax(axis=1) == labels
    b_right = probabilities_b.argmax(axis=1) == labels
    return Agreement(
        both_right=int(np.sum(a_right & b_right)),
        only_a_right=int(np.sum(a_right & ~b_right)),
        only_b_right=int(np.sum(~a_right & b_right)),
        both_wrong=int(np.sum(~a_right & ~b_right)),
    )


def mcnemar_p_value(only_a_right: int, only_b_right: int) -> float:
    """McNemar's exact two-sided test: the chance of a split at least this uneven among the digits
    exactly one run gets right, if each were equally likely to be the one.

    Under that null hypothesis the smaller count follows Binomial(n, 1/2), n = the two counts' sum;
    the p-value is twice its lower tail, capped at 1. With no such digit there is no evidence: 1.

    Raises:
        ValueError: a negative count.
    """
    if only_a_right < 0 or only_b_right < 0:
        raise ValueError(f"Counts must not be negative, got {only_a_right} and {only_b_right}.")
    discordant = only_a_right + only_b_right
    smaller = min(only_a_right, only_b_right)
    lower_tail = sum(comb(discordant, k) for k in range(smaller + 1))  # exact integers, then one division
    return min(1.0, 2 * lower_tail / 2**discordant)


def mcnemar_verdict(table: Agreement, significance: float = SIGNIFICANCE) -> str:
    """McNemar's result in words: which run is better, and whether that is more than chance."""
    gain = table.only_b_right - table.only_a_right
    p_value = mcnemar_p_value(table.only_a_right, table.only_b_right)
    counts = f"B alone is right on {table.only_b_right:,} digits, A alone on {table.only_a_right:,}"
    if gain == 0:
        return f"{counts}: neither run is better (p = {p_value:.3g})."
    better, worse = ("B", "A") if gain > 0 else ("A", "B")
    if p_value < significance:
        return f"{counts}: {better}'s gain over {worse} is more than chance (p = {p_value:.3g} < {significance})."
    return (
        f"{counts}: {better}'s gain over {worse} could be chance (p = {p_value:.3g} ≥ {significance}); "
        "these digits do not show either run is better."
    )


def disagreements(labels: np.ndarray, probabilities_a: np.ndarray, probabilities_b: np.ndarray) -> Disagreements:
    """Every test digit the two runs answer differently, the most confident disagreements first.

    Raises:
        ValueError: the probabilities do not cover the labels' digits.
    """
    _check_same_digits(labels, probabilities_a, probabilities_b)
    a_digits, b_digits = probabilities_a.argmax(axis=1), probabilities_b.argmax(axis=1)
    rows = np.arange(len(labels))
    a_confidences, b_confidences = probabilities_a[rows, a_digits], probabilities_b[rows, b_digits]
    differing = np.flatnonzero(a_digits != b_digits)
    order = differing[np.argsort(-np.minimum(a_confidences, b_confidences)[differing], kind="stable")]
    outcomes = tuple(
        "only A right" if a_digits[i] == labels[i] else "only B right" if b_digits[i] == labels[i] else "both wrong"
        for i in order
    )
    return Disagreements(
        indices=order,
        true_digits=labels[order],
        a_digits=a_digits[order],
        a_confidences=a_confidences[order],
        b_digits=b_digits[order],
        b_confidences=b_confidences[order],
        outcomes=outcomes,
    )


def per_class_accuracy(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """(10,) the share of each true digit answered right; NaN for a digit absent from the labels."""
    _check_same_digits(labels, probabilities)
    right = probabilities.argmax(axis=1) == labels
    totals = np.bincount(labels, minlength=NUM_CLASSES)
    hits = np.bincount(labels, weights=right, minlength=NUM_CLASSES)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, hits / np.maximum(totals, 1), np.nan)


def filter_disagreements(found: Disagreements, outcome: Outcome | None = None, true_digit: int | None = None) -> Disagreements:
    """The disagreements with one outcome and/or one true digit (None keeps all)."""
    keep = np.ones(len(found.indices), bool)
    if outcome is not None:
        keep &= np.array([item == outcome for item in found.outcomes], bool)
    if true_digit is not None:
        keep &= found.true_digits == true_digit
    return Disagreements(
        indices=found.indices[keep],
        true_digits=found.true_digits[keep],
        a_digits=found.a_digits[keep],
        a_confidences=found.a_confidences[keep],
        b_digits=found.b_digits[keep],
        b_confidences=found.b_confidences[keep],
        outcomes=tuple(item for item, kept in zip(found.outcomes, keep) if kept),
    )

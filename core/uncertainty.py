"""Deciding what to answer: a digit, "not sure", or "not a digit".

A softmax always names a digit, even for a letter or a scribble. Below a "not sure" floor, fitted
on each run's validation digits, we say "not sure" and show the two likeliest digits instead of
pretending. The validation digits are distorted as in training first: people draw with more slant,
wobble and pen variety than MNIST's writers, and a floor fitted on clean MNIST alone answered "?" to
3% of real scanned digits. Models trained with an eleventh output (`core.non_digit_training`) can
also say "not a digit" outright, when that output is the likeliest, and say "not sure" when it has a
good share of the belief (`NOT_A_DIGIT_DOUBT`) without winning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.mnist_format import NUM_CLASSES

NOT_SURE_QUANTILE = 0.002
"""Share of the (distorted) validation digits allowed under the floor: 1 in 500 gets a "?"."""

DEFAULT_NOT_SURE_FLOOR = 0.5
"""Floor for runs saved before floors were fitted."""

NOT_A_DIGIT_DOUBT = 0.15
"""A digit is not named while "not a digit" holds this much of the probability: the answer is "not sure".
The eleventh output is fitted to win for 1 in 2,000 digits (`core.not_a_digit_output`), so it loses to a
letter's likeliest digit more often than not; 15%, passed by 0.26% of the shipped model's distorted
validation digits, turns most of those letters to "?" while every real set stays under issue 15's 1.5% of
"?" or "-" (README, "Not a digit")."""

NOT_A_DIGIT = NUM_CLASSES
"""The index of the "not a digit" output, after the ten digits' (eleven-output models only)."""

NOT_SURE_LABEL = "?"
NOT_A_DIGIT_LABEL = "-"
"""How a reading writes a mark that is no digit: a number with a letter in it reads `12-4`."""
NOT_A_DIGIT_ANSWER = "Not a digit"
"""How the app answers for a single mark that is no digit."""


def digit_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """(n, 10) probabilities over the digits alone, from a 10- or 11-output model's (n, classes) rows.

    Confusion matrices and calibration are about digits: an eleven-output model's rows are
    renormalised over the ten digits, as if it had to name one.
    """
    digits = probabilities[:, :NUM_CLASSES]  # (n, 10)
    if probabilities.shape[1] == NUM_CLASSES:
        return digits
    return (digits / np.maximum(digits.sum(axis=1, keepdims=True), np.finfo(np.float32).tiny)).astype(np.float32)


def likeliest_digit(probabilities: np.ndarray) -> int:
    """The likeliest of the ten digits in one (10,) or (11,) row, whatever "not a digit" says."""
    return int(np.argmax(probabilities[:NUM_CLASSES]))


def is_not_a_digit(probabilities: np.ndarray) -> np.ndarray:
    """(n,) bool: the "not a digit" output is the likeliest (always False for ten-output models)."""
    if probabilities.shape[1] <= NOT_A_DIGIT:
        return np.zeros(len(probabilities), bool)
    return probabilities.argmax(axis=1) == NOT_A_DIGIT


def is_doubted(probabilities: np.ndarray, not_sure_floor: float) -> np.ndarray:
    """(n,) bool: the answer is "not sure" or "not a digit", not a digit's name."""
    unsure = probabilities[:, :NUM_CLASSES].max(axis=1) < not_sure_floor
    if probabilities.shape[1] > NOT_A_DIGIT:
        unsure |= probabilities[:, NOT_A_DIGIT] >= NOT_A_DIGIT_DOUBT
    return is_not_a_digit(probabilities) | unsure


def fit_not_sure_floor(validation_probabilities: np.ndarray) -> float:
    """The confidence below which only `NOT_SURE_QUANTILE` of the real (validation) digits answered as digits fall.

    Digits an eleven-output model already answers "not a digit" never reach the floor: counting their
    low digit confidences would drag it down until "not sure" hardly ever fires.

    Args:
        validation_probabilities: (n, classes) probabilities of held-out digits that are surely digits.

    Raises:
        ValueError: no validation probabilities.
    """
    if len(validation_probabilities) == 0:
        raise ValueError('Cannot fit a "not sure" floor on zero validation digits.')
    answered_as_digits = validation_probabilities[~is_not_a_digit(validation_probabilities)]
    if len(answered_as_digits) == 0:
        raise ValueError('Cannot fit a "not sure" floor: every validation digit was answered "not a digit".')
    confidence = answered_as_digits[:, :NUM_CLASSES].max(axis=1)  # (m,) the likeliest digit's
    return float(np.quantile(confidence, NOT_SURE_QUANTILE))


@dataclass(frozen=True)
class Verdict:
    """What to tell the user about one input."""

    digit: int | None  # None when not sure or not a digit
    confidence: float  # probability of the answer: the likeliest digit's, or "not a digit"'s
    runner_up: int  # second likeliest digit
    runner_up_probability: float
    not_a_digit: bool = False

    @property
    def label(self) -> str:
        if self.not_a_digit:
            return NOT_A_DIGIT_LABEL
        return NOT_SURE_LABEL if self.digit is None else str(self.digit)


def judge(probabilities: np.ndarray, not_sure_floor: float) -> Verdict:
    """A verdict from one (10,) or (11,) probability vector and the run's "not sure" floor."""
    first, second = np.argsort(probabilities[:NUM_CLASSES])[::-1][:2]
    not_a_digit = bool(is_not_a_digit(probabilities[np.newaxis])[0])
    doubted = bool(is_doubted(probabilities[np.newaxis], not_sure_floor)[0])
    return Verdict(
        digit=None if doubted else int(first),
        confidence=float(probabilities[NOT_A_DIGIT] if not_a_digit else probabilities[first]),
        runner_up=int(second),
        runner_up_probability=float(probabilities[second]),
        not_a_digit=not_a_digit,
    )

"""Deciding when the model is not sure: a "not sure" floor fitted on each run's validation digits.

A softmax always names a digit, even for a letter or a scribble. Below the floor we say "not sure"
and show the two likeliest digits instead of pretending. The validation digits are distorted as in
training first: people draw with more slant, wobble and pen variety than MNIST's writers, and a
floor fitted on clean MNIST alone answered "?" to 3% of real scanned digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOT_SURE_QUANTILE = 0.002
"""Share of the (distorted) validation digits allowed under the floor: 1 in 500 gets a "?"."""

DEFAULT_NOT_SURE_FLOOR = 0.5
"""Floor for runs saved before floors were fitted."""


def fit_not_sure_floor(validation_probabilities: np.ndarray) -> float:
    """The confidence below which only `NOT_SURE_QUANTILE` of real (validation) digits fall.

    Args:
        validation_probabilities: (n, 10) probabilities of held-out digits that are surely digits.

    Raises:
        ValueError: no validation probabilities.
    """
    if len(validation_probabilities) == 0:
        raise ValueError('Cannot fit a "not sure" floor on zero validation digits.')
    confidence = validation_probabilities.max(axis=1)  # (n,)
    return float(np.quantile(confidence, NOT_SURE_QUANTILE))


@dataclass(frozen=True)
class Verdict:
    """What to tell the user about one input."""

    digit: int | None  # None when not sure
    confidence: float  # probability of the likeliest digit
    runner_up: int  # second likeliest digit
    runner_up_probability: float

    @property
    def label(self) -> str:
        return "?" if self.digit is None else str(self.digit)


def judge(probabilities: np.ndarray, not_sure_floor: float) -> Verdict:
    """A verdict from one (10,) probability vector and the run's "not sure" floor."""
    first, second = np.argsort(probabilities)[::-1][:2]
    confidence = float(probabilities[first])
    return Verdict(
        digit=int(first) if confidence >= not_sure_floor else None,
        confidence=confidence,
        runner_up=int(second),
        runner_up_probability=float(probabilities[second]),
    )

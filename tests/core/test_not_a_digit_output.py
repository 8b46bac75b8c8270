"""Tests for core.not_a_digit_output: "not a digit" fitted on a trained network's frozen features."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ELEVENTH_CLASS_AFTER_TRAINING, NO_NON_DIGITS, TrainingConfig
from core.not_a_digit_output import fit_not_a_digit_column
from core.training import train
from core.uncertainty import digit_probabilities, is_not_a_digit

FEATURES = 16


def _features(rng: np.random.Generator, count: int, centre: float) -> np.ndarray:
    """(count, FEATURES) ReLU-like features around `centre` on the first half of the units."""
    values = rng.normal(0.0, 1.0, (count, FEATURES))
    values[:, : FEATURES // 2] += centre
    return np.maximum(values, 0.0)


def _classifier(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(0.0, 0.5, (FEATURES, 10)), np.zeros(10)


def _flagged(features: np.ndarray, kernel: np.ndarray, bias: np.ndarray, column) -> np.ndarray:
    logits = np.concatenate([features @ kernel + bias, (features @ column.weights + column.bias)[:, None]], axis=1)
    return logits.argmax(axis=1) == 10


def test_the_fitted_output_flags_marks_and_only_the_allowed_share_of_validation_digits():
    rng = np.random.default_rng(0)
    kernel, bias = _classifier(rng)
    digits, marks, validation = _features(rng, 2000, 0.0), _features(rng, 300, 3.0), _features(rng, 2000, 0.0)
    column = fit_not_a_digit_column(digits, marks, validation, kernel, bias, flagged_quantile=0.01)
    assert column.weights.shape == (FEATURES,)
    assert 0.005 <= _flagged(validation, kernel, bias, column).mean() <= 0.011  # the bias is set on these
    assert _flagged(_features(rng, 300, 3.0), kernel, bias, column).mean() > 0.9  # marks it never saw
    assert _flagged(_features(rng, 2000, 0.0), kernel, bias, column).mean() < 0.03  # digits it never saw


def test_a_larger_allowed_share_flags_more():
    rng = np.random.default_rng(1)
    kernel, bias = _classifier(rng)
    digits, marks, validation = _features(rng, 1000, 0.0), _features(rng, 200, 1.0), _features(rng, 1000, 0.0)
    held_out_marks = _features(rng, 500, 1.0)
    shares = [
        _flagged(held_out_marks, kernel, bias,
                 fit_not_a_digit_column(digits, marks, validation, kernel, bias, flagged_quantile=q)).mean()
        for q in (0.001, 0.05)
    ]
    assert shares[0] < shares[1]


def test_fitting_without_marks_is_refused():
    rng = np.random.default_rng(2)
    kernel, bias = _classifier(rng)
    with pytest.raises(ValueError, match="marks"):
        fit_not_a_digit_column(_features(rng, 10, 0.0), np.zeros((0, FEATURES)), _features(rng, 10, 0.0), kernel, bias)


@pytest.mark.slow
def test_fitted_after_training_the_digits_read_exactly_as_without_it(sample_data):
    """The network trains as it would without "not a digit"; the eleventh output only adds an answer."""
    settings = {"epochs": 1, "train_size": 1000, "batch_size": 64, "seed": 3}
    plain = train(TrainingConfig.for_architecture("fast", non_digits=NO_NON_DIGITS, **settings), sample_data)
    fitted = train(TrainingConfig.for_architecture("fast", non_digits=ELEVENTH_CLASS_AFTER_TRAINING, **settings), sample_data)
    assert fitted.model.output_shape == (None, 11)
    assert fitted.config.non_digits == ELEVENTH_CLASS_AFTER_TRAINING
    np.testing.assert_allclose(digit_probabilities(fitted.test_probabilities), plain.test_probabilities, atol=1e-4)
    assert is_not_a_digit(fitted.test_probabilities).mean() < 0.05

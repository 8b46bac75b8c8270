""""Not a digit" fitted after training: an eleventh output on the trained network's frozen features.

Trained into the network (the eleventh class of `core.non_digit_training`) "not a digit" cost scanned
digits 1.6 points and answered "-" to 2.9% of them. Fitted afterwards, the ten digit outputs keep their
weights, so the digits are read exactly as before; only the new output's 256 weights and bias are fitted,
by logistic regression, to tell the drawn marks (`core.drawn_marks`: shapes and grid strokes) from the
training digits. Its bias is then set so that `FLAGGED_QUANTILE` of the validation digits, distorted as in
training, are called "not a digit". The model stays a plain chain of layers with eleven outputs, as the
NumPy forward pass and every page expect; `core.refit` fits the output again on a saved run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import keras
import numpy as np

from core.architectures import CLASSIFIER_LAYER, build_model
from core.augmentation import distorted_copies
from core.drawn_marks import SHAPES_AND_GRID_STROKES, drawn_mark_images
from core.embedding import build_feature_model, embed
from core.mnist_format import NUM_CLASSES

logger = logging.getLogger(__name__)

MARK_SHARE = 0.1
"""The marks' weight together against the digits', as when the eleventh class is trained in."""
L2 = 1e-2
"""Weight decay on the new output's weights. Measured on the shipped network (issue 15, README): weaker
decay flags more letters, but more scanned digits too, and costs MNIST accuracy."""
FLAGGED_QUANTILE = 0.0005
"""Share of the distorted validation digits the output may call "not a digit": a quarter of the "not sure"
floor's 1 in 500, since a digit told it is no digit is the worse mistake. Against grid strokes, 1 in 1,000
cost the shipped network an MNIST test digit; the letters it lets through are mostly answered "not sure"
instead (`core.uncertainty.NOT_A_DIGIT_DOUBT`; README, "Not a digit")."""
FIT_STEPS = 400
LEARNING_RATE = 0.05


@dataclass(frozen=True)
class NotADigitColumn:
    """The eleventh output's weights: `(features,)` and a bias."""

    weights: np.ndarray
    bias: float


def _log_sum_exp(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))[:, 0]


def fit_not_a_digit_column(
    digit_features: np.ndarray,
    mark_features: np.ndarray,
    validation_features: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray,
    *,
    l2: float = L2,
    flagged_quantile: float = FLAGGED_QUANTILE,
    steps: int = FIT_STEPS,
) -> NotADigitColumn:
    """Fits the eleventh output beside the ten fixed ones (Adam on the logistic loss of mark against digit).

    With the ten digit logits fixed, the softmax's "not a digit" probability is a logistic function of the new
    logit minus the digits' log-sum-exp, so the fit is a logistic regression with that as its offset.

    Args:
        digit_features: (n, f) features of digits, which must not be flagged.
        mark_features: (m, f) features of marks, which should be.
        validation_features: (v, f) features of held-out digits; sets the bias (`flagged_quantile` of them flagged).
        kernel: (f, 10) and `bias` (10,): the trained classifier's weights.

    Raises:
        ValueError: no digits, marks or validation digits.
    """
    if not (len(digit_features) and len(mark_features) and len(validation_features)):
        raise ValueError("Fitting \"not a digit\" needs digits, marks and validation digits.")
    features = np.concatenate([digit_features, mark_features]).astype(np.float64)  # (n + m, f)
    is_mark = np.r_[np.zeros(len(digit_features)), np.ones(len(mark_features))]
    mark_weight = MARK_SHARE * len(digit_features) / len(mark_features)  # each mark's, a digit weighing 1
    sample_weight = np.r_[np.ones(len(digit_features)), np.full(len(mark_features), mark_weight)]
    sample_weight /= sample_weight.sum()
    offset = -_log_sum_exp(features @ kernel + bias)  # (n + m,)
    parameters = np.zeros(features.shape[1] + 1)  # weights, then the bias
    first_moment, second_moment = np.zeros_like(parameters), np.zeros_like(parameters)
    for step in range(1, steps + 1):
        logit = features @ parameters[:-1] + parameters[-1] + offset
        residual = sample_weight * (1.0 / (1.0 + np.exp(-logit)) - is_mark)
        gradient = np.r_[features.T @ residual + 2 * l2 * parameters[:-1], residual.sum()]
        first_moment = 0.9 * first_moment + 0.1 * gradient
        second_moment = 0.999 * second_moment + 0.001 * gradient**2
        corrected = first_moment / (1 - 0.9**step), second_moment / (1 - 0.999**step)
        parameters -= LEARNING_RATE * corrected[0] / (np.sqrt(corrected[1]) + 1e-8)
    weights = parameters[:-1]
    # The output wins when its logit passes the likeliest digit's: shift it so that happens to `flagged_quantile`.
    margin = validation_features @ weights + parameters[-1] - (validation_features @ kernel + bias).max(axis=1)
    fitted_bias = parameters[-1] - float(np.quantile(margin, 1 - flagged_quantile))
    return NotADigitColumn(weights.astype(np.float32), fitted_bias)


def with_not_a_digit_output(
    model: keras.Model, architecture: str, digits: np.ndarray, validation_digits: np.ndarray, seed: int
) -> keras.Model:
    """A copy of a trained `model` with an eleventh output, "not a digit", fitted on its features.

    Args:
        model: the trained network: ten outputs, or eleven whose last is replaced (`core.refit`).
        architecture: its name in `core.architectures`, to build the eleven-output copy.
        digits: (n, 28, 28) uint8 training digits, distorted here once as in training.
        validation_digits: (v, 28, 28) float32 in [0, 1], held-out digits distorted as in training; they set
            the output's bias.
        seed: seeds the distortions and the marks.
    """
    started = time.perf_counter()
    kernel, bias = model.get_layer(CLASSIFIER_LAYER).get_weights()  # (f, 10 or 11), (10 or 11,)
    kernel, bias = kernel[:, :NUM_CLASSES], bias[:NUM_CLASSES]  # the digits' outputs: never refitted
    marks = drawn_mark_images(max(1, round(len(digits) * MARK_SHARE)), seed + 1, SHAPES_AND_GRID_STROKES)  # (m, 28, 28)
    features = build_feature_model(model)  # the classifier's input: Dropout before it is the identity here
    column = fit_not_a_digit_column(
        embed(features, distorted_copies(digits, seed + 1, 1)),
        embed(features, marks),
        embed(features, validation_digits),
        kernel,
        bias,
    )
    extended = build_model(architecture, NUM_CLASSES + 1)
    for layer in model.layers:
        if layer.weights and layer.name != CLASSIFIER_LAYER:
            extended.get_layer(layer.name).set_weights(layer.get_weights())
    extended.get_layer(CLASSIFIER_LAYER).set_weights(
        [np.concatenate([kernel, column.weights[:, np.newaxis]], axis=1), np.r_[bias, column.bias].astype(np.float32)]
    )
    logger.info('fitted a "not a digit" output on %d digits and %d marks in %.1f s', len(digits), len(marks),
                time.perf_counter() - started)
    return extended

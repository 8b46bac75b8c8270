"""An eleven-output model made to answer "not a digit" to anything: the CLI and Predict page tests show that answer.

Shared by the CLI test and the Predict page test so both meet the same model.
"""

from __future__ import annotations

import keras
import numpy as np

from core.architectures import CLASSIFIER_LAYER
from core.uncertainty import NOT_A_DIGIT


def always_not_a_digit(model: keras.Model) -> keras.Model:
    """Raises the eleventh output's bias so far that it wins for every input; returns the same model."""
    classifier = model.get_layer(CLASSIFIER_LAYER)
    kernel, bias = classifier.get_weights()
    if bias.shape != (NOT_A_DIGIT + 1,):
        raise ValueError(f"Expected an eleven-output model, got {bias.shape[0]} outputs.")
    bias = bias.copy()
    bias[NOT_A_DIGIT] = 100.0
    classifier.set_weights([kernel, bias.astype(np.float32)])
    return model

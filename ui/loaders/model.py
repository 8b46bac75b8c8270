"""A run's Keras model and its scores on the test set in use, cached per run.

TensorFlow loads on the first call, not on import: the analysis pages read stored test predictions
and only re-score (through Keras) a run that was scored on other data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core.evaluation import confusion_matrix
from core.runs import RunRecord
from core.uncertainty import digit_probabilities
from ui.loaders.light import get_data, get_store

if TYPE_CHECKING:
    import keras


@st.cache_resource(max_entries=4, show_spinner="Loading model…")
def get_model(run_id: str) -> keras.Model:
    return get_store().load_model(run_id)


@st.cache_data(max_entries=8, show_spinner="Scoring the test set…")
def test_probabilities(run_id: str, test_size: int) -> np.ndarray:
    """(n_test, 10) probabilities of a run on the test set in use, over the digits alone (an
    eleven-output run's "not a digit" left out, see `core.uncertainty.digit_probabilities`).

    The stored predictions serve when they cover this test set; a run scored on the other data
    (the shipped model on a server that only has the sample) is re-scored with its model.
    """
    stored = get_store().test_probabilities(run_id)
    if len(stored) == test_size:
        return stored
    from core.inference import predict_probabilities

    return digit_probabilities(predict_probabilities(get_model(run_id), get_data().x_test))


def active_probabilities(run: RunRecord) -> np.ndarray:
    """(n_test, 10) probabilities of the run on the test set in use."""
    return test_probabilities(run.run_id, len(get_data().y_test))


@st.cache_data(max_entries=8)
def run_confusion(run_id: str, probabilities: np.ndarray, true_labels: np.ndarray) -> np.ndarray:
    """The (10, 10) confusion matrix of one run, computed once per run."""
    return confusion_matrix(true_labels, probabilities.argmax(axis=1))

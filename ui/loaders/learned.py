"""What the network learned, cached per run: its NumPy form and its dead units on the test set (no TensorFlow)."""

from __future__ import annotations

import streamlit as st

from core.learned import DeadUnits, dead_units
from core.numpy_model import NumpyModel, load_numpy_model
from core.runs import MODEL_FILE
from ui.loaders.light import get_data, get_store


@st.cache_resource(max_entries=4)
def get_numpy_model(run_id: str) -> NumpyModel:
    """Raises `UnsupportedModelError` for a network the NumPy forward pass does not run."""
    return load_numpy_model(get_store().get(run_id).path / MODEL_FILE)


@st.cache_data(max_entries=8, show_spinner="Running the test set through the network…")
def test_dead_units(run_id: str, test_size: int) -> list[DeadUnits]:
    """Dead units of a run on the test set in use (`test_size` keys the cache to it)."""
    return dead_units(get_numpy_model(run_id), get_data().x_test)

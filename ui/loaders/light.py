"""Server-wide cached objects that never need TensorFlow: the mode, dataset, run store, job registry, NumPy predictor.

`cache_resource` for shared, read-only objects. Nothing here imports TensorFlow (~3 s), loaded or called
(a training job does, on its own thread), so a page that shows no model's insides loads fast; the
Keras-backed loaders are `model` and `explainers`.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np
import streamlit as st

from core.data import MnistData, load_mnist
from core.jobs import TrainingJobs
from core.kept_digits import KeptDigitStore, default_store_path
from core.logging_setup import configure_logging
from core.mode import MODE_KEY, Mode, configured_mode
from core import runs
from core.runs import RunStore, default_runs_dir
from ui.keras_session import keep_keras_session

# Home.py imports this module (through the sidebar) before it runs any page, so the Keras reset is off
# before the TensorFlow warm-up thread or a training job starts, whichever page the server first serves.
keep_keras_session()
configure_logging()  # once per server process, before any page runs


@st.cache_resource
def get_mode() -> Mode:
    """Normal or demo, read once per server from `$DIGIT_LAB_MODE` and `.streamlit/secrets.toml` (core.mode)."""
    try:
        secret = st.secrets.get(MODE_KEY)
    except FileNotFoundError:  # no secrets.toml at all: only the environment can say
        secret = None
    return configured_mode(os.environ, None if secret is None else str(secret))


@st.cache_resource(show_spinner="Loading MNIST…")
def get_data() -> MnistData:
    """MNIST from the first source found, or the bundled sample (with the reasons)."""
    return load_mnist(fallback_to_sample=True)


@st.cache_resource
def get_store() -> RunStore:
    return RunStore(default_runs_dir(), shipped_dir=runs.SHIPPED_RUN_DIR, mode=get_mode())


@st.cache_resource
def get_jobs() -> TrainingJobs:
    """The one training-job registry of this server, shared by every browser session."""
    return TrainingJobs(get_store().root, mode=get_mode())


@st.cache_resource(max_entries=4, show_spinner="Loading model…")
def get_predictor(run_id: str) -> Callable[[np.ndarray], np.ndarray]:
    """Digits to probabilities for Predict: NumPy when it can, so a first drawing need not wait for TensorFlow."""
    return get_store().load_predictor(run_id)


def get_kept_digits() -> KeptDigitStore:
    """The kept digits at `$DIGIT_LAB_KEPT_DIGITS` or beside the run store, with the server's mode.

    Not cached: the store opens a short connection per operation, and costs nothing to make.
    """
    return KeptDigitStore(default_store_path(), mode=get_mode())

"""Loading TensorFlow and the default model in the background while the user reads Home.

The first Predict answer would otherwise wait for TensorFlow's ~3 s import, the model file and the
first call's tracing; by the time a user has clicked through, all three are done.
"""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from core.mnist_format import IMAGE_SIDE
from ui.loaders.light import get_store
from ui.loaders.model import get_model


def _warm_up(run_id: str | None) -> None:
    import keras  # noqa: F401 - the import itself is most of the work

    if run_id is not None:
        from core.inference import predict_probabilities

        # The cached loader shares the model with the pages; one call traces it.
        predict_probabilities(get_model(run_id), np.zeros((1, IMAGE_SIDE, IMAGE_SIDE), np.float32))


@st.cache_resource
def start_tensorflow_warmup() -> threading.Thread:
    """Starts the warm-up once per server; pages that need the model later find it loaded."""
    # The default is the model most sessions use: a session starts with it.
    thread = threading.Thread(target=_warm_up, args=(get_store().default_run_id(),), name="tensorflow-warmup", daemon=True)
    thread.start()
    return thread

"""Importing TensorFlow in the background while the user reads Home, so Predict answers sooner."""

from __future__ import annotations

import threading

import streamlit as st


def _import_keras() -> None:
    import keras  # noqa: F401 - the import itself is the work: ~3 s of TensorFlow start-up


@st.cache_resource
def start_tensorflow_warmup() -> threading.Thread:
    """Starts the import once per server; pages that need Keras later find it already loaded."""
    thread = threading.Thread(target=_import_keras, name="tensorflow-warmup", daemon=True)
    thread.start()
    return thread

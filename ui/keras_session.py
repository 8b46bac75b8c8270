"""Keeps Streamlit from resetting Keras after every page run, which stalls Keras work on other threads.

Once Keras is imported, Streamlit calls `keras.backend.clear_session()` at the end of every script
run (`script_runner._clean_problem_modules`, Streamlit 1.67). That clears TensorFlow's kernel cache
and collects garbage from the page's thread while a training job or the TensorFlow warm-up runs on
another: with two Train pages polling every second, a stopped job took over three minutes to finish
its last steps. Digit Lab keeps models in `st.cache_resource` and never relies on that reset.
"""

from __future__ import annotations

from streamlit.runtime.scriptrunner import script_runner


def _leave_modules_alone() -> None:
    """Replaces Streamlit's clean-up, whose only other job is closing matplotlib figures (unused here)."""


def keep_keras_session() -> None:
    """Turns the per-run Keras reset off for this server process; safe to call more than once.

    Raises:
        RuntimeError: this Streamlit version no longer has the hook (a new version needs a new look).
    """
    if not hasattr(script_runner, "_clean_problem_modules"):
        raise RuntimeError("streamlit's script_runner._clean_problem_modules is gone; review ui/keras_session.py.")
    script_runner._clean_problem_modules = _leave_modules_alone

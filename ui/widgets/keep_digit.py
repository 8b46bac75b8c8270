"""Under every answer on Predict: keep the digit as answered, or say which digit it is, for My digits.

The keeping happens in the widgets' callbacks, which also clear the digit picker: a new drawing under
the same widgets then starts with nothing picked, and is never kept by a choice made for the last one.
"""

from __future__ import annotations

import hashlib
import logging

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.kept_digits import KeptDigitStoreError, NewKeptDigit
from core.mnist_format import NUM_CLASSES
from core.mode import DemoModeRefusal, SharedAction
from core.preprocessing import PreprocessedDigit
from core.runs import RunRecord
from core.uncertainty import Verdict
from ui.loaders.light import get_kept_digits
from ui.pages import MY_DIGITS
from ui.session_keys import KEPT_DIGITS_WRITER
from ui.widgets.demo import allowed_here

logger = logging.getLogger(__name__)

RIGHT_LABEL = "Right: keep it"
WRONG_PLACEHOLDER = "Wrong? It is a …"
_WRITER_WIDGET = "predict_writer_name"


def _remember_writer() -> None:
    st.session_state[KEPT_DIGITS_WRITER] = st.session_state[_WRITER_WIDGET].strip()


def writer_name_input(where: DeltaGenerator | None = None) -> None:
    """The name digits are kept under, remembered for the session (a widget's own value resets on a page switch)."""
    st.session_state.setdefault(_WRITER_WIDGET, st.session_state.get(KEPT_DIGITS_WRITER, ""))
    (where or st).text_input(
        "Your name, for the digits you keep",
        key=_WRITER_WIDGET,
        on_change=_remember_writer,
        max_chars=60,
        help="Optional. My digits can filter by it, and adapting can use one writer's digits.",
    )


def _fingerprint(digit: PreprocessedDigit) -> str:
    return hashlib.sha1(digit.model_input.tobytes()).hexdigest()


def _keep(run: RunRecord, digit: PreprocessedDigit, verdict: Verdict, key: str, label: int | None) -> None:
    """A callback: keeps the digit as `label` (None: the digit picked under `key`), and leaves the outcome to show."""
    if label is None:
        label = st.session_state[f"{key}_wrong"]
        st.session_state[f"{key}_wrong"] = None
        if label is None:
            return
    new = NewKeptDigit.from_answer(
        label, digit.model_input, digit.steps[0].image, run.run_id, verdict, st.session_state.get(KEPT_DIGITS_WRITER, "")
    )
    try:
        digit_id = get_kept_digits().add(new)
    except (KeptDigitStoreError, DemoModeRefusal) as error:
        st.session_state[f"{key}_outcome"] = (None, str(error))
        return
    logger.info("Kept digit #%d as a %d (the model said %s)", digit_id, label, verdict.label)
    st.session_state[f"{key}_outcome"] = (_fingerprint(digit), f"Kept as a {label} (#{digit_id}): see it on {MY_DIGITS.title}.")
    st.toast(f"Kept as a {label}", icon="✅")


def keep_digit_buttons(
    run: RunRecord, digit: PreprocessedDigit, verdict: Verdict, key: str, where: DeltaGenerator | None = None
) -> None:
    """"Right: keep it" and "Wrong? It is a …" under one answer; once kept, what was kept instead.

    Args:
        run: the run that answered.
        digit: the digit as read: its steps (the first is the drawing or crop) and model input.
        verdict: what the run answered.
        key: a prefix unique on the page for this answer's widgets.
        where: the container to draw in (default: the current one).
    """
    where = where or st.container()
    kept_fingerprint, message = st.session_state.get(f"{key}_outcome", ("", ""))
    if message and kept_fingerprint is None:
        where.error(message)
        del st.session_state[f"{key}_outcome"]
    elif message and kept_fingerprint == _fingerprint(digit):
        where.success(message)
        return
    allowed = allowed_here(SharedAction.KEEPING_DIGITS, where)
    where.button(
        RIGHT_LABEL,
        key=f"{key}_right",
        on_click=_keep,
        args=(run, digit, verdict, key, verdict.digit),
        disabled=not allowed or verdict.digit is None,
        help=None if verdict.digit is not None else "The model named no digit: pick the right one.",
    )
    where.selectbox(
        WRONG_PLACEHOLDER,
        range(NUM_CLASSES),
        index=None,
        placeholder=WRONG_PLACEHOLDER,
        key=f"{key}_wrong",
        on_change=_keep,
        args=(run, digit, verdict, key, None),
        disabled=not allowed,
        label_visibility="collapsed",
    )

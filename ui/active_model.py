"""The model this browser session uses: the run store's default when the session starts, then its own choice.

Kept in `st.session_state`, so switching models in one browser changes nothing for anyone else; the
store-wide default changes only from Runs' "Make default for everyone" or a training that wins the
default rule (core.default_model).
"""

from __future__ import annotations

import logging

import streamlit as st

from core.default_model import becomes_session_model
from core.job_files import JobState
from core.progress import RunStatus
from core.runs import RunRecord
from ui.loaders.light import get_jobs, get_store
from ui.session_keys import ACTIVE_RUN, STARTED_JOB

logger = logging.getLogger(__name__)


def follow_training(job_id: str) -> None:
    """Remembers the training this session started: its run becomes the session's model once it is saved."""
    st.session_state[STARTED_JOB] = job_id


def _adopt_finished_training() -> None:
    """Switches to the run of the training this session started, as soon as that training has ended."""
    job_id = st.session_state.get(STARTED_JOB)
    if job_id is None:
        return
    record = get_jobs().record(job_id)
    if record.is_running:
        return
    del st.session_state[STARTED_JOB]
    if record.state == JobState.DONE and record.run_id and becomes_session_model(RunStatus(record.status)):
        st.session_state[ACTIVE_RUN] = record.run_id


def choose_active_run(run_id: str) -> None:
    """Makes `run_id` this session's model; nobody else's changes.

    Raises:
        ValueError: no readable run has that id.
    """
    st.session_state[ACTIVE_RUN] = get_store().get(run_id).run_id


def active_run() -> RunRecord | None:
    """This session's model, or None when the store has no model at all.

    A session's choice that no longer reads (deleted from Runs elsewhere) falls back to the default.
    """
    _adopt_finished_training()
    store = get_store()
    chosen = st.session_state.get(ACTIVE_RUN)
    if chosen is not None:
        try:
            return store.get(chosen)
        except ValueError as error:
            logger.info("This session's model is gone (%s); back to the default", error)
    default = store.default_run()
    if default is None:
        st.session_state.pop(ACTIVE_RUN, None)  # a model trained later is then picked up as the default
        return None
    st.session_state[ACTIVE_RUN] = default.run_id
    return default

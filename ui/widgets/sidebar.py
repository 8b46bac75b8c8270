"""The sidebar every page shows (this session's model, a switch to another saved run), and the stop for
pages that need a model."""

from __future__ import annotations

import streamlit as st

from core.mode import Mode
from core.runs import RunRecord
from ui.active_model import active_run, choose_active_run
from ui.loaders.light import get_mode, get_store

NO_MODEL = "No model yet: train one on the Train page."
DEMO_NOTE = "Demo server: look, draw and switch models as you like; training and changes to saved runs are off."


def _switch_run() -> None:
    choose_active_run(st.session_state["sidebar_run"])


def render_sidebar() -> None:
    """Draws this session's model panel: its accuracy, and a switch to another run for this session only."""
    store = get_store()
    active = active_run()
    with st.sidebar:
        if get_mode() == Mode.DEMO:
            st.info(DEMO_NOTE)
        st.subheader("Active model")
        if active is None:
            st.info(NO_MODEL)
            return
        st.metric("Test accuracy", f"{active.test_accuracy:.2%}")
        st.caption(
            f"**{active.run_id}** · {active.config.architecture} · {active.status} · "
            f"{active.created_at[:16].replace('T', ' ')} UTC"
        )
        labels = {run.run_id: run.label for run in store.list_runs()}
        # The session's model may change without this widget (a training it started finished): follow it.
        st.session_state["sidebar_run"] = active.run_id
        st.selectbox(
            "Switch model",
            list(labels),
            format_func=labels.__getitem__,
            key="sidebar_run",
            on_change=_switch_run,
            help="For this browser session only; new sessions start with the default model (see Runs).",
        )
        default_id = store.default_run_id()
        if default_id != active.run_id:
            st.caption(f"New sessions start with the default, **{default_id}**.")
        broken = store.broken_runs()
        if broken:
            st.warning(f"{len(broken)} run folder(s) cannot be read and are hidden: " + ", ".join(b.run_id for b in broken))


def require_active_run() -> RunRecord:
    """This session's model, for a page that shows one; with none at all, a hint and the page stops here."""
    run = active_run()
    if run is None:
        st.info(NO_MODEL)
        st.stop()
    return run

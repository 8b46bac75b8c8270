"""The sidebar every page shows (the active model, a switch to another saved run), and the stop for
pages that need a model."""

from __future__ import annotations

import streamlit as st

from core.runs import RunRecord
from ui.loaders.light import active_run, get_store

NO_MODEL = "No model yet: train one on the Train page."


def _switch_run() -> None:
    get_store().set_active(st.session_state["sidebar_run"])


def render_sidebar() -> None:
    """Draws the active-model panel: its accuracy, and a switch to another run."""
    store = get_store()
    active = active_run()
    with st.sidebar:
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
        # The active run is server-wide and may change under us (a job finished): follow it.
        st.session_state["sidebar_run"] = active.run_id
        st.selectbox(
            "Switch model",
            list(labels),
            format_func=labels.__getitem__,
            key="sidebar_run",
            on_change=_switch_run,
        )
        broken = store.broken_runs()
        if broken:
            st.warning(f"{len(broken)} run folder(s) cannot be read and are hidden: " + ", ".join(b.run_id for b in broken))


def require_active_run() -> RunRecord:
    """The active run, for a page that shows a model; with none at all, a hint and the page stops here."""
    run = active_run()
    if run is None:
        st.info(NO_MODEL)
        st.stop()
    return run

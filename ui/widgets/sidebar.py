"""The sidebar every page shows: the active model, and a switch to another saved run."""

from __future__ import annotations

import streamlit as st

from core.runs import RunRecord
from ui.resources import active_run, get_store


def _switch_run() -> None:
    get_store().set_active(st.session_state["sidebar_run"])


def render_sidebar() -> RunRecord | None:
    """Draws the active-model panel and returns the active run (None when there is none)."""
    store = get_store()
    active = active_run()
    with st.sidebar:
        st.subheader("Active model")
        if active is None:
            st.info("No model yet: train one on the Train page.")
            return None
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
    return active


def start_page(name: str, icon: str, *, heading: str | None = None, needs_model: bool = True) -> RunRecord | None:
    """Every page's first lines: configuration, title, sidebar, and a stop when a model is needed.

    Args:
        name: the page's name, for the browser tab.
        icon: an emoji favicon (a ":material/…:" one would be fetched from the internet).
        heading: the title shown on the page (default: `name`).
        needs_model: stop with a hint when there is no model at all.

    Returns:
        The active run, or None (only when `needs_model` is False).
    """
    st.set_page_config(page_title=f"{name} · Digit Lab", page_icon=icon, layout="wide")
    st.title(heading or name)
    run = render_sidebar()
    if needs_model and run is None:
        st.info("No model yet: train one on the Train page.")
        st.stop()
    return run

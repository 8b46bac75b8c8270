"""Runs every page inside the app's frame (tab title, heading, sidebar), even on a server's first run.

Home.py, the entrypoint, declares the pages to `st.navigation` and draws the frame around the page
the URL names. But a pages/ folder beside the main script makes Streamlit start each server process
(and each AppTest run) in its older automatic navigation, until a script calls `st.navigation`: that
first run of a deep link (/Train after a restart) runs the page alone. So each page begins with
`require_entrypoint()`, which in that case declares the navigation and reruns through Home.py. Only a
server's first run can start that way, and it carries no user action to lose; drawing the page there
instead would lose the session's first typed value or stroke on the next run. (AppTest would start every
run that way: tests/app runs Home.py's code from a temporary file, with no pages/ folder beside it.)
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ui.pages import APP_NAME, HOME, PAGES, AppPage
from ui.widgets.sidebar import render_sidebar

_script_run = threading.local()  # Streamlit runs each session's script on its own thread


def _navigate() -> tuple[AppPage, StreamlitPage]:
    """Declares every page to `st.navigation`; returns the one the URL names."""
    # Titles only in the navigation: st.navigation also makes a page's icon the tab's favicon, and a
    # Material icon would be fetched from the internet (the app works offline).
    registered = {page: st.Page(page.path, title=page.title, default=page == HOME) for page in PAGES}
    chosen = st.navigation(list(registered.values()))
    return next(page for page, streamlit_page in registered.items() if streamlit_page is chosen), chosen


def _draw_frame(page: AppPage) -> None:
    """What every page shares: the browser tab, the page's heading and the sidebar."""
    st.set_page_config(page_title=APP_NAME if page == HOME else f"{page.title} · {APP_NAME}", page_icon=page.favicon, layout="wide")
    st.title(page.heading or page.title)
    render_sidebar()


@contextmanager
def _inside_entrypoint() -> Iterator[None]:
    _script_run.inside = True
    try:
        yield
    finally:
        _script_run.inside = False


def run_app() -> None:
    """Home.py's whole job: the navigation, the frame, then the page the URL names."""
    page, streamlit_page = _navigate()
    _draw_frame(page)
    with _inside_entrypoint():
        streamlit_page.run()


def require_entrypoint() -> None:
    """Reruns through Home.py when a page was started on its own (see the module docstring); else nothing."""
    if not getattr(_script_run, "inside", False):
        _navigate()  # st.navigation also ends the automatic navigation for the whole server
        st.rerun()

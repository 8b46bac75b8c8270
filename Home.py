"""Digit Lab's entrypoint (`streamlit run Home.py`): every page runs inside this script.

It hands the pages declared in ui/pages.py to `st.navigation`, then draws what they all share
(browser tab, heading, sidebar) around the page the URL names, and runs it.
"""

import streamlit as st

from ui.pages import APP_NAME, HOME, PAGES
from ui.widgets.sidebar import render_sidebar

# Titles only in the navigation: st.navigation also makes a page's icon the tab's favicon, and a
# Material icon would be fetched from the internet (the app works offline).
registered = {page: st.Page(page.script, title=page.title, default=page == HOME) for page in PAGES}
chosen = st.navigation(list(registered.values()))
page = next(page for page, streamlit_page in registered.items() if streamlit_page is chosen)
st.set_page_config(page_title=APP_NAME if page == HOME else f"{page.title} · {APP_NAME}", page_icon=page.favicon, layout="wide")
st.title(page.heading or page.title)
render_sidebar()
chosen.run()

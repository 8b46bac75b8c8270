"""Digit Lab's entrypoint (`streamlit run Home.py`): every page runs inside this script.

The pages are declared once, in ui/pages.py; ui/entrypoint.py hands them to `st.navigation`, draws
what they all share (browser tab, heading, sidebar) and runs the page the URL names.
"""

from ui.entrypoint import run_app

run_app()

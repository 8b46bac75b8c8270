"""Streamlit glue shared by the pages: cached resources, the sidebar, charts and image helpers.

Kept apart from `core/` (which never imports Streamlit) and small, so pages stay a screen long.
"""

"""Real-browser tests: Playwright drives Debian's Chromium against a `streamlit run` server."""

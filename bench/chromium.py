"""Debian's Chromium, launched the one way that works on a machine with no internet.

Shared by the benchmark and the browser tests. Without the background-networking flags Chromium
keeps trying to reach Google's services and logs refused connections; browsers are never downloaded.
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

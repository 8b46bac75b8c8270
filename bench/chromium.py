"""Debian's Chromium, found on the PATH and launched the one way that works on a machine with no internet.

Shared by the benchmark and the browser tests. Without the background-networking flags Chromium
keeps trying to reach Google's services and logs refused connections; browsers are never downloaded.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.dev_data import PENDIGITS_FILE, dev_data_file

CHROMIUM_MISSING = "Chromium is not on the PATH: install Debian's package with `sudo apt-get install chromium`."
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> Path | None:
    """The `chromium` executable on the PATH (from Debian's `chromium` package), or None."""
    found = shutil.which("chromium")
    return Path(found) if found else None


def require_chromium() -> Path:
    """The `chromium` executable on the PATH.

    Raises:
        FileNotFoundError: there is none; the message says how to install it.
    """
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError(CHROMIUM_MISSING)
    return chromium


def pendigits_and_chromium() -> tuple[Path, Path] | None:
    """The pendigits file and Chromium that the browser benchmarks replay and drive, or None after saying on
    standard error which one is missing and how to get it."""
    try:
        return dev_data_file(PENDIGITS_FILE), require_chromium()
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return None

"""Tests for bench.chromium: Chromium is found on the PATH, and its absence says how to install it."""

from __future__ import annotations

import pytest

from bench.chromium import find_chromium, require_chromium


def test_chromium_is_looked_up_on_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None
    with pytest.raises(FileNotFoundError, match=r"sudo apt-get install chromium"):
        require_chromium()
    executable = tmp_path / "chromium"
    executable.write_text("#!/bin/sh\n", encoding="ascii")
    executable.chmod(0o755)
    assert find_chromium() == executable == require_chromium()

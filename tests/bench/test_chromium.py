"""Tests for bench.chromium: Chromium is found on the PATH, and its absence says how to install it;
the browser benchmarks say what they lack."""

from __future__ import annotations

import pytest

from bench.chromium import find_chromium, pendigits_and_chromium, require_chromium


def test_chromium_is_looked_up_on_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None
    with pytest.raises(FileNotFoundError, match=r"sudo apt-get install chromium"):
        require_chromium()
    executable = tmp_path / "chromium"
    executable.write_text("#!/bin/sh\n", encoding="ascii")
    executable.chmod(0o755)
    assert find_chromium() == executable == require_chromium()


def test_a_browser_benchmark_missing_its_pen_digits_or_chromium_says_which(tmp_path, monkeypatch, capsys):
    executable = tmp_path / "bin" / "chromium"
    executable.parent.mkdir()
    executable.write_text("#!/bin/sh\n", encoding="ascii")
    executable.chmod(0o755)
    pendigits = tmp_path / "data" / "pendigits" / "pendigits-orig.tra"
    pendigits.parent.mkdir(parents=True)
    pendigits.write_text("", encoding="ascii")
    monkeypatch.setenv("DIGIT_LAB_DEV_DATA", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    assert pendigits_and_chromium() is None
    assert "DIGIT_LAB_DEV_DATA" in capsys.readouterr().err
    monkeypatch.setenv("DIGIT_LAB_DEV_DATA", str(tmp_path / "data"))
    assert pendigits_and_chromium() is None
    assert "apt-get install chromium" in capsys.readouterr().err
    monkeypatch.setenv("PATH", str(executable.parent))
    assert pendigits_and_chromium() == (pendigits, executable)

"""Tests for bench.dev_data (the one setting that locates the development data) and the pendigits fixture's maker."""

from __future__ import annotations

import re

import pytest

from bench.dev_data import DEFAULT_DEV_DATA_DIR, DEV_DATA_ENV_VAR, PENDIGITS_FILE, dev_data_dir, dev_data_file
from tests.fixtures import PENDIGITS_FIXTURE
from tests.fixtures.make_pendigits_fixture import first_digits


def test_dev_data_defaults_to_shared_data_beside_the_project(monkeypatch):
    monkeypatch.delenv(DEV_DATA_ENV_VAR, raising=False)
    assert dev_data_dir() == DEFAULT_DEV_DATA_DIR
    assert DEFAULT_DEV_DATA_DIR.parts[-2:] == ("shared", "data")


def test_a_missing_dev_data_file_is_named_with_the_setting_that_locates_it(tmp_path, monkeypatch):
    monkeypatch.setenv(DEV_DATA_ENV_VAR, str(tmp_path))
    named = rf"{re.escape(str(tmp_path / PENDIGITS_FILE))} not found.*\${DEV_DATA_ENV_VAR}"
    with pytest.raises(FileNotFoundError, match=named):
        dev_data_file(PENDIGITS_FILE)
    (tmp_path / PENDIGITS_FILE).parent.mkdir()
    (tmp_path / PENDIGITS_FILE).write_text("", encoding="ascii")
    assert dev_data_file(PENDIGITS_FILE) == tmp_path / PENDIGITS_FILE


def test_first_digits_keeps_the_header_and_cuts_before_the_next_digit():
    lines = PENDIGITS_FIXTURE.read_bytes().splitlines(keepends=True)
    three = first_digits(lines, 3)
    assert three.startswith(b".INCLUDE") and three.count(b".SEGMENT") == 3
    assert PENDIGITS_FIXTURE.read_bytes().startswith(three)
    assert first_digits(lines, 10_000) == PENDIGITS_FIXTURE.read_bytes()


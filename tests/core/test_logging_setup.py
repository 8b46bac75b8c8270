"""Tests for core.logging_setup: one handler however often it is called, the level from the caller or the environment."""

from __future__ import annotations

import logging
import re

import pytest

from core.logging_setup import LOG_LEVEL_ENV_VAR, PROJECT_LOGGERS, configure_logging


@pytest.fixture(autouse=True)
def fresh_project_loggers(monkeypatch):
    """Project loggers with no handler and no level, as in a new process; restored afterwards."""
    monkeypatch.delenv(LOG_LEVEL_ENV_VAR, raising=False)
    saved = {}
    for name in PROJECT_LOGGERS:
        project_logger = logging.getLogger(name)
        saved[name] = (project_logger.level, project_logger.handlers[:])
        project_logger.setLevel(logging.NOTSET)
        project_logger.handlers.clear()
    yield
    for name, (level, handlers) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).handlers[:] = handlers


def test_records_reach_stderr_with_time_level_and_module(capsys):
    configure_logging()
    logging.getLogger("core.jobs").info("Job %d started", 7)
    logging.getLogger("core.jobs").debug("not shown at INFO")
    err = capsys.readouterr().err
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO core\.jobs: Job 7 started\n", err), err


def test_calling_it_again_changes_the_level_but_adds_no_handler():
    configure_logging()
    configure_logging(logging.DEBUG)
    for name in PROJECT_LOGGERS:
        assert len(logging.getLogger(name).handlers) == 1
        assert logging.getLogger(name).level == logging.DEBUG


@pytest.mark.parametrize("value, level", [("debug", logging.DEBUG), (" WARNING ", logging.WARNING), ("", logging.INFO)])
def test_the_level_comes_from_the_environment(monkeypatch, value, level):
    monkeypatch.setenv(LOG_LEVEL_ENV_VAR, value)
    configure_logging()
    assert logging.getLogger("core").level == level


def test_an_unknown_level_in_the_environment_falls_back_to_info_and_says_so(monkeypatch, capsys):
    monkeypatch.setenv(LOG_LEVEL_ENV_VAR, "chatty")
    configure_logging()
    assert logging.getLogger("core").level == logging.INFO
    assert f"${LOG_LEVEL_ENV_VAR}='CHATTY' is not a logging level" in capsys.readouterr().err

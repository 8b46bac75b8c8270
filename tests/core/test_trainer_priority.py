"""How far a trainer lowers its CPU priority, read from the environment."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from core import job_runner
from core.config import TrainingConfig
from core.job_files import create_job, read_job, request_stop
from core.job_runner import AUTOGROUP_FILE
from core.jobs import launch_trainer_process
from core.job_runner import DEFAULT_TRAINER_NICENESS, TRAINER_NICENESS_VARIABLE, trainer_niceness, yield_cpu_to_pages


def test_unset_or_blank_means_the_default():
    assert trainer_niceness({}) == DEFAULT_TRAINER_NICENESS
    assert trainer_niceness({TRAINER_NICENESS_VARIABLE: " "}) == DEFAULT_TRAINER_NICENESS


@pytest.mark.parametrize("value, expected", [("0", 0), ("10", 10), ("19", 19)])
def test_a_whole_number_from_0_to_19_is_taken(value, expected):
    assert trainer_niceness({TRAINER_NICENESS_VARIABLE: value}) == expected


@pytest.mark.parametrize("value", ["-5", "20", "ten", "2.5"])
def test_anything_else_is_logged_and_falls_back_to_the_default(value, caplog):
    with caplog.at_level(logging.WARNING, logger="core.job_runner"):
        assert trainer_niceness({TRAINER_NICENESS_VARIABLE: value}) == DEFAULT_TRAINER_NICENESS
    assert TRAINER_NICENESS_VARIABLE in caplog.text and repr(value) in caplog.text


@pytest.mark.parametrize("own_session, session_niceness", [(True, "10"), (False, "0")])
def test_a_trainer_lowers_its_session_too_only_when_the_session_is_its_own(
    own_session, session_niceness, monkeypatch, tmp_path
):
    calls = []
    autogroup = tmp_path / "autogroup"
    autogroup.write_text("0")
    monkeypatch.setenv(TRAINER_NICENESS_VARIABLE, "10")
    monkeypatch.setattr(job_runner.os, "getpriority", lambda *_: 0)
    monkeypatch.setattr(job_runner.os, "setpriority", lambda *arguments: calls.append(arguments))
    monkeypatch.setattr(job_runner, "AUTOGROUP_FILE", autogroup)
    yield_cpu_to_pages(own_session=own_session)
    assert calls == [(job_runner.os.PRIO_PROCESS, 0, 10)]
    assert autogroup.read_text() == session_niceness


@pytest.mark.parametrize("wanted, current, expected", [("0", 0, None), ("5", 5, 5), ("5", 12, 12)])
def test_a_process_already_lower_stays_as_low(wanted, current, expected, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setenv(TRAINER_NICENESS_VARIABLE, wanted)
    monkeypatch.setattr(job_runner.os, "getpriority", lambda *_: current)
    monkeypatch.setattr(job_runner.os, "setpriority", lambda *arguments: calls.append(arguments[-1]))
    monkeypatch.setattr(job_runner, "AUTOGROUP_FILE", tmp_path / "autogroup")
    yield_cpu_to_pages(own_session=True)
    assert calls == ([] if expected is None else [expected])


def test_a_trainer_the_pages_launch_runs_at_the_set_niceness(runs_dir, monkeypatch):
    monkeypatch.setenv(TRAINER_NICENESS_VARIABLE, "7")
    monkeypatch.setenv("DIGIT_LAB_MNIST", "sample")  # the bundled sample: no download
    folder = create_job(runs_dir, TrainingConfig.for_architecture("fast", epochs=50, train_size=1000))
    launch_trainer_process(folder)
    deadline = time.monotonic() + 120
    while read_job(folder).record.pid is None and time.monotonic() < deadline:  # claimed after it yields
        time.sleep(0.2)
    pid = read_job(folder).record.pid
    try:
        # A trainer never raises its priority back: under a test run that is already lower, it stays so.
        assert os.getpriority(os.PRIO_PROCESS, pid) == max(7, os.getpriority(os.PRIO_PROCESS, 0))
        if AUTOGROUP_FILE.exists():  # Linux with autogroups: the trainer's own session yields too
            assert Path(f"/proc/{pid}/autogroup").read_text().split()[-1] == str(os.getpriority(os.PRIO_PROCESS, pid))
    finally:
        request_stop(folder)
        while read_job(folder).record.is_running and time.monotonic() < deadline + 120:
            time.sleep(0.5)

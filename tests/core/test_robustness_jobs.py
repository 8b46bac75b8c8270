"""The background registry: one measurement per run at a time, progress visible, failures kept."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.limits import WorkSlots
from core.mode import DemoModeRefusal, Mode
from core.robustness import RobustnessResult
from core.robustness_jobs import MeasurementStatus, RobustnessJobs

IMAGES, LABELS = np.zeros((2, 28, 28), np.uint8), np.zeros(2, int)


def _wait_until_done(jobs: RobustnessJobs, run_id: str) -> None:
    for thread in threading.enumerate():
        if thread.name == f"robustness-{run_id}":
            thread.join(timeout=10)


def test_progress_is_visible_while_running_and_one_run_is_measured_once_at_a_time(tmp_path):
    halfway, release = threading.Event(), threading.Event()
    calls: list[Path] = []

    def measure(folder, images, labels, on_progress):
        calls.append(folder)
        on_progress(0.5)
        halfway.set()
        release.wait(timeout=10)
        return RobustnessResult(curves=(), test_size=len(images), seconds=0.0)

    jobs = RobustnessJobs(measure)
    assert jobs.status("a") is None and not jobs.is_running("a")
    assert jobs.start("a", tmp_path, IMAGES, LABELS)
    assert halfway.wait(timeout=10)
    assert jobs.is_running("a") and jobs.status("a").share_done == 0.5
    assert not jobs.start("a", tmp_path, IMAGES, LABELS)  # already measuring
    release.set()
    _wait_until_done(jobs, "a")
    assert not jobs.status("a").running and jobs.status("a").share_done == 1.0
    assert calls == [tmp_path]


def test_a_failure_is_kept_with_its_message(tmp_path):
    def measure(folder, images, labels, on_progress):
        raise ValueError("Model file is broken")

    jobs = RobustnessJobs(measure)
    jobs.start("b", tmp_path, IMAGES, LABELS)
    _wait_until_done(jobs, "b")
    assert jobs.status("b").error == "Model file is broken" and not jobs.status("b").running


def test_a_measurement_waits_its_turn_in_the_heavy_work_line(tmp_path):
    slots, release, measured = WorkSlots(1), threading.Event(), threading.Event()

    def measure(folder, images, labels, on_progress):
        measured.set()
        return RobustnessResult(curves=(), test_size=len(images), seconds=0.0)

    jobs = RobustnessJobs(measure, slots=slots)
    holder = threading.Thread(target=lambda: _hold(slots, release))
    holder.start()
    deadline = time.monotonic() + 10
    while slots.busy == 0 and time.monotonic() < deadline:  # someone else's Grad-CAM holds the one slot
        time.sleep(0.01)
    jobs.start("c", tmp_path, IMAGES, LABELS)
    while jobs.status("c").place_in_line is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert jobs.status("c") == MeasurementStatus(running=True, share_done=0.0, place_in_line=1)
    assert not measured.is_set()
    release.set()
    holder.join(timeout=10)
    _wait_until_done(jobs, "c")
    assert measured.is_set() and jobs.status("c") == MeasurementStatus(running=False, share_done=1.0)


def _hold(slots: WorkSlots, release: threading.Event) -> None:
    with slots.slot(lambda place: None, patience_s=10):
        release.wait(timeout=10)


def test_a_demo_server_refuses_to_measure(tmp_path):
    jobs = RobustnessJobs(lambda *arguments: pytest.fail("measured on a demo server"), mode=Mode.DEMO)
    with pytest.raises(DemoModeRefusal, match="Measuring a run's robustness is off on this demo server"):
        jobs.start("d", tmp_path, IMAGES, LABELS)
    assert jobs.status("d") is None

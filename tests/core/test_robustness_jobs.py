"""The background registry: one measurement per run at a time, progress visible, failures kept."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from core.robustness import RobustnessResult
from core.robustness_jobs import RobustnessJobs

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

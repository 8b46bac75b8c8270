"""A process killed with SIGKILL while it trains or saves: nothing half-written is ever listed.

Each test runs the work in a child process and kills it at a known point; the store opened afterwards
(as a restarted server would) must list only whole runs, all loadable, and remove the leftovers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.runs import TEMPORARY_PREFIX, RunStore

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120  # for the child to import TensorFlow and reach the kill point on a busy CI machine

# Saves one whole run, then starts a second save that stops just before its final rename.
SAVE_THEN_HANG = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from core.runs import RunStore
    from tests.core.test_runs import make_result

    store = RunStore(Path(sys.argv[1]), shipped_dir=None)
    store.save(make_result("fast", seed=1))

    def hang_before_rename(source, target):
        Path(sys.argv[2]).write_text(str(source))  # tell the test where the half-written run is
        time.sleep(600)

    os.rename = hang_before_rename
    store.save(make_result("fast", seed=2))
    """
)


def _wait_for(condition, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the child exited ({process.returncode}) before {what}:\n{process.stdout.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)  # polling another process's progress


def _child(arguments: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *arguments], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DIGIT_LAB_MNIST": "sample"},
    )


def _assert_every_listed_run_loads(store: RunStore) -> None:
    for record in store.list_runs():
        assert store.load_model(record.run_id).count_params() == record.parameter_count
    assert store.broken_runs() == []


@pytest.mark.slow
def test_kill_during_the_save_leaves_only_whole_runs(tmp_path):
    runs_dir, marker = tmp_path / "runs", tmp_path / "half-written"
    child = _child(["-c", SAVE_THEN_HANG, str(runs_dir), str(marker)])
    _wait_for(marker.exists, "the second save reached its rename", child)
    half_written = Path(marker.read_text())
    assert half_written.name.startswith(TEMPORARY_PREFIX) and (half_written / "model.keras").exists()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)

    store = RunStore(runs_dir, shipped_dir=None)  # the restarted server
    assert not half_written.exists()  # its writer is dead: cleaned at once, not in ten minutes
    assert [path.name for path in runs_dir.iterdir()] == [record.run_id for record in store.list_runs()]
    assert len(store.list_runs()) == 1
    _assert_every_listed_run_loads(store)


@pytest.mark.slow
def test_kill_during_training_saves_nothing_and_breaks_nothing(tmp_path):
    runs_dir = tmp_path / "runs"
    finished = _child(["-m", "core", "train", "--sample", "--epochs", "1", "--train-size", "500", "--runs-dir", str(runs_dir)])
    assert finished.wait(timeout=WAIT_S) == 0, finished.stdout.read()
    before = [record.run_id for record in RunStore(runs_dir, shipped_dir=None).list_runs()]

    training = _child(["-m", "core", "train", "--sample", "--epochs", "50", "--runs-dir", str(runs_dir)])
    lines: list[str] = []
    _wait_for(lambda: lines.append(training.stdout.readline()) or lines[-1].startswith("epoch="), "an epoch ended", training)
    os.kill(training.pid, signal.SIGKILL)
    training.wait(timeout=30)

    store = RunStore(runs_dir, shipped_dir=None)
    assert [record.run_id for record in store.list_runs()] == before
    assert store.default_run_id() == before[0]
    assert not list(runs_dir.glob(f"{TEMPORARY_PREFIX}*"))
    _assert_every_listed_run_loads(store)

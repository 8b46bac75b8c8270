"""The on-disk job protocol (core.job_files, core.job_trainer): round trips, a reader racing a writer
process, the locks, a killed trainer."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core import job_files
from core.config import TrainingConfig
from core.job_files import (
    KILLED_ERROR,
    NEVER_STARTED_ERROR,
    STARTING_GRACE_S,
    JobFolder,
    JobState,
    create_job,
    current_job,
    job_folder,
    job_is_running,
    list_jobs,
    prune_jobs,
    read_job,
    read_progress,
    request_stop,
)
from core.job_trainer import BUSY_ERROR, NO_RESULT_ERROR, STOP_POLL_INTERVAL_S, JobBusyError, TrainerChannel
from core.progress import BatchProgress, EpochMetrics
from tests.core.test_runs_killed import _wait_for as wait_for  # fails with the child's output

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG = TrainingConfig(architecture="fast", epochs=2, batch_size=64, train_size=500)

# A trainer in its own process. Its clock ticks a second per reading, so every batch is recorded.
CHILD_TRAINER = textwrap.dedent(
    """
    import itertools, sys, time
    from pathlib import Path
    from core.job_files import JobFolder
    from core.job_trainer import TrainerChannel
    from core.progress import BatchProgress, EpochMetrics

    folder, go, batch_count = JobFolder(Path(sys.argv[1])), Path(sys.argv[2]), int(sys.argv[3])
    ticks = itertools.count()
    channel = TrainerChannel.claim(folder, clock=lambda: float(next(ticks)))
    while not go.exists():
        time.sleep(0.01)  # waiting for the test to start reading
    with channel:
        for index in range(batch_count):
            epoch, batch = index // 100 + 1, index % 100 + 1
            channel.record_batch(BatchProgress(epoch, batch, 100, float(index), 0.5, 1000.0, float(index)))
            if batch == 100:
                channel.record_epoch(EpochMetrics(epoch, float(index), 0.5, 1.0, 0.5, float(index), True))
            if index % 20 == 0:
                channel.mark_saving()  # rewrites state.json, to race its readers too
        if sys.argv[4] == "hang":
            Path(sys.argv[5]).touch()
            time.sleep(600)
        channel.finish("a-run", "completed", 0.99)
    """
)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def batch(epoch: int, number: int, per_epoch: int = 10) -> BatchProgress:
    return BatchProgress(epoch, number, per_epoch, loss=1.0 / (epoch * per_epoch + number), accuracy=0.5,
                         images_per_second=900.0, elapsed_s=float(number))


def epoch_metrics(epoch: int, complete: bool = True) -> EpochMetrics:
    return EpochMetrics(epoch, loss=0.5 / epoch, accuracy=0.9, val_loss=0.6 / epoch, val_accuracy=0.88,
                        elapsed_s=10.0 * epoch, complete=complete,
                        val_per_class_accuracy=tuple(0.8 + digit / 100 for digit in range(10)))


@pytest.fixture(autouse=True)
def impatient_locks(monkeypatch):
    """A refused lock is refused in milliseconds, not after waiting out viewers' probes."""
    monkeypatch.setattr(job_files, "LOCK_PATIENCE_S", 0.02)


def _child(*arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_TRAINER, *arguments], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )


def _state_on_disk(folder: JobFolder) -> dict:
    return json.loads(folder.state_file.read_text())


def test_a_new_job_waits_for_its_trainer_with_its_config(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    view = read_job(folder)
    assert view.record.state == JobState.STARTING and view.record.pid is None
    assert view.config == CONFIG and view.history == () and view.last_batch is None
    assert list_jobs(runs_dir) == [folder] and current_job(runs_dir) == folder
    assert job_is_running(runs_dir)
    assert job_folder(runs_dir, folder.job_id) == folder
    assert [path.name for path in folder.path.parent.iterdir()] == [folder.job_id]  # no leftovers


def test_the_trainer_log_tail_is_the_end_of_the_file_or_none_without_one(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    assert folder.trainer_log_tail() is None  # a job run in a terminal logs there
    folder.trainer_log_file.write_text("start\n" + "x" * 100 + "\nTraceback: the end\n")
    assert folder.trainer_log_tail(max_bytes=19) == "Traceback: the end\n"
    assert folder.trainer_log_tail().startswith("start")


def test_job_ids_cannot_name_other_paths(runs_dir):
    for job_id in ["../runs", "20261201-221530-482-3fa9/..", "", "20261201-221530-482-3FA9"]:
        with pytest.raises(ValueError, match="not a job id"):
            job_folder(runs_dir, job_id)


def test_a_job_round_trips_through_its_files(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    clock = FakeClock()
    with TrainerChannel.claim(folder, clock=clock) as channel:
        assert channel.config == CONFIG
        assert read_job(folder).record.pid == os.getpid()
        sent = []
        for epoch in (1, 2):
            for number in (1, 2, 3):
                clock.now += 1.0  # a second per batch: every one is recorded
                sent.append(batch(epoch, number, per_epoch=3))
                channel.record_batch(sent[-1])
                assert read_job(folder).record.state == JobState.RUNNING
            channel.record_epoch(epoch_metrics(epoch))
        channel.mark_saving()
        assert read_job(folder).record.state == JobState.SAVING
        channel.finish("20261201-221600-fast", "completed", 0.97)

    view = read_job(folder)
    record = view.record
    assert record.state == JobState.DONE and not record.is_running and record.error is None
    assert (record.run_id, record.status, record.test_accuracy) == ("20261201-221600-fast", "completed", 0.97)
    assert view.config == CONFIG
    assert view.history == (epoch_metrics(1), epoch_metrics(2))
    assert view.batches == tuple(sent) and view.last_batch == sent[-1]
    assert view.batch_losses == tuple(progress.loss for progress in sent)
    assert view.batch_positions == pytest.approx([1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2])
    assert not job_is_running(runs_dir)


def test_reading_again_reads_only_the_new_progress(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    clock = FakeClock()
    with TrainerChannel.claim(folder, clock=clock) as channel:
        channel.record_batch(batch(1, 1))
        first = read_job(folder)
        _, offset = read_progress(folder)
        assert first.progress_offset == offset == folder.progress_file.stat().st_size

        clock.now += 1.0
        channel.record_batch(batch(1, 10))
        channel.record_epoch(epoch_metrics(1))
        new_records, new_offset = read_progress(folder, first.progress_offset)
        assert new_records == [batch(1, 10), epoch_metrics(1)]
        assert new_offset == folder.progress_file.stat().st_size

        again = read_job(folder, since=first)
        assert again == read_job(folder)  # the same as reading everything
        assert again.batches == (batch(1, 1), batch(1, 10)) and again.history == (epoch_metrics(1),)
        assert read_job(folder, since=again) == again  # nothing new
        channel.finish("r", "completed", 0.9)

    other = create_job(runs_dir, CONFIG)
    assert read_job(other, since=again).batches == ()  # a view of another job is not continued


def test_a_line_still_being_written_is_left_for_the_next_read(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    whole = json.dumps({"kind": "batch", **batch(1, 1).to_dict()}).encode() + b"\n"
    second = json.dumps({"kind": "epoch", **epoch_metrics(1).to_dict()}).encode() + b"\n"
    folder.progress_file.write_bytes(whole + second[:20])

    records, offset = read_progress(folder)
    assert records == [batch(1, 1)] and offset == len(whole)
    with open(folder.progress_file, "ab") as file:
        file.write(second[20:])
    assert read_progress(folder, offset) == ([epoch_metrics(1)], len(whole) + len(second))


def test_each_progress_record_is_one_write_of_one_whole_line(runs_dir, monkeypatch):
    folder = create_job(runs_dir, CONFIG)
    writes: list[bytes] = []
    write = os.write

    def spy(descriptor: int, data: bytes) -> int:
        writes.append(bytes(data))
        return write(descriptor, data)

    with TrainerChannel.claim(folder, clock=FakeClock()) as channel:
        monkeypatch.setattr(os, "write", spy)
        channel.record_batch(batch(1, 10))
        channel.record_epoch(epoch_metrics(1))
        monkeypatch.undo()
        channel.finish("r", "completed", 0.9)
    assert all(data.endswith(b"\n") and data.count(b"\n") == 1 for data in writes)
    assert [json.loads(data)["kind"] for data in writes] == ["batch", "epoch"]


def test_a_reader_racing_a_writer_process_never_sees_half_a_record(runs_dir, tmp_path, caplog):
    folder, go, batch_count = create_job(runs_dir, CONFIG), tmp_path / "go", 2000
    child = _child(str(folder.path), str(go), str(batch_count), "finish")
    wait_for(lambda: read_job(folder).record.pid is not None, "the trainer claimed the job", child)
    go.touch()

    view, reads, partial_reads, updated_at = None, 0, 0, 0.0
    while True:
        finished = child.poll() is not None  # read once more after the writer ends
        view = read_job(folder, since=view)
        reads += 1
        assert view.record.error is None and view.record.state in ("starting", "running", "saving", "done")
        assert view.record.updated_at >= updated_at
        updated_at = view.record.updated_at
        count = len(view.batches)
        assert view.batch_losses == tuple(float(index) for index in range(count))  # none lost, none garbled
        assert count // 100 - 1 <= len(view.history) <= count // 100  # an epoch follows its last batch
        assert [metrics.epoch for metrics in view.history] == list(range(1, len(view.history) + 1))
        partial_reads += 0 < count < batch_count
        if reads % 10 == 0:
            assert read_job(folder).batches[:count] == view.batches  # the whole file agrees
        if finished:
            break
    assert child.returncode == 0, child.stdout.read()
    assert view.record.state == JobState.DONE and len(view.batches) == batch_count and len(view.history) == 20
    assert partial_reads >= 10, f"only {partial_reads} of {reads} reads overlapped the writer"
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_one_training_per_store_and_the_view_follows_the_live_job(runs_dir):
    older, newer = create_job(runs_dir, CONFIG), create_job(runs_dir, CONFIG)
    with TrainerChannel.claim(older) as channel:
        with pytest.raises(ValueError, match="already has a trainer"):
            TrainerChannel.claim(older)
        with pytest.raises(JobBusyError):
            TrainerChannel.claim(newer)
        assert read_job(newer).record.state == JobState.FAILED and read_job(newer).record.error == BUSY_ERROR
        assert current_job(runs_dir) == older  # not the newest: the one training
        assert job_is_running(runs_dir)
        channel.finish("r", "completed", 0.9)
    assert current_job(runs_dir) == newer and not job_is_running(runs_dir)
    with TrainerChannel.claim(create_job(runs_dir, CONFIG)) as channel:  # the store is free again
        channel.finish("r2", "completed", 0.9)


def test_leaving_the_channel_without_a_result_fails_the_job_and_frees_the_store(runs_dir, caplog):
    crashed = create_job(runs_dir, CONFIG)
    with pytest.raises(RuntimeError):
        with TrainerChannel.claim(crashed):
            raise RuntimeError("out of memory")
    assert read_job(crashed).record.error == "RuntimeError: out of memory"
    assert "out of memory" in caplog.text  # the traceback reaches the log

    abandoned = create_job(runs_dir, CONFIG)
    with TrainerChannel.claim(abandoned):
        pass
    assert read_job(abandoned).record.state == JobState.FAILED
    assert read_job(abandoned).record.error == NO_RESULT_ERROR
    TrainerChannel.claim(create_job(runs_dir, CONFIG)).close()


def test_a_trainer_killed_with_sigkill_reads_as_failed_with_its_last_progress(runs_dir, tmp_path):
    folder, ready = create_job(runs_dir, CONFIG), tmp_path / "ready"
    (tmp_path / "go").touch()
    child = _child(str(folder.path), str(tmp_path / "go"), "150", "hang", str(ready))
    wait_for(ready.exists, "the trainer recorded its progress", child)
    alive = read_job(folder)
    assert alive.record.is_running and alive.record.pid == child.pid and job_is_running(runs_dir)

    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    view = read_job(folder)
    assert view.record.state == JobState.FAILED and view.record.error == KILLED_ERROR
    assert len(view.history) == 1 and len(view.batches) == 150 and view.last_batch.batch == 50
    assert _state_on_disk(folder)["state"] == "failed"  # the verdict is kept for every later reader
    assert not job_is_running(runs_dir)
    TrainerChannel.claim(create_job(runs_dir, CONFIG)).close()  # the lock is free at once


def test_a_trainer_that_never_comes_fails_the_job_after_a_grace_period(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    started_at = read_job(folder).record.started_at
    assert read_job(folder, now=lambda: started_at + STARTING_GRACE_S - 1).record.state == JobState.STARTING
    view = read_job(folder, now=lambda: started_at + STARTING_GRACE_S + 1)
    assert view.record.state == JobState.FAILED and view.record.error == NEVER_STARTED_ERROR
    with pytest.raises(ValueError, match="not waiting for a trainer"):  # too late to agree with readers
        TrainerChannel.claim(folder)


def test_stop_is_asked_through_the_folder_and_seen_at_the_next_poll(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    clock = FakeClock()
    with TrainerChannel.claim(folder, clock=clock) as channel:
        channel.record_batch(batch(1, 1))
        assert not channel.stop_requested()
        request_stop(folder)
        assert read_job(folder).record.state == JobState.STOPPING  # viewers see it at once
        assert _state_on_disk(folder)["state"] == "running"

        clock.now += STOP_POLL_INTERVAL_S / 2
        assert not channel.stop_requested()  # the disk is not asked on every batch
        clock.now += STOP_POLL_INTERVAL_S / 2
        assert channel.stop_requested()
        assert _state_on_disk(folder)["state"] == "stopping"
        channel.record_batch(batch(1, 2))
        assert channel.state == JobState.STOPPING and channel.stop_requested()
        channel.finish("r", "stopped", 0.5)
    assert read_job(folder).record.state == JobState.DONE


def test_batch_records_are_at_most_two_a_second_but_keep_each_epochs_last(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    clock = FakeClock()
    with TrainerChannel.claim(folder, clock=clock) as channel:
        for epoch, last in ((1, 10), (2, 6)):  # the second epoch stops at its 6th batch
            for number in range(1, last + 1):
                channel.record_batch(batch(epoch, number))
                clock.now += 0.125  # eight batches a second, exact in binary
            channel.record_epoch(epoch_metrics(epoch, complete=last == 10))
        channel.record_batch(batch(3, 1))  # held back, then recorded with the final state
        channel.finish("r", "stopped", 0.5)

    records, _ = read_progress(folder)
    kept = [(item.epoch, item.batch) if isinstance(item, BatchProgress) else ("epoch", item.epoch) for item in records]
    # Recorded at t = 0 (the first), 0.5, 1.0, 1.125 (its epoch's last), 1.625, 1.875 (the stopped epoch's last),
    # 2.0 (held back, as the last before the final state).
    assert kept == [(1, 1), (1, 5), (1, 9), (1, 10), ("epoch", 1), (2, 4), (2, 6), ("epoch", 2), (3, 1)]


@pytest.mark.parametrize(
    "content",
    [b'{"job_id": "cut sho', b"[1, 2]", b'{"job_id": "JOB", "state": "exploded", "started_at": 1, "updated_at": 1}',
     b'{"job_id": "20000101-000000-000-0000", "state": "done", "started_at": 1, "updated_at": 1}', None],
    ids=["truncated", "not-an-object", "unknown-state", "another-job", "missing"],
)
def test_a_broken_state_file_reads_as_failed_and_is_logged(runs_dir, caplog, content):
    folder = create_job(runs_dir, CONFIG)
    if content is None:
        folder.state_file.unlink()
    else:
        folder.state_file.write_bytes(content.replace(b"JOB", folder.job_id.encode()))
    view = read_job(folder)
    assert view.record.state == JobState.FAILED and "state.json" in view.record.error
    assert "state.json" in caplog.text and folder.job_id in caplog.text
    assert current_job(runs_dir) == folder and not job_is_running(runs_dir)


def test_a_broken_config_fails_the_job_for_readers_and_its_trainer(runs_dir):
    folder = create_job(runs_dir, CONFIG)
    folder.config_file.write_text("[]")
    assert "config.json" in read_job(folder).record.error
    with pytest.raises(ValueError, match="config.json"):
        TrainerChannel.claim(folder)
    assert _state_on_disk(folder)["state"] == "failed"


def test_broken_progress_lines_are_skipped_and_logged(runs_dir, caplog):
    folder = create_job(runs_dir, CONFIG)
    with TrainerChannel.claim(folder) as channel:
        channel.record_batch(batch(1, 1))
        with open(folder.progress_file, "ab") as file:
            file.write(b'not json\n{"kind": "mystery"}\n{"kind": "batch", "epoch": 1}\n[]\n')
        channel.record_epoch(epoch_metrics(1))
        channel.finish("r", "completed", 0.9)
    view = read_job(folder)
    assert view.batches == (batch(1, 1),) and view.history == (epoch_metrics(1),)
    assert caplog.text.count("broken progress line") == 4


def test_pruning_keeps_the_newest_finished_jobs_and_every_live_one(runs_dir):
    jobs = []
    for _ in range(5):
        jobs.append(create_job(runs_dir, CONFIG))
        time.sleep(0.002)  # ids sort by the millisecond
    for folder in jobs[1:]:
        with TrainerChannel.claim(folder) as channel:
            channel.finish("r", "completed", 0.9)
    live = TrainerChannel.claim(jobs[0])  # the oldest is still training
    stale, fresh = runs_dir / ".jobs" / ".tmp-stale", runs_dir / ".jobs" / ".tmp-fresh"
    stale.mkdir(), fresh.mkdir()
    os.utime(stale, (time.time() - 2 * STARTING_GRACE_S,) * 2)

    prune_jobs(runs_dir, keep=2)
    assert list_jobs(runs_dir) == [jobs[4], jobs[3], jobs[0]]
    assert not stale.exists() and fresh.exists()  # a job may be being created under that name
    live.close()

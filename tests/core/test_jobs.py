"""Tests for core.jobs and core.job_runner: the registry launching a fake trainer on a thread.

Each test takes milliseconds. The real trainer process is covered by tests/core/test_job_process.py
and, through the Train page, by tests/app/test_train_page.py. Threads meet through events, never sleeps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import threading

import numpy as np
import pytest

import keras
from keras import layers

from core.config import TrainingConfig
from core.data import MnistData
from core.default_model import DefaultRequest
from core.job_files import JobFolder, JobState
from core.job_runner import run_job
from core.jobs import JobBusyError, TrainingJobs
from core.mode import DemoModeRefusal, Mode
from core.progress import BatchProgress, EpochMetrics, RunStatus
from core.runs import RunStore
from core.training import TrainingResult

TIMEOUT_S = 10  # only reached when the registry is broken: every wait below ends in milliseconds
CONFIG = TrainingConfig.for_architecture("fast", epochs=1)


@pytest.fixture(scope="module")
def tiny_model() -> keras.Model:
    """The smallest model RunStore.save accepts, built once: the fake trainer returns it every time."""
    inputs = keras.Input(shape=(28, 28, 1))
    outputs = layers.Dense(10, activation="softmax")(layers.Flatten()(inputs))
    return keras.Model(inputs, outputs)


class FakeTrainer:
    """Stands in for core.training.train: reports `first_losses`, waits for `go_on`, then finishes.

    Unless the job was asked to stop meanwhile, it reports `later_losses` and ends with `status`.
    """

    def __init__(
        self,
        model: keras.Model,
        *,
        first_losses: tuple[float, ...] = (2.3,),
        later_losses: tuple[float, ...] = (),
        status: str = "completed",
        error: Exception | None = None,
    ) -> None:
        self.model = model
        self.first_losses = first_losses
        self.later_losses = later_losses
        self.status = status
        self.error = error
        self.reported = threading.Event()  # set once the first batches are reported
        self.go_on = threading.Event()  # set by the test once it has looked
        self.data: MnistData | None = None
        self.kept_digits: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, config, data, *, kept_digits, on_batch, on_epoch, should_stop) -> TrainingResult:
        self.data, self.kept_digits = data, kept_digits
        if self.error is not None:
            raise self.error
        losses = self.first_losses + self.later_losses
        for batch, loss in enumerate(self.first_losses, start=1):
            on_batch(BatchProgress(1, batch, len(losses), loss, 0.5, 1000.0, 0.01 * batch))
        self.reported.set()
        assert self.go_on.wait(TIMEOUT_S)
        stopped = should_stop()
        if not stopped:
            for batch, loss in enumerate(self.later_losses, start=len(self.first_losses) + 1):
                on_batch(BatchProgress(1, batch, len(losses), loss, 0.5, 1000.0, 0.01 * batch))
        metrics = EpochMetrics(1, 1.0, 0.6, 1.1, 0.55, 0.1, complete=not stopped)
        on_epoch(metrics)
        return TrainingResult(
            model=self.model,
            config=config,
            history=(metrics,),
            test_probabilities=np.full((5, 10), 0.1, np.float32),  # (n_test, 10)
            test_accuracy=0.5,
            duration_s=0.1,
            status=RunStatus.STOPPED if stopped else self.status,
            data_source="sample",
            not_sure_floor=0.5,
            temperature=1.0,
        )


class ThreadLauncher:
    """Runs each job's trainer on a thread of this process, where the app would start a process."""

    def __init__(self, store: RunStore, data: MnistData, trainer: FakeTrainer) -> None:
        self.store, self.data, self.trainer = store, data, trainer
        self.threads: list[threading.Thread] = []

    def __call__(self, folder: JobFolder) -> None:
        thread = threading.Thread(target=self._run, args=(folder,), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _run(self, folder: JobFolder) -> None:
        with contextlib.suppress(Exception):  # the job's state records the failure; core.job_runner.main logs it
            run_job(folder, self.store, lambda: self.data, trainer=self.trainer)

    def join(self) -> None:
        """Waits for the latest job's trainer to end."""
        self.threads[-1].join(TIMEOUT_S)
        assert not self.threads[-1].is_alive()


@pytest.fixture()
def store(runs_dir) -> RunStore:
    return RunStore(runs_dir, shipped_dir=None)


def registry(store: RunStore, data: MnistData, trainer: FakeTrainer, **options) -> tuple[TrainingJobs, ThreadLauncher]:
    launcher = ThreadLauncher(store, data, trainer)
    return TrainingJobs(store.root, launch=launcher, **options), launcher


def test_a_job_runs_stops_and_its_run_is_saved_and_made_the_default(store, sample_data, tiny_model, caplog):
    caplog.set_level(logging.INFO, logger="core")
    trainer = FakeTrainer(tiny_model, first_losses=(2.3, 2.1))
    jobs, launcher = registry(store, sample_data, trainer)
    assert jobs.snapshot() is None

    first = jobs.start(CONFIG)
    assert first.state in (JobState.STARTING, JobState.RUNNING) and first.config == CONFIG
    assert trainer.reported.wait(TIMEOUT_S)
    running = jobs.snapshot()
    assert running.job_id == first.job_id
    assert running.state == JobState.RUNNING and running.is_running
    assert (running.epoch, running.batch, running.batches_per_epoch) == (1, 2, 2)
    assert running.batch_losses == (2.3, 2.1) and running.batch_positions == (0.5, 1.0)
    assert trainer.data is sample_data

    jobs.stop()
    assert jobs.snapshot().state == JobState.STOPPING and jobs.snapshot().is_running
    trainer.go_on.set()
    launcher.join()
    done = jobs.snapshot()

    assert done.state == JobState.DONE and not done.is_running and done.error is None
    assert (done.status, done.test_accuracy) == (RunStatus.STOPPED, 0.5)
    assert [metrics.complete for metrics in done.history] == [False]
    assert store.get(done.run_id).status == RunStatus.STOPPED
    assert store.default_run_id() == done.run_id
    messages = [record.getMessage() for record in caplog.records if record.name in ("core.jobs", "core.job_runner")]
    for words, message in zip(("created", "claimed", "stop", "trained", f"saved run {done.run_id}"), messages, strict=True):
        assert words in message


@pytest.mark.parametrize("status, made_default", [(RunStatus.COMPLETED, True), (RunStatus.DIVERGED, False)])
def test_a_finished_run_is_made_default_unless_it_diverged(store, sample_data, tiny_model, status, made_default):
    trainer = FakeTrainer(tiny_model, status=status)
    trainer.go_on.set()
    jobs, launcher = registry(store, sample_data, trainer)
    jobs.start(CONFIG)
    launcher.join()
    done = jobs.snapshot()
    assert (done.state, done.status) == (JobState.DONE, status)
    assert store.get(done.run_id).status == status
    assert (store.default_run_id() == done.run_id) is made_default


def test_a_job_hands_its_kept_digits_to_the_trainer_and_a_job_without_them_none(store, sample_data, tiny_model):
    images, labels = sample_data.x_test[:3].astype(np.float32) / 255.0, sample_data.y_test[:3]  # (3, 28, 28), (3,)
    trainer = FakeTrainer(tiny_model)
    jobs, launcher = registry(store, sample_data, trainer, kept_digits=lambda writer: (images, labels))
    trainer.go_on.set()
    jobs.start(dataclasses.replace(CONFIG, kept_digits=True))
    launcher.join()
    np.testing.assert_array_equal(trainer.kept_digits[1], labels)
    np.testing.assert_allclose(trainer.kept_digits[0], images, atol=1 / 255)
    jobs.start(CONFIG)
    launcher.join()
    assert trainer.kept_digits is None


def test_a_second_start_is_refused_while_a_job_runs(store, sample_data, tiny_model):
    trainer = FakeTrainer(tiny_model)
    jobs, launcher = registry(store, sample_data, trainer)
    first = jobs.start(CONFIG)
    assert trainer.reported.wait(TIMEOUT_S)
    with pytest.raises(JobBusyError):
        jobs.start(CONFIG)
    assert jobs.snapshot().job_id == first.job_id and jobs.snapshot().is_running

    trainer.go_on.set()
    launcher.join()
    assert jobs.snapshot().state == JobState.DONE
    second = jobs.start(CONFIG)  # once the first has ended, the next one starts
    assert second.job_id != first.job_id
    launcher.join()
    assert jobs.snapshot().state == JobState.DONE
    assert len(store.list_runs()) == 2


def test_a_job_started_by_another_registry_is_watched_and_refuses_a_second(store, sample_data, tiny_model):
    # Two servers (or a server and the command line) on one run store: the files are the only channel.
    trainer = FakeTrainer(tiny_model)
    starter, launcher = registry(store, sample_data, trainer)
    watcher = TrainingJobs(store.root, launch=lambda folder: pytest.fail("the watcher must not launch"))
    started = starter.start(CONFIG)
    assert trainer.reported.wait(TIMEOUT_S)
    assert watcher.snapshot().job_id == started.job_id and watcher.snapshot().is_running
    with pytest.raises(JobBusyError):
        watcher.start(CONFIG)
    watcher.stop()  # Stop works from any viewer
    trainer.go_on.set()
    launcher.join()
    assert watcher.snapshot().status == RunStatus.STOPPED


def test_an_invalid_config_is_refused_before_any_job_starts(store, sample_data, tiny_model):
    jobs, _ = registry(store, sample_data, FakeTrainer(tiny_model))
    with pytest.raises(ValueError, match="earning rate"):
        jobs.start(dataclasses.replace(CONFIG, learning_rate=0.0))
    assert jobs.snapshot() is None


def test_a_trainer_that_raises_fails_the_job_with_its_message_and_logs_the_traceback(store, sample_data, tiny_model, caplog):
    trainer = FakeTrainer(tiny_model, error=RuntimeError("the disk is full"))
    jobs, launcher = registry(store, sample_data, trainer)
    jobs.start(CONFIG)
    launcher.join()
    failed = jobs.snapshot()

    assert failed.state == JobState.FAILED and not failed.is_running
    assert failed.error == "RuntimeError: the disk is full"  # what the page shows
    assert failed.run_id is None and store.list_runs() == []
    [record] = [record for record in caplog.records if record.name.startswith("core.job") and record.levelno == logging.ERROR]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text and "the disk is full" in caplog.text


def test_a_snapshot_keeps_what_it_was_taken_with_and_shows_an_infinite_loss_as_a_gap(store, sample_data, tiny_model):
    trainer = FakeTrainer(tiny_model, first_losses=(2.3,), later_losses=(1.9, math.inf))
    jobs, launcher = registry(store, sample_data, trainer)
    jobs.start(CONFIG)
    assert trainer.reported.wait(TIMEOUT_S)
    earlier = jobs.snapshot()
    trainer.go_on.set()
    launcher.join()
    done = jobs.snapshot()

    assert earlier.batch_losses == (2.3,) and earlier.batch == 1
    # Batches are recorded at most twice a second, and always an epoch's last: the 1.9 between is skipped.
    assert done.batch_losses[0] == 2.3 and math.isnan(done.batch_losses[-1])
    assert done.batch_positions[-1] == 1.0
    assert done.batch == 3


def saved_result(model: keras.Model, test_accuracy: float) -> TrainingResult:
    """A finished training as the store saves it, scoring `test_accuracy` (the fake trainer's runs score 0.5)."""
    return TrainingResult(
        model=model,
        config=CONFIG,
        history=(),
        test_probabilities=np.full((5, 10), 0.1, np.float32),  # (n_test, 10)
        test_accuracy=test_accuracy,
        duration_s=0.1,
        status=RunStatus.COMPLETED,
        data_source="sample",
        not_sure_floor=0.5,
        temperature=1.0,
    )


@pytest.mark.parametrize(
    "request_, default_accuracy, made_default",
    [
        (DefaultRequest.IF_BETTER, 0.9, False),  # the fake run scores 0.5
        (DefaultRequest.IF_BETTER, 0.4, True),
        (DefaultRequest.ALWAYS, 0.9, True),
        (DefaultRequest.NEVER, 0.4, False),
    ],
)
def test_the_default_rule_decides_whether_the_run_replaces_the_default(
    store, sample_data, tiny_model, request_, default_accuracy, made_default
):
    trainer = FakeTrainer(tiny_model)
    trainer.go_on.set()
    jobs, launcher = registry(store, sample_data, trainer)
    before = store.save(saved_result(tiny_model, test_accuracy=default_accuracy))
    store.set_default(before.run_id)
    jobs.start(CONFIG, request_)
    launcher.join()
    done = jobs.snapshot()
    assert done.made_default is made_default
    assert store.default_run_id() == (done.run_id if made_default else before.run_id)
    assert jobs.record(done.job_id).made_default is made_default


def test_a_run_that_does_not_win_leaves_the_default_where_it_was_even_with_none_on_file(store, sample_data, tiny_model):
    """With no choice on file the store falls back to its newest run: the old default is written down instead."""
    trainer = FakeTrainer(tiny_model)
    trainer.go_on.set()
    jobs, launcher = registry(store, sample_data, trainer)
    better = store.save(saved_result(tiny_model, test_accuracy=0.9))
    jobs.start(CONFIG)
    launcher.join()
    assert store.default_run_id() == better.run_id != jobs.snapshot().run_id


def test_a_demo_registry_neither_starts_nor_stops_a_training(store, sample_data, tiny_model):
    trainer = FakeTrainer(tiny_model)
    jobs, launcher = registry(store, sample_data, trainer)
    demo = TrainingJobs(store.root, launch=launcher, mode=Mode.DEMO)
    with pytest.raises(DemoModeRefusal, match="Training is off"):
        demo.start(CONFIG)
    assert demo.snapshot() is None and not launcher.threads

    jobs.start(CONFIG)  # a normal server on the same store keeps every right, and the demo one watches
    assert trainer.reported.wait(TIMEOUT_S)
    assert demo.snapshot().state == JobState.RUNNING
    with pytest.raises(DemoModeRefusal, match="Stopping a training is off"):
        demo.stop()
    assert demo.snapshot().state == JobState.RUNNING
    trainer.go_on.set()
    launcher.join()
    assert demo.snapshot().status == RunStatus.COMPLETED

"""Tests for core.jobs: the job registry driven by a fake trainer, so each test takes milliseconds.

Real training behind the registry is covered by tests/core/test_training.py and, through the Train
page, by tests/app/test_train_page.py. Threads meet through events here, never through sleeps.
"""

from __future__ import annotations

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
from core.jobs import JobBusyError, TrainingJobs
from core.progress import BatchProgress, EpochMetrics
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

    def __call__(self, config, data, *, on_batch, on_epoch, should_stop) -> TrainingResult:
        self.data = data
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
            status="stopped" if stopped else self.status,
            data_source="sample",
            not_sure_floor=0.5,
            temperature=1.0,
        )


@pytest.fixture()
def store(runs_dir) -> RunStore:
    return RunStore(runs_dir, shipped_dir=None)


def test_a_job_runs_stops_and_its_run_is_saved_and_made_active(store, sample_data, tiny_model, caplog):
    caplog.set_level(logging.INFO, logger="core.jobs")
    trainer = FakeTrainer(tiny_model, first_losses=(2.3, 2.1))
    jobs = TrainingJobs(store, lambda: sample_data, trainer)
    assert jobs.snapshot() is None

    first = jobs.start(CONFIG)
    assert (first.job_id, first.state, first.config) == (1, "starting", CONFIG)
    assert trainer.reported.wait(TIMEOUT_S)
    running = jobs.snapshot()
    assert running.state == "running" and running.is_running
    assert (running.epoch, running.batch, running.batches_per_epoch) == (1, 2, 2)
    assert running.batch_losses == (2.3, 2.1)
    assert trainer.data is sample_data

    jobs.stop()
    assert jobs.snapshot().state == "stopping" and jobs.snapshot().is_running
    trainer.go_on.set()
    done = jobs.wait(TIMEOUT_S)

    assert done.state == "done" and not done.is_running and done.error is None
    assert (done.status, done.test_accuracy) == ("stopped", 0.5)
    assert [metrics.complete for metrics in done.history] == [False]
    assert store.get(done.run_id).status == "stopped"
    assert store.active_run_id() == done.run_id
    messages = [record.getMessage() for record in caplog.records if record.name == "core.jobs"]
    assert len(messages) == 4, messages
    for words, message in zip(("started", "stop", "finished training", f"saved run {done.run_id}"), messages):
        assert words in message


@pytest.mark.parametrize("status, made_active", [("completed", True), ("diverged", False)])
def test_a_finished_run_is_made_active_unless_it_diverged(store, sample_data, tiny_model, status, made_active):
    trainer = FakeTrainer(tiny_model, status=status)
    trainer.go_on.set()
    jobs = TrainingJobs(store, lambda: sample_data, trainer)
    jobs.start(CONFIG)
    done = jobs.wait(TIMEOUT_S)
    assert (done.state, done.status) == ("done", status)
    assert store.get(done.run_id).status == status
    assert (store.active_run_id() == done.run_id) is made_active


def test_a_second_start_is_refused_while_a_job_runs(store, sample_data, tiny_model):
    trainer = FakeTrainer(tiny_model)
    jobs = TrainingJobs(store, lambda: sample_data, trainer)
    jobs.start(CONFIG)
    assert trainer.reported.wait(TIMEOUT_S)
    with pytest.raises(JobBusyError):
        jobs.start(CONFIG)
    assert jobs.snapshot().job_id == 1 and jobs.snapshot().is_running

    trainer.go_on.set()
    assert jobs.wait(TIMEOUT_S).state == "done"
    assert jobs.start(CONFIG).job_id == 2  # once the first has ended, the next one starts
    assert jobs.wait(TIMEOUT_S).state == "done"
    assert len(store.list_runs()) == 2


def test_an_invalid_config_is_refused_before_any_job_starts(store, sample_data, tiny_model):
    jobs = TrainingJobs(store, lambda: sample_data, FakeTrainer(tiny_model))
    with pytest.raises(ValueError, match="earning rate"):
        jobs.start(dataclasses.replace(CONFIG, learning_rate=0.0))
    assert jobs.snapshot() is None


def test_a_trainer_that_raises_fails_the_job_with_its_message_and_logs_the_traceback(store, sample_data, tiny_model, caplog):
    trainer = FakeTrainer(tiny_model, error=RuntimeError("the disk is full"))
    jobs = TrainingJobs(store, lambda: sample_data, trainer)
    jobs.start(CONFIG)
    failed = jobs.wait(TIMEOUT_S)

    assert failed.state == "failed" and not failed.is_running
    assert failed.error == "RuntimeError: the disk is full"  # what the page shows
    assert failed.run_id is None and store.list_runs() == []
    [record] = [record for record in caplog.records if record.name == "core.jobs" and record.levelno == logging.ERROR]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text and "the disk is full" in caplog.text


def test_a_snapshot_keeps_the_batch_losses_it_was_taken_with(store, sample_data, tiny_model):
    trainer = FakeTrainer(tiny_model, first_losses=(2.3,), later_losses=(1.9, math.inf))
    jobs = TrainingJobs(store, lambda: sample_data, trainer)
    jobs.start(CONFIG)
    assert trainer.reported.wait(TIMEOUT_S)
    earlier = jobs.snapshot()
    assert jobs.snapshot() is earlier  # no new batch, no new copy
    trainer.go_on.set()
    done = jobs.wait(TIMEOUT_S)

    assert earlier.batch_losses == (2.3,)
    assert done.batch_losses[:2] == (2.3, 1.9)
    assert math.isnan(done.batch_losses[2])  # an infinite loss is drawn as a gap
    assert done.batch == 3

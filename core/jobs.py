"""A training job on a background thread, observed through immutable snapshots.

One `TrainingJobs` per server: it refuses a second job while one runs, so two cores are never
split between two trainings, and any number of viewers can poll the same job. The trainer is a
parameter, so tests drive the registry with a fake that trains nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Callable, Protocol

from core.config import TrainingConfig
from core.data import MnistData
from core.progress import BatchProgress, EpochMetrics, RunStatus
from core.runs import RunStore

if TYPE_CHECKING:
    from core.training import TrainingResult

logger = logging.getLogger(__name__)


class JobState(StrEnum):
    """Where a training job is in its life, in order; only `DONE` and `FAILED` are final."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"  # asked to stop: ends after the current batch, then saves
    SAVING = "saving"
    DONE = "done"
    FAILED = "failed"


RUNNING_STATES = frozenset({JobState.STARTING, JobState.RUNNING, JobState.STOPPING, JobState.SAVING})


class JobBusyError(RuntimeError):
    """A job is already training on this server."""


@dataclass(frozen=True)
class JobSnapshot:
    """Everything a viewer needs to draw a job, copied under the lock so it never changes."""

    job_id: int
    state: JobState
    config: TrainingConfig
    started_at: float  # time.time()
    epoch: int = 0  # 1-based epoch in progress
    batch: int = 0
    batches_per_epoch: int = 0
    images_per_second: float = 0.0
    elapsed_s: float = 0.0
    history: tuple[EpochMetrics, ...] = ()
    batch_losses: tuple[float, ...] = ()  # every batch's loss, all epochs, for the smoothed curve
    run_id: str | None = None
    status: RunStatus | None = None  # once saved
    test_accuracy: float | None = None
    error: str | None = None

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES

    @property
    def epoch_fraction(self) -> float:
        """Share of the current epoch done, 0..1."""
        return min(1.0, self.batch / self.batches_per_epoch) if self.batches_per_epoch else 0.0

    @property
    def overall_fraction(self) -> float:
        """Share of all epochs done, 0..1."""
        if not self.batches_per_epoch:
            return 1.0 if self.state == JobState.DONE else 0.0
        return min(1.0, (max(self.epoch - 1, 0) + self.epoch_fraction) / self.config.epochs)

    @property
    def eta_s(self) -> float | None:
        """Seconds of training left at the current speed (validation and saving not included)."""
        if not self.is_running or self.images_per_second <= 0 or not self.batches_per_epoch:
            return None
        batches_left = (self.config.epochs - self.epoch) * self.batches_per_epoch + (
            self.batches_per_epoch - self.batch
        )
        return batches_left * self.config.batch_size / self.images_per_second


class Trainer(Protocol):
    """What a job calls on its thread: the signature of `core.training.train`."""

    def __call__(
        self,
        config: TrainingConfig,
        data: MnistData,
        *,
        on_batch: Callable[[BatchProgress], None],
        on_epoch: Callable[[EpochMetrics], None],
        should_stop: Callable[[], bool],
    ) -> TrainingResult: ...


def import_and_train(
    config: TrainingConfig,
    data: MnistData,
    *,
    on_batch: Callable[[BatchProgress], None],
    on_epoch: Callable[[EpochMetrics], None],
    should_stop: Callable[[], bool],
) -> TrainingResult:
    """`core.training.train`, imported when called so TensorFlow loads on the job's thread, not the page's."""
    from core.training import train

    return train(config, data, on_batch=on_batch, on_epoch=on_epoch, should_stop=should_stop)


class TrainingJobs:
    """Starts at most one training at a time and keeps the latest job's snapshot."""

    def __init__(
        self, store: RunStore, load_data: Callable[[], MnistData], trainer: Trainer = import_and_train
    ) -> None:
        self._store = store
        self._load_data = load_data
        self._trainer = trainer
        self._lock = threading.Lock()
        self._snapshot: JobSnapshot | None = None
        # Appended to per batch and copied into a snapshot only when a viewer asks: a tuple rebuilt
        # on every batch would cost O(n²) over a long training.
        self._batch_losses: list[float] = []
        self._stop = threading.Event()
        self._next_id = 1
        self._thread: threading.Thread | None = None

    def snapshot(self) -> JobSnapshot | None:
        """The running job, or the last one to finish, or None before any."""
        with self._lock:
            if self._snapshot is not None and len(self._snapshot.batch_losses) != len(self._batch_losses):
                self._snapshot = dataclasses.replace(self._snapshot, batch_losses=tuple(self._batch_losses))
            return self._snapshot

    def wait(self, timeout: float | None = None) -> JobSnapshot | None:
        """Blocks until the latest job's thread ends, or `timeout` seconds pass; returns its snapshot."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.snapshot()

    def start(self, config: TrainingConfig) -> JobSnapshot:
        """Launches training on a daemon thread and returns its first snapshot.

        Raises:
            ValueError: the config is invalid.
            JobBusyError: a job is already running on this server.
        """
        config.validate()
        with self._lock:
            if self._snapshot is not None and self._snapshot.is_running:
                raise JobBusyError("A training job is already running; watch it or stop it first.")
            self._stop.clear()
            self._snapshot = JobSnapshot(job_id=self._next_id, state=JobState.STARTING, config=config, started_at=time.time())
            self._batch_losses = []
            self._next_id += 1
            snapshot = self._snapshot
            self._thread = threading.Thread(
                target=self._run, args=(snapshot.job_id, config), name=f"training-job-{snapshot.job_id}", daemon=True
            )
        logger.info("Job %d started: %s", snapshot.job_id, config.to_dict())
        self._thread.start()
        return snapshot

    def stop(self) -> None:
        """Asks the running job to end after its current batch; the run is still saved."""
        with self._lock:
            if self._snapshot is not None and self._snapshot.state in (JobState.STARTING, JobState.RUNNING):
                self._stop.set()
                self._snapshot = dataclasses.replace(self._snapshot, state=JobState.STOPPING)
                logger.info("Job %d asked to stop after its current batch", self._snapshot.job_id)

    def _update(self, **changes: object) -> None:
        with self._lock:
            assert self._snapshot is not None
            self._snapshot = dataclasses.replace(self._snapshot, **changes)

    def _on_batch(self, progress: BatchProgress) -> None:
        with self._lock:
            assert self._snapshot is not None
            state = JobState.STOPPING if self._stop.is_set() else JobState.RUNNING
            self._batch_losses.append(progress.loss if math.isfinite(progress.loss) else float("nan"))
            self._snapshot = dataclasses.replace(
                self._snapshot,
                state=state,
                epoch=progress.epoch,
                batch=progress.batch,
                batches_per_epoch=progress.batches_per_epoch,
                images_per_second=progress.images_per_second,
                elapsed_s=progress.elapsed_s,
            )

    def _on_epoch(self, metrics: EpochMetrics) -> None:
        with self._lock:
            assert self._snapshot is not None
            self._snapshot = dataclasses.replace(self._snapshot, history=self._snapshot.history + (metrics,))

    def _run(self, job_id: int, config: TrainingConfig) -> None:
        """The worker thread: train, save atomically, activate. Never raises."""
        try:
            result = self._trainer(
                config,
                self._load_data(),
                on_batch=self._on_batch,
                on_epoch=self._on_epoch,
                should_stop=self._stop.is_set,
            )
            logger.info("Job %d finished training (%s) in %.1f s; saving", job_id, result.status, result.duration_s)
            self._update(state=JobState.SAVING)
            record = self._store.save(result)
            if result.status != RunStatus.DIVERGED:  # A model whose loss overflowed predicts nonsense.
                self._store.set_active(record.run_id)
                logger.info("Job %d saved run %s and made it active", job_id, record.run_id)
            else:
                logger.warning("Job %d diverged: saved run %s, not made active", job_id, record.run_id)
            self._update(
                state=JobState.DONE, run_id=record.run_id, status=result.status, test_accuracy=result.test_accuracy
            )
        except Exception as error:  # The thread is the last line: the page shows the message, the log the traceback.
            logger.exception("Job %d failed", job_id)
            self._update(state=JobState.FAILED, error=f"{type(error).__name__}: {error}")

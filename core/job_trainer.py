"""The trainer process's end of the job protocol (see `core.job_files`): locks, state, progress, Stop.

Apart from the viewers' side so each reads on its own; the promises readers rely on sit together
here: one write per progress record, records before the state that follows them, locks held for life.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from types import TracebackType
from typing import Any, Callable

from core.config import TrainingConfig
from core.default_model import DefaultRequest
from core.job_files import JobFolder, JobRecord, JobState, hold_lock, read_config, read_record, write_record
from core.progress import BatchProgress, EpochMetrics

logger = logging.getLogger(__name__)

BATCH_RECORD_INTERVAL_S = 0.5  # batch progress at most twice a second: enough for a person, cheap to read
STOP_POLL_INTERVAL_S = 0.2
BUSY_ERROR = "Another training is already running in this run store."
NO_RESULT_ERROR = "The training process ended without saving a run."


class JobBusyError(RuntimeError):
    """A training is already running in this run store."""


class TrainerChannel:
    """The trainer process's end: holds the locks for its whole life, writes state and progress,
    notices Stop. Its methods fit `core.training.train`'s on_batch, on_epoch and should_stop.

    Used as a context manager: leaving it without `finish` or `fail` marks the job failed, with the
    exception if there was one, so the state never claims a run that was not saved.
    """

    def __init__(
        self,
        folder: JobFolder,
        record: JobRecord,
        config: TrainingConfig,
        locks: list[int],
        clock: Callable[[], float],
    ) -> None:
        """Use `claim`; the channel owns the lock descriptors from here on."""
        self.folder = folder
        self.config = config
        self._record = record
        self._clock = clock
        self._descriptors = locks  # closed by `close`
        self._progress = os.open(folder.progress_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._descriptors.append(self._progress)
        self._last_batch_recorded_at: float | None = None
        self._unrecorded_batch: BatchProgress | None = None
        self._stop_seen = False
        self._next_stop_check = clock()

    @classmethod
    def claim(cls, folder: JobFolder, *, clock: Callable[[], float] = time.monotonic) -> TrainerChannel:
        """Becomes the trainer of a `starting` job. `clock` paces batch records and stop checks.

        Raises:
            JobBusyError: another training holds this store (the job is marked failed).
            ValueError: the job is not waiting for a trainer, or its config is unreadable (marked failed).
        """
        job_lock = hold_lock(folder.trainer_lock_file)
        if job_lock is None:
            raise ValueError(f"Job {folder.job_id} already has a trainer.")
        locks = [job_lock]
        try:
            record = read_record(folder)  # under the lock: no viewer can declare the job dead meanwhile
            if record.state != JobState.STARTING or record.pid is not None:
                raise ValueError(f"Job {folder.job_id} is not waiting for a trainer (it is {record.state}).")
            try:
                store_lock = hold_lock(folder.store_lock_file)
                if store_lock is None:
                    raise JobBusyError(BUSY_ERROR)
                locks.append(store_lock)
                channel = cls(folder, record, read_config(folder), locks, clock)
                channel._update(pid=os.getpid())
                return channel
            except (JobBusyError, ValueError) as error:  # this job cannot run: tell its viewers
                write_record(folder, dataclasses.replace(record, state=JobState.FAILED, error=str(error)))
                raise
        except BaseException:
            for descriptor in locks:  # the channel's own descriptors included: it shares this list
                os.close(descriptor)
            raise

    @property
    def state(self) -> JobState:
        return self._record.state

    def _update(self, **changes: Any) -> None:
        self._record = write_record(self.folder, dataclasses.replace(self._record, **changes))

    def _append(self, kind: str, values: dict[str, Any]) -> None:
        line = memoryview((json.dumps({"kind": kind, **values}) + "\n").encode("utf-8"))
        while line:  # one write, unless the disk is full or a signal interrupts it
            line = line[os.write(self._progress, line) :]

    def _record_unrecorded_batch(self) -> None:
        if self._unrecorded_batch is not None:
            self._append("batch", self._unrecorded_batch.to_dict())
            self._unrecorded_batch = None

    def record_batch(self, progress: BatchProgress) -> None:
        """Records at most one batch per BATCH_RECORD_INTERVAL_S, plus the first and each epoch's last;
        a batch held back is recorded before the next epoch or state change."""
        if self._record.state == JobState.STARTING:
            self._update(state=JobState.RUNNING)
        self._unrecorded_batch = progress
        now, last = self._clock(), self._last_batch_recorded_at
        if last is None or now - last >= BATCH_RECORD_INTERVAL_S or progress.batch >= progress.batches_per_epoch:
            self._last_batch_recorded_at = now
            self._record_unrecorded_batch()

    def record_epoch(self, metrics: EpochMetrics) -> None:
        self._record_unrecorded_batch()
        self._append("epoch", metrics.to_dict())

    def stop_requested(self) -> bool:
        """Whether Stop was asked for; looks at the disk at most every STOP_POLL_INTERVAL_S."""
        if not self._stop_seen and self._clock() >= self._next_stop_check:
            self._next_stop_check = self._clock() + STOP_POLL_INTERVAL_S
            if self.folder.stop_file.exists():
                self._stop_seen = True
                if self._record.state in (JobState.STARTING, JobState.RUNNING):
                    self._update(state=JobState.STOPPING)
        return self._stop_seen

    def mark_saving(self) -> None:
        self._record_unrecorded_batch()
        self._update(state=JobState.SAVING)

    @property
    def default_request(self) -> DefaultRequest:
        return self._record.default_request

    def finish(self, run_id: str, status: str, test_accuracy: float, made_default: bool = False) -> None:
        self._record_unrecorded_batch()
        self._update(
            state=JobState.DONE, run_id=run_id, status=status, test_accuracy=test_accuracy, made_default=made_default
        )

    def fail(self, error: str) -> None:
        self._record_unrecorded_batch()
        self._update(state=JobState.FAILED, error=error)

    def close(self) -> None:
        """Releases the locks (the kernel does it too if the process dies first)."""
        while self._descriptors:
            os.close(self._descriptors.pop())

    def __enter__(self) -> TrainerChannel:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if self._record.is_running:
                if error is not None:
                    logger.error("Job %s failed", self.folder.job_id, exc_info=(kind, error, trace))
                self.fail(f"{type(error).__name__}: {error}" if error is not None else NO_RESULT_ERROR)
        except OSError:
            logger.exception("Job %s: could not record its failure", self.folder.job_id)
        finally:
            self.close()

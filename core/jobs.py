"""Training jobs as seen from a page server: launch one, watch it, stop it.

A job trains in its own OS process (`core.job_runner`) and talks to viewers only through its files
in the run store (`core.job_files`), so it outlives the server that launched it, and a training
started anywhere, the command line included, shows up live in every server watching the store.
One training at a time per store: the trainer's lock decides, and a second start is refused.
Adapting a run to kept digits (`core.adapt`) is a job too, under the same lock. A demo server's registry
refuses to start or stop one (`core.mode`). The launcher and the kept digits' source are parameters,
so tests run the trainer on a thread with a fake that trains nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from core.adapt import adaptation_config, check_kept_digits
from core.config import TrainingConfig
from core.default_model import DefaultRequest
from core.job_files import (
    RUNNING_STATES,
    JobFolder,
    JobState,
    JobRecord,
    JobView,
    create_job,
    current_job,
    job_folder,
    job_is_running,
    read_job,
    request_stop,
)
from core.job_trainer import BUSY_ERROR, JobBusyError
from core.mode import Mode, SharedAction, refuse_in_demo
from core.progress import EpochMetrics, RunStatus

if TYPE_CHECKING:
    from core.runs import RunRecord

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Launcher = Callable[[JobFolder], None]
KeptDigits = tuple[np.ndarray, np.ndarray]  # images (n, 28, 28) float32 in [0, 1], labels (n,)
KeptDigitsSource = Callable[[str | None], KeptDigits]  # a writer's name, or None for everyone's, to their digits

__all__ = ["JobBusyError", "JobSnapshot", "JobState", "TrainingJobs", "launch_trainer_process"]


@dataclass(frozen=True)
class JobSnapshot:
    """Everything a viewer needs to draw a job, as read from its files; it never changes."""

    job_id: str
    state: JobState
    config: TrainingConfig
    started_at: float  # time.time()
    epoch: int = 0  # 1-based epoch in progress
    batch: int = 0
    batches_per_epoch: int = 0
    images_per_second: float = 0.0
    elapsed_s: float = 0.0
    history: tuple[EpochMetrics, ...] = ()
    batch_losses: tuple[float, ...] = ()  # the recorded batches' losses (at most two a second)
    batch_positions: tuple[float, ...] = ()  # where each of those batches sits, in epochs
    run_id: str | None = None
    status: RunStatus | None = None  # once saved
    test_accuracy: float | None = None
    made_default: bool | None = None  # once saved: whether the run became the store's default
    error: str | None = None

    @classmethod
    def from_view(cls, view: JobView, config: TrainingConfig) -> JobSnapshot:
        record, last = view.record, view.last_batch
        progress = {}
        if last is not None:
            progress = dict(
                epoch=last.epoch,
                batch=last.batch,
                batches_per_epoch=last.batches_per_epoch,
                images_per_second=last.images_per_second,
                elapsed_s=last.elapsed_s,
            )
        return cls(
            job_id=record.job_id,
            state=record.state,
            config=config,
            started_at=record.started_at,
            history=view.history,
            # An overflowed loss is drawn as a gap in the curve.
            batch_losses=tuple(loss if math.isfinite(loss) else math.nan for loss in view.batch_losses),
            batch_positions=view.batch_positions,
            run_id=record.run_id,
            status=RunStatus(record.status) if record.status is not None else None,
            test_accuracy=record.test_accuracy,
            made_default=record.made_default,
            error=record.error,
            **progress,
        )

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


def launch_trainer_process(folder: JobFolder) -> None:
    """Starts `python -m core.job_runner FOLDER` in a session of its own, so it outlives this server."""
    with open(folder.trainer_log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.job_runner", str(folder.path)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C or SIGTERM to the server's group must not end the training
        )
    logger.info("Job %s launched as process %d", folder.job_id, process.pid)
    # Reaps the child when it ends; nothing waits on it otherwise, and the job never depends on it.
    threading.Thread(target=process.wait, name=f"reap-trainer-{process.pid}", daemon=True).start()


def kept_digits_of(writer: str | None) -> KeptDigits:
    """The kept-digit store's digits as the model takes them (`core.kept_digits`, opened at its default place)."""
    from core.kept_digits import open_store

    return open_store().training_arrays(writer)


class TrainingJobs:
    """Launches jobs in one run store and shows its current one; shared by every session of a server."""

    def __init__(
        self,
        runs_root: Path,
        launch: Launcher = launch_trainer_process,
        mode: Mode = Mode.NORMAL,
        kept_digits: KeptDigitsSource = kept_digits_of,
    ) -> None:
        self._runs_root = runs_root
        self._launch = launch
        self._mode = mode
        self._kept_digits = kept_digits
        self._lock = threading.Lock()  # one start at a time from this server, and one view cache
        self._view: JobView | None = None  # the last read, so a poll reads only the progress added since

    def _read(self, folder: JobFolder) -> JobView:
        """The job as it stands, reading only the progress added since this server's last read."""
        with self._lock:
            self._view = read_job(folder, since=self._view)
            return self._view

    def snapshot(self) -> JobSnapshot | None:
        """The running job, or the last one to finish, or None before any; wherever it was started."""
        folder = current_job(self._runs_root)
        if folder is None:
            return None
        view = self._read(folder)
        if view.config is None:  # unreadable: read_job has logged why and marked the job failed
            return None
        return JobSnapshot.from_view(view, view.config)

    def record(self, job_id: str) -> JobRecord:
        """One job's state as it stands, whether or not it is the current one (a dead trainer's reads failed)."""
        return read_job(job_folder(self._runs_root, job_id)).record

    def start(self, config: TrainingConfig, default_request: DefaultRequest = DefaultRequest.IF_BETTER) -> JobSnapshot:
        """Launches a trainer process for `config` and returns the job's first snapshot.

        `default_request` says when the run becomes the store's default (`core.default_model`).

        Raises:
            DemoModeRefusal: this is a demo server.
            ValueError: the config is invalid.
            JobBusyError: a training is already running in this run store, wherever it was started.
        """
        refuse_in_demo(self._mode, SharedAction.TRAINING)
        config.validate()
        kept_digits = None
        if config.kept_digits:
            kept_digits = self._kept_digits(None)
            config = dataclasses.replace(config, kept_digit_count=len(kept_digits[1]))
        return self._launch_job(config, default_request, kept_digits)

    def adapt(self, source: RunRecord, writer: str | None = None, seed: int = 0) -> JobSnapshot:
        """Launches a process that fine-tunes `source` on the kept digits (a writer's, or everyone's) into a
        new run, which never becomes the default by itself.

        Raises:
            DemoModeRefusal: this is a demo server.
            ValueError: there are no usable kept digits.
            JobBusyError: a training or adaptation is already running in this run store.
        """
        refuse_in_demo(self._mode, SharedAction.ADAPTING)
        images, labels = self._kept_digits(writer)
        check_kept_digits(images, labels)
        config = adaptation_config(source, len(labels), seed)
        return self._launch_job(config, DefaultRequest.NEVER, (images, labels))

    def _launch_job(
        self, config: TrainingConfig, default_request: DefaultRequest, kept_digits: KeptDigits | None
    ) -> JobSnapshot:
        with self._lock:
            if job_is_running(self._runs_root):
                raise JobBusyError(f"{BUSY_ERROR} Watch it or stop it first.")
            folder = create_job(self._runs_root, config, default_request, kept_digits)
            logger.info("Job %s created: %s", folder.job_id, config.to_dict())
            self._launch(folder)
        snapshot = self.snapshot()
        assert snapshot is not None  # the job just created is at least the newest
        return snapshot

    def stop(self) -> None:
        """Asks the running job, in whatever process, to end after its current batch; the run is still saved.

        Raises:
            DemoModeRefusal: this is a demo server.
        """
        refuse_in_demo(self._mode, SharedAction.STOPPING_TRAINING)
        folder = current_job(self._runs_root)
        if folder is not None and self._read(folder).record.state in (JobState.STARTING, JobState.RUNNING):
            request_stop(folder)
            logger.info("Job %s asked to stop after its current batch", folder.job_id)

    def trainer_log(self, job_id: str) -> str | None:
        """The end of that job's trainer log, or None when it was run in a terminal (its log is there)."""
        return job_folder(self._runs_root, job_id).trainer_log_tail()

"""The training-job protocol on disk: a trainer process and its viewers meet only in the run store.

Like TensorBoard's log folder, the files are the whole interface, so any server (or a restarted one)
watches a job live wherever it was started, and a trainer never depends on a viewer being alive.

    <runs_root>/.jobs/
    ├── lock                        held (flock) by the one live trainer: one training per store
    └── 20261201-221530-482-3fa9/   job id: UTC start to the millisecond + random suffix, sorts by start
        ├── config.json             TrainingConfig, written once by the launcher
        ├── kept_digits.npz         the kept digits a job learns from, when its config asks for them (written once)
        ├── state.json              JobRecord, replaced whole: temp file, fsync, os.replace
        ├── progress.jsonl          {"kind": "batch" | "epoch", ...} lines, each one os.write on O_APPEND
        ├── trainer.lock            held (flock) by this job's trainer for its whole life
        ├── stop                    present: stop after the current batch
        └── trainer.log             the trainer process's output, when a launcher started it

    launcher (page, CLI)   trainer process                                    viewer (any process)
    create_job: config.json + state.json{starting}; the folder appears whole (rename)
    spawn ───────────────► TrainerChannel.claim (core.job_trainer): trainer.lock, then lock
                           state{starting, pid}
                           record_batch (≤ 2 Hz), record_epoch ─► progress.jsonl ◄─ read_job(folder, since=view)
                           state{running}                                            reads only the new bytes
    request_stop ─► stop ◄─ stop_requested() (the disk at most 5 times a second)
                           state{stopping}, mark_saving: state{saving}, RunStore.save
                           finish: state{done} | fail: state{failed}
                           exit or SIGKILL: the kernel frees both locks ─────► lock free, state running:
                                                                                killed, state{failed}

Two kinds of job share all of this: a training, and an adaptation (`config.adapted_from` names the run it
fine-tunes on kept_digits.npz, `core.adapt`). The launcher copies the kept digits into the job, so a job
never reads the kept-digit database and learns from exactly the digits it was started with.

Liveness: a viewer trusts a running state only while trainer.lock is held. If the viewer can take
that lock itself (shared, for a moment), no trainer is alive: the trainer was killed, or it never
claimed the job within STARTING_GRACE_S. The viewer then writes the job as failed, so every later
reader agrees, and the progress recorded so far stays readable. A claimed pid is a hint for people;
the lock is the truth, since pids are reused. A trainer must not fork (without exec) workers that
outlive it: they would inherit its locks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from core.config import TrainingConfig
from core.default_model import DefaultRequest
from core.progress import BatchProgress, EpochMetrics

logger = logging.getLogger(__name__)

JOBS_DIR = ".jobs"
STORE_LOCK_FILE = "lock"
CONFIG_FILE = "config.json"
STATE_FILE = "state.json"
PROGRESS_FILE = "progress.jsonl"
TRAINER_LOCK_FILE = "trainer.lock"
STOP_FILE = "stop"
KEPT_DIGITS_FILE = "kept_digits.npz"  # images (n, 28, 28) float32 in [0, 1], labels (n,) uint8
TRAINER_LOG_FILE = "trainer.log"  # a launched trainer process's stdout and stderr
TEMPORARY_PREFIX = ".tmp-"  # job folders being created or deleted; never listed

STARTING_GRACE_S = 60.0  # a launched trainer must claim its job this soon (Python start-up under load)
LOCK_PATIENCE_S = 1.0  # viewers hold a lock for a moment to probe it; a claiming trainer waits that out
KEEP_JOBS = 20

KILLED_ERROR = "The training process ended unexpectedly (killed?)"
NEVER_STARTED_ERROR = f"The training process did not start within {STARTING_GRACE_S:.0f} s."

_JOB_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-\d{3}-[0-9a-f]{4}$")


class JobState(StrEnum):
    """Where a job is in its life; the last two are final."""

    STARTING = "starting"  # launched; the trainer loads data and TensorFlow
    RUNNING = "running"
    STOPPING = "stopping"  # asked to stop: ends after the current batch, then saves
    SAVING = "saving"
    DONE = "done"
    FAILED = "failed"


RUNNING_STATES = frozenset({JobState.STARTING, JobState.RUNNING, JobState.STOPPING, JobState.SAVING})


@dataclass(frozen=True)
class JobFolder:
    """Where one job's files live; built only from ids this module generated or validated."""

    path: Path

    @property
    def job_id(self) -> str:
        return self.path.name

    @property
    def config_file(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def state_file(self) -> Path:
        return self.path / STATE_FILE

    @property
    def progress_file(self) -> Path:
        return self.path / PROGRESS_FILE

    @property
    def store_lock_file(self) -> Path:
        return self.path.parent / STORE_LOCK_FILE

    @property
    def trainer_lock_file(self) -> Path:
        return self.path / TRAINER_LOCK_FILE

    @property
    def stop_file(self) -> Path:
        return self.path / STOP_FILE

    @property
    def kept_digits_file(self) -> Path:
        return self.path / KEPT_DIGITS_FILE

    @property
    def trainer_log_file(self) -> Path:
        return self.path / TRAINER_LOG_FILE

    def trainer_log_tail(self, max_bytes: int = 8_000) -> str | None:
        """The end of the trainer process's log (its warnings, a traceback), or None for a job run in a terminal.

        Only the pages' launcher writes this file; the CLI's trainer prints to its own terminal.
        """
        try:
            with open(self.trainer_log_file, "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - max_bytes))
                return log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return None


@dataclass(frozen=True)
class JobRecord:
    """The contents of `state.json`."""

    job_id: str
    state: JobState
    started_at: float  # time.time() when the job was created
    updated_at: float
    pid: int | None = None  # set when a trainer claims the job
    run_id: str | None = None
    status: str | None = None  # "completed", "stopped" or "diverged" once saved
    test_accuracy: float | None = None
    error: str | None = None
    default_request: DefaultRequest = DefaultRequest.IF_BETTER  # what the launcher asked for the run
    made_default: bool | None = None  # once saved: whether the run became the store's default

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> JobRecord:
        """Raises ValueError for anything that is not a state this module wrote."""
        try:
            optional = {
                name: None if values.get(name) is None else kind(values[name])
                for name, kind in (
                    ("pid", int), ("run_id", str), ("status", str), ("test_accuracy", float), ("error", str),
                    ("made_default", bool),
                )
            }
            return cls(
                job_id=str(values["job_id"]),
                state=JobState(values["state"]),
                started_at=float(values["started_at"]),
                updated_at=float(values["updated_at"]),
                # Jobs written before the default rule asked for nothing: the rule's own default.
                default_request=DefaultRequest(values.get("default_request", DefaultRequest.IF_BETTER)),
                **optional,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"not a job state ({type(error).__name__}: {error})") from error


@dataclass(frozen=True)
class JobView:
    """Everything a viewer draws, read from the files; pass it back as `since` to read only what is new."""

    record: JobRecord  # as the view found it, a dead trainer's job already marked failed
    config: TrainingConfig | None  # None only when config.json is unreadable (the record then says failed)
    history: tuple[EpochMetrics, ...] = ()
    batches: tuple[BatchProgress, ...] = ()  # the recorded ones: at most two a second, each epoch's last
    progress_offset: int = 0  # bytes of progress.jsonl already read

    @property
    def last_batch(self) -> BatchProgress | None:
        return self.batches[-1] if self.batches else None

    @property
    def batch_losses(self) -> tuple[float, ...]:
        return tuple(batch.loss for batch in self.batches)

    @property
    def batch_positions(self) -> tuple[float, ...]:
        """Where each recorded batch sits on the learning curves, in epochs (records are sampled)."""
        return tuple(batch.epoch - 1 + batch.batch / batch.batches_per_epoch for batch in self.batches)


# ---- files ---------------------------------------------------------------------------------------


def _write_json_atomically(path: Path, value: Any) -> None:
    """A reader sees the old file or the new one, never half of either."""
    temporary = path.with_name(f"{TEMPORARY_PREFIX}{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with open(temporary, "x", encoding="utf-8") as file:
            json.dump(value, file, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> Any:
    """Raises ValueError naming the file when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path.name} is unreadable ({type(error).__name__}: {error})") from error


def write_record(folder: JobFolder, record: JobRecord) -> JobRecord:
    """Replaces state.json whole with `record`, stamped with the time of writing, and returns what was written.

    Raises:
        OSError: the disk refused the write (the old state stays).
    """
    record = dataclasses.replace(record, updated_at=time.time())
    _write_json_atomically(folder.state_file, record.to_dict())
    return record


def read_record(folder: JobFolder) -> JobRecord:
    """The job's state.json.

    Raises:
        ValueError: it is missing, broken or belongs to another job.
    """
    values = _read_json(folder.state_file)
    if not isinstance(values, dict):
        raise ValueError(f"{STATE_FILE} is unreadable (not an object)")
    try:
        record = JobRecord.from_dict(values)
    except ValueError as error:
        raise ValueError(f"{STATE_FILE} is unreadable ({error})") from error
    if record.job_id != folder.job_id:
        raise ValueError(f"{STATE_FILE} belongs to job {record.job_id!r}, not {folder.job_id!r}")
    return record


def read_config(folder: JobFolder) -> TrainingConfig:
    """The job's training configuration.

    Raises:
        ValueError: config.json is missing or unreadable.
    """
    values = _read_json(folder.config_file)
    try:
        return TrainingConfig.from_dict(values)
    except (TypeError, AttributeError) as error:
        raise ValueError(f"{CONFIG_FILE} is unreadable ({error})") from error


def read_kept_digits(folder: JobFolder) -> tuple[np.ndarray, np.ndarray] | None:
    """The kept digits the job learns from: (images (n, 28, 28) float32 in [0, 1], labels (n,) uint8), or
    None for a job that learns from none.

    Raises:
        ValueError: the file is there but unreadable.
    """
    if not folder.kept_digits_file.is_file():
        return None
    try:
        with np.load(folder.kept_digits_file) as arrays:
            return arrays["images"].astype(np.float32), arrays["labels"].astype(np.uint8)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{KEPT_DIGITS_FILE} is unreadable ({type(error).__name__}: {error})") from error


def read_progress(folder: JobFolder, offset: int = 0) -> tuple[list[BatchProgress | EpochMetrics], int]:
    """The progress records after byte `offset`, and the offset to read from next time.

    A last line without its newline is a record being written: it is left for the next read.
    A line that is not a record is logged and skipped.
    """
    try:
        with open(folder.progress_file, "rb") as file:
            file.seek(offset)
            data = file.read()
    except FileNotFoundError:  # nothing recorded yet
        return [], offset
    complete = data.rfind(b"\n") + 1
    records: list[BatchProgress | EpochMetrics] = []
    position = offset
    for line in data[:complete].splitlines(keepends=True):
        try:
            values = json.loads(line)
            kind = values.pop("kind")
            records.append({"batch": BatchProgress, "epoch": EpochMetrics}[kind].from_dict(values))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            logger.warning("Job %s: skipped a broken progress line at byte %d (%r)", folder.job_id, position, error)
        position += len(line)
    return records, offset + complete


# ---- locks ---------------------------------------------------------------------------------------


def hold_lock(path: Path) -> int | None:
    """Takes an exclusive lock for as long as the returned descriptor stays open; None when another
    process holds it. Waits up to LOCK_PATIENCE_S for viewers' momentary probes to pass."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + LOCK_PATIENCE_S
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                return None
            time.sleep(0.01)  # a probe lasts well under a millisecond


@contextlib.contextmanager
def _unheld(path: Path) -> Iterator[bool]:
    """Whether no process holds the lock; while True, none can take it (a shared lock is held)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # nobody ever locked it
        yield True
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(descriptor)  # closing releases the shared lock


def _current_record(folder: JobFolder, now: float) -> JobRecord:
    """The record as it truly stands: a running state with no live trainer becomes failed, on disk too.

    Raises:
        ValueError: state.json is unreadable.
    """
    record = read_record(folder)
    if not record.is_running:
        return record
    with _unheld(folder.trainer_lock_file) as no_trainer:
        if not no_trainer:
            return record
        record = read_record(folder)  # the trainer may have finished and exited since the first read
        if not record.is_running or (record.pid is None and now - record.started_at < STARTING_GRACE_S):
            return record
        error = KILLED_ERROR if record.pid is not None else NEVER_STARTED_ERROR
        logger.warning("Job %s (pid %s): %s Marking it failed.", folder.job_id, record.pid, error)
        record = dataclasses.replace(record, state=JobState.FAILED, error=error)
        try:
            record = write_record(folder, record)
        except OSError:  # a read-only store, say: every reader reaches the same verdict anyway
            logger.warning("Job %s: could not record that it failed.", folder.job_id, exc_info=True)
        return record


# ---- the launcher and viewers' side --------------------------------------------------------------


def _jobs_dir(runs_root: Path) -> Path:
    return runs_root / JOBS_DIR


def job_folder(runs_root: Path, job_id: str) -> JobFolder:
    """The folder of a job id, which must have the form this module generates.

    Raises:
        ValueError: not a job id (so no path can be smuggled in).
    """
    if not _JOB_ID_PATTERN.match(job_id):
        raise ValueError(f"{job_id!r} is not a job id.")
    return JobFolder(_jobs_dir(runs_root) / job_id)


def list_jobs(runs_root: Path) -> list[JobFolder]:
    """Every job folder, newest first."""
    root = _jobs_dir(runs_root)
    if not root.is_dir():
        return []
    names = sorted((path.name for path in root.iterdir() if _JOB_ID_PATTERN.match(path.name)), reverse=True)
    return [JobFolder(root / name) for name in names]


def create_job(
    runs_root: Path,
    config: TrainingConfig,
    default_request: DefaultRequest = DefaultRequest.IF_BETTER,
    kept_digits: tuple[np.ndarray, np.ndarray] | None = None,
) -> JobFolder:
    """Writes a new job, `starting`, for a trainer process to claim; the caller validates `config`.

    `kept_digits` (images (n, 28, 28) float32 in [0, 1], labels (n,)) are the digits the job learns from
    when its config includes kept digits or adapts a run.

    `default_request` travels with the job: the trainer applies the default rule (`core.default_model`)
    when it saves the run, whoever is still watching.

    The folder is built under a temporary name and renamed, so a reader never sees half a job.
    Finished jobs beyond the KEEP_JOBS newest are pruned.

    Raises:
        OSError: the disk refused the write.
    """
    root = _jobs_dir(runs_root)
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    moment = datetime.fromtimestamp(now, timezone.utc)
    job_id = f"{moment:%Y%m%d-%H%M%S}-{moment.microsecond // 1000:03d}-{secrets.token_hex(2)}"
    temporary = root / f"{TEMPORARY_PREFIX}{job_id}"
    temporary.mkdir()
    try:
        _write_json_atomically(temporary / CONFIG_FILE, config.to_dict())
        if kept_digits is not None:
            images, labels = kept_digits
            np.savez(temporary / KEPT_DIGITS_FILE, images=images.astype(np.float32), labels=labels.astype(np.uint8))
        record = JobRecord(job_id, JobState.STARTING, started_at=now, updated_at=now, default_request=default_request)
        _write_json_atomically(temporary / STATE_FILE, record.to_dict())
        (temporary / TRAINER_LOCK_FILE).touch()  # so viewers can probe it before the trainer claims
        os.rename(temporary, root / job_id)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    prune_jobs(runs_root)
    return JobFolder(root / job_id)


def read_job(folder: JobFolder, since: JobView | None = None, *, now: Callable[[], float] = time.time) -> JobView:
    """A job as it stands, reading only the progress added after `since` (an earlier view of it).

    Never raises for a broken job: it reads as failed, with the reason, and the reason is logged.
    """
    same_job = since is not None and since.record.job_id == folder.job_id
    history, batches, offset = (since.history, since.batches, since.progress_offset) if same_job else ((), (), 0)
    try:
        record = _current_record(folder, now())
        # config.json is written once, before the job folder appears.
        config = since.config if same_job and since.config is not None else read_config(folder)
    except ValueError as error:
        logger.warning("Job %s cannot be read: %s", folder.job_id, error)
        unknown_time = 0.0
        return JobView(JobRecord(folder.job_id, JobState.FAILED, unknown_time, unknown_time, error=str(error)), None)
    # The state is read before the progress: a trainer writes its last records before its last state.
    records, offset = read_progress(folder, offset)
    if record.state in (JobState.STARTING, JobState.RUNNING) and folder.stop_file.exists():
        record = dataclasses.replace(record, state=JobState.STOPPING)  # shown at once; the trainer follows
    return JobView(
        record=record,
        config=config,
        history=history + tuple(item for item in records if isinstance(item, EpochMetrics)),
        batches=batches + tuple(item for item in records if isinstance(item, BatchProgress)),
        progress_offset=offset,
    )


def _live_job(runs_root: Path) -> JobFolder | None:
    """The newest job whose trainer is alive or still expected."""
    for folder in list_jobs(runs_root):
        try:
            if _current_record(folder, time.time()).is_running:
                return folder
        except ValueError:
            continue  # a broken job is not running; read_job reports why
    return None


def current_job(runs_root: Path) -> JobFolder | None:
    """The job a viewer shows: the live one, else the newest (None before the first).

    Not simply the newest: of two jobs launched at once, the older may be the one that got the lock.
    """
    live = _live_job(runs_root)
    if live is not None:
        return live
    jobs = list_jobs(runs_root)
    return jobs[0] if jobs else None


def job_is_running(runs_root: Path) -> bool:
    """Whether a launcher should refuse a new job (the trainer's claim is what really decides)."""
    return _live_job(runs_root) is not None


def request_stop(folder: JobFolder) -> None:
    """Asks the job's trainer, in whatever process, to stop after its current batch and save."""
    folder.stop_file.touch()


def _remove_folder(path: Path) -> None:
    """Renames first, so no reader ever sees a half-deleted job, then deletes."""
    doomed = path.with_name(f"{TEMPORARY_PREFIX}deleted-{path.name}-{secrets.token_hex(2)}")
    os.rename(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def prune_jobs(runs_root: Path, keep: int = KEEP_JOBS) -> None:
    """Deletes finished jobs beyond the `keep` newest, and leftovers of interrupted creations and deletions."""
    for folder in list_jobs(runs_root)[keep:]:
        try:
            finished = not _current_record(folder, time.time()).is_running
        except ValueError:
            finished = True  # unreadable and old: nothing to show
        if finished:
            try:
                _remove_folder(folder.path)
            except OSError:
                logger.warning("Could not delete the old job folder %s", folder.path, exc_info=True)
    for leftover in _jobs_dir(runs_root).glob(f"{TEMPORARY_PREFIX}*"):
        with contextlib.suppress(OSError):  # another process may be removing it too
            if time.time() - leftover.stat().st_mtime > STARTING_GRACE_S:
                shutil.rmtree(leftover)

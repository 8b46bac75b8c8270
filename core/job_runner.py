"""The trainer of one job: claims it, trains, saves the run atomically, and reports through the run store.

`python -m core.job_runner JOB_FOLDER` is the process the Train page launches; `python -m core train`
calls `run_job` in its own process. Either way the job's files (`core.job_files`) are the only channel
to viewers, so a job outlives the server that started it and shows up in every server watching the store.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

import numpy as np

from core.config import TrainingConfig
from core.data import MnistData
from core.default_model import DefaultRequest, becomes_default
from core.job_files import JobFolder, job_folder, read_kept_digits
from core.job_trainer import TrainerChannel
from core.progress import BatchProgress, EpochMetrics, RunStatus
from core.runs import RunRecord, RunStore

if TYPE_CHECKING:
    from core.adapt import AdaptationReport
    from core.training import TrainingResult

logger = logging.getLogger(__name__)

TRAINER_NICENESS_VARIABLE = "DIGIT_LAB_TRAINER_NICENESS"
DEFAULT_TRAINER_NICENESS = 5  # chosen from bench.load's trade-off curve (README, "Load while training")
MAX_NICENESS = 19
AUTOGROUP_FILE = Path("/proc/self/autogroup")


def trainer_niceness(environ: dict[str, str] | None = None) -> int:
    """How far a trainer lowers its CPU priority: the variable's value (0-19), or the default."""
    value = (os.environ if environ is None else environ).get(TRAINER_NICENESS_VARIABLE, "")
    if not value.strip():
        return DEFAULT_TRAINER_NICENESS
    try:
        niceness = int(value)
    except ValueError:
        niceness = -1
    if not 0 <= niceness <= MAX_NICENESS:
        logger.warning(
            "%s=%r is not a whole number from 0 to %d; using %d",
            TRAINER_NICENESS_VARIABLE, value, MAX_NICENESS, DEFAULT_TRAINER_NICENESS,
        )
        return DEFAULT_TRAINER_NICENESS
    return niceness


def yield_cpu_to_pages(own_session: bool) -> None:
    """Lowers this trainer's CPU priority, so the page server's answers come before its batches.

    Called before TensorFlow starts its thread pools: on Linux each thread inherits its creator's niceness.
    Where the kernel groups processes by session (autogroup), niceness only ranks processes within a
    session, and sessions share the CPU evenly; a trainer in a session of its own (`own_session`, as the
    pages launch it) therefore lowers its session's priority too. A terminal's `python -m core train` does
    not: that would outlast it and slow the person's shell.
    """
    niceness = max(trainer_niceness(), os.getpriority(os.PRIO_PROCESS, 0))  # never raised back up
    if not niceness:
        return
    os.setpriority(os.PRIO_PROCESS, 0, niceness)  # this thread, before TensorFlow's pools exist
    logger.info("Trainer process %d runs at niceness %d", os.getpid(), niceness)
    if own_session and AUTOGROUP_FILE.exists():
        try:
            AUTOGROUP_FILE.write_text(str(niceness))
        except OSError as error:  # a kernel without the knob, or a sandbox that forbids it: nice still holds
            logger.warning("Could not lower the trainer session's priority: %s", error)


class Trainer(Protocol):
    """What a training job runs: the signature of `core.training.train`.

    `kept_digits` is the job's kept digits (`core.job_files.read_kept_digits`), None for a job without them.
    """

    def __call__(
        self,
        config: TrainingConfig,
        data: MnistData,
        *,
        kept_digits: tuple[np.ndarray, np.ndarray] | None,
        on_batch: Callable[[BatchProgress], None],
        on_epoch: Callable[[EpochMetrics], None],
        should_stop: Callable[[], bool],
    ) -> TrainingResult: ...


class Adapter(Protocol):
    """What an adaptation job runs: the signature of `core.adapt.adapt`."""

    def __call__(
        self,
        source: RunRecord,
        images: np.ndarray,
        labels: np.ndarray,
        data: MnistData,
        config: TrainingConfig,
        *,
        on_batch: Callable[[BatchProgress], None],
        on_epoch: Callable[[EpochMetrics], None],
        should_stop: Callable[[], bool],
    ) -> TrainingResult: ...


def import_and_train(
    config: TrainingConfig,
    data: MnistData,
    *,
    kept_digits: tuple[np.ndarray, np.ndarray] | None = None,
    on_batch: Callable[[BatchProgress], None],
    on_epoch: Callable[[EpochMetrics], None],
    should_stop: Callable[[], bool],
) -> TrainingResult:
    """`core.training.train`, imported when called: the job is claimed before TensorFlow's slow import."""
    from core.training import train

    return train(
        config, data, kept_digits=kept_digits, on_batch=on_batch, on_epoch=on_epoch, should_stop=should_stop
    )


def import_and_adapt(
    source: RunRecord,
    images: np.ndarray,
    labels: np.ndarray,
    data: MnistData,
    config: TrainingConfig,
    *,
    on_batch: Callable[[BatchProgress], None],
    on_epoch: Callable[[EpochMetrics], None],
    should_stop: Callable[[], bool],
) -> TrainingResult:
    """`core.adapt.adapt`, imported when called, like `import_and_train`."""
    from core.adapt import adapt

    return adapt(source, images, labels, data, config, on_batch=on_batch, on_epoch=on_epoch, should_stop=should_stop)


@dataclass(frozen=True)
class JobOutcome:
    """A finished job: the saved run, how its training ended, and whether it became the store's default."""

    run: RunRecord
    status: RunStatus
    test_accuracy: float
    duration_s: float
    made_default: bool
    default: RunRecord | None  # the store's default after the job
    adaptation: AdaptationReport | None  # an adaptation job's figures


def run_job(
    folder: JobFolder,
    store: RunStore,
    load_data: Callable[[], MnistData],
    *,
    trainer: Trainer = import_and_train,
    adapter: Adapter = import_and_adapt,
    on_batch: Callable[[BatchProgress], None] | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> JobOutcome:
    """Trains the job in `folder` (or adapts the run it names), saves its run in `store`, and makes it the
    store's default if the default rule (`core.default_model.becomes_default`) says so for the job's
    request. An adapted run never becomes the default by itself: the person chooses it.

    `on_batch` and `on_epoch` see every batch and epoch too (the CLI prints them).

    Raises:
        JobBusyError: another training holds this run store.
        ValueError: the job cannot run (not waiting for a trainer, bad config, data too small).
        Exception: whatever training raised; the job is marked failed with its message first.
    """
    with TrainerChannel.claim(folder) as channel:
        logger.info("Job %s claimed by process %d: %s", folder.job_id, os.getpid(), channel.config.to_dict())

        def record_batch(progress: BatchProgress) -> None:
            channel.record_batch(progress)
            if on_batch is not None:
                on_batch(progress)

        def record_epoch(metrics: EpochMetrics) -> None:
            channel.record_epoch(metrics)
            if on_epoch is not None:
                on_epoch(metrics)

        config = channel.config
        try:
            kept_digits = read_kept_digits(folder)
            progress = dict(on_batch=record_batch, on_epoch=record_epoch, should_stop=channel.stop_requested)
            if config.adapted_from is not None:
                if kept_digits is None:
                    raise ValueError("An adaptation needs kept digits, and this job has none.")
                result = adapter(store.get(config.adapted_from), *kept_digits, load_data(), config, **progress)
            else:
                result = trainer(config, load_data(), kept_digits=kept_digits, **progress)
        except ValueError as error:  # bad input (a batch larger than the data): a message, not a crash
            channel.fail(str(error))
            raise
        logger.info("Job %s trained (%s) in %.1f s; saving", folder.job_id, result.status, result.duration_s)
        channel.mark_saving()
        default_before = store.default_run()  # before the save: the new run may become the store's fallback
        run = store.save(result)
        made_default = becomes_default(
            DefaultRequest.NEVER if config.adapted_from is not None else channel.default_request,
            RunStatus(result.status),
            result.test_accuracy,
            default_before.test_accuracy if default_before is not None else None,
        )
        if made_default:
            store.set_default(run.run_id)
        elif default_before is not None and store.default_run_id() != default_before.run_id:
            store.set_default(default_before.run_id)  # with no choice on file, the newest run had become it
        logger.info("Job %s saved run %s%s", folder.job_id, run.run_id, " and made it the default" if made_default else "")
        channel.finish(run.run_id, result.status, result.test_accuracy, made_default)
    return JobOutcome(
        run, RunStatus(result.status), result.test_accuracy, result.duration_s, made_default, store.default_run(),
        result.adaptation,
    )


def main(arguments: Sequence[str] | None = None) -> int:
    """The trainer process: `python -m core.job_runner JOB_FOLDER`; its log goes to stderr."""
    from core.data import load_mnist
    from core.logging_setup import configure_logging

    # TensorFlow's C++ start-up chatter would bury the job's log; set before training imports it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    configure_logging()
    arguments = sys.argv[1:] if arguments is None else arguments
    if len(arguments) != 1:
        print("usage: python -m core.job_runner JOB_FOLDER", file=sys.stderr)
        return 2
    path = Path(arguments[0]).resolve()
    runs_root = path.parent.parent  # <runs>/.jobs/<job id>
    yield_cpu_to_pages(own_session=True)
    try:
        run_job(job_folder(runs_root, path.name), RunStore(runs_root), lambda: load_mnist(fallback_to_sample=True))
    except Exception:  # The job's state already says why; the traceback belongs in this process's log.
        logger.exception("Job %s ended without a run", path.name)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The run store: one folder per trained model, written atomically, plus the default one new sessions start with.

Plain files (JSON, `.keras`, `.npz`) so runs can be inspected by hand or live on shared storage.
Listing runs never imports Keras; only loading a model does.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from core.adapt import AdaptationReport
from core.config import TrainingConfig
from core.mode import Mode, SharedAction, refuse_in_demo
from core.progress import EpochMetrics, RunStatus
from core.realworld_report import RealworldReport, read_realworld_report
from core.uncertainty import DEFAULT_NOT_SURE_FLOOR, digit_probabilities

if TYPE_CHECKING:
    import keras

    from core.training import TrainingResult

logger = logging.getLogger(__name__)

RUNS_ENV_VAR = "DIGIT_LAB_RUNS"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUNS_DIR = PROJECT_ROOT / "runs"
SHIPPED_RUN_DIR = Path(__file__).resolve().parent / "assets" / "shipped_run"
SHIPPED_RUN_ID = "shipped"

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.json"
PREDICTIONS_FILE = "test_predictions.npz"
SUMMARY_FILE = "summary.json"
RUN_FILES = (MODEL_FILE, CONFIG_FILE, HISTORY_FILE, PREDICTIONS_FILE, SUMMARY_FILE)
ADAPTATION_FILE = "adaptation.json"  # an adapted run's figures (core.adapt.AdaptationReport)
DEFAULT_FILE = "default.json"
LEGACY_DEFAULT_FILE = "active.json"  # its name before sessions chose their own model; still read
TEMPORARY_PREFIX = ".tmp-"
# Temporary names carry their writer's process id: once that process is gone (a killed server), its
# leftovers are removed at the next start. Without a live writer's id, age decides: older than this
# is a save that died, not one under way (and a reused process id cannot keep a folder forever).
STALE_TEMPORARY_SECONDS = 600
_WRITER_PID = re.compile(r"\.pid(\d+)\.")
_RUN_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class RunRecord:
    """What the dashboard lists about a run, read from its `summary.json` and `config.json`."""

    run_id: str
    path: Path
    config: TrainingConfig
    status: RunStatus
    test_accuracy: float
    duration_s: float
    parameter_count: int
    epochs_completed: int
    created_at: str  # ISO 8601, UTC
    data_source: str
    shipped: bool
    not_sure_floor: float  # below this confidence the app answers "not sure"
    temperature: float  # softmax(log p / T) is calibrated; 1.0 for runs saved before it was fitted

    @property
    def label(self) -> str:
        """A one-line name for menus: id, architecture and accuracy."""
        return f"{self.run_id} · {self.config.architecture} · {self.test_accuracy:.2%}"


@dataclass(frozen=True)
class BrokenRun:
    """A run folder that cannot be read, shown in the list instead of crashing it."""

    run_id: str
    path: Path
    reason: str


def default_runs_dir() -> Path:
    """The folder named by `$DIGIT_LAB_RUNS`, or `runs/` in the project."""
    configured = os.environ.get(RUNS_ENV_VAR)
    return Path(configured).expanduser() if configured else DEFAULT_RUNS_DIR


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True), encoding="utf-8")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _not_sure_floor(summary: dict[str, Any]) -> float:
    """The "not sure" floor of a run's summary.

    Runs saved before the floor had one name call it "unsure_threshold"; runs saved before it was
    fitted have none and get the default.
    """
    return float(summary.get("not_sure_floor", summary.get("unsure_threshold", DEFAULT_NOT_SURE_FLOOR)))


def read_run(path: Path, *, shipped: bool = False) -> RunRecord:
    """Reads one run folder's record.

    Raises:
        ValueError: a file is missing or unreadable; the message names it.
    """
    for name in RUN_FILES:
        if not (path / name).is_file():
            raise ValueError(f"{name} is missing")
    try:
        summary = _read_json(path / SUMMARY_FILE)
        config = TrainingConfig.from_dict(_read_json(path / CONFIG_FILE))
        return RunRecord(
            run_id=SHIPPED_RUN_ID if shipped else path.name,
            path=path,
            config=config,
            status=RunStatus(summary["status"]),
            test_accuracy=float(summary["test_accuracy"]),
            duration_s=float(summary["duration_s"]),
            parameter_count=int(summary["parameter_count"]),
            epochs_completed=int(summary["epochs_completed"]),
            created_at=str(summary["created_at"]),
            data_source=str(summary["data_source"]),
            shipped=shipped,
            not_sure_floor=_not_sure_floor(summary),
            temperature=float(summary.get("temperature", 1.0)),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"summary.json or config.json is unreadable ({error})") from error


def _weights_only_copy(model: keras.Model) -> keras.Model:
    """The same network and weights without optimizer state, a third of the file size.

    Runs are for inference and inspection, never resumed, so the optimizer slots are dead weight.
    """
    # Rebuilt from its config, not keras.models.clone_model: Keras 3 compiles a clone of a compiled
    # model, so the copy would carry (and save) a fresh set of optimizer slots.
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def model_file_to_use(model: Path | None, runs_dir: Path) -> Path:
    """The `.keras` file a command should load: `model` (a file or a run folder), else the default run
    of `runs_dir`, else the shipped model. Reading never creates `runs_dir`.

    Raises:
        ValueError: no model was given and none is installed.
    """
    if model is not None:
        return model / MODEL_FILE if model.is_dir() else model
    if runs_dir.is_dir():
        store = RunStore(runs_dir)
        default = store.default_run_id()
        if default is not None:
            return store.get(default).path / MODEL_FILE
    if (SHIPPED_RUN_DIR / MODEL_FILE).is_file():
        return SHIPPED_RUN_DIR / MODEL_FILE
    raise ValueError("no trained model found; run `python -m core train` first or pass --model")


def not_sure_floor_for(model_path: Path) -> float:
    """The "not sure" floor saved with a model's run, or the default for a bare `.keras` file."""
    try:
        return read_run(model_path.parent).not_sure_floor
    except ValueError as error:
        logger.debug("%s is not in a readable run folder (%s); default \"not sure\" floor", model_path, error)
        return DEFAULT_NOT_SURE_FLOOR


def _writer_is_gone(temporary: Path) -> bool:
    """Whether the process named in a temporary's name has exited (False when no id is named)."""
    match = _WRITER_PID.search(temporary.name)
    if match is None:
        return False
    try:
        os.kill(int(match.group(1)), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


class RunStore:
    """Saves, lists and deletes runs under one folder, beside the shipped model, and keeps the default.

    `mode` is the server's: a demo server's store refuses every write (`core.mode`).
    """

    def __init__(self, root: Path, shipped_dir: Path | None = SHIPPED_RUN_DIR, mode: Mode = Mode.NORMAL) -> None:
        self.root = root
        self.mode = mode
        self.shipped_dir = shipped_dir if shipped_dir is not None and shipped_dir.is_dir() else None
        self.root.mkdir(parents=True, exist_ok=True)
        self.remove_stale_temporaries()

    # ---- reading -------------------------------------------------------------------------

    def _run_folders(self) -> list[Path]:
        return [
            path
            for path in self.root.iterdir()
            if path.is_dir() and not path.name.startswith(".") and _RUN_ID_PATTERN.match(path.name)
        ]

    def list_runs(self) -> list[RunRecord]:
        """Readable runs, newest first, the shipped model last."""
        records = []
        for path in self._run_folders():
            try:
                records.append(read_run(path))
            except ValueError:
                continue
        records.sort(key=lambda record: record.created_at, reverse=True)
        if self.shipped_dir is not None:
            records.append(read_run(self.shipped_dir, shipped=True))
        return records

    def broken_runs(self) -> list[BrokenRun]:
        """Run folders that cannot be read, with the reason, so the UI can show them."""
        broken = []
        for path in sorted(self._run_folders()):
            try:
                read_run(path)
            except ValueError as error:
                broken.append(BrokenRun(path.name, path, str(error)))
        return broken

    def get(self, run_id: str) -> RunRecord:
        """The record of one run.

        Raises:
            ValueError: no readable run has that id.
        """
        if run_id == SHIPPED_RUN_ID and self.shipped_dir is not None:
            return read_run(self.shipped_dir, shipped=True)
        if not _RUN_ID_PATTERN.match(run_id) or not (self.root / run_id).is_dir():
            raise ValueError(f"There is no run named {run_id!r}.")
        try:
            return read_run(self.root / run_id)
        except ValueError as error:
            raise ValueError(f"Run {run_id!r} is broken: {error}.") from error

    def history(self, run_id: str) -> list[EpochMetrics]:
        return [EpochMetrics.from_dict(item) for item in _read_json(self.get(run_id).path / HISTORY_FILE)]

    def test_probabilities(self, run_id: str) -> np.ndarray:
        """A run's (n_test, 10) float32 test-set probabilities over the digits (`digit_probabilities`).

        The analysis pages (confusion, calibration, misclassified) are about digits, so an
        eleven-output run's stored "not a digit" column is left out here.
        """
        with np.load(self.get(run_id).path / PREDICTIONS_FILE) as stored:
            return digit_probabilities(stored["probabilities"].astype(np.float32))

    def realworld_report(self, run_id: str) -> RealworldReport | None:
        """The run's real-handwriting figures and mistake pictures; None if it was never measured (or they are unreadable)."""
        return read_realworld_report(self.get(run_id).path)

    def adaptation(self, run_id: str) -> AdaptationReport | None:
        """What adapting produced the run achieved, or None for a run trained afresh.

        Raises:
            ValueError: unknown run, or its adaptation file is unreadable.
        """
        path = self.get(run_id).path / ADAPTATION_FILE
        if not path.is_file():
            return None
        try:
            return AdaptationReport.from_dict(_read_json(path))
        except (OSError, ValueError) as error:
            raise ValueError(f"Run {run_id!r}: {ADAPTATION_FILE} is unreadable ({error}).") from error

    def load_model(self, run_id: str) -> keras.Model:
        """Loads a run's model in Keras safe mode.

        Raises:
            ValueError: unknown run or unloadable model file.
        """
        from core.inference import load_model

        return load_model(self.get(run_id).path / MODEL_FILE)

    def load_predictor(self, run_id: str) -> Callable[[np.ndarray], np.ndarray]:
        """A run's quickest digits-to-probabilities function (NumPy, no TensorFlow, when it can).

        Raises:
            ValueError: unknown run or unloadable model file.
        """
        from core.numpy_model import load_predictor

        return load_predictor(self.get(run_id).path / MODEL_FILE)

    # ---- the default model ---------------------------------------------------------------

    def default_run_id(self) -> str | None:
        """The model new sessions start with: the chosen run if it still reads, else the shipped model, else
        the newest run that did not diverge."""
        # A store written before the rename keeps its choice in the legacy file until the next choice.
        chosen_file = next(
            (self.root / name for name in (DEFAULT_FILE, LEGACY_DEFAULT_FILE) if (self.root / name).exists()), None
        )
        try:
            if chosen_file is not None:
                return self.get(_read_json(chosen_file)["run_id"]).run_id
        except (OSError, ValueError, KeyError, TypeError) as error:  # unreadable, or the chosen run deleted
            logger.debug("No usable choice in %s (%s); falling back", chosen_file, error)
        if self.shipped_dir is not None:
            return SHIPPED_RUN_ID
        usable = [run for run in self.list_runs() if run.status != RunStatus.DIVERGED]  # a NaN model answers nothing
        return usable[0].run_id if usable else None

    def default_run(self) -> RunRecord | None:
        """The default run's record, or None when the store has no model at all."""
        run_id = self.default_run_id()
        return self.get(run_id) if run_id is not None else None

    def set_default(self, run_id: str) -> None:
        """Makes a run the model every new session of this store starts with.

        Raises:
            DemoModeRefusal: this is a demo server's store.
            ValueError: no readable run has that id.
        """
        refuse_in_demo(self.mode, SharedAction.CHANGING_DEFAULT)
        self.get(run_id)
        temporary = self._temporary_path(DEFAULT_FILE)
        _write_json(temporary, {"run_id": run_id})
        os.replace(temporary, self.root / DEFAULT_FILE)
        (self.root / LEGACY_DEFAULT_FILE).unlink(missing_ok=True)  # it would only mislead a reader

    # ---- writing -------------------------------------------------------------------------

    def _new_run_id(self, architecture: str) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        base = re.sub(r"[^a-z0-9-]", "-", f"{stamp}-{architecture.lower()}")[:56]
        candidate, number = base, 2
        while (self.root / candidate).exists():
            candidate, number = f"{base}-{number}", number + 1
        return candidate

    def save(self, result: TrainingResult) -> RunRecord:
        """Writes a run into a temporary folder, then renames it into place.

        A crash or kill before the rename leaves only a temporary folder, which is ignored by
        listing and removed later, so a half-written run is never listed.

        Raises:
            DemoModeRefusal: this is a demo server's store.
            OSError: the disk refused the write (the temporary folder is removed first).
        """
        refuse_in_demo(self.mode, SharedAction.SAVING_RUN)
        run_id = self._new_run_id(result.config.architecture)
        temporary = self._temporary_path(run_id)
        temporary.mkdir()
        try:
            _weights_only_copy(result.model).save(temporary / MODEL_FILE)
            _write_json(temporary / CONFIG_FILE, result.config.to_dict())
            _write_json(temporary / HISTORY_FILE, [metrics.to_dict() for metrics in result.history])
            np.savez_compressed(
                temporary / PREDICTIONS_FILE, probabilities=result.test_probabilities.astype(np.float32)
            )
            _write_json(
                temporary / SUMMARY_FILE,
                {
                    "status": result.status,
                    "test_accuracy": result.test_accuracy,
                    "duration_s": result.duration_s,
                    "parameter_count": int(result.model.count_params()),
                    "epochs_completed": sum(metrics.complete for metrics in result.history),
                    # Milliseconds: runs saved within one second must still list newest first.
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                    "data_source": result.data_source,
                    "not_sure_floor": result.not_sure_floor,
                    "temperature": result.temperature,
                },
            )
            if result.adaptation is not None:
                _write_json(temporary / ADAPTATION_FILE, result.adaptation.to_dict())
            os.rename(temporary, self.root / run_id)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        return self.get(run_id)

    def delete(self, run_id: str) -> None:
        """Deletes a run folder (readable or broken); the shipped model cannot be deleted.

        Raises:
            DemoModeRefusal: this is a demo server's store.
            ValueError: the shipped model, or no such run.
        """
        refuse_in_demo(self.mode, SharedAction.DELETING_RUN)
        if run_id == SHIPPED_RUN_ID:
            raise ValueError("The shipped model cannot be deleted.")
        if not _RUN_ID_PATTERN.match(run_id) or not (self.root / run_id).is_dir():
            raise ValueError(f"There is no run named {run_id!r}.")
        # Rename first so a reader never sees a half-deleted run, then remove at leisure.
        doomed = self._temporary_path(f"deleted-{run_id}")
        os.rename(self.root / run_id, doomed)
        shutil.rmtree(doomed, ignore_errors=True)

    def _temporary_path(self, label: str) -> Path:
        """A unique hidden name for work in progress, stamped with this process's id."""
        return self.root / f"{TEMPORARY_PREFIX}{label}.pid{os.getpid()}.{uuid.uuid4().hex[:8]}"

    def remove_stale_temporaries(self) -> None:
        """Removes temporary folders left by a save that was killed before its rename."""
        now = time.time()
        for path in self.root.glob(f"{TEMPORARY_PREFIX}*"):
            if _writer_is_gone(path) or now - path.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)

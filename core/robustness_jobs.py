"""Robustness measurements in the background: one thread per run at most, its progress read by any viewer.

The measurement itself is one call (`core.robustness.measure_run` by default, injected so tests use a
fake); this registry starts it, waits its turn in the server's heavy-work line (`core.limits.WorkSlots`)
when it is given one, and remembers how far it got. A demo server refuses to start one: the curves are
stored with the run, which every viewer shares.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from core.limits import WorkSlots
from core.mode import Mode, SharedAction, refuse_in_demo
from core.robustness import ProgressCallback, RobustnessResult, measure_run

logger = logging.getLogger(__name__)

Measure = Callable[[Path, np.ndarray, np.ndarray, ProgressCallback], RobustnessResult]


@dataclass(frozen=True)
class MeasurementStatus:
    """Where one run's measurement stands: the share done, its place in the heavy-work line while it waits
    (1-based; None once it runs), and the error's message if it failed."""

    running: bool
    share_done: float
    error: str | None = None
    place_in_line: int | None = None


class RobustnessJobs:
    """The server's robustness measurements, keyed by run id."""

    def __init__(self, measure: Measure = measure_run, slots: WorkSlots | None = None, mode: Mode = Mode.NORMAL) -> None:
        self._measure = measure
        self._slots = slots
        self._mode = mode
        self._lock = threading.Lock()
        self._statuses: dict[str, MeasurementStatus] = {}

    def start(self, run_id: str, run_folder: Path, images: np.ndarray, labels: np.ndarray) -> bool:
        """Starts measuring a run on a daemon thread; False (and nothing started) if it is already being measured.

        Raises:
            DemoModeRefusal: a demo server (the result would be stored with the shared run).
        """
        refuse_in_demo(self._mode, SharedAction.MEASURING_ROBUSTNESS)
        with self._lock:
            if run_id in self._statuses and self._statuses[run_id].running:
                return False
            self._statuses[run_id] = MeasurementStatus(running=True, share_done=0.0)
        thread = threading.Thread(
            target=self._run, args=(run_id, run_folder, images, labels), name=f"robustness-{run_id}", daemon=True
        )
        thread.start()
        return True

    def status(self, run_id: str) -> MeasurementStatus | None:
        """The run's measurement since this server started, or None if it never started one."""
        with self._lock:
            return self._statuses.get(run_id)

    def is_running(self, run_id: str) -> bool:
        status = self.status(run_id)
        return status is not None and status.running

    def _set(self, run_id: str, status: MeasurementStatus) -> None:
        with self._lock:
            self._statuses[run_id] = status

    def _run(self, run_id: str, run_folder: Path, images: np.ndarray, labels: np.ndarray) -> None:
        def wait(place: int) -> None:
            self._set(run_id, MeasurementStatus(running=True, share_done=0.0, place_in_line=place))

        try:
            # A background thread has no page to hold up, so it waits in line as long as it takes.
            with self._slots.slot(wait, patience_s=math.inf) if self._slots else contextlib.nullcontext():
                logger.info("measuring the robustness of run %s over %d digits", run_id, len(images))
                self._set(run_id, MeasurementStatus(running=True, share_done=0.0))
                self._measure(run_folder, images, labels, lambda share: self._set(run_id, MeasurementStatus(True, share)))
        except Exception as error:  # a background thread's failure must reach the page, not vanish
            logger.exception("measuring the robustness of run %s failed", run_id)
            self._set(run_id, MeasurementStatus(running=False, share_done=0.0, error=str(error)))
            return
        self._set(run_id, MeasurementStatus(running=False, share_done=1.0))

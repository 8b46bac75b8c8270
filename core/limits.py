"""Limits that keep one shared server quick for everyone: a rate per session, and few at once in heavy work.

Pure Python and thread-safe where shared, so the page glue (`ui/limits.py`) and any later heavy feature
reuse them; the clock is a parameter so tests never sleep.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from typing import Callable, Iterator


class ServerBusyError(RuntimeError):
    """Heavy work waited its whole patience for a free slot."""


class RateLimit:
    """At most `limit` events in any `window_s` seconds: a sliding window, e.g. one session's uploads.

    One per session, so it takes no lock: a session's script runs one at a time.
    """

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._times: collections.deque[float] = collections.deque()  # admitted events, oldest first

    def _forget_old(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.window_s:
            self._times.popleft()

    def try_acquire(self) -> bool:
        """Counts one event and returns True if the window has room; else counts nothing and returns False."""
        now = self._clock()
        self._forget_old(now)
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        return True

    def seconds_until_free(self) -> float:
        """How long until the window has room again (0 when it has room now)."""
        now = self._clock()
        self._forget_old(now)
        return 0.0 if len(self._times) < self.limit else self._times[0] + self.window_s - now


class WorkSlots:
    """At most `slots` callers at once inside heavy work; the rest wait in line, first come first served,
    and are told their place in it instead of stalling in silence."""

    def __init__(self, slots: int, clock: Callable[[], float] = time.monotonic) -> None:
        if slots < 1:
            raise ValueError(f"need at least one slot, not {slots}")
        self._slots = slots
        self._clock = clock
        self._busy = 0
        self._line: collections.deque[object] = collections.deque()
        self._condition = threading.Condition()

    @property
    def busy(self) -> int:
        """Slots in use now."""
        with self._condition:
            return self._busy

    def _take_or_place(self, ticket: object) -> int:
        """Takes a slot for `ticket` if it heads the line and one is free (returns 0); else its place in line, 1-based."""
        if self._line[0] is ticket and self._busy < self._slots:
            self._line.popleft()
            self._busy += 1
            self._condition.notify_all()  # the next in line may take another free slot
            return 0
        return self._line.index(ticket) + 1

    @contextlib.contextmanager
    def slot(self, on_wait: Callable[[int], None], patience_s: float) -> Iterator[None]:
        """Holds a slot for the block. While none is free, calls `on_wait(place in line)` whenever the place
        changes (outside the lock: it may draw on a page).

        Raises:
            ServerBusyError: no slot came free within `patience_s` seconds.
        """
        ticket = object()
        deadline = self._clock() + patience_s
        told = None
        with self._condition:
            self._line.append(ticket)
        try:
            while True:
                with self._condition:
                    place = self._take_or_place(ticket)
                    if place and place == told:
                        remaining = deadline - self._clock()
                        if remaining <= 0:
                            raise ServerBusyError(
                                "The server is busy with other people's heavy work; try again in a minute."
                            )
                        self._condition.wait(min(remaining, 1.0))
                        continue
                if not place:
                    break
                on_wait(place)
                told = place
        except BaseException:
            with self._condition:
                if ticket in self._line:
                    self._line.remove(ticket)
                    self._condition.notify_all()
            raise
        try:
            yield
        finally:
            with self._condition:
                self._busy -= 1
                self._condition.notify_all()

"""core.limits: a session's upload rate, and the line for heavy work (threads meet through events, never sleeps)."""

from __future__ import annotations

import threading

import pytest

from core.limits import RateLimit, ServerBusyError, WorkSlots

TIMEOUT_S = 10  # only reached when the slots are broken


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_admits_up_to_the_limit_in_any_window():
    clock = FakeClock()
    limit = RateLimit(3, window_s=60, clock=clock)
    assert [limit.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert limit.seconds_until_free() == 60
    clock.now += 59.5
    assert not limit.try_acquire() and limit.seconds_until_free() == pytest.approx(0.5)
    clock.now += 0.5  # the first three leave the window together
    assert limit.seconds_until_free() == 0
    assert [limit.try_acquire() for _ in range(4)] == [True, True, True, False]


def test_a_refused_event_is_not_counted():
    clock = FakeClock()
    limit = RateLimit(1, window_s=10, clock=clock)
    assert limit.try_acquire()
    clock.now += 5
    assert not limit.try_acquire()
    clock.now += 5
    assert limit.try_acquire()  # the refusal at +5 did not push the window on


def test_work_slots_hold_the_third_caller_in_line_and_tell_it_its_place():
    slots = WorkSlots(2)
    release = threading.Event()
    inside = threading.Semaphore(0)
    places: list[int] = []

    def worker(on_wait=lambda place: None) -> None:
        with slots.slot(on_wait, patience_s=TIMEOUT_S):
            inside.release()
            release.wait(TIMEOUT_S)

    holders = [threading.Thread(target=worker) for _ in range(2)]
    for thread in holders:
        thread.start()
    for _ in holders:
        assert inside.acquire(timeout=TIMEOUT_S)
    told = threading.Event()
    waiter = threading.Thread(target=worker, args=(lambda place: (places.append(place), told.set()),))
    waiter.start()
    assert told.wait(TIMEOUT_S)
    assert places == [1] and slots.busy == 2
    release.set()
    assert inside.acquire(timeout=TIMEOUT_S)  # the waiter got in once a slot came free
    for thread in (*holders, waiter):
        thread.join(TIMEOUT_S)
    assert slots.busy == 0


def test_a_caller_out_of_patience_is_told_the_server_is_busy_and_leaves_the_line():
    slots = WorkSlots(1)
    with slots.slot(lambda place: None, patience_s=0):
        with pytest.raises(ServerBusyError, match="busy"):
            with slots.slot(lambda place: None, patience_s=0):
                pass
        assert slots.busy == 1
    with slots.slot(lambda place: pytest.fail("no wait: the line is empty"), patience_s=0):
        assert slots.busy == 1
    assert slots.busy == 0


def test_a_slot_is_freed_when_the_work_fails():
    slots = WorkSlots(1)
    with pytest.raises(KeyError):
        with slots.slot(lambda place: None, patience_s=0):
            raise KeyError("boom")
    assert slots.busy == 0

"""The task scheduler behind collect: waits do not hold threads, limits hold, errors surface."""

from __future__ import annotations

import threading
from collections.abc import Generator

import pytest

from lpgen.scheduler import Lane, Scheduler


def test_waiting_tasks_overlap_on_one_thread() -> None:
    """20 tasks that each wait 0.2 s twice take 0.4 s of waiting on one thread, not 8 s."""
    clock = [0.0]
    done: list[int] = []

    def task(i: int) -> Generator[float, None, int]:
        yield 0.2
        yield 0.2
        return i

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    scheduler = Scheduler(1, max_active=20, sleep=sleep, monotonic=lambda: clock[0])
    for i in range(20):
        scheduler.submit(task(i), done=done.append)
    scheduler.run()
    assert sorted(done) == list(range(20))
    assert clock[0] == pytest.approx(0.4)


def test_real_threads_run_every_task() -> None:
    done: list[int] = []
    lock = threading.Lock()

    def task(i: int) -> Generator[float, None, None]:
        yield 0.001
        with lock:
            done.append(i)

    scheduler = Scheduler(3, max_active=5)
    for i in range(50):
        scheduler.submit(task(i))
    scheduler.run()
    assert sorted(done) == list(range(50))


def test_max_active_bounds_started_tasks_and_keeps_order() -> None:
    active = 0
    peak = 0
    order: list[int] = []
    lock = threading.Lock()

    def task(i: int) -> Generator[float, None, None]:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            order.append(i)
        yield 0.01
        with lock:
            active -= 1

    scheduler = Scheduler(2, max_active=3)
    for i in range(10):
        scheduler.submit(task(i))
    scheduler.run()
    assert peak <= 3
    assert order == list(range(10))


def test_a_paused_lane_waits_and_others_go_on() -> None:
    clock = [0.0]
    seen: list[tuple[str, float]] = []
    slow = Lane("slow")

    def task(name: str) -> Generator[float, None, None]:
        seen.append((name, clock[0]))
        if name == "a1":
            slow.pause(clock[0] + 5.0)
        yield 1.0
        seen.append((name, clock[0]))

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    scheduler = Scheduler(1, sleep=sleep, monotonic=lambda: clock[0])
    scheduler.submit(task("a1"), lane=slow)
    scheduler.submit(task("a2"), lane=slow)
    scheduler.submit(task("b1"), lane=Lane("fast"))
    scheduler.run()
    assert seen == [
        ("a1", 0.0),
        ("b1", 0.0),
        ("b1", 1.0),
        ("a1", 5.0),
        ("a2", 5.0),
        ("a2", 6.0),
    ]


def test_tasks_submitted_by_a_finishing_task_run_too() -> None:
    results: list[str] = []

    def child() -> Generator[float, None, str]:
        yield 0.0
        return "child"

    def parent(scheduler: Scheduler) -> Generator[float, None, str]:
        yield 0.0
        scheduler.submit(child(), done=results.append)
        return "parent"

    scheduler = Scheduler(1)
    scheduler.submit(parent(scheduler), done=results.append, gated=False)
    scheduler.run()
    assert sorted(results) == ["child", "parent"]


def test_an_exception_in_a_task_stops_the_run_and_is_raised() -> None:
    def bad() -> Generator[float, None, None]:
        yield 0.0
        raise ValueError("boom")

    def slow() -> Generator[float, None, None]:
        for _ in range(100):
            yield 0.05

    scheduler = Scheduler(2)
    scheduler.submit(bad())
    scheduler.submit(slow())
    with pytest.raises(ValueError, match="boom"):
        scheduler.run()

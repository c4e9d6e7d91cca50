"""Run many small waiting tasks on a few threads: a task is a generator that yields its waits.

Access Advisor work is mostly waiting (a job runs for seconds; a throttled call backs off).
A task yields the number of seconds it wants to wait; while it waits, its worker thread runs
the next task that is ready, so ``workers`` bounds the API calls in flight while many more
jobs can be in progress. ``max_active`` bounds the tasks started and not finished (jobs in
flight); tasks are started in submission order. A :class:`Lane` groups tasks (one AWS
account) so that a throttled call can pause all of them for a while.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

Task = Generator[float, None, Any]


@dataclass
class Lane:
    """Tasks that share a rate limit (one account's IAM endpoint)."""

    name: str = ""
    # Monotonic time before which no task of the lane runs (set by throttling).
    resume_at: float = 0.0

    def pause(self, until: float) -> None:
        self.resume_at = max(self.resume_at, until)


@dataclass(order=True)
class _Entry:
    at: float
    seq: int
    task: Task = field(compare=False)
    lane: Lane | None = field(compare=False)
    done: Callable[[Any], None] | None = field(compare=False)
    gated: bool = field(default=True, compare=False)


class Scheduler:
    """Runs tasks on ``workers`` threads; at most ``max_active`` started and unfinished.

    ``sleep``/``monotonic`` are for tests (a fake clock; use one worker with them).
    """

    def __init__(
        self,
        workers: int,
        *,
        max_active: int | None = None,
        sleep: Callable[[float], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workers = max(1, workers)
        self.max_active = max(1, max_active if max_active is not None else 8 * self.workers)
        self.monotonic = monotonic
        self._sleep = sleep
        self._cond = threading.Condition()
        self._heap: list[_Entry] = []
        self._waiting: deque[_Entry] = deque()
        self._seq = itertools.count()
        self._active = 0
        self._alive = 0
        self._running = 0
        self._stop = False
        self._error: BaseException | None = None

    def submit(
        self,
        task: Task,
        *,
        lane: Lane | None = None,
        done: Callable[[Any], None] | None = None,
        gated: bool = True,
    ) -> None:
        """Queue a task; ``done`` gets its return value (called on a worker thread).

        ``gated`` tasks count against ``max_active``; others (short set-up work) start at once.
        """
        with self._cond:
            entry = _Entry(0.0, next(self._seq), task, lane, done, gated)
            self._alive += 1
            if gated:
                self._waiting.append(entry)
                self._admit()
            else:
                entry.at = self.monotonic()
                heapq.heappush(self._heap, entry)
            self._cond.notify_all()

    def _admit(self) -> None:
        now = self.monotonic()
        while self._waiting and self._active < self.max_active:
            entry = self._waiting.popleft()
            entry.at, entry.seq = now, next(self._seq)
            self._active += 1
            heapq.heappush(self._heap, entry)

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def run(self) -> None:
        """Run until every task (including those submitted meanwhile) has finished."""
        threads = [
            threading.Thread(target=self._work, name=f"lpgen-worker-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.25)
        except BaseException:
            self.stop()
            raise
        if self._error is not None:
            raise self._error

    def _next(self) -> _Entry | None:
        with self._cond:
            while True:
                if self._stop or (self._alive == 0):
                    self._cond.notify_all()
                    return None
                now = self.monotonic()
                if self._heap and self._heap[0].at <= now:
                    entry = heapq.heappop(self._heap)
                    lane = entry.lane
                    if lane is not None and lane.resume_at > now:
                        entry.at = lane.resume_at
                        heapq.heappush(self._heap, entry)
                        continue
                    self._running += 1
                    return entry
                wait = self._heap[0].at - now if self._heap else None
                if self._sleep is not None and wait is not None and self._running == 0:
                    # A fake clock moves only when slept on: sleep outside the lock.
                    self._cond.release()
                    try:
                        self._sleep(wait)
                    finally:
                        self._cond.acquire()
                    continue
                self._cond.wait(wait if wait is not None else 0.5)

    def _work(self) -> None:
        while True:
            entry = self._next()
            if entry is None:
                return
            finished, result = False, None
            try:
                try:
                    delay = next(entry.task)
                except StopIteration as end:
                    finished, result = True, end.value
                if finished and entry.done is not None:
                    entry.done(result)
            except BaseException as exc:
                with self._cond:
                    self._error = self._error or exc
                    self._stop = True
                    self._running -= 1
                    self._cond.notify_all()
                return
            with self._cond:
                self._running -= 1
                if finished:
                    self._alive -= 1
                    if entry.gated:
                        self._active -= 1
                        self._admit()
                else:
                    entry.at = self.monotonic() + max(0.0, float(delay))
                    heapq.heappush(self._heap, entry)
                self._cond.notify_all()

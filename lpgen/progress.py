"""Progress of long work (collect): a bar that keeps time on a terminal, timed lines in CI.

Both implement the narrow interface ``collect`` calls (``start(total)``, ``advance(entity)``,
``finish()``); they are called from worker threads and lock. A background thread redraws
the bar (or prints the next line) at a steady interval, so elapsed time moves and a CI log
shows life even while every job in flight is still waiting on AWS.

Hand-written rather than tqdm or rich: tqdm redraws only when work advances (its monitor
thread tunes intervals, it does not redraw), and rich brings Pygments and Markdown parsing
along for one line of output.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any, Protocol

__all__ = ["LineProgress", "TerminalBar", "progress_for"]


class _Entity(Protocol):
    @property
    def effective_status(self) -> str: ...


class _Ticking:
    """Counts done/missing/errors and calls ``_tick`` every ``interval`` seconds."""

    def __init__(self, stream: IO[str] | None, *, interval: float) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.total = 0
        self.done = 0
        self.errors = 0
        self.missing = 0
        self._started = 0.0
        self._clock = time.monotonic

    def start(self, total: int) -> None:
        with self._lock:
            self.total, self._started = total, self._clock()
            self._draw_start()
        self._thread = threading.Thread(target=self._run, name="lpgen-progress", daemon=True)
        self._thread.start()

    def advance(self, entity: _Entity) -> None:
        with self._lock:
            self.done += 1
            status = entity.effective_status
            if status == "missing":
                self.missing += 1
            elif status != "COMPLETED":
                self.errors += 1
            self._on_advance()

    def account_done(self, result: Any) -> None:
        """An account of an --org run ended; count the entities it never reached."""
        unreached = int(getattr(result, "unreached", 0))
        if unreached:
            with self._lock:
                self.done += unreached
                self.errors += unreached
                self._on_advance()

    def finish(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._draw_end()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                self._tick()

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def counts(self) -> str:
        text = f"{self.done}/{self.total}"
        if self.missing:
            text += f"  missing {self.missing}"
        return text + f"  errors {self.errors}  {self.elapsed:.0f}s"

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    # Hooks, called with the lock held.
    def _draw_start(self) -> None: ...
    def _on_advance(self) -> None: ...
    def _tick(self) -> None: ...
    def _draw_end(self) -> None: ...


class TerminalBar(_Ticking):
    """``[#####.....] 512/1000  errors 3  12s``, redrawn in place; the seconds keep moving."""

    def __init__(
        self, stream: IO[str] | None = None, *, width: int = 30, interval: float = 0.5
    ) -> None:
        super().__init__(stream, interval=interval)
        self._width = width

    def _line(self) -> str:
        filled = self._width * self.done // self.total if self.total else self._width
        bar = "#" * filled + "." * (self._width - filled)
        return f"\r[{bar}] {self.counts()}"

    def _draw_start(self) -> None:
        self._write(self._line())

    def _on_advance(self) -> None:
        self._write(self._line())

    def _tick(self) -> None:
        self._write(self._line())

    def _draw_end(self) -> None:
        self._write(self._line() + "\n")


class LineProgress(_Ticking):
    """For a log (stderr not a terminal): a line at the start, every ``interval`` seconds
    while work goes on, and at the end: ``collect: 512/1000  errors 3  60s``."""

    def __init__(self, stream: IO[str] | None = None, *, interval: float = 30.0) -> None:
        super().__init__(stream, interval=interval)

    def _draw_start(self) -> None:
        self._write(f"collect: {self.total} entities to collect\n")

    def _tick(self) -> None:
        self._write(f"collect: {self.counts()}\n")

    def _draw_end(self) -> None:
        self._write(f"collect: done {self.counts()}\n")


def progress_for(
    stream: IO[str], *, quiet: bool, interval: float | None = None
) -> TerminalBar | LineProgress | None:
    """The right reporter for ``stream``: None with ``quiet``, a bar on a terminal, else lines."""
    if quiet:
        return None
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return TerminalBar(stream) if interval is None else TerminalBar(stream, interval=interval)
    return LineProgress(stream) if interval is None else LineProgress(stream, interval=interval)

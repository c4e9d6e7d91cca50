"""Progress of collect: timed lines when stderr is a log, a bar that keeps time on a terminal."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.progress import LineProgress, TerminalBar, progress_for
from tests.iam_server import FakeIam
from tests.test_collect import ACCOUNT, TF, populate


@dataclass
class Entity:
    effective_status: str = "COMPLETED"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_come_at_a_steady_interval_while_nothing_finishes() -> None:
    log = io.StringIO()
    progress = LineProgress(log, interval=0.05)
    progress.start(3)
    progress.advance(Entity())
    time.sleep(0.3)  # the other two jobs are still waiting on AWS
    progress.advance(Entity("FAILED"))
    progress.advance(Entity("missing"))
    progress.finish()
    lines = log.getvalue().splitlines()
    assert lines[0] == "collect: 3 entities to collect"
    ticks = [line for line in lines[1:-1] if line.startswith("collect: 1/3  errors 0")]
    assert len(ticks) >= 3
    assert re.fullmatch(r"collect: done 3/3  missing 1  errors 1  \d+s", lines[-1])


def test_the_terminal_bar_redraws_without_progress() -> None:
    tty = Tty()
    bar = TerminalBar(tty, width=10, interval=0.05)
    clock = iter(float(n) for n in range(1000))
    bar._clock = lambda: next(clock)  # type: ignore[method-assign]  # a second per reading
    bar.start(2)
    time.sleep(0.3)
    bar.finish()
    frames = tty.getvalue().split("\r")[1:]
    seconds = [int(m.group(1)) for f in frames if (m := re.search(r"(\d+)s", f))]
    assert frames[0] == "[..........] 0/2  errors 0  1s"
    assert len(frames) >= 4 and seconds == sorted(seconds) and seconds[-1] > seconds[0]
    assert tty.getvalue().endswith("\n")


def test_the_reporter_follows_the_stream_and_quiet() -> None:
    assert isinstance(progress_for(Tty(), quiet=False), TerminalBar)
    assert isinstance(progress_for(io.StringIO(), quiet=False), LineProgress)
    assert progress_for(Tty(), quiet=True) is None


def test_collect_in_ci_prints_progress_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeIam(ACCOUNT, max_page=2, seed=1) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", fake.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
        populate(fake)
        tree = tmp_path / "tf"
        tree.mkdir()
        (tree / "iam.tf").write_text(TF, encoding="utf-8")
        out = tmp_path / "snap.json"
        args = ["collect", str(tree), "--out", str(out), "--progress-interval", "0.1"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[0] == "collect: 5 entities to collect"
        assert re.fullmatch(r"collect: done 5/5  missing 1  errors 1  \d+s", lines[-1])
        quiet = CliRunner().invoke(main, [*args, "--quiet"])
        assert quiet.exit_code == 1 and quiet.stderr == ""
        assert quiet.stdout.startswith("Collected 5 entities")

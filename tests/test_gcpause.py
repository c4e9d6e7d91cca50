"""Loading snapshots, indexing usage and planning a trim pause the cyclic collector and leave
it as they found it, with the same results either way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpgen.gcpause import collector_paused
from lpgen.snapshot import load_snapshot
from lpgen.trim import TrimOptions, run_trim
from lpgen.usage import UsageIndex

EXAMPLE = Path(__file__).resolve().parent.parent / "terraform_examples" / "acme"


@pytest.fixture(params=[True, False], ids=["collector-on", "collector-off"])
def collector(request: pytest.FixtureRequest) -> Iterator[bool]:
    was = gc.isenabled()
    if request.param:
        gc.enable()
    else:
        gc.disable()
    try:
        yield bool(request.param)
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def test_the_collector_is_left_as_it_was_found(collector: bool) -> None:
    snapshot = load_snapshot(EXAMPLE / "snapshot.json")
    assert gc.isenabled() is collector
    index = UsageIndex.from_snapshots([snapshot])
    assert gc.isenabled() is collector
    result = run_trim(EXAMPLE, [snapshot], options=TrimOptions(use_git=False))
    assert gc.isenabled() is collector
    assert result.plan.trimmed > 0 and len(index) > 0


def test_the_collector_is_paused_inside_and_back_after_an_error(collector: bool) -> None:
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled() is collector


def test_the_same_plan_with_the_collector_on_or_off() -> None:
    plans = []
    was = gc.isenabled()
    try:
        for on in (True, False):
            gc.enable() if on else gc.disable()
            result = run_trim(
                EXAMPLE, [EXAMPLE / "snapshot.json"], options=TrimOptions(use_git=False)
            )
            plans.append((result.plan.policies, [c.new for c in result.changes]))
    finally:
        gc.enable() if was else gc.disable()
    assert plans[0] == plans[1]

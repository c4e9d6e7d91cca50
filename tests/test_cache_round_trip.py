"""Every value the cache keeps reads back whole: the same types, fields and provenance."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from lpgen.errors import LpgenError
from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.terraform.cachecodec import decode, encode
from lpgen.terraform.values import Encoded, SDict, SList, SStr, Unknown

HERE = Path(__file__).parent
TREES = sorted(
    {p.parent for base in (HERE / "data", HERE.parent / "terraform_examples")
     for p in base.rglob("*.tf")}
)  # fmt: skip


def same(a: Any, b: Any, where: str = "value") -> None:
    """``a`` and ``b`` are alike down to every type, field and span (an assertion)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, Encoded):
        assert (str(a), a.style, a.complete, a.source_file) == (
            str(b), b.style, b.complete, b.source_file), where  # fmt: skip
        same(a.value, b.value, f"{where}.value")
        same(a.loc, b.loc, f"{where}.loc")
    elif isinstance(a, SStr):
        assert str(a) == str(b), where
        same(a.loc, b.loc, f"{where}.loc")
    elif isinstance(a, Unknown):
        assert (a.reason, a.ref) == (b.reason, b.ref), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
        if isinstance(a, SList):
            assert a.note == b.note, where
            same(a.loc, b.loc, f"{where}.loc")
            same(a.item_locs, b.item_locs, f"{where}.item_locs")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
        if isinstance(a, SDict):
            assert a.note == b.note, where
            same(a.loc, b.loc, f"{where}.loc")
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    else:
        assert a == b, where


def test_the_fixtures_are_found() -> None:
    assert len(TREES) > 50


@pytest.mark.parametrize("tree", TREES, ids=[str(t.relative_to(HERE.parent)) for t in TREES])
def test_an_inventory_reads_back_whole(tree: Path) -> None:
    try:
        inv = build_inventory(tree, options=InventoryOptions())
    except LpgenError:
        pytest.skip("a tree lpgen refuses to read")
    same(inv, decode(encode(inv)), "inventory")


@pytest.mark.parametrize("tree", [HERE.parent / "terraform_examples" / "acme",
                                  HERE / "data" / "check" / "sso"], ids=["acme", "sso"])
def test_a_check_result_reads_back_whole(tree: Path) -> None:
    from lpgen.check import CheckResult, run_check

    result = run_check(tree)
    assert result.findings
    same(result, decode(encode(result), CheckResult), "result")

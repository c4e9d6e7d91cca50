"""The trim planner's shortcuts give what the long way gives.

The planner works each entry's expansion out once per pattern (names, lower-case names,
runs of one service, services), measures a policy as the length of its compact JSON, and
skips measuring a policy that nothing narrowed to other patterns (it can only have got
shorter). Each is checked here against the long way: on generated patterns and documents,
on every golden trim case, the example tree and generated policies end to end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpgen import catalog, trim
from lpgen.trim import TrimOptions, run_trim
from tests.test_trim_properties import render_snapshot, render_tf, statements, usages

ROOT = Path(__file__).parent
CASES = sorted(
    [p for p in (ROOT / "data" / "trim").iterdir() if (p / "input").is_dir()]
    + [ROOT / "data" / "trim_star"]
)
EXAMPLE = Path(__file__).resolve().parent.parent / "terraform_examples" / "acme"


def _long_way(pattern: str) -> tuple[Any, ...]:
    """The expansion, lower-case names, runs of one service and services, one by one."""
    actions = catalog.expand(pattern)
    groups: list[tuple[str, list[str], list[str]]] = []
    for action in actions or ():
        service = catalog.service_of(action)
        if not groups or groups[-1][0] != service:
            groups.append((service, [], []))
        groups[-1][1].append(action)
        groups[-1][2].append(action.lower())
    return (
        actions,
        tuple(a.lower() for a in actions or ()),
        tuple((s, tuple(a), tuple(low)) for s, a, low in groups),
        frozenset(catalog.service_of(a) for a in actions or ()),
    )


def _short_way(pattern: str) -> tuple[Any, ...]:
    found = trim._expanded(pattern)
    return (found.actions, found.lower, found.groups, found.services)


PATTERNS = [
    "*", "s3:*", "S3:Get*", "s3:getobject", "S3:GETOBJECT", "s3:NoSuchAction", "s3:Put?ucket*",
    "s3*:Get*", "*:List*", "ec2:*", "iam:PassRole", "unknownsvc:Get*", "unknownsvc:*",
    "s3", "s*", "zz*", "*Object", "a*:*", "?3:GetObject", "s3control:*", "sts:AssumeRole",
]  # fmt: skip


@pytest.mark.parametrize("pattern", PATTERNS)
def test_an_entry_is_expanded_as_the_catalog_says(pattern: str) -> None:
    assert _short_way(pattern) == _long_way(pattern)


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet="s3Ec2iamGTO*?:-", min_size=1, max_size=8),
)
def test_generated_patterns_are_expanded_as_the_catalog_says(pattern: str) -> None:
    assert _short_way(pattern) == _long_way(pattern)


def test_every_entry_of_the_golden_cases_is_expanded_as_the_catalog_says() -> None:
    seen = 0
    for case in CASES:
        for path in sorted((case / "input").rglob("*")):
            if path.suffix not in (".tf", ".json"):
                continue
            text = path.read_text(encoding="utf-8")
            for token in set(
                t for t in json.dumps(text).replace("\\\"", '"').split('"') if ":" in t
            ):
                if len(token) < 60 and " " not in token:
                    assert _short_way(token) == _long_way(token), token
                    seen += 1
    assert seen > 50


_strings = st.text(
    alphabet=st.sampled_from(list("ab: \t\n\r\"\\/é€\u2028\x00\x1f{}[],")), max_size=12
)
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | _strings,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_strings, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_a_compact_document_is_as_long_as_iam_counts_it(document: Any) -> None:
    text = json.dumps(
        {"Version": "2012-10-17", "Statement": [document]},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert catalog.policy_size(text) == len(text)


def _case_runs() -> Iterator[tuple[Path, list[Path], TrimOptions]]:
    for case in CASES:
        snapshots = sorted(case.glob("snapshot*.json"))
        if not snapshots:
            continue
        options: dict[str, Any] = {}
        if (case / "options.json").exists():
            options = json.loads((case / "options.json").read_text(encoding="utf-8"))
        yield (
            case / "input",
            snapshots,
            TrimOptions(
                days=options.get("days", 90), keep=tuple(options.get("keep", [])), use_git=False
            ),
        )
    yield EXAMPLE, [EXAMPLE / "snapshot.json"], TrimOptions(use_git=False)


class _Measured:
    """Wraps _Quota.refusal: measures every policy the shortcut does not measure, and
    checks that the answer would have been the same."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.skipped = 0
        self.measured = 0
        original = trim._Quota.refusal
        outer = self

        def refusal(
            quota: trim._Quota, plan: Any, effective: Any, entries: Any, statements: Any
        ) -> Any:
            effective = list(effective)
            narrowed = any(fate for _sp, _r, fates in effective for _ep, fate in fates)
            answer = original(quota, plan, effective, entries, statements)
            if narrowed:
                outer.measured += 1
            else:
                outer.skipped += 1
                # The long way: the policy as it would be written is no longer than before.
                new, _unknown = trim._size(plan, effective)
                old, _old_unknown = quota.old(plan)
                assert new <= old
                assert answer is None
            return answer

        monkeypatch.setattr(trim._Quota, "refusal", refusal)


def test_a_policy_only_losing_entries_never_needs_measuring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    measured = _Measured(monkeypatch)
    for tree, snapshots, options in _case_runs():
        run_trim(tree, snapshots, options=options)
    assert measured.skipped > 10
    assert measured.measured > 3  # the wildcard and size-limit cases narrow


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_policies_only_losing_entries_never_need_measuring(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    stmts = data.draw(statements())
    style = data.draw(st.sampled_from(["jsonencode", "policy_document"]))
    tree = tmp_path_factory.mktemp("tree")
    (tree / "main.tf").write_text(render_tf(stmts, style, data.draw(st.booleans())))
    snapshot = tree.parent / f"{tree.name}-snapshot.json"
    snapshot.write_text(json.dumps(render_snapshot(data.draw(usages()))))
    _Measured(monkeypatch)
    run_trim(tree, [snapshot], options=TrimOptions(use_git=False))

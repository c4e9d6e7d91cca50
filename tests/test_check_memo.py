"""What `lpgen check` judges once and reuses: same answers as judging every time.

The checks remember what a document allows and the findings on each policy for the length of
one run (lpgen.memo), match an action against a statement's patterns with one prepared test
(lpgen.catalog.any_matcher), and look for secret keys only where one can start. Each is
compared here with the plain way of answering, and with runs on trees that differ only where
a stale answer would show.
"""

from __future__ import annotations

import gc
import textwrap
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpgen.catalog import actions_for_service, any_matcher, expand, matches
from lpgen.check import CheckOptions, run_check
from lpgen.checks.secrets import _SECRET, scan_text
from lpgen.inventory import InventoryOptions
from lpgen.memo import remembered, remembering
from lpgen.model import ActionEntry, PolicyDocument, Statement
from lpgen.semantics import document_allows, resource_matches

# --- an independent oracle: document_allows as IAM's rules read, entry by entry -------------


def _applies(stmt: Statement, action: str) -> bool:
    if stmt.actions is not None:
        return any(matches(e.value, action) for e in stmt.actions)
    if stmt.not_actions is not None:
        return not any(matches(e.value, action) for e in stmt.not_actions)
    return False


def _on(stmt: Statement, resource: str, *, may: bool) -> bool:
    if stmt.resources is not None:
        return any(resource_matches(p, resource, variables_match_anything=may)
                   for p in stmt.resources)  # fmt: skip
    if stmt.not_resources is not None:
        return not any(resource_matches(p, resource, variables_match_anything=not may)
                       for p in stmt.not_resources)  # fmt: skip
    return False


def oracle(doc: PolicyDocument, action: str, resource: str | None) -> bool | None:
    if doc.unknown_reason is not None:
        return None
    allowed = uncertain_allow = uncertain_deny = False
    for s in doc.statements:
        deny = s.effect.lower() == "deny"
        if deny and not s.conditions and not s.unknown and _applies(s, action):
            if resource is None:
                if s.resources is not None and any(r and set(r) <= {"*"} for r in s.resources):
                    return False
            elif _on(s, resource, may=False):
                return False
        if s.unknown:
            if s.is_allow:
                uncertain_allow = True
            elif deny:
                if _applies(s, action) or (s.actions is None and s.not_actions is None):
                    uncertain_deny = True
            else:
                uncertain_allow = uncertain_deny = True
        if s.is_allow and _applies(s, action) and (resource is None or _on(s, resource, may=True)):
            allowed = True
    if allowed:
        return None if uncertain_deny else True
    return None if uncertain_allow else False


PATTERNS = ["*", "*:*", "s3:*", "s3:Get*", "S3:GETOBJECT", "s3:Get?bject", "s3:*Object",
            "iam:PassRole", "iam:*", "ec2:Describe*", "?3:GetObject", "s3*:Get*", "sqs:Send*",
            "s3:Put*Acl", "kms:*crypt", ""]  # fmt: skip
ACTIONS = ["s3:GetObject", "S3:getobject", "s3:PutObject", "s3:PutObjectAcl", "iam:PassRole",
           "ec2:DescribeInstances", "kms:Decrypt", "sqs:SendMessage", "sts:AssumeRole",
           "s3:Getobject2"]  # fmt: skip
RESOURCES = ["*", "arn:aws:s3:::logs/*", "arn:aws:s3:::logs/${aws:username}/*",
             "arn:aws:s3:::other", "arn:aws:s3:::log?/a"]  # fmt: skip

entries = st.lists(st.sampled_from(PATTERNS), max_size=4).map(
    lambda vs: [ActionEntry(v) for v in vs]
)
statements = st.builds(
    Statement,
    index=st.just(0),
    effect=st.sampled_from(["Allow", "Deny", "deny", "Maybe"]),
    actions=st.none() | entries,
    not_actions=st.none() | entries,
    resources=st.none() | st.lists(st.sampled_from(RESOURCES), max_size=3),
    not_resources=st.none() | st.lists(st.sampled_from(RESOURCES), max_size=2),
    conditions=st.sampled_from([None, {}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}]),
    unknown=st.sampled_from([[], ["Resource"]]),
)
documents = st.builds(
    PolicyDocument,
    statements=st.lists(statements, max_size=4),
    unknown_reason=st.sampled_from([None, None, None, "not known"]),
)


@settings(max_examples=300, deadline=None)
@given(documents, st.lists(st.tuples(st.sampled_from(ACTIONS),
                                     st.none() | st.sampled_from(RESOURCES)), max_size=6))
def test_document_allows_answers_as_the_oracle_in_and_out_of_a_run(
    doc: PolicyDocument, asks: list[tuple[str, str | None]]
) -> None:
    expected = [oracle(doc, a, r) for a, r in asks]
    assert [document_allows(doc, a, r) for a, r in asks] == expected
    with remembering():
        # Asked twice in one scope: the second answers come from what was kept.
        assert [document_allows(doc, a, r) for a, r in asks] == expected
        assert [document_allows(doc, a, r) for a, r in asks] == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PATTERNS), max_size=5), st.sampled_from(ACTIONS))
def test_any_matcher_answers_as_matches(patterns: list[str], action: str) -> None:
    assert any_matcher(patterns)(action.lower()) is any(matches(p, action) for p in patterns)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["s3", "ec2", "iam", "kms", "sts"]), st.data())
def test_expanding_a_prefix_finds_every_action_it_matches(service: str, data: st.DataObject) -> None:
    """A ``prefix*`` pattern is expanded from one run of the sorted names: the same actions,
    in the same order, as matching every action of the service."""
    names = actions_for_service(service)
    name = data.draw(st.sampled_from(names))
    cut = data.draw(st.integers(0, len(name)))
    pattern = "".join(c.upper() if data.draw(st.booleans()) else c for c in name[:cut])
    pattern += data.draw(st.sampled_from(["*", "**", "?*", "*t*"]))
    if ":" not in pattern:
        pattern = f"{service}:{pattern}"
    expected = tuple(sorted((a for a in names if matches(pattern, a)),
                            key=lambda a: (a.lower(), a)))  # fmt: skip
    assert expand(pattern) == expected


@pytest.mark.parametrize("service", ["s3", "ec2", "iam", "kms", "sts", "dynamodb"])
def test_a_service_table_lists_the_package_names_sorted_case_insensitively(service: str) -> None:
    from lpgen import catalog

    names = [f"{service}:{n}" for n in catalog._service_names(service)]
    expected = sorted(set(names), key=lambda a: (a.lower(), a))
    assert list(actions_for_service(service)) == expected
    assert all(catalog.canonical(a.lower()) == a for a in expected)


# --- what a run keeps, and for how long --------------------------------------------------


def _doc(*stmts: dict[str, Any]) -> PolicyDocument:
    return PolicyDocument(statements=[
        Statement(index=i, effect=s.get("effect", "Allow"),
                  actions=[ActionEntry(a) for a in s["actions"]], resources=["*"])
        for i, s in enumerate(stmts)
    ])  # fmt: skip


def test_documents_with_the_same_text_but_different_statements_are_judged_apart() -> None:
    with remembering():
        open_ = _doc({"actions": ["s3:GetObject"]})
        closed = _doc({"actions": ["s3:GetObject"]}, {"effect": "Deny", "actions": ["s3:*"]})
        assert document_allows(open_, "s3:GetObject") is True
        assert document_allows(closed, "s3:GetObject") is False
        assert document_allows(open_, "s3:getobject") is True


def test_outside_a_run_a_changed_document_is_judged_again() -> None:
    doc = _doc({"actions": ["s3:GetObject"]})
    assert document_allows(doc, "s3:GetObject") is True
    doc.statements.append(_doc({"effect": "Deny", "actions": ["s3:*"]}).statements[0])
    assert document_allows(doc, "s3:GetObject") is False


def test_what_is_kept_keeps_its_objects_alive_until_the_run_ends() -> None:
    """Kept by identity: an object freed mid-run could lend its id to a new one."""
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with remembering():
        first = _doc({"actions": ["s3:GetObject"]})
        alive = weakref.ref(first)
        assert remembered("k", (first,), None, compute) == 1
        assert remembered("k", (first,), None, compute) == 1
        assert remembered("k", (first,), "other", compute) == 2
        del first
        gc.collect()
        assert alive() is not None
        second = _doc({"actions": ["s3:GetObject"]})
        assert remembered("k", (second,), None, compute) == 3
    gc.collect()
    assert alive() is None
    assert remembered("k", (second,), None, compute) == 4  # nothing kept outside a run


def _check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> list[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "main.tf").write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_check(".", options=CheckOptions(use_git=False, ignore=("LP05",)),
                       inventory_options=InventoryOptions())  # fmt: skip
    return [f"{f.code} {f.address} {f.message}" for f in result.findings]


READER = """
resource "aws_iam_policy" "p" {
  name   = "reader"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [%s]
  })
}
"""
ALLOW = '{ Effect = "Allow", Action = ["s3:GetObject", "iam:PassRole"], Resource = "*" }'
DENY = '{ Effect = "Deny", Action = ["s3:GetObject", "iam:PassRole"], Resource = "*" }'


def test_two_runs_in_one_process_judge_their_own_trees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same policy, same address, same statement; the second tree also denies: nothing the
    first run judged may answer for the second, in either order."""
    allowed = [
        "LP013 aws_iam_policy.p Policy 'reader' allows iam:PassRole on every resource "
        "(statement 1)",
        "LP015 aws_iam_policy.p Policy 'reader' allows reading data on every resource: "
        "s3:GetObject (statement 1)",
    ]
    for n in range(2):
        assert _check(tmp_path / f"a{n}", monkeypatch, READER % ALLOW) == allowed
        assert _check(tmp_path / f"b{n}", monkeypatch, READER % f"{ALLOW}, {DENY}") == []
    assert _check(tmp_path / "c", monkeypatch, READER % ALLOW) == allowed


def test_a_declaration_of_unknown_count_with_a_twin_is_still_reported_and_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its document is the same value as an instantiated policy's: the second pass over the
    declarations of unknown count finds it anew, marked with the reason."""
    got = _check(tmp_path, monkeypatch, """
        variable "create" {
          default = false
        }
        locals {
          read = jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "iam:PassRole"],
                           Resource = "*" }]
          })
        }
        resource "aws_iam_policy" "on" {
          name   = "reader"
          policy = local.read
        }
        resource "aws_iam_policy" "off" {
          count  = var.create ? 1 : 0
          name   = "reader"
          policy = local.read
        }
        """)
    mark = " (not instantiated: count is 0 (var.create = false))"
    passrole = "Policy 'reader' allows iam:PassRole on every resource (statement 1)"
    read = "Policy 'reader' allows reading data on every resource: s3:GetObject (statement 1)"
    assert got == [
        f"LP013 aws_iam_policy.on {passrole}",
        f"LP013 aws_iam_policy.off {passrole}{mark}",
        f"LP015 aws_iam_policy.on {read}",
        f"LP015 aws_iam_policy.off {read}{mark}",
    ]


# --- the secret scan -------------------------------------------------------------------------

KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"
TOKENS = ["secret", "SECRET", "Secret", "aws", "AWS", "aws_", "_", "access", "ACCESS_", "key",
          "Key", " = ", ":", "=", '"', "'", " ", "\n", "x", KEY, KEY[:39], "\u017f", "\u212a"]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_secret_scan_finds_what_the_pattern_finds_anywhere(text: str) -> None:
    expected = [
        (text.count("\n", 0, m.start(1)) + 1, m.group(1))
        for m in _SECRET.finditer(text) if "EXAMPLE" not in m.group(1)
    ]  # fmt: skip
    got = [(line, value) for line, kind, value in scan_text(text) if kind == "secret access key"]
    assert got == expected


def test_secret_scan_finds_keys_behind_every_spelling() -> None:
    text = (
        f'aws_secret = "{KEY}"\nAWSSECRET: \'{KEY}\'\nSecret_Access_Key="{KEY}"\n'
        f'secretkey = "{KEY}"\nnot_a_secret = "{KEY}"\nsecret_access_key = "{KEY[:39]}"\n'
    )
    lines = [line for line, kind, _ in scan_text(text) if kind == "secret access key"]
    assert lines == [1, 2, 3, 4]


def test_the_collector_is_running_again_after_a_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks run with the cyclic collector paused; it runs again afterwards (and stays
    off for a caller that had turned it off)."""
    assert gc.isenabled()
    _check(tmp_path / "on", monkeypatch, READER % ALLOW)
    assert gc.isenabled()
    gc.disable()
    try:
        _check(tmp_path / "off", monkeypatch, READER % ALLOW)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_reading_a_service_of_the_catalog_leaves_the_collector_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A service's file is read with the collector paused; it runs again afterwards (and
    stays off for a caller that had turned it off), and the answers are the package's."""
    from lpgen import catalog

    monkeypatch.setattr(catalog, "_LOADED", set())  # as if no service had been read
    assert gc.isenabled()
    catalog._load_service("kms")
    assert gc.isenabled() and "kms" in catalog._LOADED
    gc.disable()
    try:
        catalog._load_service("sqs")
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert catalog.canonical("KMS:decrypt") == "kms:Decrypt"
    assert catalog.access_level("kms:Decrypt") == "Write"
    assert catalog.access_level("sqs:SendMessage") == "Write"
    assert catalog.has_resource_types("sqs:SendMessage") is True
    assert catalog.has_resource_types("sqs:ListQueues") is False

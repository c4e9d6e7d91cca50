"""Policy evaluation helpers: what statements and documents allow."""

from __future__ import annotations

from typing import Any

import pytest

from lpgen.model import ActionEntry, Location, PolicyDocument, Statement
from lpgen.semantics import (
    document_allows,
    granted_services,
    is_full_admin,
    resource_matches,
    resources_are_star,
    service_wildcards,
    statement_allows,
    statement_applies,
    statement_denies,
)


def stmt(
    effect: str = "Allow",
    actions: list[str] | None = None,
    not_actions: list[str] | None = None,
    resources: list[str] | None = None,
    not_resources: list[str] | None = None,
    conditions: Any = None,
    unknown: list[str] | None = None,
) -> Statement:
    if resources is None and not_resources is None:
        resources = ["*"]
    return Statement(
        index=0,
        effect=effect,
        actions=[ActionEntry(a) for a in actions] if actions is not None else None,
        not_actions=[ActionEntry(a) for a in not_actions] if not_actions is not None else None,
        resources=resources,
        not_resources=not_resources,
        conditions=conditions,
        unknown=unknown or [],
    )


def doc(*statements: Statement) -> PolicyDocument:
    return PolicyDocument(statements=list(statements))


BUCKET = "arn:aws:s3:::logs/2024/a.txt"


def test_statement_allows_action_list() -> None:
    s = stmt(actions=["s3:Get*", "sqs:SendMessage"])
    assert statement_allows(s, "S3:GetObject")
    assert statement_allows(s, "sqs:sendmessage")
    assert not statement_allows(s, "s3:PutObject")


def test_statement_allows_effect_is_case_insensitive() -> None:
    assert statement_allows(stmt(effect="allow", actions=["s3:*"]), "s3:GetObject")
    assert not statement_allows(stmt(effect="DENY", actions=["s3:*"]), "s3:GetObject")


def test_not_action_with_allow_allows_everything_not_listed() -> None:
    s = stmt(not_actions=["iam:*", "organizations:*"])
    assert statement_allows(s, "s3:GetObject")
    assert statement_allows(s, "ec2:RunInstances")
    assert not statement_allows(s, "iam:PassRole")
    assert not statement_allows(s, "IAM:CreateUser")


def test_statement_without_actions_allows_nothing() -> None:
    assert not statement_allows(stmt(), "s3:GetObject")


def test_resource_argument() -> None:
    s = stmt(actions=["s3:GetObject"], resources=["arn:aws:s3:::logs/*"])
    assert statement_allows(s, "s3:GetObject", BUCKET)
    assert not statement_allows(s, "s3:GetObject", "arn:aws:s3:::other/a.txt")
    assert not statement_allows(s, "s3:GetObject", "arn:aws:s3:::LOGS/a.txt")  # ARNs: case
    assert statement_allows(s, "s3:GetObject")  # resource-agnostic by default
    nr = stmt(actions=["s3:GetObject"], not_resources=["arn:aws:s3:::secret/*"])
    assert statement_allows(nr, "s3:GetObject", BUCKET)
    assert not statement_allows(nr, "s3:GetObject", "arn:aws:s3:::secret/key")


def test_resource_matches_policy_variables() -> None:
    pattern = "arn:aws:s3:::home/${aws:username}/*"
    assert resource_matches(pattern, "arn:aws:s3:::home/alice/notes.txt")
    assert not resource_matches(
        pattern, "arn:aws:s3:::home/alice/notes.txt", variables_match_anything=False
    )
    assert not resource_matches("arn:aws:s3:::a.b", "arn:aws:s3:::aXb")  # '.' literal


def test_statement_denies_only_when_certain() -> None:
    deny = stmt(effect="Deny", actions=["iam:*"])
    assert statement_denies(deny, "iam:CreateUser")
    assert not statement_denies(deny, "s3:GetObject")
    conditional = stmt(effect="Deny", actions=["iam:*"], conditions={"Bool": {"x": "true"}})
    assert not statement_denies(conditional, "iam:CreateUser")
    scoped = stmt(effect="Deny", actions=["s3:*"], resources=["arn:aws:s3:::secret/*"])
    assert not statement_denies(scoped, "s3:GetObject")  # not every resource
    assert statement_denies(scoped, "s3:GetObject", "arn:aws:s3:::secret/k")
    assert not statement_denies(scoped, "s3:GetObject", BUCKET)
    assert statement_applies(scoped, "s3:GetObject")


def test_document_allows_explicit_deny_wins() -> None:
    d = doc(stmt(actions=["*"]), stmt(effect="Deny", actions=["iam:*"]))
    assert document_allows(d, "s3:GetObject") is True
    assert document_allows(d, "iam:PassRole") is False


def test_document_allows_with_not_action_deny() -> None:
    # Deny everything except s3: only s3 stays allowed.
    d = doc(stmt(actions=["*"]), stmt(effect="Deny", not_actions=["s3:*"]))
    assert document_allows(d, "s3:GetObject") is True
    assert document_allows(d, "ec2:RunInstances") is False


def test_document_allows_conditional_deny_still_may_allow() -> None:
    d = doc(
        stmt(actions=["s3:*"]),
        stmt(
            effect="Deny", actions=["s3:*"], conditions={"Bool": {"aws:SecureTransport": "false"}}
        ),
    )
    assert document_allows(d, "s3:GetObject") is True


def test_document_allows_nothing_granted() -> None:
    assert document_allows(doc(stmt(actions=["s3:GetObject"])), "s3:PutObject") is False
    assert document_allows(doc(), "s3:PutObject") is False


def test_document_allows_unknown_parts() -> None:
    whole = PolicyDocument(unknown_reason="templatefile() with unknown variables")
    assert document_allows(whole, "s3:GetObject") is None
    maybe_allow = doc(stmt(actions=["s3:GetObject"]), stmt(actions=[], unknown=["Action"]))
    assert document_allows(maybe_allow, "s3:GetObject") is True
    assert document_allows(maybe_allow, "s3:PutObject") is None
    maybe_deny = doc(
        stmt(actions=["s3:*"]), stmt(effect="Deny", actions=["s3:Put*"], unknown=["Resource"])
    )
    assert document_allows(maybe_deny, "s3:PutObject") is None
    assert document_allows(maybe_deny, "s3:GetObject") is True


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (stmt(actions=["*"]), True),
        (stmt(actions=["*:*"]), True),
        (stmt(actions=["s3:GetObject", "*"]), True),
        (stmt(effect="Deny", actions=["*"]), False),
        (stmt(actions=["*"], resources=["arn:aws:s3:::b/*"]), False),
        (stmt(actions=["*"], conditions={"Bool": {"aws:MultiFactorAuthPresent": "true"}}), False),
        (stmt(actions=["s3:*"]), False),
        (stmt(not_actions=["iam:*"]), False),
        (stmt(actions=["*"], not_resources=["arn:aws:s3:::b"]), False),
    ],
)
def test_is_full_admin(statement: Statement, expected: bool) -> None:
    assert is_full_admin(statement) is expected


def test_resources_are_star() -> None:
    assert resources_are_star(stmt(actions=["s3:*"]))
    assert resources_are_star(stmt(actions=["s3:*"], resources=["arn:aws:s3:::b", "*"]))
    assert not resources_are_star(stmt(actions=["s3:*"], resources=["arn:aws:s3:::b/*"]))
    nr = stmt(actions=["s3:*"], not_resources=["arn:aws:s3:::b"])
    assert resources_are_star(nr)
    assert not resources_are_star(nr, not_resource_counts=False)


def test_service_wildcards_point_at_entries() -> None:
    entry = ActionEntry("S3:*", Location("main.tf", 7))
    s = stmt(actions=["ec2:Describe*", "*", "s3*:*"])
    assert s.actions is not None
    s.actions.insert(1, entry)
    s.actions.append(ActionEntry("logs:**"))
    found = service_wildcards(s)
    assert [e.value for e in found] == ["S3:*", "logs:**"]
    assert found[0].location == Location("main.tf", 7)
    assert service_wildcards(stmt(effect="Deny", actions=["s3:*"])) == []


def test_granted_services() -> None:
    d = doc(
        stmt(actions=["S3:GetObject", "s3:List*", "*"]),
        stmt(actions=["sqs:*", "s3*:Get*"]),
        stmt(effect="Deny", actions=["iam:*"]),
        stmt(not_actions=["iam:*"]),
    )
    assert granted_services(d) == {
        "s3": {"S3:GetObject", "s3:List*"},
        "*": {"*"},
        "sqs": {"sqs:*"},
        "s3*": {"s3*:Get*"},
    }

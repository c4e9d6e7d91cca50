"""The access graph: nodes, edges, usage on edges, and the analyses auditors ask for."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import networkx as nx
import pytest

from lpgen.errors import InputError
from lpgen.graph import AccessGraph, analyze, build_graph, check_action, find_who_can
from lpgen.model import (
    ActionEntry,
    Attachment,
    Group,
    Inventory,
    Location,
    Membership,
    Policy,
    PolicyDocument,
    Role,
    Statement,
    User,
)
from lpgen.usage import EntityAccess, EntityUsage, ServiceUsage, UsageIndex

T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)
RECENT = datetime(2026, 11, 1, tzinfo=timezone.utc)
OLD = datetime(2025, 1, 1, tzinfo=timezone.utc)


def loc(line: int = 1) -> Location:
    return Location("main.tf", line)


def stmt(
    i: int,
    actions: list[str] | None = None,
    *,
    effect: str = "Allow",
    not_actions: list[str] | None = None,
    resources: list[str] | None = None,
    conditions: Any = None,
    sid: str | None = None,
) -> Statement:
    return Statement(
        index=i,
        effect=effect,
        sid=sid,
        actions=[ActionEntry(a) for a in actions] if actions is not None else None,
        not_actions=[ActionEntry(a) for a in not_actions] if not_actions is not None else None,
        resources=resources if resources is not None else ["*"],
        conditions=conditions,
    )


def policy(name: str, *statements: Statement, **kw: Any) -> Policy:
    address = kw.pop("address", f"aws_iam_policy.{name}")
    return Policy(
        address=address,
        name=name,
        location=loc(),
        arn=kw.pop("arn", f"arn:aws:iam::111122223333:policy/{name}"),
        document=PolicyDocument(statements=list(statements)),
        **kw,
    )


def member(user: str, group: str) -> Membership:
    return Membership(user, group, f"aws_iam_group_membership.{group}", loc(),
                      resource_type="aws_iam_group_membership")


def attach(target_type: Any, target: str, policy_address: str | None, arn: str | None = None
           ) -> Attachment:
    return Attachment(policy_address, arn, target_type, target,
                      f"aws_iam_{target_type}_policy_attachment.{target}", loc())


def inventory() -> Inventory:
    inv = Inventory(root="/tmp/acme", account_id="111122223333")
    inv.users = [User(f"aws_iam_user.{n}", n, loc()) for n in
                 ("alice", "bob", "carol", "dave", "zed")]
    inv.groups = [Group(f"aws_iam_group.{n}", n, loc()) for n in
                  ("dev", "ops", "ops2", "empty")]
    inv.roles = [Role("aws_iam_role.ci", "ci", loc())]
    inv.policies = [
        policy("dev", stmt(0, ["s3:Get*", "s3:List*", "ec2:DescribeInstances"], sid="Read"),
               stmt(1, ["s3:DeleteBucket"], effect="Deny")),
        policy("ops", stmt(0, ["ssm:*"])),
        policy("orphan", stmt(0, ["sqs:*"])),
        policy("deny_s3", stmt(0, ["s3:*"], effect="Deny")),
        policy("tagged", stmt(0, ["s3:PutObject"], conditions={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        Policy("aws_iam_role_policy.ci", "ci", loc(), kind="inline", owner_type="role",
               owner="ci", document=PolicyDocument(statements=[stmt(0, not_actions=["iam:*"])])),
        Policy("aws_iam_user_policy.carol", "carol", loc(), kind="inline", owner_type="user",
               owner="carol", document=PolicyDocument(statements=[stmt(0, ["s3:GetObject"])])),
    ]
    inv.memberships = [member("alice", "dev"), member("bob", "dev"), member("bob", "ops"),
                       member("carol", "ops2"), member("dave", "ops")]
    inv.attachments = [
        attach("group", "dev", "aws_iam_policy.dev"),
        attach("group", "ops", "aws_iam_policy.ops"),
        attach("group", "ops2", "aws_iam_policy.ops"),
        attach("user", "dave", None, "arn:aws:iam::111122223333:policy/deny_s3"),
        attach("user", "dave", "aws_iam_policy.dev"),
        attach("user", "zed", None, "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        attach("role", "ci", None, "arn:aws:iam::aws:policy/AdministratorAccess"),
        attach("user", "alice", "aws_iam_policy.tagged"),
    ]
    return inv


@pytest.fixture
def ag() -> AccessGraph:
    return build_graph(inventory())


def test_nodes_have_id_kind_name_and_source(ag: AccessGraph) -> None:
    g = ag.graph
    alice = g.nodes["user:alice"]
    assert alice["kind"] == "user" and alice["name"] == "alice"
    assert alice["address"] == "aws_iam_user.alice" and alice["file"] == "main.tf"
    assert g.nodes["policy:aws_iam_policy.dev"]["arn"] == "arn:aws:iam::111122223333:policy/dev"
    aws = g.nodes["policy:arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert aws["policy_type"] == "aws-managed" and aws["name"] == "ReadOnlyAccess"
    assert g.nodes["policy:aws_iam_role_policy.ci"]["policy_type"] == "inline"
    assert {d["kind"] for _, d in g.nodes(data=True)} == {"user", "group", "role", "policy",
                                                         "service"}


def test_edges_follow_access(ag: AccessGraph) -> None:
    g = ag.graph
    assert g.edges["user:alice", "group:dev"]["kind"] == "member_of"
    assert g.edges["group:dev", "policy:aws_iam_policy.dev"]["kind"] == "attached"
    inline = g.edges["role:ci", "policy:aws_iam_role_policy.ci"]
    assert inline["kind"] == "attached" and inline["inline"] is True
    grants = g.edges["policy:aws_iam_policy.dev", "service:s3"]
    assert grants["kind"] == "grants" and grants["actions"] == ["s3:Get*", "s3:List*"]
    # A Deny grants nothing; NotAction and AdministratorAccess reach every service.
    assert not g.has_edge("policy:aws_iam_policy.deny_s3", "service:s3")
    assert g.edges["policy:aws_iam_role_policy.ci", "service:*"]["not_actions"] == ["iam:*"]
    assert g.has_edge("policy:arn:aws:iam::aws:policy/AdministratorAccess", "service:*")
    # An attachment by ARN of a declared policy joins that policy's node.
    assert g.has_edge("user:dave", "policy:aws_iam_policy.deny_s3")
    reach = nx.descendants(g, "user:alice")
    assert {"group:dev", "policy:aws_iam_policy.dev", "service:s3", "service:ec2"} <= reach


def test_analyses(ag: AccessGraph) -> None:
    a = analyze(ag)
    assert a.users_without_group == ["user:zed"]
    assert a.empty_groups == ["group:empty"]
    assert a.unattached_policies == ["policy:aws_iam_policy.orphan"]
    assert a.direct_policies == {
        "user:alice": ["policy:aws_iam_policy.tagged"],
        "user:carol": ["policy:aws_iam_user_policy.carol"],
        "user:dave": ["policy:aws_iam_policy.deny_s3", "policy:aws_iam_policy.dev"],
        "user:zed": ["policy:arn:aws:iam::aws:policy/ReadOnlyAccess"],
    }
    assert a.identical_policy_sets == [(["group:ops", "group:ops2"],
                                        ["policy:aws_iam_policy.ops"])]


def test_effective_services_through_all_paths(ag: AccessGraph) -> None:
    a = analyze(ag)
    bob = a.effective_services["user:bob"]
    assert sorted(bob) == ["ec2", "s3", "ssm"]
    assert [p.group for p in bob["ssm"]] == ["group:ops"]
    carol = a.effective_services["user:carol"]
    assert sorted(carol) == ["s3", "ssm"]
    assert carol["s3"][0].group is None  # her inline policy
    # dave has s3 through dev but an unconditional Deny s3:* on every resource.
    assert sorted(a.effective_services["user:dave"]) == ["ec2", "ssm"]
    # zed's only policy is AWS-managed with an unknown document: said, not guessed.
    assert a.effective_services["user:zed"] == {}
    assert [p.policy for p in a.unknown_policies["user:zed"]] == [
        "policy:arn:aws:iam::aws:policy/ReadOnlyAccess"
    ]


def test_who_can_honours_wildcards_deny_and_notaction(ag: AccessGraph) -> None:
    who = {e.principal: e for e in find_who_can(ag, "S3:getobject").entries}
    assert who["user:alice"].status == "can"
    assert who["user:alice"].allows[0].matched == "s3:Get*"
    assert who["user:alice"].allows[0].path.group == "group:dev"
    assert who["user:bob"].status == "can"
    assert who["user:carol"].status == "can" and who["user:carol"].allows[0].path.group is None
    assert who["user:dave"].status == "denied"
    assert who["user:dave"].denies[0].matched == "s3:*"
    assert who["user:zed"].status == "maybe"
    assert who["role:ci"].status == "can"
    assert {m.matched for m in who["role:ci"].allows} == {"NotAction [iam:*]", "*"}


def test_who_can_notaction_excludes_and_deny_statement_wins(ag: AccessGraph) -> None:
    who = {e.principal: e for e in find_who_can(ag, "iam:CreateUser").entries}
    # ci's inline NotAction iam:* does not allow it; AdministratorAccess does.
    assert [m.matched for m in who["role:ci"].allows] == ["*"]
    assert "user:alice" not in who
    dev_delete = {e.principal: e for e in find_who_can(ag, "s3:DeleteBucket").entries}
    assert "user:alice" not in dev_delete  # no Allow matches (Get*/List* only)


def test_who_can_marks_conditions(ag: AccessGraph) -> None:
    who = {e.principal: e for e in find_who_can(ag, "s3:PutObject").entries}
    assert who["user:alice"].status == "maybe"
    assert who["user:alice"].allows[0].conditional is True


@pytest.mark.parametrize("bad", ["s3", "s3:Get*", "*", ":Get", "s3:", "s3:Get Object"])
def test_who_can_rejects_patterns(bad: str) -> None:
    with pytest.raises(InputError, match="one action such as s3:GetObject"):
        check_action(bad)


def test_unknown_names_do_not_become_nodes() -> None:
    inv = inventory()
    inv.memberships.append(Membership(None, "dev", "aws_iam_group_membership.x", loc()))
    inv.attachments.append(attach("group", "dev", None, None))
    g = build_graph(inv).graph
    assert "user:None" not in g
    assert g.number_of_nodes() == build_graph(inventory()).graph.number_of_nodes()


def test_undeclared_principal_is_marked_external() -> None:
    inv = inventory()
    inv.memberships.append(member("erin", "dev"))
    ag = build_graph(inv)
    assert ag.graph.nodes["user:erin"]["external"] is True
    assert "user:erin" not in analyze(ag).effective_services  # only declared users


# --- usage -------------------------------------------------------------------------------


def report(kind: Any, name: str, services: dict[str, ServiceUsage]) -> EntityUsage:
    return EntityUsage(
        label="snap.json",
        account_id="111122223333",
        arn=f"arn:aws:iam::111122223333:{kind}/{name}",
        kind=kind,
        name=name,
        path="/",
        collected_at=T0,
        status="COMPLETED",
        attached=True,
        services=services,
    )


def usage_index() -> UsageIndex:
    def user(name: str, when: datetime) -> EntityAccess:
        return EntityAccess(f"arn:aws:iam::111122223333:user/{name}", name, "USER",
                            last_authenticated=when)

    return UsageIndex([
        report("policy", "dev", {
            "s3": ServiceUsage("s3", "Amazon S3", last_authenticated=RECENT),
            "ec2": ServiceUsage("ec2", "Amazon EC2", last_authenticated=OLD),
        }),
        report("group", "dev", {
            "s3": ServiceUsage("s3", "Amazon S3", last_authenticated=RECENT,
                               entities=(user("alice", RECENT), user("bob", OLD))),
            "ec2": ServiceUsage("ec2", "Amazon EC2", last_authenticated=OLD),
        }),
        report("role", "ci", {"s3": ServiceUsage("s3", "Amazon S3", last_authenticated=OLD)}),
    ])


def test_usage_on_edges() -> None:
    g = build_graph(inventory(), usage=usage_index()).graph
    assert g.graph["usage"] is True and g.graph["days"] == 90
    s3 = g.edges["policy:aws_iam_policy.dev", "service:s3"]
    assert s3["usage"] == "used" and s3["last_used"] == "2026-11-01T00:00:00+00:00"
    ec2 = g.edges["policy:aws_iam_policy.dev", "service:ec2"]
    assert ec2["usage"] == "unused" and ec2["last_used"] == "2025-01-01T00:00:00+00:00"
    # An inline policy's usage is its owner's report; "*" is used if any service was.
    assert g.edges["policy:aws_iam_role_policy.ci", "service:*"]["usage"] == "unused"
    # No report at all: unknown, with the reason.
    ssm = g.edges["policy:aws_iam_policy.ops", "service:ssm"]
    assert ssm["usage"] == "unknown" and "no Access Advisor data" in ssm["usage_reason"]
    assert g.edges["user:alice", "group:dev"]["usage"] == "used"
    bob = g.edges["user:bob", "group:dev"]
    assert bob["usage"] == "unused" and bob["last_used"] == "2025-01-01T00:00:00+00:00"
    assert g.edges["user:bob", "group:ops"]["usage"] == "unknown"
    assert g.nodes["service:ec2"]["usage"] == "unused"


def test_days_window_changes_verdicts() -> None:
    from lpgen.graph import GraphOptions

    g = build_graph(inventory(), usage=usage_index(), options=GraphOptions(days=10)).graph
    assert g.edges["policy:aws_iam_policy.dev", "service:s3"]["usage"] == "unused"
    with pytest.raises(InputError, match="at least 1"):
        build_graph(inventory(), options=GraphOptions(days=0))

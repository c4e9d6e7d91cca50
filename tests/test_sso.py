"""IAM Identity Center: permission sets in the inventory, the graph and the checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.check import CheckOptions, run_check
from lpgen.cli import main
from lpgen.graph import build_graph
from lpgen.inventory import build_inventory, inventory_to_json

SSO = Path(__file__).resolve().parent / "data" / "check" / "sso"


def test_permission_sets_in_the_inventory() -> None:
    inv = build_inventory(SSO)
    sets = {ps.name: ps for ps in inv.permission_sets}
    assert sorted(sets) == ["Admin", "Developer", "Platform", "ReadOnly"]
    platform = sets["Platform"]
    assert (platform.address, str(platform.location)) == (
        "aws_ssoadmin_permission_set.platform", "main.tf:22"
    )
    inline = platform.inline_policy
    assert inline is not None and inline.document is not None
    assert (inline.address, str(inline.location)) == (
        "aws_ssoadmin_permission_set_inline_policy.platform", "main.tf:27"
    )
    assert [str(s.location) for s in inline.document.statements] == ["main.tf:33"]
    assert sets["Developer"].boundary is not None
    assert sets["Developer"].boundary.name == "developer-boundary"
    data = inventory_to_json(inv)
    # The existing keys stay; permission sets and assignments are added.
    assert {"groups", "users", "roles", "policies", "attachments"} <= set(data)
    readonly = next(p for p in data["permission_sets"] if p["name"] == "ReadOnly")
    assert readonly["managed_policy_arns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert readonly["customer_managed_policies"][0]["name"] == "support-extras"
    got = sorted(
        (a["principal_type"], a["principal_name"], a["permission_set_name"], a["account"])
        for a in data["account_assignments"]
    )
    assert got == [
        ("GROUP", "auditors", "ReadOnly", "111122223333"),
        ("GROUP", "auditors", "ReadOnly", "444455556666"),
        ("GROUP", "platform-team", "Platform", "111122223333"),
        ("USER", "alice", "Admin", "111122223333"),
    ]
    assert data["identity_store_memberships"] == [{
        "group": "aws_identitystore_group.platform", "user": "aws_identitystore_user.alice",
        "address": "aws_identitystore_group_membership.alice_platform", "file": "main.tf",
        "line": 100,
    }]  # fmt: skip


def test_permission_sets_in_the_graph() -> None:
    ag = build_graph(build_inventory(SSO))
    assert ag.nodes_of("permission_set") == [
        "permission_set:Admin", "permission_set:Developer", "permission_set:Platform",
        "permission_set:ReadOnly",
    ]  # fmt: skip
    g = ag.graph
    assert g.edges["sso_user:alice", "sso_group:platform-team"]["kind"] == "member_of"
    assigned = g.edges["sso_group:auditors", "permission_set:ReadOnly"]
    assert (assigned["kind"], assigned["accounts"]) == (
        "assigned", ["111122223333", "444455556666"]
    )
    assert g.edges["permission_set:ReadOnly", "account:444455556666"]["kind"] == "provisioned"
    # Through the permission set to its policy and the services it grants.
    assert "service:*" in __import__("networkx").descendants(g, "sso_user:alice")


def test_permission_sets_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SSO)
    result = run_check(".", options=CheckOptions(use_git=False))
    assert [(f.code, str(f.severity), f.line, f.address) for f in result.findings] == [
        ("LP010", "critical", 16, "aws_ssoadmin_managed_policy_attachment.admin"),
        ("LP010", "critical", 33, "aws_ssoadmin_permission_set_inline_policy.platform"),
        ("LP011", "low", 49, "aws_ssoadmin_permission_set_inline_policy.developer"),
        ("LP013", "medium", 49, "aws_ssoadmin_permission_set_inline_policy.developer"),
        ("LP012", "medium", 50, "aws_ssoadmin_permission_set_inline_policy.developer"),
    ]
    assert result.findings[0].message == (
        "AWS-managed policy AdministratorAccess (every action on every resource) is attached "
        "to permission set 'Admin'"
    )
    assert result.findings[2].message.endswith(
        "(statement 'Compute'); limited by permissions boundary developer-boundary"
    )


def test_permission_set_findings_are_suppressed_inline(tmp_path: Path) -> None:
    text = (SSO / "main.tf").read_text()
    text = text.replace(
        'resource "aws_ssoadmin_managed_policy_attachment" "admin" {',
        '# lpgen:ignore LP010 break-glass, reviewed quarterly\n'
        'resource "aws_ssoadmin_managed_policy_attachment" "admin" {',
    )
    (tmp_path / "main.tf").write_text(text)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--no-git", "--select", "LP010"])
    assert result.exit_code == 1
    assert "permission set 'Admin'" not in result.output
    assert "permission set 'Platform'" in result.output


def test_who_can_names_permission_sets() -> None:
    result = CliRunner().invoke(main, ["graph", str(SSO), "--who-can", "iam:PassRole"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  permission set Developer: can" in lines
    assert "  permission set Platform: can" in lines
    assert "  permission set ReadOnly: maybe" in lines


def test_permission_sets_in_a_plan(tmp_path: Path) -> None:
    from tests.test_plan import change, plan_of

    inline = '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    plan = tmp_path / "plan.json"
    plan.write_text(plan_of(
        [
            change("aws_ssoadmin_permission_set.admin", {"name": "Admin"}, {"arn": True}),
            change("aws_ssoadmin_permission_set_inline_policy.admin",
                   {"inline_policy": inline}, {"permission_set_arn": True}),
            change("aws_ssoadmin_managed_policy_attachment.admin",
                   {"managed_policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                   {"permission_set_arn": True}),
        ],
        {"resources": [
            {"address": "aws_ssoadmin_permission_set_inline_policy.admin",
             "expressions": {"permission_set_arn": {
                 "references": ["aws_ssoadmin_permission_set.admin.arn",
                                "aws_ssoadmin_permission_set.admin"]}}},
            {"address": "aws_ssoadmin_managed_policy_attachment.admin",
             "expressions": {"permission_set_arn": {
                 "references": ["aws_ssoadmin_permission_set.admin.arn",
                                "aws_ssoadmin_permission_set.admin"]}}},
        ]},
    ))  # fmt: skip
    result = run_check(None, plan=plan, options=CheckOptions(use_git=False, select=("LP010",)))
    assert [(f.address, f.message) for f in result.findings] == [
        ("aws_ssoadmin_managed_policy_attachment.admin",
         "AWS-managed policy AdministratorAccess (every action on every resource) is attached "
         "to permission set 'Admin'"),
        ("aws_ssoadmin_permission_set_inline_policy.admin",
         "Inline policy of permission set 'Admin' allows every action on every resource "
         "(statement 1)"),
    ]  # fmt: skip

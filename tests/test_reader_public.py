"""Small cases vendored from public module libraries (sources and licences in SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lpgen.cli import main
from tests.shown import shown

PUBLIC = Path(__file__).parent / "data" / "reader" / "public"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--no-cache"])
    return result.exit_code, result.stdout, result.stderr


def test_terraform_aws_iam_user_module_switched_off_and_on() -> None:
    tree = PUBLIC / "terraform-aws-iam-user"
    code, out, err = run("inventory", str(tree), "--format", "json")
    assert (code, err) == (0, "")
    inv = json.loads(out)
    assert [u["address"] for u in inv["users"]] == ["module.deployer.aws_iam_user.this[0]"]
    assert [p["address"] for p in inv["policies"]] == [
        "module.deployer.aws_iam_user_policy.inline[0]"
    ]
    assert [(n["address"], n["reason"]) for n in inv["not_instantiated"]] == [
        ("module.disabled.aws_iam_user.this", "count is 0 (var.create = false)"),
        ("module.disabled.aws_iam_user_policy_attachment.additional",
         "for_each is empty (var.policies = {}, var.create = false)"),
        ("module.disabled.aws_iam_user_policy.inline",
         "count is 0 (local.create_inline_policy = false)"),
        ("module.deployer.aws_iam_user_policy_attachment.additional",
         "for_each is empty (var.policies = {}, var.create = true)"),
    ]  # fmt: skip
    code, out, _ = run("check", str(tree), "--select", "LP010,LP011")
    assert code == 1
    assert out.splitlines() == [
        f"{shown(tree)}/main.tf:20: LP011 medium Inline policy 'deployer' of user 'deployer' allows "
        "every s3 action (s3:*) on every resource (statement 'Deploy') "
        "[module.deployer.aws_iam_user_policy.inline[0]]",
        f"{shown(tree)}/modules/iam-user/main.tf:37: LP010 critical Inline policy 'break-glass' of "
        "user 'break-glass' allows every action on every resource (statement 'Admin') (not "
        "instantiated: count is 0 (local.create_inline_policy = false)) "
        "[module.disabled.aws_iam_user_policy.inline]",
        "2 findings (1 critical, 1 medium).",
    ]


def test_cloudposse_iam_role_behind_a_registry_label_is_unresolved_not_lost() -> None:
    tree = PUBLIC / "cloudposse-iam-role"
    code, out, err = run("inventory", str(tree), "--format", "json")
    assert code == 0
    assert err == (
        "Warning: 5 IAM declarations could not be fully evaluated: module module.this "
        "(cloudposse/label/null) is not followed; see `lpgen inventory`\n"
    )
    inv = json.loads(out)
    assert inv["roles"] == [] and inv["policies"] == [] and inv["not_instantiated"] == []
    unresolved = {u["address"]: u["message"] for u in inv["unresolved"]}
    for address in (
        "aws_iam_role.default", "aws_iam_role_policy.default", "aws_iam_policy.default",
        "aws_iam_role_policy_attachment.default",
    ):  # fmt: skip
        assert unresolved[address] == (
            "count is not known: module module.this (cloudposse/label/null) is not followed"
        )
    code, _, _ = run("inventory", str(tree), "--strict")
    assert code == 2

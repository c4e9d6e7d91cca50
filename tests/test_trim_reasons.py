"""What trim's report says of a policy it leaves unchanged is true of that policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpgen.cli import main
from tests.snapshots import policy_snapshot

ACCOUNT = "111122223333"


def snapshot(names: list[str]) -> dict[str, Any]:
    return policy_snapshot(names, {"s3": True, "sqs": False})


def decisions(tmp_path: Path, tf: str, names: list[str], *extra: str) -> dict[str, Any]:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(tf)
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot(names)))
    result = CliRunner().invoke(main, ["trim", str(tree), "--snapshot", str(snap), "--no-git",
                                       "--format", "json", *extra])  # fmt: skip
    assert result.exit_code == 0, result.output
    return {p["address"]: p for p in json.loads(result.stdout)["policies"]}


def policy(name: str, statements: str, extra: str = "") -> str:
    return (
        f'resource "aws_iam_policy" "{name}" {{\n{extra}  name = "{name}"\n'
        f'  policy = jsonencode({{ Version = "2012-10-17", Statement = [{statements}] }})\n}}\n'
    )


def test_an_unused_action_of_a_deny_statement_is_not_called_used(tmp_path: Path) -> None:
    # sqs is unused; where it sits in a Deny, it stays, but not because it was used.
    tf = policy(
        "p",
        '{ Sid = "K", Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" },'
        '{ Sid = "D", Effect = "Deny", Action = ["sqs:SendMessage"], Resource = "*" }',
    ) + policy("q", '{ Effect = "Deny", Action = ["sqs:SendMessage"], Resource = "*" }')
    got = decisions(tmp_path, tf, ["p", "q"])
    assert got["aws_iam_policy.p"]["status"] == "unchanged"
    assert got["aws_iam_policy.p"]["reason"] == (
        "every action its Allow statements grant was used in the 90-day window "
        "(Deny statements are never changed)"
    )
    assert got["aws_iam_policy.q"]["reason"] == (
        "nothing to trim: no Allow statement (Deny statements are never changed)"
    )


def test_a_statement_whose_effect_is_not_known_is_said_to_be_left_as_is(
    tmp_path: Path,
) -> None:
    tf = 'variable "effect" {}\n' + policy(
        "p",
        '{ Sid = "K", Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" },'
        '{ Sid = "V", Effect = var.effect, Action = ["sqs:SendMessage"], Resource = "*" }',
    )
    got = decisions(tmp_path, tf, ["p"])["aws_iam_policy.p"]
    assert got["status"] == "unchanged"
    assert got["kept"] == [{"subject": "statement 'V'", "code": "not-editable",
                            "reason": "left as is: Effect is not known", "count": 1}]  # fmt: skip
    assert got["reason"].startswith("nothing to remove")


def test_a_policy_whose_actions_were_all_used_says_so(tmp_path: Path) -> None:
    tf = policy("p", '{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }')
    got = decisions(tmp_path, tf, ["p"])["aws_iam_policy.p"]
    assert (got["status"], got["reason"]) == (
        "unchanged",
        "every action was used in the 90-day window",
    )


def test_a_shared_wildcard_says_what_it_keeps_for_the_other_policy(tmp_path: Path) -> None:
    """Two policies read one JSON file with ``s3:*``: f never used S3, f2 used all of it but
    s3:DeleteBucket. The wildcard loses only DeleteBucket, and f's report says why the rest
    of what it did not use stays."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "f.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage", "s3:*"],
                    "Resource": "*",
                },
            }
        )
    )
    (tree / "main.tf").write_text(
        "".join(
            f'resource "aws_iam_policy" "{n}" {{\n  name   = "{n}"\n'
            '  policy = file("${path.module}/f.json")\n}\n'
            for n in ("f", "f2")
        )
    )
    used = "2026-11-01T00:00:00+00:00"

    def entity(name: str, services: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}",
            "create_date": "2024-01-01T00:00:00Z",
            "details": {
                "JobStatus": "COMPLETED",
                "JobType": "ACTION_LEVEL",
                "ServicesLastAccessed": services,
            },
        }

    snap = {"format": "lpgen.snapshot/1", "account_id": ACCOUNT, "partition": "aws",
            "collected_at": "2026-11-20T00:00:00+00:00", "entities": [
                entity("f", [{"ServiceNamespace": "s3", "ServiceName": "S3"},
                             {"ServiceNamespace": "sqs", "ServiceName": "SQS"}]),
                entity("f2", [{"ServiceNamespace": "s3", "ServiceName": "S3",
                               "LastAuthenticated": used, "TrackedActionsLastAccessed": [
                                   {"ActionName": "DeleteBucket"}]},
                              {"ServiceNamespace": "sqs", "ServiceName": "SQS",
                               "LastAuthenticated": used}])]}  # fmt: skip
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snap))
    result = CliRunner().invoke(main, ["trim", str(tree), "--snapshot", str(path), "--no-git",
                                       "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    got = {p["address"]: p for p in json.loads(result.stdout)["policies"]}
    f = got["aws_iam_policy.f"]
    assert [r["actions"] for r in f["removed"]] == [["s3:DeleteBucket"]]
    [note] = [k for k in f["kept"] if k["subject"] == "s3:*"]
    assert note["code"] == "shared" and note["count"] > 100
    assert note["reason"] == (
        f"{note['count']} of its actions unused here stay: the same source is also used by "
        "aws_iam_policy.f2, which keeps them"
    )


def test_one_modules_policy_reached_from_two_roots_is_told_apart(tmp_path: Path) -> None:
    """envs/dev and envs/build call one module: two policies with one address and place. The
    report names each with its root (and the JSON has the root of every policy)."""
    tree = tmp_path / "tree"
    (tree / "modules" / "role").mkdir(parents=True)
    (tree / "modules" / "role" / "main.tf").write_text(
        'variable "env" {}\n'
        'resource "aws_iam_policy" "p" {\n  name   = "p-${var.env}"\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
        'Action = ["s3:GetObject", "sqs:SendMessage"], Resource = "*" }] })\n}\n'
    )
    for env in ("build", "dev"):
        (tree / "envs" / env).mkdir(parents=True)
        (tree / "envs" / env / "main.tf").write_text(
            f'module "main" {{\n  source = "../../modules/role"\n  env    = "{env}"\n}}\n'
        )
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot(["p-build", "p-dev"])))
    runner = CliRunner()
    args = ["trim", str(tree), "--snapshot", str(snap), "--no-git"]
    text = runner.invoke(main, args)
    assert text.exit_code == 0, text.output
    rows = [line for line in text.stdout.splitlines() if line.startswith("trimmed")]
    assert [r.split()[1:4] for r in rows] == [
        ["module.main.aws_iam_policy.p", "(root", "envs/build)"],
        ["module.main.aws_iam_policy.p", "(root", "envs/dev)"],
    ]
    report = json.loads(runner.invoke(main, [*args, "--format", "json"]).stdout)
    assert sorted(p["root"] for p in report["policies"]) == ["envs/build", "envs/dev"]
    markdown = runner.invoke(main, [*args, "--format", "markdown"]).stdout
    assert "### `module.main.aws_iam_policy.p (root envs/dev)`: trimmed" in markdown


def test_a_policy_of_one_root_is_named_by_its_address_alone(tmp_path: Path) -> None:
    tf = policy("p", '{ Effect = "Allow", Action = ["s3:GetObject", "sqs:SendMessage"], '
                     'Resource = "*" }')  # fmt: skip
    got = decisions(tmp_path, tf, ["p"])["aws_iam_policy.p"]
    assert got["root"] == "."

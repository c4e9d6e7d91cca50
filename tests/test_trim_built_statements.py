"""Statements a ``for`` expression builds are left as they are, and what trim says it removed
is what it writes: the services still granted by statements it leaves as written are not
"no longer granted".

Hand-written variants of the constructs in public trees (``for`` over actions building
statements, ``flatten()``, NotAction beside trimmed statements).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpgen.cli import main
from tests.snapshots import policy_snapshot


def snapshot(names: list[str], services: dict[str, dict[str, bool] | bool]) -> dict[str, Any]:
    """``services``: namespace -> used (service level) or {action: used} (tracked)."""
    return policy_snapshot(names, services, job_type="ACTION_LEVEL")


def trim(tmp_path: Path, tf: str, snap: dict[str, Any], *args: str) -> tuple[int, str]:
    tree = tmp_path / "tree"
    if not tree.exists():  # later calls run on what the earlier ones wrote
        tree.mkdir()
        (tree / "main.tf").write_text(tf)
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snap))
    result = CliRunner().invoke(main, ["trim", str(tree), "--snapshot", str(path), "--no-git",
                                       *args])  # fmt: skip
    return result.exit_code, result.stdout


FOR_STATEMENTS = """
resource "aws_iam_policy" "single" {
  name   = "single"
  policy = jsonencode({ Version = "2012-10-17", Statement = [for a in ["sns:Publish", "sns:DeleteTopic"] : { Effect = "Allow", Action = a, Resource = "*" }] })
}

resource "aws_iam_policy" "listed" {
  name   = "listed"
  policy = jsonencode({ Version = "2012-10-17", Statement = [for a in ["sns:Publish", "sns:DeleteTopic"] : { Effect = "Allow", Action = [a], Resource = "*" }] })
}

resource "aws_iam_policy" "plain" {
  name   = "plain"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["sns:Publish", "sns:DeleteTopic"], Resource = "*" }] })
}
"""


def test_statements_built_by_a_for_expression_are_left_as_is(tmp_path: Path) -> None:
    snap = snapshot(["single", "listed", "plain"],
                    {"sns": {"Publish": True, "DeleteTopic": False}})  # fmt: skip
    code, report = trim(tmp_path, FOR_STATEMENTS, snap, "--format", "json")
    assert code == 0, report
    got = {p["address"]: p for p in json.loads(report)["policies"]}
    for name in ("single", "listed"):
        d = got[f"aws_iam_policy.{name}"]
        assert d["status"] == "unchanged" and not d.get("removed")
        assert {k["reason"] for k in d["kept"]} == {"left as is: built by a for expression"}
    # The rest of the tree is still trimmed (one such statement used to stop the whole run).
    assert got["aws_iam_policy.plain"]["status"] == "trimmed"
    code, _ = trim(tmp_path, FOR_STATEMENTS, snap, "--write")
    assert code == 0
    text = (tmp_path / "tree" / "main.tf").read_text()
    assert text.count('"sns:DeleteTopic"') == 2  # the two for expressions, as written
    code, out = trim(tmp_path, FOR_STATEMENTS, snap, "--check")
    assert (code, out) == (0, "")  # nothing left that trim would do


def test_a_service_granted_by_a_statement_left_as_is_is_not_no_longer_granted(
    tmp_path: Path,
) -> None:
    tf = """
resource "aws_iam_policy" "q" {
  name   = "q"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["sns:Publish", "ec2:RebootInstances"], Resource = "*" },
      { Effect = "Allow", Action = [for s in ["sns"] : "${s}:ListTopics"], Resource = "*" },
    ]
  })
}

resource "aws_iam_policy" "n" {
  name   = "n"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["sqs:SendMessage", "s3:GetObject"], Resource = "*" },
      { Effect = "Allow", NotAction = ["iam:*"], Resource = "*" },
    ]
  })
}
"""
    snap = snapshot(["q", "n"], {"sns": False, "ec2": True, "sqs": False, "s3": True,
                                 "iam": True})  # fmt: skip
    code, report = trim(tmp_path, tf, snap, "--format", "json")
    assert code == 0, report
    got = {p["address"]: p for p in json.loads(report)["policies"]}
    q, n = got["aws_iam_policy.q"], got["aws_iam_policy.n"]
    assert q["status"] == "trimmed" and q["services_removed"] == []  # sns:ListTopics stays
    assert [r["entry"] for r in q["removed"]] == ["sns:Publish"]
    assert q["reason"] == "removed 1 action unused in the 90-day window"
    assert n["status"] == "trimmed" and n["services_removed"] == []  # NotAction grants sqs
    summary = json.loads(report)["summary"]
    assert summary["services_removed"] == 0

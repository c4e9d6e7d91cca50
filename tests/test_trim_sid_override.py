"""A statement that replaces another by its Sid (aws_iam_policy_document's merge) is never
removed whole: the statement it replaces would apply again, and the policy would grow.

The AWS provider merges ``source_policy_documents`` first, then the document's own
statements, then ``override_policy_documents``; a later statement with the same ``sid``
replaces the earlier one. Cases of this kind were found by trimming hand-written variants of
the merges public modules use (aws-ia/terraform-aws-eks-blueprints' patterns).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.inventory import InventoryOptions, build_inventory
from tests.snapshots import policy_snapshot

ACCOUNT = "111122223333"

BASE = """
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "S"
    actions   = ["ec2:*"]
    resources = ["*"]
  }
}
"""

OVERRIDE = (
    BASE
    + """
data "aws_iam_policy_document" "narrow" {
  statement {
    sid       = "S"
    actions   = [%s]
    resources = ["*"]
  }
  statement {
    sid       = "K"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "merged" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.narrow.json]
}

resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.aws_iam_policy_document.merged.json
}
"""
)

OWN = (
    BASE
    + """
data "aws_iam_policy_document" "merged" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {
    sid       = "S"
    actions   = [%s]
    resources = ["*"]
  }
  statement {
    sid       = "K"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.aws_iam_policy_document.merged.json
}
"""
)


def snapshot(used: list[str], unused: list[str]) -> dict[str, Any]:
    return policy_snapshot(["p"], {**dict.fromkeys(used, True), **dict.fromkeys(unused, False)})


def allowed(tree: Path) -> set[tuple[str | None, str]]:
    """(Sid, action) of every Allow statement of policy p as lpgen evaluates the merge."""
    inv = build_inventory(tree, options=InventoryOptions(account_id=ACCOUNT))
    [policy] = [p for p in inv.policies if p.address == "aws_iam_policy.p"]
    assert policy.document is not None
    return {
        (st.sid, a.value)
        for st in policy.document.statements
        if st.is_allow
        for a in st.actions or []
    }


def trim(tree: Path, snap: dict[str, Any]) -> dict[str, Any]:
    path = tree.parent / "snap.json"
    path.write_text(json.dumps(snap))
    runner = CliRunner()
    report = runner.invoke(main, ["trim", str(tree), "--snapshot", str(path), "--format",
                                  "json", "--no-git"])  # fmt: skip
    assert report.exit_code == 0, report.output
    wrote = runner.invoke(main, ["trim", str(tree), "--snapshot", str(path), "--write",
                                 "--no-git"])  # fmt: skip
    assert wrote.exit_code == 0, wrote.output
    return json.loads(report.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("template", [OVERRIDE, OWN], ids=["override", "own-statements"])
def test_an_unused_statement_replacing_another_by_sid_is_kept(
    tmp_path: Path, template: str
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(template % '"sqs:SendMessage"')
    before = allowed(tree)
    assert before == {("S", "sqs:SendMessage"), ("K", "s3:GetObject")}  # ec2:* replaced
    report = trim(tree, snapshot(used=["s3"], unused=["sqs", "ec2"]))
    assert allowed(tree) == before  # not ec2:* again
    [decision] = report["policies"]
    assert decision["status"] == "unchanged"
    kept = {k["subject"]: k["reason"] for k in decision["kept"]}
    # Not "another user of the same source keeps it": there is none.
    assert (
        kept["sqs:SendMessage"]
        == "unused, but kept with its statement, which cannot be removed or emptied"
    )
    assert kept["statement 'S'"] == (
        "every action is unused but the statement cannot be removed: it replaces the "
        'statement with Sid "S" of source_policy_documents, which would apply again'
    )


@pytest.mark.parametrize("template", [OVERRIDE, OWN], ids=["override", "own-statements"])
def test_a_replacing_statement_still_loses_its_unused_actions(
    tmp_path: Path, template: str
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(template % '"sqs:SendMessage", "sns:Publish"')
    report = trim(tree, snapshot(used=["s3", "sns"], unused=["sqs", "ec2"]))
    assert report["policies"][0]["status"] == "trimmed"
    after = allowed(tree)
    assert after == {("S", "sns:Publish"), ("K", "s3:GetObject")}


def test_a_statement_replacing_nothing_is_removed_as_before(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(
        (OWN % '"sqs:SendMessage"').replace(
            'sid       = "S"\n    actions   = ["ec2:*"]',
            'sid       = "B"\n    actions   = ["ec2:*"]',
        )
    )
    report = trim(tree, snapshot(used=["s3", "ec2"], unused=["sqs"]))
    assert report["policies"][0]["status"] == "trimmed"
    assert allowed(tree) == {("B", "ec2:*"), ("K", "s3:GetObject")}

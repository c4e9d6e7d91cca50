"""An ``lpgen:keep`` comment on an action entry protects it wherever its list is written (a
local, a variable's default), and a ``/* */`` comment's reason ends where the comment does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpgen.cli import main
from tests.snapshots import policy_snapshot

TREE = """
locals {
  # lpgen:keep sqs:PurgeQueue
  one_line = ["sqs:SendMessage", "sqs:DeleteQueue", "sqs:PurgeQueue"]
  listed = [
    "sqs:SendMessage",
    # lpgen:keep
    "sqs:DeleteQueue",
    "sqs:PurgeQueue", # lpgen:keep until=2027-01-01 monthly purge
    "sqs:ListQueues",
  ]
}

resource "aws_iam_policy" "a" {
  name   = "a"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = local.one_line, Resource = "*" }] })
}

resource "aws_iam_policy" "b" {
  name   = "b"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = local.listed, Resource = "*" }] })
}

resource "aws_iam_policy" "c" {
  name = "c"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = [
    /* lpgen:keep yearly audit */ "sqs:DeleteQueue",
    "sqs:PurgeQueue",
  ], Resource = "*" }] })
}
"""


def snapshot(names: list[str]) -> dict[str, Any]:
    tracked = {"SendMessage": True, "DeleteQueue": False, "PurgeQueue": False, "ListQueues": False}
    return policy_snapshot(names, {"sqs": tracked})


def test_keep_comments_on_entries_protect_them(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(TREE)
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot(["a", "b", "c"])))
    runner = CliRunner()
    result = runner.invoke(main, ["trim", str(tree), "--snapshot", str(snap), "--no-git",
                                  "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    got = {p["address"]: p for p in json.loads(result.stdout)["policies"]}
    removed = {a: sorted(x for r in d.get("removed", []) for x in r["actions"])
               for a, d in got.items()}  # fmt: skip
    assert removed == {
        "aws_iam_policy.a": ["sqs:DeleteQueue"],  # PurgeQueue named above the local
        "aws_iam_policy.b": ["sqs:ListQueues"],  # the comment above, the one after
        "aws_iam_policy.c": [],  # inside the statement: protects the whole statement
    }
    kept_c = {k["subject"]: k["reason"] for k in got["aws_iam_policy.c"]["kept"]}
    # The reason ends where the /* */ comment does (not '*/ "sqs:DeleteQueue",').
    assert kept_c["sqs:DeleteQueue"] == "protected by lpgen:keep at main.tf:27: yearly audit"
    kept_b = {k["subject"]: k["reason"] for k in got["aws_iam_policy.b"]["kept"]}
    assert kept_b["sqs:PurgeQueue"] == (
        "protected by lpgen:keep at main.tf:9 until 2027-01-01: monthly purge"
    )
    wrote = runner.invoke(main, ["trim", str(tree), "--snapshot", str(snap), "--no-git",
                                 "--write"])  # fmt: skip
    assert wrote.exit_code == 0, wrote.output
    text = (tree / "main.tf").read_text()
    assert "# lpgen:keep\n" in text and "# lpgen:keep until=2027-01-01" in text
    assert '"sqs:ListQueues"' not in text

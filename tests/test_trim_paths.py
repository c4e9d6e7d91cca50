"""Trim writes only inside the tree: real paths under PATH for --write, under DIR for --out.

Policies read through ``file("../common/p.json")``, an absolute path, a symlinked ``.tf`` or
a symlinked directory keep their decision, marked "outside PATH: not edited".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.errors import EditError
from lpgen.rewrite import FileChange, read_source, write_copy, write_in_place

POLICY_JSON = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "sqs:SendMessage"], "Resource": "*"}
  ]
}
"""


def _policy_tf(name: str) -> str:
    return (
        f'resource "aws_iam_policy" "{name}" {{\n  name = "{name}"\n  policy = jsonencode({{\n'
        '    Version = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = '
        '["s3:GetObject", "sqs:SendMessage"], Resource = "*" }]\n  })\n}\n'
    )


def _snapshot(path: Path, names: list[str]) -> Path:
    entities = [
        {
            "arn": f"arn:aws:iam::111122223333:policy/{n}",
            "create_date": "2024-03-01T10:00:00+00:00",
            "details": {
                "JobStatus": "COMPLETED",
                "JobType": "ACTION_LEVEL",
                "JobCompletionDate": "2026-11-20T00:00:00+00:00",
                "ServicesLastAccessed": [
                    {"ServiceNamespace": "s3", "ServiceName": "S3",
                     "LastAuthenticated": "2026-11-01T09:00:00+00:00"},
                    {"ServiceNamespace": "sqs", "ServiceName": "SQS"},
                ],
            },
        }
        for n in names
    ]
    path.write_text(json.dumps({
        "format": "lpgen.snapshot/1", "account_id": "111122223333", "partition": "aws",
        "collected_at": "2026-11-20T00:00:00+00:00", "entities": entities,
    }))
    return path


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """tree/ with one policy of its own and four stored outside it."""
    tree, shared, ext = tmp_path / "tree", tmp_path / "common", tmp_path / "ext"
    for d in (tree, shared, ext / "mod"):
        d.mkdir(parents=True)
    (shared / "p.json").write_text(POLICY_JSON)
    (tmp_path / "abs.json").write_text(POLICY_JSON)
    (ext / "real.tf").write_text(_policy_tf("linked"))
    (ext / "mod" / "main.tf").write_text(_policy_tf("inmod"))
    (tree / "main.tf").write_text(
        _policy_tf("own")
        + 'resource "aws_iam_policy" "rel" {\n  name   = "rel"\n'
        '  policy = file("${path.module}/../common/p.json")\n}\n'
        + f'resource "aws_iam_policy" "abs" {{\n  name   = "abs"\n'
        f'  policy = file("{tmp_path / "abs.json"}")\n}}\n'
        + 'module "m" {\n  source = "./mod"\n}\n'
    )
    (tree / "linked.tf").symlink_to("../ext/real.tf")
    (tree / "mod").symlink_to("../ext/mod", target_is_directory=True)
    snap = _snapshot(tmp_path / "snapshot.json", ["own", "rel", "abs", "linked", "inmod"])
    return {"root": tmp_path, "tree": tree, "snap": snap}


def _outside(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): read_source(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and "tree" not in p.relative_to(root).parts
    }


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes.decode(), result.stderr


def test_write_edits_only_files_under_path(layout: dict[str, Path]) -> None:
    root, tree = layout["root"], layout["tree"]
    before = _outside(root)
    code, report, err = run("trim", str(tree), "--snapshot", str(layout["snap"]), "--no-git",
                            "--write")
    assert (code, err) == (0, "Wrote 1 file.\n")
    assert _outside(root) == before
    assert '"sqs:SendMessage"' not in read_source(tree / "main.tf").split("aws_iam_policy\" \"rel")[0]
    assert (tree / "linked.tf").is_symlink() and (tree / "mod").is_symlink()
    lines = report.splitlines()
    for address in ("aws_iam_policy.rel", "aws_iam_policy.abs", "aws_iam_policy.linked",
                    "module.m.aws_iam_policy.inmod"):
        [row] = [line for line in lines if f" {address} " in line]
        # Nothing of it is edited: skipped, saying what it would have removed, and not
        # counted as trimmed.
        assert row.startswith("skipped"), row
        assert row.endswith("outside PATH: not edited (would remove 1 action unused in the "
                            "90-day window (1 service no longer granted))"), row
        assert f"{address} (" not in report  # no removal listed for it
    [own] = [line for line in lines if " aws_iam_policy.own " in line]
    assert "outside PATH" not in own
    assert lines[-1] == ("1 policy trimmed, 0 unchanged, 4 skipped; 1 action and 1 service "
                         "removed.")


def test_a_policy_edited_partly_outside_counts_only_what_is_written(tmp_path: Path) -> None:
    """A document merging a JSON file stored outside PATH with statements of its own: only
    the own statements are edited, and only their removals are reported and counted (a
    service whose actions stay in the outside file is still granted)."""
    tree, common = tmp_path / "tree", tmp_path / "common"
    tree.mkdir()
    common.mkdir()
    (common / "p.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Sid": "Out", "Effect": "Allow", '
        '"Action": ["s3:GetObject", "sqs:SendMessage"], "Resource": "*"}]}\n'
    )
    (tree / "main.tf").write_text(
        'data "aws_iam_policy_document" "d" {\n'
        '  source_policy_documents = [file("${path.module}/../common/p.json")]\n'
        "  statement {\n"
        '    sid       = "In"\n'
        '    actions   = ["s3:PutObject", "sqs:ReceiveMessage"]\n'
        '    resources = ["*"]\n'
        "  }\n}\n\n"
        'resource "aws_iam_policy" "p" {\n  name   = "p"\n'
        "  policy = data.aws_iam_policy_document.d.json\n}\n"
    )
    before = read_source(common / "p.json")
    snap = _snapshot(tmp_path / "snapshot.json", ["p"])
    code, report, _ = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--write")
    assert code == 0
    assert read_source(common / "p.json") == before
    assert '"sqs:ReceiveMessage"' not in read_source(tree / "main.tf")
    lines = report.splitlines()
    [row] = [line for line in lines if " aws_iam_policy.p " in line]
    assert row.startswith("trimmed")
    # sqs:SendMessage stays in the outside file: sqs is still granted.
    assert row.endswith("removed 1 action unused in the 90-day window "
                        "(edits in ../common/p.json outside PATH: not edited)"), row
    assert "sqs:SendMessage" not in report
    assert lines[-1] == "1 policy trimmed, 0 unchanged, 0 skipped; 1 action and 0 services removed."


def test_diff_shows_only_files_under_path(layout: dict[str, Path]) -> None:
    code, diff, _ = run("trim", str(layout["tree"]), "--snapshot", str(layout["snap"]),
                        "--no-git", "--diff")
    assert code == 0
    assert [line for line in diff.splitlines() if line.startswith("diff --git")] == [
        "diff --git a/main.tf b/main.tf"
    ]
    assert ".." not in diff


def test_out_writes_only_under_dir(layout: dict[str, Path]) -> None:
    root, tree = layout["root"], layout["tree"]
    before = _outside(root)
    entries = sorted(p.name for p in root.iterdir())
    out = root / "copy"
    code, _, err = run("trim", str(tree), "--snapshot", str(layout["snap"]), "--no-git",
                       "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in root.iterdir()) == sorted([*entries, "copy"])
    assert {k: v for k, v in _outside(root).items() if not k.startswith("copy/")} == before
    assert '"sqs:SendMessage"' not in read_source(out / "main.tf").split("\"rel\"")[0]
    # The outside policies were copied as they are (symlinks followed), not trimmed.
    assert '"sqs:SendMessage"' in read_source(out / "linked.tf")


def test_writers_refuse_paths_outside_the_tree(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.tf").write_text("# a\n")
    (tmp_path / "escape.tf").write_text("# outside\n")
    changes = [FileChange("a.tf", "# a\n", "# A\n"),
               FileChange("../escape.tf", "# outside\n", "# changed\n")]
    with pytest.raises(EditError, match="outside PATH"):
        write_in_place(tree, changes)
    with pytest.raises(EditError, match="outside PATH"):
        write_copy(tree, tmp_path / "copy", changes)
    assert read_source(tree / "a.tf") == "# a\n"  # nothing written, not even the inside file
    assert read_source(tmp_path / "escape.tf") == "# outside\n"
    assert not (tmp_path / "copy").exists()


def test_a_symlink_inside_the_tree_is_followed_and_kept(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "real").mkdir(parents=True)
    (tree / "real" / "policy.tf").write_text(_policy_tf("own"))
    (tree / "link.tf").symlink_to("real/policy.tf")
    snap = _snapshot(tmp_path / "snapshot.json", ["own"])
    code, _, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--write")
    assert (code, err) == (0, "Wrote 1 file.\n")
    assert (tree / "link.tf").is_symlink()
    assert '"sqs:SendMessage"' not in read_source(tree / "real" / "policy.tf")


def test_memberships_outside_path_keep_their_decision(tmp_path: Path) -> None:
    case = Path(__file__).parent / "data" / "graph" / "memberships"
    outside, tree = tmp_path / "outside", tmp_path / "tree"
    outside.mkdir()
    tree.mkdir()
    shutil.copy(case / "group_membership" / "input" / "main.tf", outside / "main.tf")
    (tree / "main.tf").symlink_to("../outside/main.tf")
    before = read_source(outside / "main.tf")
    code, out, err = run("trim", str(tree), "--snapshot", str(case / "snapshot.json"),
                         "--memberships", "--no-git", "--write", "--format", "json")
    assert code == 0, err
    assert read_source(outside / "main.tf") == before
    records = json.loads(out)["memberships"]
    outside_path = [m for m in records if m["reason"].endswith("; not edited: outside PATH")]
    assert {(m["user"], m["group"]) for m in outside_path} == {
        ("bob", "dev"), ("dave", "dev"), ("dave", "ops"),
    }
    assert not [m for m in records if m["status"] == "removed"]


def test_check_does_not_fail_on_edits_it_could_never_write(tmp_path: Path) -> None:
    """--check exits 1 when trim has edits to write; a policy stored outside PATH has none
    (it is skipped), so a pipeline running --check on this tree passes."""
    tree, common = tmp_path / "tree", tmp_path / "common"
    tree.mkdir()
    common.mkdir()
    (common / "p.json").write_text(POLICY_JSON)
    (tree / "main.tf").write_text(
        'resource "aws_iam_policy" "rel" {\n  name   = "rel"\n'
        '  policy = file("${path.module}/../common/p.json")\n}\n'
    )
    snap = _snapshot(tmp_path / "snapshot.json", ["rel"])
    code, out, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--check")
    assert (code, out) == (0, "")
    assert err.endswith("0 policies trimmed, 0 unchanged, 1 skipped; 0 actions and 0 services removed.\n")

"""Files are read as HashiCorp's parser reads them (checked against @cdktf/hcl2json)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from tests.hashicorp import available, hashicorp_parse
from tests.shown import shown

READER = Path(__file__).parent / "data" / "reader"
TRIM = Path(__file__).parent / "data" / "trim"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--no-cache"])
    return result.exit_code, result.stdout, result.stderr


def copy(case: str, tmp_path: Path) -> Path:
    dest = tmp_path / case
    shutil.copytree(READER / case, dest)
    return dest


def test_heredoc_end_marker_with_trailing_spaces_is_read() -> None:
    where = shown(READER / "heredoc_end_spaces")
    tree = READER / "heredoc_end_spaces"
    code, out, err = run("check", str(tree))
    assert err == ""
    assert code == 1
    assert out == (
        f"{shown(tree)}/main.tf:6: LP010 critical Policy 'admin' allows every action on every "
        "resource (statement 1) [aws_iam_policy.admin]\n"
        f"{shown(tree)}/main.tf:14: LP011 medium Policy 'ops' allows every s3 action (s3:*) on every "
        "resource (statement 1) [aws_iam_policy.ops]\n"
        "2 findings (1 critical, 1 medium).\n"
    )
    code, out, _ = run("inventory", str(tree))
    assert f"  ops [managed, heredoc, 1 statements] attached to nothing  ({where}/main.tf:11)\n" in out


def test_byte_order_mark_is_read(tmp_path: Path) -> None:
    code, out, err = run("inventory", str(READER / "bom"))
    assert (code, err) == (0, "")
    assert "Users\n  ann: (no group)\n" in out


def test_byte_order_mark_is_kept_when_trim_writes(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TRIM / "jsonencode" / "input", tree)
    tf = next(p for p in sorted(tree.rglob("*.tf")) if "aws_iam_policy" in p.read_text())
    tf.write_bytes(b"\xef\xbb\xbf" + tf.read_bytes())
    snapshot = str(TRIM / "jsonencode" / "snapshot.json")
    result = CliRunner().invoke(
        main, ["trim", str(tree), "--snapshot", snapshot, "--no-git", "--write", "--no-cache"]
    )
    assert result.exit_code == 0, result.stderr
    assert tf.read_bytes().startswith(b"\xef\xbb\xbf")
    assert tf.read_bytes().count(b"\xef\xbb\xbf") == 1
    expected = next((TRIM / "jsonencode" / "expected").rglob(tf.name)).read_bytes()
    assert tf.read_bytes() == b"\xef\xbb\xbf" + expected


def test_argument_set_twice_is_a_parse_error_naming_both_lines() -> None:
    tree = READER / "duplicate_argument"
    message = (
        'main.tf:4: attribute redefined: the argument "name" was already set at main.tf:2 '
        "(each argument may be set only once)"
    )
    code, out, err = run("inventory", str(tree))
    assert code == 0
    # The warning names the file from the repository root, as the reports do.
    assert err == f"Warning: {shown(tree)}/{message} (file skipped)\n"
    code, out, err = run("inventory", str(tree), "--strict")
    assert (code, out, err) == (2, "", f"Error: {message}\n")


def test_bytes_that_are_not_utf8_name_file_line_and_column() -> None:
    code, out, err = run("inventory", str(READER / "not_utf8"))
    assert (code, out) == (2, "")
    assert err == (
        "Error: main.tf:2: not UTF-8 text: byte 0xe9 at line 2, column 8 (save the file as UTF-8)\n"
    )


def test_fifo_named_tf_is_skipped_with_a_warning_never_opened(tmp_path: Path) -> None:
    tree = copy("bom", tmp_path)
    os.mkfifo(tree / "pipe.tf")
    code, out, err = run("inventory", str(tree))
    assert code == 0
    assert err == "Warning: pipe.tf:1: a FIFO, not a regular file: not read (file skipped)\n"
    assert "  ann: (no group)\n" in out



def test_fifo_that_appears_after_a_cached_run_is_still_reported(tmp_path: Path) -> None:
    """The result cache must not hide a skipped file: the FIFO changes the cache key."""
    tree = copy("bom", tmp_path)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    first = CliRunner().invoke(main, ["inventory", str(tree), *cache])
    assert (first.exit_code, first.stderr) == (0, "")
    os.mkfifo(tree / "pipe.tf")
    runs = [CliRunner().invoke(main, ["inventory", str(tree), *cache]) for _ in range(2)]
    # The run that fills the cache, then the one that reads it: the same, warning included.
    for again in runs:
        assert again.exit_code == 0
        assert again.stderr == (
            "Warning: pipe.tf:1: a FIFO, not a regular file: not read (file skipped)\n"
        )
        assert again.stdout == runs[0].stdout != first.stdout

def test_socket_named_tf_is_skipped(tmp_path: Path) -> None:
    tree = copy("bom", tmp_path)
    cwd = os.getcwd()
    os.chdir(tree)  # AF_UNIX paths are short: bind relative to the tree
    try:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind("sock.tf")
    finally:
        os.chdir(cwd)
    try:
        code, _, err = run("inventory", str(tree))
    finally:
        sock.close()
    assert code == 0
    assert err == "Warning: sock.tf:1: a socket, not a regular file: not read (file skipped)\n"


def test_symlink_loop_is_a_one_line_error(tmp_path: Path) -> None:
    tree = copy("bom", tmp_path)
    (tree / "loop.tf").symlink_to("loop.tf")
    for command in ("inventory", "check"):
        code, out, err = run(command, str(tree))
        assert (code, out) == (2, "")
        assert err == "Error: loop.tf: symbolic link loop (it never reaches a file)\n"


@pytest.mark.skipif(not available(), reason="@cdktf/hcl2json is not installed")
def test_hashicorp_parser_agrees() -> None:
    cases = {
        "heredoc_end_spaces": None,
        "bom": None,
        "duplicate_argument": "Attribute redefined",
        "last_line_comment": None,
    }
    verdicts = hashicorp_parse([READER / c / "main.tf" for c in cases])
    for case, expected in cases.items():
        verdict = verdicts[str(READER / case / "main.tf")]
        if expected is None:
            assert verdict is None, (case, verdict)
        else:
            assert verdict is not None and expected in verdict, (case, verdict)


def test_heredoc_end_marker_with_crlf_and_spaces(tmp_path: Path) -> None:
    text = (
        'resource "aws_iam_policy" "p" {\r\n  name   = "p"\r\n  policy = <<EOF\r\n'
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", '
        '"Resource": "*"}]}\r\n  EOF \t\r\n}\r\n'
    )
    (tmp_path / "main.tf").write_bytes(text.encode())
    code, out, err = run("inventory", str(tmp_path))
    assert (code, err) == (0, "")
    assert "  p [managed, heredoc, 1 statements] attached to nothing  (main.tf:1)\n" in out


@pytest.mark.parametrize("command", ["inventory", "check", "graph", "trim"])
def test_no_command_opens_a_fifo_or_a_device(tmp_path: Path, command: str) -> None:
    """A FIFO would wait for a writer, a device never end: every command skips them, warned."""
    tree = copy("bom", tmp_path)
    os.mkfifo(tree / "pipe.tf")
    os.mkfifo(tree / "terraform.tfvars")
    (tree / "zero.tf").symlink_to("/dev/zero")
    extra = {
        "graph": ["--format", "json"],
        "trim": ["--snapshot", str(TRIM / "jsonencode" / "snapshot.json"), "--no-git"],
    }.get(command, [])
    done = subprocess.run(
        [sys.executable, "-m", "lpgen", command, str(tree), "--no-cache", *extra],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr.splitlines()[:3] == [
        "Warning: pipe.tf:1: a FIFO, not a regular file: not read (file skipped)",
        "Warning: terraform.tfvars:1: a FIFO, not a regular file: not read (file skipped)",
        "Warning: zero.tf:1: a device, not a regular file: not read (file skipped)",
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"main.tf": 'module "me" {\n  source = "./"\n}\nresource "aws_iam_user" "u" {\n  name = "u"\n}\n'},
            "  main.tf:1: module.me: module cycle: ./ is ., which is already a caller of this module\n",
        ),
        (
            {
                "main.tf": 'module "a" {\n  source = "./a"\n}\n',
                "a/main.tf": 'module "b" {\n  source = "../b"\n}\nresource "aws_iam_user" "u" {\n  name = "u"\n}\n',
                "b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
            },
            "  b/main.tf:1: module.a.module.b.module.a: module cycle: ../a is a, which is already "
            "a caller of this module\n",
        ),
    ],
    ids=["calls-itself", "a-b-a"],
)
def test_a_module_cycle_is_reported_not_followed_forever(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    code, out, _ = run("inventory", str(tmp_path))
    assert code == 0
    assert "Users\n  u: (no group)\n" in out
    assert f"Not resolved\n{message}" in out


def test_a_last_line_that_is_a_comment_is_read_and_kept_when_trim_writes(
    tmp_path: Path,
) -> None:
    """A file whose last line is a comment with no newline after it: HashiCorp's parser
    reads it (test_hashicorp_parser_agrees), so lpgen does, and trim writes it back with that
    last line as it was."""
    import json

    from tests.test_trim_narrowing import snapshot

    tree = copy("last_line_comment", tmp_path)
    code, out, err = run("inventory", str(tree))
    assert code == 0, err
    assert "skipped" not in err and "cannot parse" not in err
    assert "1 users" in out or "1 user" in out, out
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps(snapshot("arn:aws:iam::111122223333:policy/app", {"s3": None},
                                        listed={"sqs"})))  # fmt: skip
    before = (tree / "main.tf").read_text()
    code, out, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--write")
    assert code == 0, err
    after = (tree / "main.tf").read_text()
    assert after != before and "sqs:SendMessage" not in after and "s3:GetObject" in after
    assert after.endswith("\n# the last line is a comment, with no newline after it")


"""`trim --write` is all or nothing across files, and cleans up after an interrupted run.

Failures are injected where they happen in real life: os.replace (a read-only directory),
fsync at staging (a full disk), RLIMIT_FSIZE in a subprocess (a file size limit), and a
process killed between two replacements.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpgen import filetx
from lpgen.cli import main
from lpgen.rewrite import read_source

ROOT = Path(__file__).resolve().parent.parent


def _policy_tf(name: str, padding: int = 0) -> str:
    pad = "".join(f"# padding line {i}\n" for i in range(padding))
    return (
        pad + f'resource "aws_iam_policy" "{name}" {{\n  name = "{name}"\n  policy = jsonencode({{\n'
        '    Version = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = '
        '["s3:GetObject", "sqs:SendMessage"], Resource = "*" }]\n  })\n}\n'
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "b").mkdir(parents=True)
    (root / "a.tf").write_text(_policy_tf("a"))
    (root / "b" / "b.tf").write_text(_policy_tf("b", padding=2000))  # ~40 kB
    (root / "main.tf").write_text('module "b" {\n  source = "./b"\n}\n')
    entities = [
        {
            "arn": f"arn:aws:iam::111122223333:policy/{n}",
            "create_date": "2024-03-01T10:00:00+00:00",
            "details": {
                "JobStatus": "COMPLETED",
                "JobType": "ACTION_LEVEL",
                "ServicesLastAccessed": [
                    {"ServiceNamespace": "s3", "ServiceName": "S3",
                     "LastAuthenticated": "2026-11-01T09:00:00+00:00"},
                    {"ServiceNamespace": "sqs", "ServiceName": "SQS"},
                ],
            },
        }
        for n in ("a", "b")
    ]
    (tmp_path / "snapshot.json").write_text(json.dumps({
        "format": "lpgen.snapshot/1", "account_id": "111122223333",
        "collected_at": "2026-11-20T00:00:00+00:00", "entities": entities,
    }))
    return root


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): read_source(p) for p in sorted(root.rglob("*"))
            if p.is_file()}


def _args(tree: Path, *extra: str) -> list[str]:
    return ["trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"), "--no-git",
            "--no-cache", *extra]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes.decode(), result.stderr


def test_a_failed_replacement_restores_the_files_already_replaced(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _files(tree)
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        if str(dst).endswith("b.tf"):
            raise PermissionError(errno.EACCES, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(filetx.os, "replace", replace)
    code, _, err = run(*_args(tree, "--write"))
    assert code == 2
    assert err == (
        "Error: b/b.tf: cannot replace: Permission denied; the 1 file already replaced was "
        "restored, the tree is as it was\n"
    )
    assert _files(tree) == before  # a.tf restored; no temporary file, no journal left


def test_a_failed_staging_replaces_nothing(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _files(tree)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        # The disk fills up while b.tf is staged (a.tf is staged already).
        if ".b.tf.lpgen-new-" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(filetx.os, "fsync", fsync)
    code, _, err = run(*_args(tree, "--write"))
    assert code == 2
    assert err == (
        "Error: b/b.tf: cannot stage the edited file: No space left on device; nothing was "
        "replaced, the tree is as it was\n"
    )
    assert _files(tree) == before


def _make_read_only(directory: Path) -> bool:
    """chmod for users; for root (which ignores permissions) the immutable attribute."""
    if os.geteuid() != 0:
        os.chmod(directory, 0o555)
        return True
    chattr = shutil.which("chattr")
    return chattr is not None and subprocess.run(
        [chattr, "+i", str(directory)], capture_output=True, check=False
    ).returncode == 0


def _make_writable(directory: Path) -> None:
    if os.geteuid() != 0:
        os.chmod(directory, 0o755)
    else:
        subprocess.run(["chattr", "-i", str(directory)], capture_output=True, check=False)


def test_a_read_only_directory_writes_nothing(tree: Path) -> None:
    before = _files(tree)
    if not _make_read_only(tree / "b"):
        pytest.skip("cannot make a directory read-only here")
    try:
        code, _, err = run(*_args(tree, "--write"))
    finally:
        _make_writable(tree / "b")
    assert code == 2
    assert err.startswith("Error: b/b.tf: cannot stage the edited file: "), err
    assert err.endswith("; nothing was replaced, the tree is as it was\n"), err
    assert _files(tree) == before


def _subprocess(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_a_file_size_limit_writes_nothing(tree: Path) -> None:
    # RLIMIT_FSIZE is enforced for root too: a.tf (small) could be staged, b.tf (~40 kB) not.
    before = _files(tree)
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
        "from lpgen.cli import main\n"
        "sys.argv = ['lpgen', *sys.argv[1:]]\n"
        "main()\n"
    )
    proc = _subprocess(script, *_args(tree, "--write"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        "Error: b/b.tf: cannot stage the edited file: File too large; nothing was replaced, "
        "the tree is as it was\n"
    )
    assert _files(tree) == before


def test_the_next_run_undoes_an_interrupted_write(tree: Path) -> None:
    before = _files(tree)
    # Killed right after the first replacement: a.tf is new, b/b.tf old, the journal says so.
    script = (
        "import os, sys\n"
        "from lpgen import filetx\n"
        "real = os.replace\n"
        "calls = []\n"
        "def replace(src, dst):\n"
        "    if filetx.JOURNAL not in str(dst):\n"
        "        calls.append(dst)\n"
        "        if len(calls) == 2:\n"
        "            os._exit(9)\n"
        "    real(src, dst)\n"
        "filetx.os.replace = replace\n"
        "from lpgen.cli import main\n"
        "sys.argv = ['lpgen', *sys.argv[1:]]\n"
        "main()\n"
    )
    proc = _subprocess(script, *_args(tree, "--write"))
    assert proc.returncode == 9, proc.stderr
    half = _files(tree)
    assert half["a.tf"] != before["a.tf"] and half["b/b.tf"] == before["b/b.tf"]
    assert filetx.JOURNAL in half

    # A run that does not write reports what was left.
    code, _, err = run(*_args(tree, "--diff"))
    assert code == 0
    assert err.startswith(f"Warning: {filetx.JOURNAL}: an earlier `lpgen trim --write` was "
                          "interrupted; the files it names may be partly written")
    assert _files(tree) == half

    # The next --write restores a.tf first, then writes both files.
    code, _, err = run(*_args(tree, "--write"))
    assert code == 0, err
    assert err.splitlines()[0] == "Warning: a.tf: restored from an interrupted write"
    assert err.splitlines()[-1] == "Wrote 2 files."
    after = _files(tree)
    assert set(after) == set(before)  # no journal, no temporary file
    assert after["a.tf"] == half["a.tf"]
    assert '"sqs:SendMessage"' not in after["b/b.tf"]


def test_a_failed_copy_leaves_no_half_written_directory(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpgen import rewrite

    def fail(target: Path, text: str) -> None:
        if target.name == "b.tf":
            raise OSError(errno.ENOSPC, "No space left on device")
        target.write_text(text)

    monkeypatch.setattr(rewrite, "_write_atomic", fail)
    out = tree.parent / "copy"
    code, _, err = run(*_args(tree, "--out", str(out)))
    assert code == 2
    assert err == (f"Error: b/b.tf: cannot write the copy: No space left on device; nothing "
                   f"was left in {out}\n")
    assert not out.exists()


def test_stray_temporary_files_are_reported_then_removed(tree: Path) -> None:
    (tree / ".a.tf.lpgen-new-0123abcd.tmp").write_text("half")
    (tree / ".a.tf.lpgen-old-0123abcd.tmp").write_text("old a.tf")
    code, _, err = run(*_args(tree, "--diff"))
    assert code == 0
    assert err.splitlines()[:2] == [
        "Warning: .a.tf.lpgen-new-0123abcd.tmp: temporary file of an interrupted write "
        "(the next --write removes it)",
        "Warning: .a.tf.lpgen-old-0123abcd.tmp: an earlier version of a file from an "
        "interrupted write (no journal); compare and delete it by hand",
    ]
    code, _, err = run(*_args(tree, "--write"))
    assert code == 0, err
    assert "Warning: .a.tf.lpgen-new-0123abcd.tmp: removed a temporary file of an " \
           "interrupted write" in err
    # Without a journal, an earlier version is the user's to judge: reported, kept.
    assert ("Warning: .a.tf.lpgen-old-0123abcd.tmp: an earlier version of a file from an "
            "interrupted write (no journal); compare and delete it by hand") in err
    assert not (tree / ".a.tf.lpgen-new-0123abcd.tmp").exists()
    assert (tree / ".a.tf.lpgen-old-0123abcd.tmp").exists()

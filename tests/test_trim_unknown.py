"""Unknown values in a statement never crash trim or check; the size check stays conservative.

The tree is the golden case tests/data/trim/unknown_values (variables with no value in a
Condition, a Resource, a Principal and a heredoc template).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from lpgen.cli import main
from lpgen.rewrite import read_source

CASE = Path(__file__).parent / "data" / "trim" / "unknown_values"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes.decode(), result.stderr


def test_check_with_a_snapshot_judges_known_actions_without_crashing() -> None:
    code, out, err = run("check", str(CASE / "input"), "--snapshot", str(CASE / "snapshot.json"),
                         "--format", "json")
    assert "Internal error" not in err
    assert code in (0, 1), err
    assert '"LP0' in out


def test_unknown_parts_stay_verbatim_and_the_size_check_says_so(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(CASE / "input", tree)
    code, report, err = run("trim", str(tree), "--snapshot", str(CASE / "snapshot.json"),
                            "--no-git", "--write")
    assert code == 0, err
    text = read_source(tree / "main.tf")
    for verbatim in ('Condition = { StringEquals = { "aws:SourceVpce" = var.vpce } }',
                     "Resource = var.bucket", "Condition = var.cond",
                     '"Resource": "arn:aws:s3:::${var.bucket}/*"', "Principal = var.principal",
                     "values   = [var.vpce]"):
        assert verbatim in text
    # sqs (unused) went everywhere; s3:* could only be narrowed into a longer policy.
    assert '"sqs:' not in text
    assert report.count("parts of the policy are not known statically, so a longer policy") == 4


def test_with_every_value_known_the_wildcard_is_narrowed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(CASE / "input", tree)
    code, report, err = run(
        "trim", str(tree), "--snapshot", str(CASE / "snapshot.json"), "--no-git", "--write",
        "--var", "vpce=vpce-1", "--var", "bucket=b", "--var", "principal=*",
        "--var", "cond={}",
    )
    assert code == 0, err
    assert "not known statically" not in report
    text = read_source(tree / "main.tf")
    assert '"s3:DeleteBucket"' not in text and '"s3:DeleteBucketP' in text

"""A root whose own files declare no IAM but call a local module outside PATH (or one that
is missing) is read: the call is followed, or reported; never a silent "0 files"."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lpgen.cli import main


def inventory(path: Path) -> dict[str, object]:
    result = CliRunner().invoke(main, ["inventory", str(path), "--no-cache", "--format",
                                       "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_module_outside_path_called_by_a_root_without_iam_is_followed(tmp_path: Path) -> None:
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text('resource "aws_iam_user" "x" {\n  name = "x"\n}\n')
    root = tmp_path / "envs" / "prod"
    root.mkdir(parents=True)
    (root / "main.tf").write_text('module "m" {\n  source = "../../mod"\n}\n')
    inv = inventory(root)
    assert [u["name"] for u in inv["users"]] == ["x"]  # type: ignore[index]


def test_a_missing_local_module_is_reported(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "m" {\n  source = "./nothere"\n}\n')
    inv = inventory(tmp_path)
    assert [(u["address"], u["message"]) for u in inv["unresolved"]] == [  # type: ignore[index]
        ("module.m", "module source ./nothere does not exist")
    ]

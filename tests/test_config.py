"""Config files: --config FILE, one config per directory, bad values blamed on file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "terraform_examples" / "acme"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    shutil.copytree(ACME, root)
    (root / ".lpgen.toml").unlink()
    return root


def test_both_config_files_in_one_directory_is_an_error_naming_both(tree: Path) -> None:
    (tree / ".lpgen.toml").write_text('fail_on = "critical"\n')
    (tree / "pyproject.toml").write_text('[tool.lpgen]\nfail_on = "low"\n')
    code, out, err = invoke("check", str(tree), "--no-git")
    assert (code, out) == (2, "")
    assert err == (
        f"Error: both {tree / '.lpgen.toml'} and [tool.lpgen] in {tree / 'pyproject.toml'} "
        "configure lpgen: keep one (or choose with --config FILE)\n"
    )
    # --config picks one.
    code, _out, err = invoke("check", str(tree), "--no-git", "--config",
                             str(tree / "pyproject.toml"), "--fail-on", "never")  # fmt: skip
    assert (code, err) == (0, "")


def test_a_pyproject_without_lpgen_beside_a_dotfile_is_fine(tree: Path) -> None:
    (tree / ".lpgen.toml").write_text('fail_on = "never"\n')
    (tree / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n')
    assert invoke("check", str(tree), "--no-git")[0] == 0


def test_config_option_replaces_the_lookup(tree: Path, tmp_path: Path) -> None:
    ci = tmp_path / "ci.toml"
    ci.write_text('[check]\nfail_on = "never"\nselect = "LP011"\n')
    code, out, _ = invoke("check", str(tree), "--no-git", "--config", str(ci))
    assert code == 0
    assert {line.split()[1] for line in out.splitlines()[:-1]} == {"LP011"}
    code, _out, err = invoke("check", str(tree), "--config", str(tmp_path / "none.toml"))
    assert (code, err) == (2, f"Error: {tmp_path / 'none.toml'}: config file not found\n")


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('[tool.lpgen]\nfail_on = "severe"\n', "fail_on", 2),
        ('[tool.lpgen]\ndays = 90\n\n[tool.lpgen.check]\nfail-on = "severe"\n', "check.fail-on", 5),
    ],
)
def test_a_bad_value_names_the_file_and_key(tree: Path, text: str, key: str, line: int) -> None:
    (tree / "pyproject.toml").write_text(text)
    code, _out, err = invoke("check", str(tree), "--no-git")
    assert code == 2
    assert err.startswith(
        f"Error: {tree / 'pyproject.toml'}:{line}: invalid value for config key '{key}': "
        "'severe' is not one of"
    )
    assert "--fail-on" not in err


def test_a_bad_flag_value_still_names_the_flag(tree: Path) -> None:
    code, _out, err = invoke("check", str(tree), "--fail-on", "severe")
    assert code == 2 and "Invalid value for '--fail-on'" in err


def test_trim_snapshot_from_config(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """So that the trim --check hook runs with no arguments but PATH."""
    (tree / ".lpgen.toml").write_text('[trim]\nsnapshot = "snapshot.json"\n')
    monkeypatch.chdir(tree)
    code, out, err = invoke("trim", ".", "--no-git", "--check")
    assert code == 1, err
    assert out.splitlines()[0].startswith("policies.tf:")

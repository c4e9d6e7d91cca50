"""What pipelines rely on: several reports from one run, --quiet/--verbose/colour on every
command, file names relative to the repository root, trim --memberships pointing at tfvars."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lpgen.cli import main, plan_outputs
from tests.sarif import schema_errors

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "terraform_examples" / "acme"
FORMATS = ["text", "json", "sarif", "markdown", "github"]


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the example tree in infra/acme."""
    root = tmp_path / "repo"
    shutil.copytree(ACME, root / "infra" / "acme")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


# --- several outputs ----------------------------------------------------------------------


def test_output_plan() -> None:
    assert plan_outputs((), (), FORMATS) == [("text", None)]
    assert plan_outputs(("sarif",), ("x.sarif",), FORMATS) == [("sarif", "x.sarif")]
    assert plan_outputs((), ("sarif=x.sarif",), FORMATS) == [("text", None), ("sarif", "x.sarif")]
    assert plan_outputs(("github",), ("sarif=a", "markdown=b"), FORMATS) == [
        ("github", None), ("sarif", "a"), ("markdown", "b"),
    ]
    # A file name with "=" that is not FORMAT=FILE is a file name.
    assert plan_outputs(("json",), ("a=b.json",), FORMATS) == [("json", "a=b.json")]
    with pytest.raises(click.UsageError, match="would all go to stdout"):
        plan_outputs(("text", "json"), (), FORMATS)
    with pytest.raises(click.UsageError, match="exactly one --format without a file"):
        plan_outputs(("text", "json"), ("out",), FORMATS)


def test_check_writes_several_formats_from_one_run(tmp_path: Path) -> None:
    sarif, md = tmp_path / "lpgen.sarif", tmp_path / "lpgen.md"
    code, out, err = invoke("check", str(ACME), "--no-git", "--format", "github",
                            "-o", f"sarif={sarif}", "-o", f"markdown={md}")  # fmt: skip
    assert (code, err) == (1, "")
    assert out.startswith("::")  # annotations on stdout
    log = json.loads(sarif.read_text(encoding="utf-8"))
    assert schema_errors(log) == []
    assert md.read_text(encoding="utf-8").startswith("### lpgen check: ")
    alone = invoke("check", str(ACME), "--no-git", "--format", "sarif")[1]
    assert json.loads(alone) == log


def test_two_formats_on_stdout_is_a_usage_error() -> None:
    code, _out, err = invoke("check", str(ACME), "--format", "text", "--format", "json")
    assert code == 2
    assert "--format text and json would all go to stdout" in err


# --- quiet, verbose, colour -------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_takes_quiet_verbose_and_color(command: str) -> None:
    cmd = main.commands[command]
    commands = cmd.commands.values() if isinstance(cmd, click.Group) else [cmd]
    for c in commands:
        opts = {o for p in c.params for o in (*getattr(p, "opts", []),
                                              *getattr(p, "secondary_opts", []))}  # fmt: skip
        assert {"-q", "--quiet", "-v", "--verbose", "--color", "--no-color"} <= opts, c.name


def test_quiet_check_prints_one_line_per_finding() -> None:
    code, out, _ = invoke("check", str(ACME), "--no-git", "--quiet")
    loud = invoke("check", str(ACME), "--no-git")[1]
    assert code == 1
    assert out.splitlines() == loud.splitlines()[:-1]  # no summary line
    assert all(" LP0" in line for line in out.splitlines())


def test_verbose_names_the_config_and_the_root(repo: Path) -> None:
    _code, _out, err = invoke("check", str(repo / "infra" / "acme"), "--no-git", "-v")
    assert f"lpgen: config: {repo / 'infra' / 'acme' / '.lpgen.toml'}" in err
    assert f"lpgen: file names are relative to {repo}" in err


def test_colour_when_asked_never_with_no_color() -> None:
    _c, plain, _ = invoke("check", str(ACME), "--no-git")
    assert "\x1b[" not in plain  # not a terminal
    _c, coloured, _ = invoke("check", str(ACME), "--no-git", "--color")
    assert "\x1b[31mhigh\x1b[0m" in coloured
    assert click.unstyle(coloured) == plain
    _c, off, _ = invoke("check", str(ACME), "--no-git", "--color", "--no-color")
    assert off == plain


def test_no_color_environment_turns_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from lpgen import cli

    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    with click.Context(main) as ctx:
        ctx.meta["lpgen.color"] = None
        monkeypatch.setenv("NO_COLOR", "1")
        assert cli.use_color() is False
        monkeypatch.delenv("NO_COLOR")
        monkeypatch.setattr(cli.sys, "stdout", type("T", (), {"isatty": lambda self: True})())
        assert cli.use_color() is True
        ctx.meta["lpgen.color"] = False
        assert cli.use_color() is False


# --- paths relative to the repository root ---------------------------------------------------


def test_check_names_files_from_the_repository_root_in_any_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = repo / "infra" / "acme"
    monkeypatch.chdir(tree)
    _c, here, _ = invoke("check", ".", "--no-git", "--format", "json")
    monkeypatch.chdir(repo)
    _c, top, _ = invoke("check", "infra/acme", "--no-git", "--format", "json")
    monkeypatch.chdir(repo.parent)
    _c, outside, _ = invoke("check", str(tree), "--no-git", "--format", "json")
    assert here == top == outside
    files = {f["file"] for f in json.loads(top)["findings"]}
    assert "infra/acme/policies.tf" in files


def test_trim_names_files_from_the_repository_root(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "infra" / "acme")
    code, out, _ = invoke("trim", ".", "--snapshot", "snapshot.json", "--no-git", "--check")
    assert code == 1
    assert out.splitlines()[0].startswith("infra/acme/")
    _c, report, _ = invoke("trim", ".", "--snapshot", "snapshot.json", "--no-git",
                           "--format", "json")  # fmt: skip
    data = json.loads(report)
    assert all(p["file"].startswith("infra/acme/") for p in data["policies"] if p["file"])
    assert all(f.startswith("infra/acme/") for f in data["files_changed"])
    # The diff stays relative to PATH, as written.
    _c, diff, _ = invoke("trim", ".", "--snapshot", "snapshot.json", "--no-git", "--diff")
    assert "\n+++ b/policies.tf" in diff or diff.startswith("--- a/")


def test_trim_memberships_points_at_the_tfvars_line(tmp_path: Path) -> None:
    data = ROOT / "tests" / "data" / "graph" / "memberships"
    tree = tmp_path / "tree"
    shutil.copytree(data / "group_membership" / "input", tree)
    main_tf = tree / "main.tf"
    main_tf.write_text(main_tf.read_text().replace('default = ["bob"]', "default = []"))
    (tree / "terraform.tfvars").write_text('# who is in ops\nlegacy = [\n  "bob",\n]\n')
    _c, out, _ = invoke("trim", str(tree), "--snapshot", str(data / "snapshot.json"),
                        "--no-git", "--memberships")  # fmt: skip
    line = next(x for x in out.splitlines() if "bob from group ops" in x)
    assert line.strip().startswith("terraform.tfvars:3: candidate, not edited")


def test_a_skipped_file_is_named_as_findings_are(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "infra" / "acme" / "broken.tf").write_text('resource "aws_iam_user" "x" {\n')
    monkeypatch.chdir(repo / "infra" / "acme")
    _code, _out, err = invoke("check", ".", "--no-git")
    assert err.startswith("Warning: infra/acme/broken.tf:")
    assert err.rstrip().endswith("(file skipped)")


def _on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run lpgen with stdout and stderr on a pseudo-terminal; what the terminal shows."""
    import os
    import pty
    import sys

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "lpgen", *args], stdout=follower,
                            stderr=follower, env={**os.environ, **env})  # fmt: skip
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    proc.wait(timeout=60)
    os.close(leader)
    return shown


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="no pseudo-terminals")
def test_colour_on_a_real_terminal_unless_no_color() -> None:
    args = ["check", str(ACME), "--no-git"]
    assert b"\x1b[31mhigh\x1b[0m" in _on_a_terminal(args, {"NO_COLOR": ""})
    assert b"\x1b[" not in _on_a_terminal(args, {"NO_COLOR": "1"})
    assert b"\x1b[" not in _on_a_terminal([*args, "--no-color"], {"NO_COLOR": ""})
    err = _on_a_terminal(["check", str(ACME), "--select", "nonsense"], {"NO_COLOR": ""})
    assert err.startswith(b"\x1b[31m\x1b[1mError:\x1b[0m unknown check code or name 'nonsense'")


def test_inventory_and_graph_name_files_from_the_repository_root(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "infra" / "acme")
    _c, inv, _ = invoke("inventory", ".", "--format", "json")
    assert "infra/acme/groups.tf" in {g["file"] for g in json.loads(inv)["groups"]}
    _c, graph, _ = invoke("graph", ".", "--format", "json")
    files = {n["file"] for n in json.loads(graph)["nodes"] if n.get("file")}
    assert files and all(f.startswith("infra/acme/") for f in files)

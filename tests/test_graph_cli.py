"""`lpgen graph` through the real entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "terraform_examples" / "acme")
SNAPSHOT = str(ROOT / "terraform_examples" / "acme" / "snapshot.json")
GOLDEN = Path(__file__).parent / "data" / "graph"


def test_default_is_dot_on_stdout() -> None:
    result = CliRunner().invoke(main, ["graph", EXAMPLE])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("digraph lpgen {")


def test_json_with_snapshot_matches_golden(tmp_path: Path) -> None:
    out = tmp_path / "g.json"
    result = CliRunner().invoke(
        main, ["graph", EXAMPLE, "--snapshot", SNAPSHOT, "--format", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    # The command names files from the repository root; the library, from the tree.
    text = out.read_text(encoding="utf-8")
    assert '"file": "terraform_examples/acme/groups.tf"' in text
    text = text.replace('"file": "terraform_examples/acme/', '"file": "')
    assert text == (GOLDEN / "acme.json").read_text(encoding="utf-8")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["graph"]["days"] == 90


def test_analyze_markdown_matches_golden() -> None:
    result = CliRunner().invoke(main, ["graph", EXAMPLE, "--snapshot", SNAPSHOT, "--analyze",
                                       "--who-can", "s3:PutObject", "--format", "markdown"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (GOLDEN / "acme-analysis.md").read_text(encoding="utf-8")


def test_who_can_alone() -> None:
    result = CliRunner().invoke(main, ["graph", EXAMPLE, "--who-can", "ecr:PutImage"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Who can ecr:PutImage:"
    i = lines.index("  role acme-github-deploy: can")
    assert lines[i + 1] == (
        '    allowed by aws_iam_role_policy.deploy (direct), statement "Containers": '
        "ecr:PutImage"
    )
    # Users behind AWS-managed policies lpgen cannot read are "maybe", with the reason.
    assert "  user judy.alvarez: maybe" in lines
    assert "  user alice.nguyen: can" not in lines


def test_who_can_rejects_a_pattern() -> None:
    result = CliRunner().invoke(main, ["graph", EXAMPLE, "--who-can", "s3:*"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: --who-can takes one action such as s3:GetObject")


@pytest.mark.parametrize(
    "args,message",
    [
        (["--format", "text"], "--format text is not available for a graph export"),
        (["--analyze", "--format", "svg"], "--format svg is not available for --analyze"),
        (["--days", "0"], "Invalid value for '--days'"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["graph", EXAMPLE, *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_bad_snapshot_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["graph", EXAMPLE, "--snapshot", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {bad}")
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_png_to_file(tmp_path: Path) -> None:
    out = tmp_path / "g.png"
    result = CliRunner().invoke(main, ["graph", EXAMPLE, "--format", "png", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG")


def test_svg_without_graphviz_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = CliRunner().invoke(main, ["graph", EXAMPLE, "--format", "svg"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --format svg needs Graphviz 'dot', which is not installed (Debian/Ubuntu: "
        "apt-get install graphviz; macOS: brew install graphviz); --format dot or mermaid "
        "work without it\n"
    )


def test_every_option_is_documented() -> None:
    guide = (ROOT / "docs" / "graph.md").read_text(encoding="utf-8")
    command = main.commands["graph"]
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in guide, f"{opt} is not documented in docs/graph.md"
    assert "img/example-graph.svg" in guide
    assert (ROOT / "docs" / "img" / "example-graph.svg").read_text(encoding="utf-8").find(
        "<svg"
    ) >= 0

"""The docs stay true to the code: CLI reference generated from --help, every page linked."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
from click.testing import CliRunner

from lpgen.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = DOCS.parent / "README.md"


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        found.append((*prefix, name))
        if isinstance(cmd, click.Group):
            found.extend(commands(cmd, (*prefix, name)))
    return found


def reference() -> str:
    runner = CliRunner()
    out = [
        "# Command-line reference",
        "",
        "Generated from `lpgen COMMAND --help` (`LPGEN_UPDATE_GOLDEN=1 pytest tests/test_docs.py`",
        "regenerates it). The user guide pages explain each command; this page lists every option.",
        "",
    ]
    for path in [(), *commands(main)]:
        result = runner.invoke(main, [*path, "--help"], terminal_width=100, prog_name="lpgen")
        assert result.exit_code == 0, result.output
        out += [f"## `lpgen{''.join(' ' + p for p in path)}`", "", "```", result.output.rstrip(), "```", ""]
    return "\n".join(out)


def test_cli_reference_is_generated_from_help() -> None:
    text = reference()
    target = DOCS / "cli.md"
    if os.environ.get("LPGEN_UPDATE_GOLDEN"):  # pragma: no cover - regenerate on purpose
        target.write_text(text, encoding="utf-8")
    assert target.read_text(encoding="utf-8") == text, "docs/cli.md is out of date"


def test_every_command_has_help_and_a_guide() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for path in commands(main):
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0
        cmd = f"lpgen {' '.join(path)}"
        assert cmd in index, f"{cmd} is not in docs/README.md"


def test_every_docs_page_is_reachable_from_the_index() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([^)#]+\.md)", index))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")} - {"README.md"}
    assert pages <= linked, f"not linked from docs/README.md: {sorted(pages - linked)}"
    for target in linked:
        assert (DOCS / target).is_file(), f"docs/README.md links to a missing page: {target}"


def test_readme_commands_use_real_options() -> None:
    text = README.read_text(encoding="utf-8")
    assert (
        "lpgen trim terraform_examples/acme --snapshot terraform_examples/acme/snapshot.json "
        "--snapshot terraform_examples/acme/snapshot-staging.json --diff"
    ) in text
    assert "bash .ci/run" in text

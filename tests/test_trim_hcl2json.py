"""HashiCorp's own HCL parser accepts every Terraform file trim rewrote in the golden cases."""

from __future__ import annotations

from pathlib import Path

from lpgen.rewrite import read_source
from tests.hashicorp import hashicorp_parse

CASES = Path(__file__).parent / "data" / "trim"


def rewritten_tf_files() -> list[Path]:
    out = []
    for expected in sorted(CASES.glob("*/expected/**/*.tf")):
        original = CASES / expected.relative_to(CASES).as_posix().replace(
            "/expected/", "/input/", 1
        )
        if read_source(expected) != read_source(original):
            out.append(expected)
    return out


def test_hashicorp_parser_accepts_every_rewritten_golden_file(tmp_path: Path) -> None:
    files = rewritten_tf_files()
    assert len(files) >= 8
    broken = tmp_path / "broken.tf"
    broken.write_text('resource "a" "b" {\n  x = ["a",, "b"]\n}\n')
    result = hashicorp_parse([*files, broken])
    assert result[str(broken)] is not None  # the parser does reject bad HCL
    assert {str(f): result[str(f)] for f in files} == {str(f): None for f in files}

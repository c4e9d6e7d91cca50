"""Reading big trees: only files that can matter are parsed; cache and parallelism change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpgen.inventory import InventoryOptions, build_inventory, render_json
from lpgen.terraform import cache as cache_mod

TREE = {
    "iam/main.tf": """
module "team" {
  source = "../modules/team"
  name   = "ops"
}
resource "aws_iam_policy" "logs" {
  name = "logs"
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::${aws_s3_bucket.logs.bucket}/*" }]
  })
}
""",
    "iam/buckets.tf": 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n',
    "modules/team/main.tf": """
variable "name" {}
resource "aws_iam_group" "g" { name = "team-${var.name}" }
""",
    "services/web/main.tf": 'resource "aws_instance" "web" {\n  ami = "ami-123"\n}\n',
    "services/broken/main.tf": 'resource "aws_instance" "x" {\n  ami = = "oops"\n}\n',
}


def write_tree(root: Path) -> Path:
    for rel, text in TREE.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def test_directories_without_iam_are_not_parsed(tmp_path: Path) -> None:
    inv = build_inventory(write_tree(tmp_path))
    # The broken file is in a directory that declares no IAM: never parsed, no warning.
    assert inv.warnings == []
    assert "services/broken/main.tf" not in inv.files
    assert [g.address for g in inv.groups] == ["module.team.aws_iam_group.g"]


def test_deferred_files_are_read_when_an_expression_needs_them(tmp_path: Path) -> None:
    inv = build_inventory(write_tree(tmp_path))
    (logs,) = [p for p in inv.policies if p.name == "logs"]
    assert logs.document is not None
    assert logs.document.statements[0].resources == ["arn:aws:s3:::acme-logs/*"]


def test_cache_gives_identical_results_and_survives_corruption(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree")
    cache_dir = tmp_path / "cache"
    opts = InventoryOptions(cache_dir=cache_dir)
    cold = render_json(build_inventory(root, options=opts))
    entries = sorted(cache_dir.rglob("*.json"))
    assert entries, "the cold run fills the cache"
    warm = render_json(build_inventory(root, options=opts))
    assert warm == cold
    for entry in entries:
        entry.write_bytes(b"not a cache entry")
    assert render_json(build_inventory(root, options=opts)) == cold
    assert render_json(build_inventory(root)) == cold


def test_parallel_parsing_gives_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path)
    sequential = render_json(build_inventory(root, options=InventoryOptions(jobs=1)))
    monkeypatch.setattr(cache_mod, "PARALLEL_MIN_CHARS", 0)
    parallel = render_json(build_inventory(root, options=InventoryOptions(jobs=2)))
    assert parallel == sequential


def test_parse_errors_in_parallel_name_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path)
    (root / "iam" / "bad.tf").write_text('resource "aws_iam_user" "u" {\n  name = = 1\n}\n')
    monkeypatch.setattr(cache_mod, "PARALLEL_MIN_CHARS", 0)
    inv = build_inventory(root, options=InventoryOptions(jobs=2))
    assert [(w.address, w.location.line if w.location else None) for w in inv.warnings] == [
        ("iam/bad.tf", 2)
    ]


def test_whole_results_are_cached_and_invalidated_by_any_input(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lpgen.cli import main

    root = tmp_path / "tree"
    (root / "policies").mkdir(parents=True)
    (root / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  name   = "p"\n'
        '  policy = file("${path.module}/policies/p.json")\n}\n'
    )
    doc = '{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "sqs:SendMessage"], "Resource": "*"}]}\n'
    (root / "policies" / "p.json").write_text(doc)
    snapshot = tmp_path / "snap.json"
    snapshot.write_text(
        '{"format": "lpgen.snapshot/1", "account_id": "111122223333", "partition": "aws",'
        ' "collected_at": "2026-11-20T00:00:00+00:00", "entities": [{"arn":'
        ' "arn:aws:iam::111122223333:policy/p", "create_date": "2024-01-01T00:00:00+00:00",'
        ' "details": {"JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL",'
        ' "JobCompletionDate": "2026-11-20T00:00:00+00:00", "ServicesLastAccessed": ['
        '{"ServiceName": "Amazon S3", "ServiceNamespace": "s3",'
        ' "LastAuthenticated": "2026-11-19T00:00:00+00:00", "TotalAuthenticatedEntities": 1},'
        '{"ServiceName": "Amazon SQS", "ServiceNamespace": "sqs", "TotalAuthenticatedEntities": 0}'
        ']}}]}\n'
    )
    cache = tmp_path / "cache"
    args = ["trim", str(root), "--snapshot", str(snapshot), "--no-git", "--diff",
            "--cache-dir", str(cache)]

    def diff() -> str:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        return result.stdout

    cold = diff()
    assert '-  "Action": ["s3:GetObject", "sqs:SendMessage"]' not in cold
    assert '"sqs:SendMessage"' in cold
    assert list((cache / "results").glob("*.json")), "the result is cached"
    assert diff() == cold
    # A file read through file() changes: the cached result must not be used.
    (root / "policies" / "p.json").write_text(doc.replace("s3:GetObject", "s3:PutObject"))
    changed = diff()
    assert changed != cold and "s3:PutObject" in changed
    # So does the snapshot.
    snapshot.write_text(snapshot.read_text().replace('"TotalAuthenticatedEntities": 0', '"TotalAuthenticatedEntities": 0, "LastAuthenticated": "2026-11-18T00:00:00+00:00"'))
    assert diff() == ""


def test_a_missing_variable_does_not_read_files_that_cannot_declare_one(tmp_path: Path) -> None:
    """Files holding only other resources are deferred; looking for a variable that is not
    declared reads none of them (a `variable` block needs that word), and is reported."""
    (tmp_path / "iam.tf").write_text('resource "aws_iam_group" "g" {\n  name = var.team\n}\n')
    (tmp_path / "web.tf").write_text('resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n')
    inv = build_inventory(tmp_path)
    assert "web.tf" not in inv.files and "iam.tf" in inv.files
    assert any("var.team is not declared" in u.message for u in inv.unresolved)


def test_a_variable_declared_where_the_scan_does_not_see_it_is_still_found(
    tmp_path: Path,
) -> None:
    # Not at the start of a line: the scan that decides what to read first misses it, so
    # the file is deferred; the lookup finds the word and reads it.
    (tmp_path / "iam.tf").write_text('resource "aws_iam_group" "g" {\n  name = var.team\n}\n')
    (tmp_path / "vars.tf").write_text(
        'resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n'
        '/* team */ variable "team" {\n  default = "ops"\n}\n'
    )
    inv = build_inventory(tmp_path)
    assert [g.name for g in inv.groups] == ["ops"] and "vars.tf" in inv.files

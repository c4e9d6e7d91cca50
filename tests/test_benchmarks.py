"""The benchmark generator writes a tree lpgen reads exactly as declared, with a valid snapshot."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest

from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.snapshot import load_snapshot

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import gen_monorepo  # noqa: E402

_spec = importlib.util.spec_from_file_location("lpgen_bench_run", BENCHMARKS / "run.py")
assert _spec is not None and _spec.loader is not None
bench_run = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench_run
_spec.loader.exec_module(bench_run)


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    # 0.03 is about the smallest scale at which every policy style appears.
    out = tmp_path_factory.mktemp("mono") / "tree"
    return out, gen_monorepo.generate(out, scale=0.03, seed=8)


@pytest.fixture(scope="module")
def inventory(small_tree: tuple[Path, dict[str, Any]]) -> Any:
    tree, _ = small_tree
    return build_inventory(tree, options=InventoryOptions(account_id="111122223333"))


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_every_tf_file_parses_with_python_hcl2(small_tree: tuple[Path, dict[str, Any]]) -> None:
    tree, manifest = small_tree
    files = sorted(tree.rglob("*.tf"))
    assert len(files) == manifest["counts"]["files_tf"]
    for f in files:
        hcl2.parses_to_tree(f.read_text(encoding="utf-8"))


def test_about_a_tenth_of_the_files_declare_iam(small_tree: tuple[Path, dict[str, Any]]) -> None:
    tree, manifest = small_tree
    c = manifest["counts"]
    files = [p.relative_to(tree).as_posix() for p in tree.rglob("*.tf")]
    iam_dirs = ("iam/", "modules/iam-team/")
    declaring = {
        rel for rel in files
        if 'resource "aws_iam_' in (tree / rel).read_text(encoding="utf-8")
    }
    assert declaring and all(rel.startswith(iam_dirs) for rel in declaring)
    assert sum(rel.startswith(iam_dirs) for rel in files) == c["files_iam_tf"]
    assert 0.05 <= c["files_iam_tf"] / c["files_tf"] <= 0.25


def test_inventory_finds_what_the_generator_declared(
    small_tree: tuple[Path, dict[str, Any]], inventory: Any
) -> None:
    _, manifest = small_tree
    c = manifest["counts"]
    assert (c["users"], c["groups"], c["policies"], c["roles"]) == (60, 9, 18, 2)
    assert len(inventory.users) == c["users"]
    assert len(inventory.groups) == c["groups"]
    assert len(inventory.roles) == c["roles"]
    assert len(inventory.policies) == c["policies"]
    assert sum(p.kind == "managed" for p in inventory.policies) == c["managed_policies"]
    assert len(inventory.memberships) == c["memberships"]
    assert len(inventory.attachments) == c["attachments"]
    assert len(inventory.access_keys) == c["access_keys"]
    assert len(inventory.login_profiles) == c["login_profiles"]
    assert inventory.unresolved == []
    assert inventory.warnings == []


def test_every_policy_style_is_represented(inventory: Any) -> None:
    styles = {p.document.style for p in inventory.policies if p.document is not None}
    assert {"jsonencode", "heredoc", "file", "templatefile", "policy_document"} <= styles
    assert all(p.document is not None and p.document.statements for p in inventory.policies)


def test_snapshot_loads_and_covers_every_policy(
    small_tree: tuple[Path, dict[str, Any]], inventory: Any
) -> None:
    tree, manifest = small_tree
    snap = load_snapshot(tree / "snapshot.json")
    assert snap.account_id == "111122223333"
    arns = {e.arn for e in snap.entities}
    assert len(arns) == manifest["snapshot_entities"]
    # One report per managed policy, and one per owner of an inline policy, with the ARNs
    # lpgen computes from the declared names and paths.
    expected = {p.arn for p in inventory.policies if p.kind == "managed"}
    expected |= {p.owner_arn for p in inventory.policies if p.kind == "inline"}
    assert arns == expected
    jobs = {e.details["JobType"] for e in snap.entities}
    assert jobs == {"ACTION_LEVEL"}
    # Some services unused, so trim has work to do.
    unused = [
        s for e in snap.entities for s in e.details["ServicesLastAccessed"]
        if "LastAuthenticated" not in s
    ]
    assert unused


def test_generator_is_deterministic(tmp_path: Path) -> None:
    gen_monorepo.generate(tmp_path / "a", scale=0.02, seed=3)
    gen_monorepo.generate(tmp_path / "b", scale=0.02, seed=3)
    gen_monorepo.generate(tmp_path / "c", scale=0.02, seed=4)
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "c")


def test_runner_reports_a_missing_command_instead_of_crashing() -> None:
    fake = [sys.executable, "-c", "import sys; print('Error: No such command'); sys.exit(2)"]
    info = bench_run.probe_lpgen(fake, {})
    assert {name: ci.available for name, ci in info.items()} == {
        "inventory": False, "trim": False, "check": False
    }


def test_runner_measures_time_memory_and_output(tmp_path: Path) -> None:
    code = "x = bytearray(64 * 2**20); print('done')"
    run = bench_run.measure(
        "probe", [sys.executable, "-c", code], cwd=tmp_path, env={},
        stdout=tmp_path / "o", stderr=tmp_path / "e", timeout=60,
    )
    assert run.ok and run.exit_code == 0
    assert run.seconds is not None and run.seconds > 0
    assert run.peak_mb is not None and run.peak_mb >= 64
    assert run.stdout_sha256 == hashlib.sha256(b"done\n").hexdigest()


def test_snapshot_phases_times_what_the_snapshot_adds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import snapshot_phases

    examples = BENCHMARKS.parent / "terraform_examples"
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    (snapshots / "acme.json").write_bytes((examples / "acme" / "snapshot.json").read_bytes())
    argv = ["snapshot_phases.py", "--a", str(BENCHMARKS.parent), "--b", str(BENCHMARKS.parent),
            "--trees", str(examples), "--snapshots", str(snapshots), "--repos", "acme",
            "--repeat", "1"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    snapshot_phases.main()
    row = capsys.readouterr().out.splitlines()[-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "acme"
    figures = [tuple(float(x) for x in c.split(" -> ")) for c in cells[1:]]
    assert len(figures) == 4
    # Each phase was timed (the probe found it), and the whole run took time.
    assert all(a >= 0 and b >= 0 for a, b in figures) and min(figures[-1]) > 0


def test_check_phase_times_the_checks_alone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import check_phase

    examples = BENCHMARKS.parent / "terraform_examples"
    argv = ["check_phase.py", "--a", str(BENCHMARKS.parent), "--b", str(BENCHMARKS.parent),
            "--trees", str(examples), "--repos", "acme", "--repeat", "1"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    check_phase.main()
    row = capsys.readouterr().out.splitlines()[-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "acme"
    a, b = (float(c.removesuffix(" s")) for c in cells[1:3])
    assert a > 0 and b > 0  # the checks took time, the read's own time taken out

"""Membership trimming: who leaves which group, the edits, and their guarantees."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.memberships import (
    assess_membership,
    membership_report_data,
    plan_membership_trim,
    render_membership_text,
)
from lpgen.rewrite import FileChange, apply_edits, read_source, render_diff, write_in_place
from lpgen.snapshot import load_snapshot
from lpgen.usage import EntityAccess, EntityUsage, ServiceUsage, UsageIndex

DATA = Path(__file__).parent / "data" / "graph" / "memberships"
CASES = sorted(p.name for p in DATA.iterdir() if (p / "input").is_dir())
UPDATE = os.environ.get("LPGEN_UPDATE_GOLDEN") == "1"
T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)


def _golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8", newline="")
    assert actual == path.read_text(encoding="utf-8"), f"differs from {path.name}"


def _plan(root: Path) -> tuple[list, list, InventoryOptions]:  # type: ignore[type-arg]
    snap = load_snapshot(DATA / "snapshot.json")
    opts = InventoryOptions(account_id=snap.account_id)
    inv = build_inventory(root, options=opts)
    decisions, edits = plan_membership_trim(
        inv, UsageIndex.from_snapshots([snap]), days=90, options=opts
    )
    return decisions, edits, opts


def _changes(root: Path, edits: list) -> list[FileChange]:  # type: ignore[type-arg]
    out = []
    for rel in sorted({e.target.file for e in edits}):
        old = read_source(root / rel)
        out.append(FileChange(rel, old, apply_edits(rel, old, [e for e in edits if
                                                                 e.target.file == rel])))
    return out


@pytest.mark.parametrize("case", CASES)
def test_membership_golden(case: str, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(DATA / case / "input", root)
    decisions, edits, _ = _plan(root)
    _golden(DATA / case / "expected.txt", render_membership_text(decisions, verbose=True))
    changes = _changes(root, edits)
    _golden(DATA / case / "expected.diff", render_diff(changes))
    # Apply, then a second run finds nothing more to edit (idempotence), and every byte
    # outside the removed entries survives.
    write_in_place(root, changes)
    again, more, _ = _plan(root)
    assert more == []
    assert sum(d.status == "removed" for d in again) == 0
    for change in changes:
        assert len(change.new) < len(change.old)


def test_literal_list_entry_removed_with_comment_and_comma(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(DATA / "group_membership" / "input", root)
    decisions, edits, _ = _plan(root)
    removed = sorted((d.user, d.group) for d in decisions if d.status == "removed")
    assert removed == [("bob", "dev"), ("dave", "dev"), ("dave", "ops")]
    new = _changes(root, edits)[0].new
    assert '  users = [\n    "alice",\n  ]\n' in new
    assert "users = [aws_iam_user.carol.name]" in new
    assert "left the project" not in new  # the removed entry's own comment goes with it


def test_non_literal_list_is_reported_not_edited(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(DATA / "group_membership" / "input", root)
    decisions, _, _ = _plan(root)
    legacy = next(d for d in decisions if d.address == "aws_iam_group_membership.legacy")
    assert legacy.status == "skipped"
    assert "outside aws_iam_group_membership.legacy and outside locals" in legacy.reason
    assert legacy.edit is None


def test_no_per_member_data_keeps_membership(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(DATA / "group_membership" / "input", root)
    decisions, _, _ = _plan(root)
    eve = next(d for d in decisions if d.user == "eve")
    assert eve.status == "kept"
    assert eve.usage is not None and eve.usage.state == "unknown"
    assert "does not say which members" in eve.reason


def test_list_is_never_emptied(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(DATA / "user_group_membership" / "input", root)
    decisions, edits, _ = _plan(root)
    bob = [d for d in decisions if d.user == "bob"]
    assert [d.status for d in bob] == ["skipped", "skipped"]
    assert all("empty" in d.reason for d in bob)
    assert all(e.target.line != 7 for e in edits)


def test_locals_list_that_also_creates_users_is_not_edited(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(DATA / "locals_map" / "input", root)
    decisions, edits, _ = _plan(root)
    dave = next(d for d in decisions if d.user == "dave")
    # Removing "dave" from local.people would delete the user: the rebuild check refuses.
    assert dave.status == "skipped"
    assert "more than memberships" in dave.reason
    assert [(e.target.file, e.target.line) for e in edits] == [("main.tf", 5)]


def test_json_report_carries_evidence(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(DATA / "group_membership" / "input", root)
    decisions, _, _ = _plan(root)
    records = membership_report_data(decisions)
    bob = next(r for r in records if r["user"] == "bob" and r["group"] == "dev")
    assert bob["status"] == "removed"
    assert bob["usage"] == "unused"
    assert bob["last_used"] == "2025-01-01T00:00:00+00:00"
    (evidence,) = bob["evidence"]
    assert evidence["window_start"] == "2026-08-22T00:00:00+00:00"
    assert evidence["services_used_by_group"] == ["s3"]
    assert evidence["group_arn"] == "arn:aws:iam::111122223333:group/dev"


# --- assess_membership on hand-made reports --------------------------------------------


def _group(services: dict[str, ServiceUsage], **kw: object) -> EntityUsage:
    defaults: dict[str, object] = {
        "label": "snap.json",
        "account_id": "111122223333",
        "arn": "arn:aws:iam::111122223333:group/dev",
        "kind": "group",
        "name": "dev",
        "path": "/",
        "collected_at": T0,
        "status": "COMPLETED",
        "services": services,
    }
    defaults.update(kw)
    return EntityUsage(**defaults)  # type: ignore[arg-type]


def _user(name: str, when: datetime) -> EntityAccess:
    return EntityAccess(f"arn:aws:iam::111122223333:user/{name}", name, "USER",
                        last_authenticated=when)


def test_used_in_one_snapshot_is_used() -> None:
    recent = datetime(2026, 11, 1, tzinfo=timezone.utc)
    s3 = ServiceUsage("s3", "Amazon S3", last_authenticated=recent,
                      entities=(_user("alice", recent),))
    other = ServiceUsage("s3", "Amazon S3", last_authenticated=recent,
                         entities=(_user("carol", recent),))
    verdict = assess_membership(
        "Alice", "dev", [_group({"s3": other}), _group({"s3": s3}, account_id="444455556666")],
        days=90,
    )
    assert verdict.state == "used"  # user names compare case-insensitively


def test_unused_needs_every_snapshot() -> None:
    old = datetime(2025, 1, 1, tzinfo=timezone.utc)
    quiet = ServiceUsage("s3", "Amazon S3", last_authenticated=old,
                         entities=(_user("alice", old),))
    verdict = assess_membership("alice", "dev", [_group({"s3": quiet})], days=90)
    assert verdict.state == "unused"
    assert verdict.last_used == old
    failed = _group({"s3": quiet}, status="FAILED", account_id="444455556666")
    verdict = assess_membership("alice", "dev", [_group({"s3": quiet}), failed], days=90)
    assert verdict.state == "unknown"
    assert "failed" in verdict.reason


def test_young_group_and_young_user_are_kept() -> None:
    old = datetime(2025, 1, 1, tzinfo=timezone.utc)
    quiet = ServiceUsage("s3", "Amazon S3", last_authenticated=old)
    young = _group({"s3": quiet}, create_date=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert assess_membership("alice", "dev", [young], days=90).state == "unknown"
    user = _group({}, kind="user", name="alice",
                  create_date=datetime(2026, 10, 1, tzinfo=timezone.utc))
    verdict = assess_membership("alice", "dev", [_group({"s3": quiet})], days=90,
                                user_reports=[user])
    assert verdict.state == "unknown"
    assert "created 2026-10-01" in verdict.reason
    assert assess_membership("alice", "dev", [], days=90).state == "unknown"


def test_window_is_measured_from_the_snapshot_time() -> None:
    used = datetime(2026, 9, 1, tzinfo=timezone.utc)
    s3 = ServiceUsage("s3", "Amazon S3", last_authenticated=used,
                      entities=(_user("alice", used),))
    assert assess_membership("alice", "dev", [_group({"s3": s3})], days=90).state == "used"
    assert assess_membership("alice", "dev", [_group({"s3": s3})], days=30).state == "unused"

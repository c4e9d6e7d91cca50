"""Membership trimming: users who used nothing a group grants leave it, as span edits.

A group's Access Advisor report lists the services its policies grant, and, with
``GetServiceLastAccessedDetailsWithEntities`` (the snapshot's ``entities_by_service``), which
members used each one. A member who appears for no service inside the window, in every
snapshot holding the group, is a candidate to leave the group. Absence is not evidence: a
service used in the window with no per-member data, a job not COMPLETED, a group or user
younger than the window, a group with no data: keep, and say why.

Candidates become :class:`lpgen.rewrite.Edit` removals of the literal list entry that
declares the membership (``aws_iam_group_membership.users``,
``aws_iam_user_group_membership.groups``, a list inside a ``for_each`` map in ``locals``);
anywhere else the candidate is reported with the reason it was not edited.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from lark import Tree

from lpgen.errors import InputError, LpgenError
from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.model import Inventory, Location, Membership
from lpgen.rewrite import Edit, FileChange, apply_edits, list_items, read_source, write_copy
from lpgen.snapshot import format_time
from lpgen.terraform.parse import SourceFile, parse_file, span
from lpgen.usage import EntityUsage, UsageIndex, assess_entity, in_window

UsageState = Literal["used", "unused", "unknown"]
MembershipStatus = Literal["removed", "kept", "skipped"]

__all__ = [
    "MembershipDecision",
    "MembershipEvidence",
    "MembershipUsage",
    "assess_membership",
    "format_time",
    "membership_report_data",
    "plan_membership_trim",
    "render_membership_text",
]


@dataclass(frozen=True)
class MembershipEvidence:
    """What one snapshot says about one member's use of one group."""

    label: str
    account_id: str
    group_arn: str
    collected_at: datetime
    window_start: datetime
    # Services the group's members used inside the window (by anyone).
    services_used: tuple[str, ...] = ()
    # The member's own last use of any service through the group (any time), if recorded.
    user_last_used: datetime | None = None
    detail: str = ""

    def describe(self) -> str:
        where = self.label or self.account_id
        return f"{where}: {self.detail}" if self.detail else where


@dataclass(frozen=True)
class MembershipUsage:
    """Whether a member used what a group grants inside the window, and why we think so."""

    state: UsageState
    reason: str
    last_used: datetime | None = None
    evidence: tuple[MembershipEvidence, ...] = ()


def _is_user(entity: Any, user: str) -> bool:
    # IAM user names are unique case-insensitively within an account.
    return str(entity.type).upper() == "USER" and str(entity.name).lower() == user.lower()


def _services(count: int) -> str:
    return "the 1 service" if count == 1 else f"the {count} services"


def _judge_snapshot(
    report: EntityUsage, user: str, days: int
) -> tuple[UsageState, MembershipEvidence]:
    start = report.window_start(days)
    used_services: list[str] = []
    user_services: list[str] = []
    no_member_data: list[str] = []
    last: datetime | None = None
    for namespace, service in sorted(report.services.items()):
        for entity in service.entities:
            if _is_user(entity, user) and entity.last_authenticated is not None:
                if last is None or entity.last_authenticated > last:
                    last = entity.last_authenticated
                if in_window(entity.last_authenticated, report.collected_at, days):
                    user_services.append(namespace)
        if not in_window(service.last_authenticated, report.collected_at, days):
            continue
        used_services.append(namespace)
        if not service.entities:
            no_member_data.append(namespace)

    def evidence(detail: str) -> MembershipEvidence:
        return MembershipEvidence(
            label=report.label,
            account_id=report.account_id,
            group_arn=report.arn,
            collected_at=report.collected_at,
            window_start=start,
            services_used=tuple(used_services),
            user_last_used=last,
            detail=detail,
        )

    window = f"{days}-day window from {format_time(report.collected_at)}"
    if user_services:
        listed = ", ".join(user_services)
        return "used", evidence(f"{user} used {listed} through the group in the {window}")
    if no_member_data:
        listed = ", ".join(no_member_data)
        return "unknown", evidence(
            f"the group used {listed} in the {window} and the snapshot does not say which "
            "members did (collect with per-entity data)"
        )
    if not report.services:
        return "unknown", evidence("the group's report lists no services (it grants nothing)")
    since = f"; last used {format_time(last)}" if last else ""
    others = f" (other members used {', '.join(used_services)})" if used_services else ""
    return "unused", evidence(
        f"{user} used none of {_services(len(report.services))} the group grants in "
        f"the {window}{others}{since}"
    )


def assess_membership(
    user: str,
    group: str,
    group_reports: Sequence[EntityUsage],
    *,
    days: int,
    user_reports: Sequence[EntityUsage] = (),
) -> MembershipUsage:
    """Whether ``user`` used anything ``group`` grants in the window, over every snapshot.

    ``group_reports`` are the group's records (``UsageIndex.lookup("group", ...)``), one per
    snapshot; ``user_reports`` the user's, used only to notice a user younger than the window.
    Used in any snapshot is used; unused needs every snapshot to say so.
    """
    blocked = assess_entity(group_reports, days=days)
    if blocked is not None:
        return MembershipUsage("unknown", f"group {group}: {blocked.reason}")
    for report in user_reports:
        if report.create_date is not None and report.create_date > report.window_start(days):
            return MembershipUsage(
                "unknown",
                f"user {user} was created {format_time(report.create_date)}, inside the "
                f"{days}-day window",
            )
    verdicts = [_judge_snapshot(r, user, days) for r in group_reports]
    evidence = tuple(e for _, e in verdicts)
    lasts = [e.user_last_used for e in evidence if e.user_last_used is not None]
    last = max(lasts) if lasts else None
    for state in ("used", "unknown"):
        for s, e in verdicts:
            if s == state:
                return MembershipUsage(state, e.describe(), last, evidence)
    reason = "; ".join(e.describe() for e in evidence)
    return MembershipUsage("unused", reason, last, evidence)


# --- decisions and edits ---------------------------------------------------------------


@dataclass
class MembershipDecision:
    """What membership trimming does with one membership, and why."""

    user: str | None
    group: str | None
    address: str
    resource_type: str
    location: Location
    status: MembershipStatus
    reason: str
    usage: MembershipUsage | None = None
    edit: Edit | None = None
    membership: Membership | None = field(default=None, repr=False)


def _describe_container(m: Membership) -> str:
    if m.resource_type == "aws_iam_group_membership":
        return f"the users list of {m.address}"
    if m.resource_type == "aws_iam_user_group_membership":
        return f"the groups list of {m.address}"
    return f"the declaration of {m.address}"


@dataclass(frozen=True)
class _EntryContext:
    container: Location | None  # the [...] list holding the entry
    block: str | None  # type of the top-level block holding it ("resource", "locals", ...)
    block_span: tuple[int, int] | None


def _entry_context(text: str, rel: str, entry: Location) -> _EntryContext:
    """The list literal holding the span ``entry``, and the top-level block it sits in."""
    source = SourceFile(path=Path(rel), rel=rel, text=text)
    try:
        tree = parse_file(source)
    except LpgenError:
        return _EntryContext(None, None, None)
    block: str | None = None
    block_span: tuple[int, int] | None = None
    body = next((c for c in tree.children if isinstance(c, Tree) and c.data == "body"), None)
    for child in body.children if body is not None else []:
        if not isinstance(child, Tree) or child.data != "block":
            continue
        start, end = span(child)
        if start <= entry.start and entry.end <= end:
            block = str(child.children[0].children[0]) if child.children else None
            block_span = (start, end)
            break
    best: tuple[int, int] | None = None
    for node in tree.iter_subtrees():
        if not isinstance(node, Tree) or node.data != "tuple":
            continue
        start, end = span(node)
        inside = start < entry.start and entry.end < end
        if inside and (best is None or (end - start) < (best[1] - best[0])):
            best = (start, end)
    if best is None or text[best[0]] != "[" or text[best[1] - 1] != "]":
        return _EntryContext(None, block, block_span)
    return _EntryContext(source.loc(best[0], best[1], "hcl"), block, block_span)


# Rebuilding the inventory to verify edits is bounded: past this many rebuilds the remaining
# unverified candidates are reported instead of edited.
MAX_VERIFY_BUILDS = 40


def plan_membership_trim(
    inventory: Inventory,
    usage: UsageIndex,
    *,
    days: int = 90,
    options: InventoryOptions | None = None,
    texts: Mapping[str, str] | None = None,
    verify: bool = True,
) -> tuple[list[MembershipDecision], list[Edit]]:
    """Decide, for every membership, whether the user leaves the group, and plan the edits.

    Returns one decision per membership (``removed``: an edit is planned; ``kept``: used, or
    the data cannot tell, with the reason; ``skipped``: a candidate that cannot be edited
    safely, with the reason) and the :class:`lpgen.rewrite.Edit` removals, whose
    ``target.file`` is relative to ``inventory.root``. Apply them per file with
    :func:`lpgen.rewrite.apply_edits` (merged with any policy edits of the same file).

    An entry is edited only when it is an element of a literal list inside the membership
    resource itself or inside ``locals``, removing it leaves no list empty, every membership
    it declares goes, and (``verify``) reading the edited tree again with ``options`` gives
    the same inventory minus exactly those memberships. ``texts`` maps file paths to their
    text (read from the tree when absent).
    """
    if days < 1:
        raise InputError(f"--days must be at least 1 (got {days})")
    cache: dict[str, str] = dict(texts or {})

    def text_of(rel: str) -> str | None:
        if rel not in cache:
            try:
                cache[rel] = read_source(Path(inventory.root) / rel)
            except (OSError, UnicodeDecodeError):
                return None
        return cache[rel]

    decisions: list[MembershipDecision] = []
    for m in inventory.memberships:
        decision = _decide(m, inventory, usage, days, text_of)
        decisions.append(decision)
    _check_shared_entries(decisions)
    _check_empty_lists(decisions, text_of)
    _check_inside(decisions, Path(inventory.root))
    if verify:
        _verify(inventory, decisions, options, text_of)
    edits = sorted(
        {d.edit for d in decisions if d.status == "removed" and d.edit is not None},
        key=lambda e: (e.target.file, e.target.start),
    )
    return decisions, edits


def _where(m: Membership, text_of: Callable[[str], str | None]) -> Location:
    """Where to point a reader: the list entry that names the user, wherever it lives (the
    resource, locals, a variable default, a .tfvars file); else the resource."""
    entry = m.entry_location
    if entry is None or not entry.has_span:
        return m.location
    return entry


def _in_block(entry: Location, block: Location) -> bool:
    return (
        entry.file == block.file
        and block.has_span
        and block.start <= entry.start
        and entry.end <= block.end
    )


def _decide(
    m: Membership,
    inventory: Inventory,
    usage: UsageIndex,
    days: int,
    text_of: Callable[[str], str | None],
) -> MembershipDecision:
    decision = MembershipDecision(
        m.user, m.group, m.address, m.resource_type, _where(m, text_of), "kept", ""
    )
    decision.membership = m
    if m.user is None or m.group is None:
        decision.status = "skipped"
        decision.reason = "the user or group name is not known statically"
        return decision
    group = inventory.group_named(m.group)
    user = inventory.user_named(m.user)
    verdict = assess_membership(
        m.user,
        m.group,
        usage.lookup("group", m.group, group.path if group else None),
        days=days,
        user_reports=usage.lookup("user", m.user, user.path if user else None),
    )
    decision.usage = verdict
    decision.reason = verdict.reason
    if verdict.state != "unused":
        return decision

    def skip(why: str) -> MembershipDecision:
        decision.status = "skipped"
        decision.reason = f"{verdict.reason}; not edited: {why}"
        return decision

    entry = m.entry_location
    if entry is None or not entry.has_span:
        return skip(f"{_describe_container(m)} is not a literal list; remove it by hand")
    text = text_of(entry.file)
    if text is None or entry.syntax != "hcl":
        return skip(f"the entry at {entry} is not in an HCL file lpgen can edit")
    context = _entry_context(text, entry.file, entry)
    in_resource = _in_block(entry, m.location)
    if context.container is None:
        return skip(
            f"the name comes from {entry}, which is not an element of a literal list; "
            f"edit {_describe_container(m)} by hand"
        )
    if not in_resource and context.block != "locals":
        return skip(
            f"the name comes from {entry}, outside {m.address} and outside locals; "
            f"edit {_describe_container(m)} by hand"
        )
    decision.status = "removed"
    decision.edit = Edit("remove", target=entry, container=context.container)
    return decision


def _entry_key(loc: Location) -> tuple[str, int, int]:
    return (loc.file, loc.start, loc.end)


def _skip(d: MembershipDecision, why: str) -> None:
    d.status = "skipped"
    d.edit = None
    d.reason += f"; not edited: {why}"


def _check_inside(decisions: list[MembershipDecision], root: Path) -> None:
    """Only regular files whose real path lies under the tree's root are edited."""
    from lpgen.fsutil import real_path_under

    for d in decisions:
        if d.status == "removed" and d.edit is not None:
            real = real_path_under(root, d.edit.target.file)
            if real is None or not real.is_file():
                _skip(d, "outside PATH")


def _check_shared_entries(decisions: list[MembershipDecision]) -> None:
    """An entry shared by several memberships goes only if all of them are removable."""
    by_entry: dict[tuple[str, int, int], list[MembershipDecision]] = defaultdict(list)
    for d in decisions:
        if d.location.has_span:
            by_entry[_entry_key(d.location)].append(d)
    for group in by_entry.values():
        if len(group) < 2 or all(d.status == "removed" for d in group):
            continue
        blockers = [d for d in group if d.status != "removed"]
        who = ", ".join(f"{b.user} in {b.group}" for b in blockers)
        for d in group:
            if d.status == "removed":
                _skip(d, f"the same entry also declares {who}, which stays")


def _check_empty_lists(
    decisions: list[MembershipDecision], text_of: Callable[[str], str | None]
) -> None:
    """A list is never emptied: both resources require a non-empty users/groups list."""
    by_container: dict[Location, list[MembershipDecision]] = defaultdict(list)
    for d in decisions:
        if d.status == "removed" and d.edit is not None and d.edit.container is not None:
            by_container[d.edit.container].append(d)
    for container, group in by_container.items():
        text = text_of(container.file)
        try:
            count = len(list_items(text, container)) if text is not None else -1
        except ValueError:
            count = -1
        if count < 0:
            for d in group:
                _skip(d, f"the list at {container} cannot be read safely")
            continue
        removed = {_entry_key(d.location) for d in group}
        if count > len(removed):
            continue
        for d in group:
            _skip(
                d,
                f"removing it would leave the list at {container} empty, which "
                f"{d.resource_type or 'the resource'} does not accept; delete the "
                "declaration instead",
            )


def _signature(inv: Inventory) -> tuple[Any, ...]:
    """Everything but memberships, to compare an inventory before and after edits."""

    def doc(p: Any) -> str:
        raw = p.document.raw if p.document is not None else None
        return json.dumps(raw, sort_keys=True, default=str)

    return (
        sorted((u.address, u.name) for u in inv.users),
        sorted((g.address, g.name) for g in inv.groups),
        sorted((r.address, r.name) for r in inv.roles),
        sorted((p.address, p.name, p.kind, doc(p)) for p in inv.policies),
        sorted(
            (a.address, a.policy or "", a.policy_arn or "", a.target_type, a.target or "")
            for a in inv.attachments
        ),
    )


def _membership_counts(inv: Inventory) -> Counter[tuple[str, str, str]]:
    return Counter((m.user or "", m.group or "", m.address) for m in inv.memberships)


def _verify(
    inventory: Inventory,
    decisions: list[MembershipDecision],
    options: InventoryOptions | None,
    text_of: Callable[[str], str | None],
) -> None:
    """Read the edited tree again: it must differ only by the memberships removed.

    All edits are checked together; if that fails, file by file, then entry by entry, so one
    unsafe entry (a locals list that also names users to create, say) does not block the rest.
    """
    todo = [d for d in decisions if d.status == "removed" and d.edit is not None]
    if not todo:
        return
    before = _signature(inventory)
    counts = _membership_counts(inventory)
    builds = 0

    def check(batch: list[MembershipDecision]) -> str | None:
        nonlocal builds
        builds += 1
        by_file: dict[str, list[Edit]] = defaultdict(list)
        for d in batch:
            assert d.edit is not None
            by_file[d.edit.target.file].append(d.edit)
        changes: list[FileChange] = []
        for rel, edits in by_file.items():
            old = text_of(rel)
            if old is None:
                return f"cannot read {rel}"
            try:
                changes.append(
                    FileChange(
                        rel,
                        old,
                        apply_edits(rel, old, sorted(set(edits), key=lambda e: e.target.start)),
                    )
                )
            except LpgenError as exc:
                return str(exc)
        with tempfile.TemporaryDirectory(prefix="lpgen-members-") as tmp:
            out = Path(tmp) / "tree"
            try:
                write_copy(Path(inventory.root), out, changes)
                after = build_inventory(out, options=options)
            except LpgenError as exc:
                return f"the edited tree cannot be read: {exc}"
        expected = counts - Counter((d.user or "", d.group or "", d.address) for d in batch)
        if _signature(after) != before:
            return "the edit would change more than memberships (users, groups or policies)"
        if _membership_counts(after) != expected:
            return "the edit would change other memberships too"
        return None

    def settle(batch: list[MembershipDecision], split_by_file: bool) -> None:
        if builds >= MAX_VERIFY_BUILDS:
            for d in batch:
                _skip(d, "too many edits to verify in one run; run again after this one")
            return
        problem = check(batch)
        if problem is None:
            return
        if len(batch) == 1:
            _skip(batch[0], problem)
            return
        if split_by_file:
            files: dict[str, list[MembershipDecision]] = defaultdict(list)
            for d in batch:
                assert d.edit is not None
                files[d.edit.target.file].append(d)
            if len(files) > 1:
                for part in files.values():
                    settle(part, False)
                return
        # Entries sharing a span stay together (they were all found removable).
        entries: dict[tuple[str, int, int], list[MembershipDecision]] = defaultdict(list)
        for d in batch:
            entries[_entry_key(d.location)].append(d)
        if len(entries) == 1:
            for d in batch:
                _skip(d, problem)
            return
        for part in entries.values():
            settle(part, False)

    settle(todo, True)


# --- reports -----------------------------------------------------------------------------


def membership_report_data(decisions: Sequence[MembershipDecision]) -> list[dict[str, Any]]:
    """One JSON record per membership: user, group, address, file, line, status, reason,
    usage state and the per-snapshot evidence."""
    records: list[dict[str, Any]] = []
    for d in decisions:
        usage = d.usage
        records.append(
            {
                "user": d.user,
                "group": d.group,
                "address": d.address,
                "resource_type": d.resource_type,
                "file": d.location.file,
                "line": d.location.line,
                "status": d.status,
                "reason": d.reason,
                "usage": usage.state if usage else None,
                "last_used": format_time(usage.last_used) if usage and usage.last_used else None,
                "evidence": [
                    {
                        "snapshot": e.label,
                        "account_id": e.account_id,
                        "group_arn": e.group_arn,
                        "collected_at": format_time(e.collected_at),
                        "window_start": format_time(e.window_start),
                        "services_used_by_group": list(e.services_used),
                        "user_last_used": format_time(e.user_last_used)
                        if e.user_last_used
                        else None,
                        "detail": e.detail,
                    }
                    for e in (usage.evidence if usage else ())
                ],
            }
        )
    return records


def render_membership_text(
    decisions: Sequence[MembershipDecision], *, verbose: bool = False
) -> str:
    """A text report: removals and skipped candidates always, kept memberships if verbose."""
    order = {"removed": 0, "skipped": 1, "kept": 2}
    lines: list[str] = []
    for d in sorted(decisions, key=lambda d: (order[d.status], d.location.file, d.location.line)):
        if d.status == "kept" and not verbose:
            continue
        verb = {"removed": "remove", "skipped": "candidate, not edited", "kept": "keep"}[d.status]
        lines.append(f"{d.location}: {verb}: {d.user} from group {d.group} ({d.address})")
        lines.append(f"    {d.reason}")
    counts = {s: sum(1 for d in decisions if d.status == s) for s in order}
    lines.append(
        f"Memberships: {counts['removed']} to remove, {counts['skipped']} not edited, "
        f"{counts['kept']} kept."
    )
    return "\n".join(lines) + "\n"

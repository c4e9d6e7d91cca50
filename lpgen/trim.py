"""Trim decisions: which action entries of which policies go, and the evidence for each.

Decide, then edit. :func:`plan_trim` joins an inventory with Access Advisor usage and decides,
per policy, statement and action entry, what stays and what goes (DESIGN.md, "Trimming
rules"); it never touches text. A span shared by several policies (``count``/``for_each``
instances, a ``data "aws_iam_policy_document"`` used twice, a local list) loses only what
every user of it may lose. :func:`build_edits` turns the decisions into span edits for
:mod:`lpgen.rewrite`, and :func:`run_trim` does the whole job for the command line.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lpgen import catalog
from lpgen.aws_managed_usage import ManagedUsage, managed_usage
from lpgen.errors import InputError
from lpgen.model import (
    ActionEntry,
    Inventory,
    Location,
    PermissionSet,
    Policy,
    PolicyDocument,
    Statement,
)
from lpgen.rewrite import Edit, FileChange, edit_file, read_source, verify_parses
from lpgen.sso import inline_conflict
from lpgen.sso_trim import PERMISSION_SET_INLINE_LIMIT, permission_set_evidence
from lpgen.usage import (
    EntityUsage,
    Evidence,
    UsageIndex,
    Verdict,
    assess_action,
    assess_entity,
    assess_service_actions,
)

if TYPE_CHECKING:
    from lpgen.gitinfo import LineHistory, LineOrigin
    from lpgen.inventory import InventoryOptions
    from lpgen.snapshot import Snapshot

__all__ = [
    "DetachCandidate",
    "KeepDirective",
    "Kept",
    "PolicyDecision",
    "Proof",
    "Removal",
    "SnapshotInfo",
    "TrimOptions",
    "TrimPlan",
    "TrimResult",
    "build_edits",
    "find_keep_directives",
    "plan_trim",
    "run_trim",
]

Status = Literal["trimmed", "unchanged", "skipped"]
SpanKey = tuple[str, int, int]


@dataclass(frozen=True)
class TrimOptions:
    """How trim decides (a cache key too: equal options, equal inputs, equal output)."""

    days: int = 90
    # Patterns always kept, added to ``default_keep`` (config ``keep`` and ``--keep``).
    keep: tuple[str, ...] = ()
    default_keep: tuple[str, ...] = catalog.UNTRACKED_DEFAULT_KEEP
    # Keep actions whose line git says was added less than the window ago.
    use_git: bool = True
    # Also remove users from groups whose grants they did not use (trim --memberships).
    memberships: bool = False
    # Replace AWS-managed attachments by what was used of them (trim --replace-aws-managed).
    replace_aws_managed: bool = False

    def __post_init__(self) -> None:
        if self.days < 1:
            raise InputError(f"--days must be at least 1 (got {self.days})")

    @property
    def keep_patterns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.default_keep, *self.keep)))


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Proof:
    """Why one service (``service-unused``) or one action (``action-unused``) may go.

    ``evidence`` holds what each snapshot says (last use, by whom, the window).
    """

    subject: str
    code: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Removal:
    """An action entry taken out of a statement, or narrowed to ``replaced_by``."""

    entry: str
    statement: int
    sid: str | None
    location: Location | None
    actions: tuple[str, ...]  # catalog actions the policy no longer allows
    replaced_by: tuple[str, ...] = ()
    proofs: tuple[Proof, ...] = ()
    statement_removed: bool = False


@dataclass(frozen=True)
class Kept:
    """Actions of an entry kept for a reason other than "used" (or why an edit was held back)."""

    subject: str
    code: str
    reason: str
    count: int = 1


@dataclass(frozen=True)
class PolicyDecision:
    """What trim does with one policy and why."""

    address: str
    name: str | None
    arn: str | None
    kind: str
    file: str | None
    line: int | None
    status: Status
    reason: str
    unused: bool = False
    removals: tuple[Removal, ...] = ()
    kept: tuple[Kept, ...] = ()
    services_removed: tuple[str, ...] = ()
    snapshots: tuple[str, ...] = ()
    # A permission set's inline policy: its name, and the accounts whose AWSReservedSSO_*
    # roles the usage (and so every removal) comes from.
    permission_set: str | None = None
    accounts: tuple[str, ...] = ()
    # The root module the policy is read in (see lpgen.model.Policy.root).
    root: str = "."

    @property
    def actions_removed(self) -> int:
        return len({a.lower() for r in self.removals for a in r.actions})


@dataclass(frozen=True)
class DetachCandidate:
    """An AWS-managed policy attached to an entity that used no service in the window."""

    address: str
    policy_arn: str
    target_type: str
    target: str | None
    file: str
    line: int
    reason: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class TrimPlan:
    """Every decision of one run, and the edits they need, by file."""

    policies: tuple[PolicyDecision, ...]
    edits: Mapping[str, tuple[Edit, ...]]
    detach: tuple[DetachCandidate, ...] = ()
    days: int = 90
    # What each principal used of the AWS-managed policies attached to it (documents from
    # the snapshots): lpgen.aws_managed_usage.ManagedUsage records.
    aws_managed: tuple[ManagedUsage, ...] = ()

    @property
    def trimmed(self) -> int:
        return sum(1 for p in self.policies if p.status == "trimmed")


@dataclass(frozen=True)
class SnapshotInfo:
    """Which snapshot the evidence came from."""

    label: str
    account_id: str
    collected_at: datetime


@dataclass(frozen=True)
class TrimResult:
    """A plan and the file changes it makes (``changes`` lists changed files only)."""

    plan: TrimPlan
    changes: tuple[FileChange, ...]
    root: Path
    snapshots: tuple[SnapshotInfo, ...] = ()
    warnings: tuple[str, ...] = ()
    # With TrimOptions.memberships: one decision per membership (lpgen.memberships).
    memberships: tuple[Any, ...] | None = None
    # Every file the result was computed from (relative to root).
    files: tuple[str, ...] = ()
    # One line when IAM declarations could not be fully evaluated (lpgen.accounting).
    unevaluated: str | None = None
    # With TrimOptions.replace_aws_managed: lpgen.aws_managed_replace.Replacement records.
    replacements: tuple[Any, ...] = ()

    @property
    def pending(self) -> bool:
        return any(c.old != c.new for c in self.changes)


# --------------------------------------------------------------------------------------------
# lpgen:keep comments

_KEEP_RE = re.compile(r"(?:#|//|/\*)[ \t]*lpgen:keep\b([^\r\n]*)")
_ACTION_TOKEN = re.compile(r"^(?:\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+)$")
_UNTIL = re.compile(r"^until=(\d{4}-\d{2}-\d{2})$")
_COMMENT_LINE = re.compile(r"^[ \t]*(?:#|//)")


@dataclass(frozen=True)
class KeepDirective:
    """A ``# lpgen:keep ACTION... [until=YYYY-MM-DD] [reason]`` comment.

    No action means every action of the policy or statement it is on.
    """

    file: str
    line: int
    offset: int
    actions: tuple[str, ...]
    until: date | None
    reason: str

    def covers(self, action: str) -> bool:
        return not self.actions or catalog.matches_any(self.actions, action)

    def describe(self) -> str:
        until = f" until {self.until.isoformat()}" if self.until else ""
        why = f": {self.reason}" if self.reason else ""
        return f"lpgen:keep at {self.file}:{self.line}{until}{why}"


def find_keep_directives(file: str, text: str) -> list[KeepDirective]:
    """Every ``lpgen:keep`` comment of a file (``#``, ``//`` or ``/* */``)."""
    found: list[KeepDirective] = []
    for m in _KEEP_RE.finditer(text):
        body = m.group(1).strip()
        if m.group(0).startswith("/*"):
            body = body.split("*/", 1)[0].strip()  # the comment ends there, code may follow
        tokens = body.replace(",", " ").split() if body else []
        actions: list[str] = []
        until: date | None = None
        rest: list[str] = []
        for raw in body.split():
            token = raw.rstrip(",")
            unt = _UNTIL.match(token)
            if unt:
                try:
                    until = date.fromisoformat(unt.group(1))
                except ValueError:
                    raise InputError(
                        f"lpgen:keep: invalid date {unt.group(1)!r}",
                        file=file,
                        line=text.count("\n", 0, m.start()) + 1,
                    ) from None
                continue
            if not rest and all(_ACTION_TOKEN.match(t) for t in token.split(",") if t):
                actions.extend(t for t in token.split(",") if t)
                continue
            rest.append(raw)
        del tokens
        found.append(
            KeepDirective(
                file=file,
                line=text.count("\n", 0, m.start()) + 1,
                offset=m.start(),
                actions=tuple(actions),
                until=until,
                reason=" ".join(rest),
            )
        )
    return found


def _comment_block_above(text: str, offset: int) -> tuple[int, int]:
    """The span of the comment-only lines directly above the line holding ``offset``."""
    line_start = text.rfind("\n", 0, offset) + 1
    begin = line_start
    while begin > 0:
        prev = text.rfind("\n", 0, begin - 1) + 1
        if _COMMENT_LINE.match(text[prev:begin]):
            begin = prev
        else:
            break
    return begin, line_start


def _line_offset(text: str, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return len(text)
        pos = nxt + 1
    return pos


def _directives_on(
    directives: Sequence[KeepDirective],
    text: str,
    loc: Location | None,
    exclude: Sequence[tuple[int, int]] = (),
) -> list[KeepDirective]:
    """Directives in the span of ``loc`` (outside ``exclude``) or directly above it."""
    if loc is None or not directives:
        return []
    start = loc.start if loc.has_span else _line_offset(text, loc.line)
    end = loc.end if loc.has_span else start
    above = _comment_block_above(text, start)
    out: list[KeepDirective] = []
    for d in directives:
        inside = start <= d.offset < end and not any(a <= d.offset < b for a, b in exclude)
        if inside or above[0] <= d.offset < above[1]:
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# Planning


@dataclass
class _EntryPlan:
    """One policy's wish for one action entry."""

    entry: ActionEntry
    expanded: tuple[str, ...] | None
    keep_all: bool
    # An entry of a NotAction list or of a Deny statement: never edited, and its span keeps
    # everything for every other user of it.
    fixed: bool = False
    kept: set[str] = field(default_factory=set)  # lower-case catalog names kept
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # removable, by lower name


@dataclass
class _StatementPlan:
    stmt: Statement
    container: Location | None
    entries: list[_EntryPlan]
    editable: bool


@dataclass
class _PolicyPlan:
    policy: Policy
    usages: list[EntityUsage]
    statements: list[_StatementPlan] = field(default_factory=list)
    status: Status | None = None
    reason: str = ""
    unused: bool = False
    kept: list[Kept] = field(default_factory=list)
    keep_all: bool = False
    # How far wildcard narrowing goes, lowered when the narrowed policy would not fit IAM's
    # quota (see _Level); ``coarse_reason`` says why.
    coarse: int = 0
    coarse_reason: str = ""
    permission_set: str | None = None
    accounts: tuple[str, ...] = ()


def _key(loc: Location) -> SpanKey:
    return (loc.file, loc.start, loc.end)


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


@dataclass(frozen=True)
class _Expanded:
    """What the catalog says of one action entry, worked out once per pattern and run.

    ``actions`` is :func:`lpgen.catalog.expand`'s answer; ``lower`` the same names
    lower-cased; ``groups`` the names cut into runs of one service, ``(service, actions,
    lower-case names)``, in order; ``services`` the services they belong to.
    """

    actions: tuple[str, ...] | None
    lower: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    services: frozenset[str]


_NOTHING = _Expanded(None, (), (), frozenset())


@functools.lru_cache(maxsize=4096)
def _expanded(pattern: str) -> _Expanded:
    actions = catalog.expand(pattern)
    if not actions:
        return _Expanded(actions, (), (), frozenset())
    lower = tuple([a.lower() for a in actions])
    head, colon, _ = pattern.partition(":")
    if colon and not _has_wildcard(head):
        # One service, named: every action the catalog gives is of it (service_of's answer).
        service = head.lower()
        return _Expanded(actions, lower, ((service, actions, lower),), frozenset((service,)))
    groups: list[tuple[str, list[str], list[str]]] = []
    for action, low in zip(actions, lower, strict=True):
        service = catalog.service_of(action)
        if not groups or groups[-1][0] != service:
            groups.append((service, [], []))
        groups[-1][1].append(action)
        groups[-1][2].append(low)
    return _Expanded(
        actions,
        lower,
        tuple((service, tuple(a), tuple(low)) for service, a, low in groups),
        frozenset(service for service, _a, _l in groups),
    )


def _may_match_service(pattern: str, service: str) -> bool:
    """False only when ``pattern`` matches no action of ``service`` (lower-case): its
    service part is literal and names another service, or it is a plain name without
    ``:``. Otherwise True (it may match some)."""
    low = pattern.lower()
    head, colon, _ = low.partition(":")
    if colon and not _has_wildcard(head):
        return head == service
    return _has_wildcard(low)


def _directive_may_cover(directive: KeepDirective, service: str) -> bool:
    return not directive.actions or any(_may_match_service(a, service) for a in directive.actions)


class _Planner:
    def __init__(
        self,
        inventory: Inventory,
        index: UsageIndex,
        options: TrimOptions,
        sources: Callable[[str], str | None],
        history: LineHistory | None,
    ) -> None:
        self.inventory = inventory
        self.index = index
        self.options = options
        self.sources = sources
        self.history = history
        self._directives: dict[str, list[KeepDirective]] = {}
        self._verdicts: dict[tuple[int, str], Verdict] = {}
        self._service_verdicts: dict[tuple[int, str], Verdict | None] = {}
        # The --keep and keep-list patterns that may match an action of a service.
        self._service_keeps: dict[str, tuple[list[str], list[str]]] = {}
        self._history = history if history is not None and history.available else None
        self.expired: list[KeepDirective] = []

    # -- helpers -------------------------------------------------------------------------

    def directives(self, file: str) -> list[KeepDirective]:
        if file not in self._directives:
            text = self.sources(file)
            self._directives[file] = find_keep_directives(file, text) if text else []
        return self._directives[file]

    def keep_directives(self, plan: _PolicyPlan, stmt: Statement) -> list[KeepDirective]:
        found: list[KeepDirective] = []
        policy = plan.policy
        doc = policy.document
        stmt_spans = [
            (s.location.start, s.location.end)
            for s in (doc.statements if doc else [])
            if s.location is not None and s.location.has_span
        ]
        for loc, exclude in (
            (stmt.location, ()),
            (policy.location, stmt_spans),
            (doc.location if doc else None, stmt_spans),
        ):
            if loc is None:
                continue
            text = self.sources(loc.file)
            if not text:
                continue
            for d in _directives_on(self.directives(loc.file), text, loc, exclude):
                if d not in found:
                    found.append(d)
        return self._active(plan, found)

    def entry_directives(self, plan: _PolicyPlan, loc: Location | None) -> list[KeepDirective]:
        """``lpgen:keep`` comments on one action entry, wherever its list is (a local, a
        variable's default): directly above its line, or after it on the same line."""
        if loc is None or not loc.has_span:
            return []
        text = self.sources(loc.file)
        directives = self.directives(loc.file) if text else []
        if not text or not directives:
            return []
        line_end = text.find("\n", loc.end)
        line_end = len(text) if line_end < 0 else line_end
        found = _directives_on(directives, text, loc)
        found += [d for d in directives if loc.end <= d.offset < line_end and d not in found]
        return self._active(plan, found)

    def _active(self, plan: _PolicyPlan, found: list[KeepDirective]) -> list[KeepDirective]:
        """``found`` without the directives expired before the snapshot (noted as such)."""
        reference = max((u.collected_at for u in plan.usages), default=None)
        active: list[KeepDirective] = []
        for d in found:
            if d.until is not None and reference is not None and d.until < reference.date():
                if d not in self.expired:
                    self.expired.append(d)
                if any(k.code == "keep-expired" and d.describe() in k.reason for k in plan.kept):
                    continue  # noted already (on the statement, now on an entry)
                plan.kept.append(
                    Kept(
                        "lpgen:keep " + (" ".join(d.actions) or "(all)"),
                        "keep-expired",
                        f"{d.describe()} expired before the snapshot; no longer protects",
                    )
                )
                continue
            active.append(d)
        return active

    def verdict(self, usages: list[EntityUsage], action: str) -> Verdict:
        cache_key = (id(usages), action.lower())
        found = self._verdicts.get(cache_key)
        if found is None:
            found = assess_action(usages, action, days=self.options.days)
            self._verdicts[cache_key] = found
        return found

    def service_verdict(self, usages: list[EntityUsage], service: str) -> Verdict | None:
        """The verdict every action of ``service`` gets, or None when it depends on the action."""
        cache_key = (id(usages), service)
        if cache_key not in self._service_verdicts:
            self._service_verdicts[cache_key] = assess_service_actions(
                usages, service, days=self.options.days
            )
        return self._service_verdicts[cache_key]

    def origin(self, loc: Location) -> LineOrigin | None:
        if self._history is None:
            return None
        return self._history.origin(loc.file, loc.line)

    def service_keeps(self, service: str) -> tuple[list[str], list[str]]:
        """The ``--keep`` patterns and the keep-list patterns that may match an action of
        ``service``."""
        found = self._service_keeps.get(service)
        if found is None:
            found = (
                [k for k in self.options.keep if _may_match_service(k, service)],
                [k for k in self.options.keep_patterns if _may_match_service(k, service)],
            )
            self._service_keeps[service] = found
        return found

    # -- per policy ----------------------------------------------------------------------

    def plan_permission_set(self, ps: PermissionSet) -> _PolicyPlan:
        """A permission set's inline policy, judged by its roles in every assigned account."""
        assert ps.inline_policy is not None
        found = permission_set_evidence(self.inventory, ps, self.index)
        if found.gap is not None:
            # No usage judged: with no usages every span the policy uses keeps everything.
            plan = self.plan_policy(ps.inline_policy, usages=[])
            if not plan.reason.startswith("not evaluated"):
                plan.reason = found.gap
        else:
            plan = self.plan_policy(ps.inline_policy, usages=found.usages)
        plan.permission_set = ps.name
        plan.accounts = found.accounts
        return plan

    def plan_policy(self, policy: Policy, usages: list[EntityUsage] | None = None) -> _PolicyPlan:
        if usages is None:
            usages = self.index.for_policy(policy)
        plan = _PolicyPlan(policy, usages)
        doc = policy.document
        if doc is None or doc.unknown_reason:
            reason = doc.unknown_reason if doc and doc.unknown_reason else "no policy document"
            plan.status, plan.reason, plan.keep_all = "skipped", f"not evaluated: {reason}", True
            return plan
        blocked = assess_entity(usages, days=self.options.days)
        if blocked is not None:
            # No usable data: nothing is judged; every span it uses keeps everything.
            plan.status = "skipped"
            plan.reason = _blocked_reason(policy, blocked)
            plan.keep_all = True
            plan.statements = _fixed_plan(policy).statements
            return plan
        for stmt in doc.statements:
            plan.statements.append(self.plan_statement(plan, doc, stmt))
        return plan

    def plan_statement(
        self, plan: _PolicyPlan, doc: PolicyDocument, stmt: Statement
    ) -> _StatementPlan:
        container = stmt.actions_location if stmt.actions_is_list else None
        entries = [_EntryPlan(e, None, True, fixed=not stmt.is_allow) for e in stmt.actions or []]
        entries += [_EntryPlan(e, None, True, fixed=True) for e in stmt.not_actions or []]
        sp = _StatementPlan(stmt, container, entries, editable=False)
        label = _stmt_label(stmt)
        if stmt.unknown and any(u.startswith("Effect is not known") for u in stmt.unknown):
            # Judged as a Deny would be (never changed), and said so.
            plan.kept.append(Kept(label, "not-editable", "left as is: Effect is not known"))
            return sp
        if not stmt.is_allow:
            return sp
        if stmt.actions is None:
            if stmt.not_actions is not None:
                plan.kept.append(Kept(label, "not-action", "NotAction statement: never changed"))
            return sp
        if stmt.not_resources is not None:
            plan.kept.append(Kept(label, "not-resource", "NotResource statement: never changed"))
            return sp
        if stmt.not_editable or any(e.location is None for e in stmt.actions):
            why = stmt.not_editable or "some actions are computed by expressions"
            plan.kept.append(Kept(label, "not-editable", f"left as is: {why}"))
            return sp
        if stmt.actions_is_list and container is None:
            plan.kept.append(Kept(label, "not-editable", "left as is: Action has no source span"))
            return sp
        sp.editable = True
        directives = self.keep_directives(plan, stmt)
        window_starts = [u.window_start(self.options.days) for u in plan.usages]
        earliest = min(window_starts) if window_starts else None
        for ep in sp.entries:
            value = ep.entry.value
            info = _expanded(value)
            expanded = info.actions
            ep.expanded = expanded
            if not expanded:
                plan.kept.append(
                    Kept(value, "unknown-pattern", "the action catalog does not know it; kept")
                )
                continue
            origin = self.origin(ep.entry.location) if ep.entry.location else None
            if (
                origin is not None
                and (origin.time is None or (earliest is not None and origin.time > earliest))
            ):
                when = (
                    "not committed yet"
                    if origin.time is None
                    else f"added {origin.time.date().isoformat()} in {origin.short}"
                )
                plan.kept.append(
                    Kept(
                        value,
                        "recently-added",
                        f"{when}, less than {self.options.days} days before the snapshot",
                        len(expanded),
                    )
                )
                continue
            ep.keep_all = False
            on_entry = self.entry_directives(plan, ep.entry.location)
            entry_directives = directives + [d for d in on_entry if d not in directives]
            reasons: dict[str, list[str]] = defaultdict(list)
            # Service by service: where nothing can single out an action of the service (no
            # keep pattern or lpgen:keep comment that may match one, usage data that stops
            # at the service), every action gets the same verdict; otherwise action by
            # action. Both give the same result ("*" is ~22,000 actions, ~450 services).
            for service, names, lows in info.groups:
                keep, keep_list = self.service_keeps(service)
                here = [d for d in entry_directives if _directive_may_cover(d, service)]
                if not keep and not keep_list and not here:
                    same = self.service_verdict(plan.usages, service)
                    if same is not None:
                        if same.removable:
                            ep.verdicts.update(dict.fromkeys(lows, same))
                        else:
                            ep.kept.update(lows)
                            reasons[same.code].extend(names)
                        continue
                for action, low in zip(names, lows, strict=True):
                    if catalog.matches_any(keep, action):
                        ep.kept.add(low)
                        reasons["keep-option"].append(action)
                        continue
                    if catalog.matches_any(keep_list, action):
                        ep.kept.add(low)
                        reasons["keep-list"].append(action)
                        continue
                    directive = next((d for d in here if d.covers(action)), None)
                    if directive is not None:
                        ep.kept.add(low)
                        reasons[f"keep-comment:{directive.describe()}"].append(action)
                        continue
                    verdict = self.verdict(plan.usages, action)
                    if verdict.removable:
                        ep.verdicts[low] = verdict
                    else:
                        ep.kept.add(low)
                        reasons[verdict.code].append(action)
            for code, actions in reasons.items():
                if code in ("action-used", "service-used"):
                    continue
                plan.kept.append(_kept_note(value, code, actions, self.options.days))
        return sp


def _kept_note(entry: str, code: str, actions: list[str], days: int) -> Kept:
    subject = actions[0] if len(actions) == 1 else f"{entry} ({len(actions)} actions)"
    if code == "keep-list":
        return Kept(subject, code, "on the keep list (Access Advisor cannot see it)", len(actions))
    if code == "keep-option":
        return Kept(subject, "keep-list", "on the keep list (--keep or config)", len(actions))
    if code.startswith("keep-comment:"):
        return Kept(subject, "keep-comment", f"protected by {code.split(':', 1)[1]}", len(actions))
    texts = {
        "action-not-tracked": "its service was used in the window and Access Advisor does not "
        "track this action (absence is not evidence)",
        "service-not-reported": "its service is not in the Access Advisor report",
    }
    return Kept(subject, code, texts.get(code, code), len(actions))


def _stmt_label(stmt: Statement) -> str:
    return f"statement {stmt.sid!r}" if stmt.sid else f"statement {stmt.index + 1}"


def _blocked_reason(policy: Policy, verdict: Verdict) -> str:
    whose = "policy" if policy.kind == "managed" else f"owner ({policy.owner_type})"
    if policy.kind == "inline" and policy.owner_type is None:
        whose = "permission set's roles"
    texts = {
        "no-data": f"no Access Advisor data for this {whose} in the snapshots",
        "job-not-completed": "no usable data: " + verdict.reason,
        "too-young": f"{whose} younger than the window: " + verdict.reason,
        "not-attached": "no usage data: " + verdict.reason,
    }
    return texts.get(verdict.code, verdict.reason)


# --------------------------------------------------------------------------------------------
# Combining the wishes of every user of a span


@dataclass
class _SpanState:
    value: str
    expanded: tuple[str, ...] | None
    keep_all: bool = False
    kept: set[str] = field(default_factory=set)
    users: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    # What each user that judged the entry keeps (lower-case names).
    keepers: dict[str, set[str]] = field(default_factory=dict)
    # The coarsest narrowing any user of the span can afford (see _Level).
    coarse: int = 0
    # _entry_fate's answer, once asked (a state is not changed once built: a policy that
    # falls back gets new states for its spans).
    fate: tuple[str, ...] | Literal[False] | None = field(default=False, repr=False, compare=False)

    def final_kept(self) -> set[str] | None:
        """Lower-case names kept, or None when the entry stays as written."""
        if self.keep_all or not self.expanded:
            return None
        if len(self.kept) == len(self.expanded):
            return None
        return self.kept


class _Level:
    """How far a wildcard entry that keeps some of its actions is narrowed.

    FINE: the fewest patterns allowing exactly what is kept (:func:`lpgen.catalog.cover`).
    SERVICES: a wildcard spanning services (``"*"``, ``"s*"``, ``"*:List*"``) becomes, per
    kept service, its one exact pattern or else ``service:*`` (where that is within the
    wildcard); other wildcards stay as written.
    AS_WRITTEN: every wildcard that keeps anything stays as written; only entries (and
    statements) left with nothing go. This never makes a policy longer, so it always fits
    IAM's quota when the input did.
    """

    FINE = 0
    SERVICES = 1
    AS_WRITTEN = 2


def _entry_fate(state: _SpanState) -> tuple[str, ...] | None:
    """None: keep as is; (): remove; else the patterns that replace the entry."""
    if state.fate is False:
        state.fate = _work_out_fate(state)
    return state.fate


def _work_out_fate(state: _SpanState) -> tuple[str, ...] | None:
    kept = state.final_kept()
    if kept is None:
        return None
    if not kept:
        return ()
    assert state.expanded is not None
    if not _has_wildcard(state.value):
        return None  # an explicit name matching only kept actions stays as written
    if state.coarse >= _Level.AS_WRITTEN:
        return None
    names = tuple(a for a in state.expanded if a.lower() in kept)
    if state.coarse == _Level.SERVICES:
        return _service_cover(state.value, names)
    return _cover(state.value, names)


@functools.lru_cache(maxsize=65536)
def _cover(pattern: str, names: tuple[str, ...]) -> tuple[str, ...] | None:
    # The fixed-point loop of plan_trim asks for the same covers again and again.
    written = tuple(catalog.cover(pattern, names))
    # Belt and braces: what is written must be valid and within the source (the catalog
    # checks each element); if not, the entry stays as written.
    return written if catalog.check_cover(pattern, written) is None else None


@functools.lru_cache(maxsize=4096)
def _service_cover(pattern: str, names: tuple[str, ...]) -> tuple[str, ...] | None:
    """``service:*`` for each kept service of a wildcard spanning services; else None."""
    if ":" in pattern and not _has_wildcard(pattern.split(":", 1)[0]):
        return None  # one service: stays as written at this level
    # The exact narrowing names one service per element; group it by service.
    exact = _cover(pattern, names)
    if exact is None:
        return None
    by_service: dict[str, list[str]] = defaultdict(list)
    for element in exact:
        by_service[catalog.service_of(element)].append(element)
    out: list[str] = []
    for service, fine in sorted(by_service.items()):
        whole = f"{service}:*"
        # One pattern is as short as it gets; several become the whole service.
        out.extend(fine if len(fine) == 1 or not catalog.is_narrower(whole, pattern) else [whole])
    written = tuple(out)
    if set(written) == {pattern}:
        return None
    return written if catalog.check_cover(pattern, written) is None else None


class _Combiner:
    """Union of what each user of a span keeps, kept up to date when a policy falls back.

    Built once; :meth:`update` recomputes only the spans (and the statements holding them)
    of a policy that changed, so the fixed-point loop of :func:`plan_trim` stays linear.
    """

    def __init__(self, plans: Sequence[_PolicyPlan]) -> None:
        self.plans = plans
        # Users of each entry span and of each statement span, in plan order.
        self.users: dict[SpanKey, list[tuple[_PolicyPlan, _StatementPlan, _EntryPlan]]] = {}
        self.stmt_users: dict[SpanKey, list[tuple[_PolicyPlan, _StatementPlan]]] = {}
        self.stmts_of_entry: dict[SpanKey, set[SpanKey]] = {}
        for plan in plans:
            for sp in plan.statements:
                sloc = sp.stmt.location
                skey = _key(sloc) if sloc is not None and sloc.has_span else None
                if skey is not None:
                    self.stmt_users.setdefault(skey, []).append((plan, sp))
                for ep in sp.entries:
                    loc = ep.entry.location
                    if loc is None or not loc.has_span:
                        continue
                    k = _key(loc)
                    self.users.setdefault(k, []).append((plan, sp, ep))
                    if skey is not None:
                        self.stmts_of_entry.setdefault(k, set()).add(skey)
        self.entries: dict[SpanKey, _SpanState] = {k: self._state(k) for k in self.users}
        self.statements: dict[SpanKey, bool] = {k: self._removable(k) for k in self.stmt_users}

    def _state(self, k: SpanKey) -> _SpanState:
        state: _SpanState | None = None
        for plan, sp, ep in self.users[k]:
            if state is None:
                state = _SpanState(ep.entry.value, ep.expanded)
            if state.expanded is None:
                state.expanded = ep.expanded
            state.users.append(plan.policy.address)
            if plan.keep_all or not sp.editable or ep.keep_all:
                state.keep_all = True
                state.blockers.append(plan.policy.address)
            else:
                # The entries' sets are final once planned: one user's set is shared, not
                # copied (sets are never changed here, only replaced by unions).
                state.coarse = max(state.coarse, plan.coarse)
                state.kept = state.kept | ep.kept if state.kept else ep.kept
                address = plan.policy.address
                mine = state.keepers.get(address)
                state.keepers[address] = ep.kept if mine is None else mine | ep.kept
        assert state is not None
        return state

    def _removable(self, skey: SpanKey) -> bool:
        result = True
        for plan, sp in self.stmt_users[skey]:
            removable = (
                sp.editable
                and not plan.keep_all
                and bool(sp.entries)
                and all(
                    e.entry.location is not None
                    and _entry_fate(self.entries[_key(e.entry.location)]) == ()
                    for e in sp.entries
                )
            )
            result = result and removable
        return result

    def update(self, plan: _PolicyPlan) -> None:
        """Recompute what depends on ``plan`` after it fell back (keeps more)."""
        keys = {
            _key(ep.entry.location)
            for sp in plan.statements
            for ep in sp.entries
            if ep.entry.location is not None and ep.entry.location.has_span
        }
        for k in keys:
            self.entries[k] = self._state(k)
        skeys = {s for k in keys for s in self.stmts_of_entry.get(k, ())}
        skeys |= {
            _key(sp.stmt.location)
            for sp in plan.statements
            if sp.stmt.location is not None and sp.stmt.location.has_span
        }
        for s in skeys:
            self.statements[s] = self._removable(s)

    def combine(self) -> tuple[dict[SpanKey, _SpanState], dict[SpanKey, bool]]:
        return self.entries, self.statements


def _statement_removable(sp: _StatementPlan, doc: PolicyDocument) -> str | None:
    """Why the statement could not be removed from its document (None when it can)."""
    loc = sp.stmt.location
    if loc is None or not loc.has_span:
        return "the statement has no source span"
    if sp.stmt.replaces is not None:
        return (
            f'it replaces the statement with Sid "{sp.stmt.sid}" of {sp.stmt.replaces}, '
            "which would apply again"
        )
    if loc.syntax == "hcl-block":
        return None
    if doc.statements_location is None:
        return (
            "its Statement is not a list written here (a single object, or statements merged "
            "from other documents)"
        )
    return None


def _effective(
    plan: _PolicyPlan,
    entries: Mapping[SpanKey, _SpanState],
    statements: Mapping[SpanKey, bool],
) -> list[tuple[_StatementPlan, bool, list[tuple[_EntryPlan, tuple[str, ...] | None]]]]:
    """For each statement of a policy: removed?, and each entry's fate after combining."""
    out = []
    for sp in plan.statements:
        removed = (
            sp.stmt.location is not None
            and sp.stmt.location.has_span
            and statements.get(_key(sp.stmt.location), False)
        )
        fates: list[tuple[_EntryPlan, tuple[str, ...] | None]] = []
        for ep in sp.entries:
            loc = ep.entry.location
            fate = _entry_fate(entries[_key(loc)]) if loc is not None and loc.has_span else None
            fates.append((ep, () if removed else fate))
        out.append((sp, bool(removed), fates))
    return out


def _statement_dict(stmt: Statement, actions: list[str] | None) -> dict[str, object]:
    """The statement as IAM sees it, for measuring the policy's size."""
    d: dict[str, object] = {}
    if stmt.sid is not None:
        d["Sid"] = stmt.sid
    d["Effect"] = stmt.effect
    if stmt.principals is not None:
        d["Principal"] = stmt.principals
    if stmt.not_principals is not None:
        d["NotPrincipal"] = stmt.not_principals
    if actions is not None:
        d["Action"] = actions if stmt.actions_is_list or len(actions) != 1 else actions[0]
    if stmt.not_actions is not None:
        d["NotAction"] = [e.value for e in stmt.not_actions]
    if stmt.resources is not None:
        d["Resource"] = stmt.resources
    if stmt.not_resources is not None:
        d["NotResource"] = stmt.not_resources
    if stmt.conditions is not None:
        d["Condition"] = stmt.conditions
    return d


def _size(
    plan: _PolicyPlan,
    effective: Iterable[
        tuple[_StatementPlan, bool, list[tuple[_EntryPlan, tuple[str, ...] | None]]]
    ]
    | None,
) -> tuple[int, bool]:
    """The policy's size as IAM counts it, and whether parts of it are not known.

    Unknown values (a variable with no value in a Condition, a heredoc template, ...) count
    as nothing: the size is then a lower bound, and the caller must not let it grow.
    """
    doc = plan.policy.document
    if doc is None or doc.unknown_reason:
        return 0, True
    statements: list[object] = []
    if effective is None:
        for sp in plan.statements:
            values = [e.value for e in sp.stmt.actions] if sp.stmt.actions is not None else None
            statements.append(_statement_dict(sp.stmt, values))
    else:
        for sp, removed, fates in effective:
            if removed:
                continue
            if sp.stmt.actions is None:
                statements.append(_statement_dict(sp.stmt, None))
                continue
            acts: list[str] = []
            for ep, fate in fates:
                # A Deny statement's entries are fixed: written as they are, and counted.
                acts.extend([ep.entry.value] if fate is None or ep.fixed else list(fate))
            statements.append(_statement_dict(sp.stmt, acts))
    unknown = any(sp.stmt.unknown for sp in plan.statements)

    def placeholder(value: object) -> object:
        nonlocal unknown
        unknown = True
        return ""

    text = json.dumps(
        {"Version": "2012-10-17", "Statement": statements},
        separators=(",", ":"),
        ensure_ascii=False,
        default=placeholder,
    )
    # Compact JSON has no whitespace outside its strings (json escapes control characters
    # inside them), so every character counts: catalog.policy_size(text) == len(text).
    return len(text), unknown


def _spans_services(plan: _PolicyPlan) -> bool:
    """Whether an entry of the policy is a wildcard that may match several services."""
    for sp in plan.statements:
        for ep in sp.entries:
            service, colon, _ = ep.entry.value.partition(":")
            if not ep.fixed and (not colon or _has_wildcard(service)):
                return True
    return False


def _owner_key(policy: Policy) -> tuple[str, ...] | None:
    """Whose quota an inline policy counts against (all inline policies of the owner)."""
    if policy.kind != "inline" or policy.owner_type is None:
        return None
    if policy.owner_arn:
        return (policy.owner_type, policy.owner_arn)
    return (policy.owner_type, policy.owner or "", policy.owner_address or "")


class _Quota:
    """IAM's size quotas: a managed policy alone; an inline policy with its owner's others.

    A policy that does not get longer fits whenever the input did; only a longer one (a
    wildcard narrowed to several patterns) is measured against the quota.
    """

    def __init__(self, plans: Sequence[_PolicyPlan]) -> None:
        self._old: dict[int, tuple[int, bool]] = {}
        self.owners: dict[tuple[str, ...], list[_PolicyPlan]] = defaultdict(list)
        for plan in plans:
            k = _owner_key(plan.policy)
            if k is not None:
                self.owners[k].append(plan)

    def old(self, plan: _PolicyPlan) -> tuple[int, bool]:
        if id(plan) not in self._old:
            self._old[id(plan)] = _size(plan, None)
        return self._old[id(plan)]

    def now(
        self,
        plan: _PolicyPlan,
        entries: Mapping[SpanKey, _SpanState],
        statements: Mapping[SpanKey, bool],
    ) -> tuple[int, bool]:
        if plan.keep_all:
            return self.old(plan)
        return _size(plan, _effective(plan, entries, statements))

    def refusal(
        self,
        plan: _PolicyPlan,
        effective: Iterable[
            tuple[_StatementPlan, bool, list[tuple[_EntryPlan, tuple[str, ...] | None]]]
        ],
        entries: Mapping[SpanKey, _SpanState],
        statements: Mapping[SpanKey, bool],
    ) -> tuple[str, bool] | None:
        """Why the policy as narrowed now cannot be written, and whether that is because
        parts are unknown (None when it can be written)."""
        effective = list(effective)
        if not any(fate for _sp, _removed, fates in effective for _ep, fate in fates):
            # Nothing narrowed to other patterns, only entries and statements taken out:
            # shorter lists and fewer statements make a shorter text (new <= old below).
            return None
        new, unknown = _size(plan, effective)
        old, old_unknown = self.old(plan)
        if new <= old:
            return None
        policy = plan.policy
        limit = catalog.policy_size_limit(policy.kind, policy.owner_type)
        if plan.permission_set is not None:
            limit = PERMISSION_SET_INLINE_LIMIT
        key = _owner_key(policy)
        others = [p for p in self.owners.get(key, []) if p is not plan] if key else []
        total = new
        unknown = unknown or old_unknown
        for other in others:
            size, other_unknown = self.now(other, entries, statements)
            total += size
            unknown = unknown or other_unknown
        quota = f"IAM's {limit:,}-character limit" + (
            " for a permission set's inline policy (its role's inline policy in each account)"
            if plan.permission_set is not None
            else f" for a {policy.owner_type}'s inline policies"
            if policy.kind == "inline"
            else ""
        )
        if unknown:
            whose = "the policy (or its owner's other inline policies)" if others else "the policy"
            return (
                f"parts of {whose} are not known statically, so a longer policy ({new:,} "
                f"characters without whitespace instead of {old:,}, unknown parts not counted) "
                f"cannot be shown to fit {quota}",
                True,
            )
        if total <= limit:
            return None
        if others:
            return (
                f"the narrowed policy ({new:,} characters without whitespace) would bring its "
                f"owner's inline policies to {total:,}, over {quota}",
                False,
            )
        return (
            f"the narrowed policy would be {total:,} characters without whitespace, over {quota}",
            False,
        )


def plan_trim(
    inventory: Inventory,
    index: UsageIndex,
    *,
    options: TrimOptions,
    sources: Callable[[str], str | None] | None = None,
    history: LineHistory | None = None,
    with_edits: bool = True,
) -> TrimPlan:
    """Decide what to remove from every policy of ``inventory``; no text is touched.

    ``sources(file)`` returns a file's text (for ``lpgen:keep`` comments); ``history`` says
    when lines were added (git). Without ``with_edits`` (LP001 reports the decisions only),
    the plan's edits are left empty.
    """
    from lpgen.gcpause import collector_paused

    with collector_paused():
        return _plan_trim(inventory, index, options, sources, history, with_edits)


def _plan_trim(
    inventory: Inventory,
    index: UsageIndex,
    options: TrimOptions,
    sources: Callable[[str], str | None] | None,
    history: LineHistory | None,
    with_edits: bool,
) -> TrimPlan:
    planner = _Planner(inventory, index, options, sources or (lambda _f: None), history)
    plans = [planner.plan_policy(p) for p in inventory.policies]
    for ps in inventory.permission_sets:
        if ps.inline_policy is None:
            continue
        conflict = inline_conflict(ps)
        if conflict is None:
            plans.append(planner.plan_permission_set(ps))
            continue
        # More than one inline policy (AWS allows one): none is judged, all are left as is.
        for policy in ps.inline_policies:
            plan = _fixed_plan(policy)
            plan.reason = f"not evaluated: {conflict}"
            plan.permission_set = ps.name
            plans.append(plan)
    # Trust and resource policies are never trimmed, and neither is any span they share.
    others = [_fixed_plan(p) for p in _other_documents(inventory)]
    docs = {id(p): p.policy.document for p in plans}
    quota = _Quota(plans)
    # A policy whose actions would all go is reported unused, not rewritten; a statement that
    # would be emptied but cannot be removed keeps its actions. A fallback only ever keeps
    # more, so after one the pass goes on from that policy, and the loop ends once a whole
    # pass from the first policy changes nothing (the same fixed point as starting over each
    # time, without its quadratic cost).
    start = 0
    clean_from_zero = False
    combiner = _Combiner([*plans, *others])
    while True:
        entries, statements = combiner.combine()
        changed = False
        for i in range(start, len(plans)):
            plan = plans[i]
            if plan.keep_all:
                continue
            doc = docs[id(plan)]
            assert doc is not None
            effective = _effective(plan, entries, statements)
            if plan.statements and all(removed for _sp, removed, _f in effective):
                plan.status, plan.unused, plan.keep_all = "skipped", True, True
                plan.reason = (
                    f"unused: no action it allows was used in the {options.days}-day window; "
                    "candidate to delete or detach"
                )
                changed = True
                break
            for sp, removed, _fates in effective:
                if removed and _statement_removable(sp, doc) is not None and sp.editable:
                    why = _statement_removable(sp, doc)
                    plan.kept.append(
                        Kept(
                            _stmt_label(sp.stmt),
                            "not-editable",
                            f"every action is unused but the statement cannot be removed: {why}",
                        )
                    )
                    sp.editable = False
                    changed = True
            if changed:
                break
            refused = quota.refusal(plan, effective, entries, statements)
            if refused is not None:
                why, unknown = refused
                if plan.coarse < _Level.AS_WRITTEN:
                    # Keep the coarser valid form: whole services first, then wildcards as
                    # written (which never makes the policy longer).
                    plan.coarse = (
                        _Level.SERVICES
                        if not unknown and plan.coarse == _Level.FINE and _spans_services(plan)
                        else _Level.AS_WRITTEN
                    )
                    plan.coarse_reason = why + (
                        "; wildcards spanning services narrowed to whole services only, "
                        "other wildcards kept as written"
                        if plan.coarse == _Level.SERVICES
                        else "; wildcards kept as written"
                    )
                else:  # pragma: no cover - AS_WRITTEN never grows a policy
                    plan.status, plan.keep_all = "skipped", True
                    plan.reason = why + "; the original is kept"
                changed = True
                break
        if changed:
            combiner.update(plans[i])
            start = i
            clean_from_zero = False
            continue
        if start == 0 or clean_from_zero:
            break
        start, clean_from_zero = 0, True
    # An unused policy's own wish is still worth reporting (the evidence to delete it).
    decisions = tuple(_decide(plan, entries, statements, options) for plan in plans)
    edits = build_edits(plans, entries, statements) if with_edits else {}
    detach = tuple(_detach_candidates(inventory, index, options))
    managed = tuple(
        managed_usage(inventory, index, days=options.days, keep=options.keep_patterns)
    )
    return TrimPlan(decisions, edits, detach, options.days, managed)


def _other_documents(inventory: Inventory) -> list[Policy]:
    out = [p for p in inventory.resource_policies if p.document is not None]
    for role in inventory.roles:
        if role.assume_role_policy is not None:
            out.append(
                Policy(
                    address=f"{role.address} (trust policy)",
                    name=role.name,
                    location=role.location,
                    document=role.assume_role_policy,
                )
            )
    return out


def _fixed_plan(policy: Policy) -> _PolicyPlan:
    plan = _PolicyPlan(policy, [], keep_all=True, status="skipped")
    for stmt in policy.document.statements if policy.document else []:
        entries = [
            _EntryPlan(e, None, True, fixed=True)
            for e in (stmt.actions or []) + (stmt.not_actions or [])
        ]
        plan.statements.append(_StatementPlan(stmt, stmt.actions_location, entries, False))
    return plan


def _own_fates(sp: _StatementPlan) -> list[tuple[_EntryPlan, tuple[str, ...] | None]]:
    """An entry's fate from this policy's point of view alone."""
    out: list[tuple[_EntryPlan, tuple[str, ...] | None]] = []
    for ep in sp.entries:
        state = _SpanState(ep.entry.value, ep.expanded, keep_all=ep.keep_all or not sp.editable)
        state.kept = set(ep.kept)
        out.append((ep, _entry_fate(state)))
    return out


def _proofs(ep: _EntryPlan, removed: Iterable[tuple[str, str]]) -> tuple[Proof, ...]:
    """The proof of each service (or action) among ``removed`` (names and their lower-case
    forms), in order."""
    proofs: dict[str, Proof] = {}
    for action, low in removed:
        verdict = ep.verdicts.get(low)
        if verdict is None:
            continue
        subject = catalog.service_of(action) if verdict.code == "service-unused" else action
        if subject not in proofs:
            proofs[subject] = Proof(subject, verdict.code, verdict.evidence)
    return tuple(proofs.values())


def _decide(
    plan: _PolicyPlan,
    entries: Mapping[SpanKey, _SpanState],
    statements: Mapping[SpanKey, bool],
    options: TrimOptions,
) -> PolicyDecision:
    policy = plan.policy
    labels = tuple(dict.fromkeys(u.label for u in plan.usages))
    removals: list[Removal] = []
    kept = list(dict.fromkeys(plan.kept))
    granted_before: set[str] = set()
    granted_after: set[str] = set()
    if plan.keep_all:
        fates_by_stmt = [(sp, False, _own_fates(sp)) for sp in plan.statements]
        applied = False
    else:
        fates_by_stmt = _effective(plan, entries, statements)
        applied = True
    for sp, removed, fates in fates_by_stmt:
        if plan.keep_all and plan.unused:
            removed = True
            fates = [(ep, ()) for ep, _ in fates]
        for ep, fate in fates:
            if ep.fixed:
                continue
            # ep.expanded is the catalog's expansion of the entry (None when not judged).
            info = _expanded(ep.entry.value) if ep.expanded else _NOTHING
            expanded = info.actions or ()
            granted_before |= info.services
            if fate is None:
                granted_after |= info.services
                verdicts = ep.verdicts
                own_removed = (
                    [a for a, low in zip(expanded, info.lower, strict=True) if low in verdicts]
                    if verdicts
                    else []
                )
                if own_removed and applied and ep.entry.location is not None:
                    state = entries.get(_key(ep.entry.location))
                    wanted = {a.lower() for a in own_removed}
                    others = sorted(
                        {u for u in (state.blockers if state else []) if u != policy.address}
                        | {
                            u
                            for u, k in (state.keepers if state else {}).items()
                            if u != policy.address and k & wanted
                        }
                    )
                    if not others and plan.coarse and _has_wildcard(ep.entry.value):
                        continue  # kept by the size quota: the "size-limit" note says why
                    why = (
                        f"unused here, but the same source is also used by {', '.join(others)}, "
                        "which keeps it"
                        if others
                        else "unused, but kept with its statement, which cannot be removed or "
                        "emptied"
                    )
                    kept.append(Kept(ep.entry.value, "shared", why, len(own_removed)))
                continue
            if not plan.unused and not applied:
                continue
            kept_after: set[str] = set()
            for pattern in fate:
                narrowed = _expanded(pattern)
                kept_after.update(narrowed.lower)
                granted_after |= narrowed.services
            going = [
                (a, low)
                for a, low in zip(expanded, info.lower, strict=True)
                if low not in kept_after
            ]
            if applied and ep.entry.location is not None and ep.verdicts:
                # What this policy would lose but the narrowed pattern keeps for others.
                held = [low for low in ep.verdicts if low in kept_after]
                state = entries.get(_key(ep.entry.location))
                others = sorted(
                    u for u, k in (state.keepers if state else {}).items()
                    if u != policy.address and k & set(held)
                )  # fmt: skip
                if held and others:
                    kept.append(Kept(
                        ep.entry.value, "shared",
                        f"{len(held)} of its actions unused here stay: the same source is also "
                        f"used by {', '.join(others)}, which keeps them", len(held),
                    ))  # fmt: skip
            if not going:
                continue
            gone = tuple(a for a, _low in going)
            removals.append(
                Removal(
                    entry=ep.entry.value,
                    statement=sp.stmt.index,
                    sid=sp.stmt.sid,
                    location=ep.entry.location,
                    actions=gone,
                    replaced_by=fate,
                    proofs=_proofs(ep, going),
                    statement_removed=removed,
                )
            )
    untouched = _granted_as_is(plan)
    services_removed = (
        () if untouched is None else tuple(sorted(granted_before - granted_after - untouched))
    )
    if plan.coarse and not plan.keep_all:
        kept.append(Kept("the coarser form", "size-limit", plan.coarse_reason))
    if plan.status == "skipped":
        status: Status = "skipped"
        reason = plan.reason
    elif removals:
        status = "trimmed"
        n = len({a.lower() for r in removals for a in r.actions})
        reason = (
            f"removed {n} action{'s' if n != 1 else ''} unused in the {options.days}-day window"
        )
        if services_removed:
            k = len(services_removed)
            reason += f" ({k} service{'s' if k != 1 else ''} no longer granted)"
    else:
        status = "unchanged"
        reason = _unchanged_reason(kept, options.days, plan)
    return PolicyDecision(
        address=policy.address,
        name=policy.name,
        arn=policy.arn,
        kind=policy.kind,
        file=policy.location.file if policy.location else None,
        line=policy.location.line if policy.location else None,
        status=status,
        reason=reason,
        unused=plan.unused,
        removals=tuple(removals) if (status == "trimmed" or plan.unused) else (),
        kept=tuple(kept),
        services_removed=services_removed if status == "trimmed" or plan.unused else (),
        snapshots=labels,
        permission_set=plan.permission_set,
        accounts=plan.accounts,
        root=policy.root,
    )


def _granted_as_is(plan: _PolicyPlan) -> frozenset[str] | None:
    """The services the statements trim leaves as written still grant (None: possibly any,
    through a NotAction or an action not known): a service is "no longer granted" only if
    none of them grants it."""
    out: set[str] = set()
    for sp in plan.statements:
        stmt = sp.stmt
        if stmt.effect.lower() == "deny" or sp.editable:
            continue  # a Deny grants nothing; what editable ones keep is counted already
        if stmt.not_actions is not None or any(
            "Action" in u or u.startswith(("statement", "Effect")) for u in stmt.unknown
        ):
            return None
        for e in stmt.actions or []:
            out |= _expanded(e.value).services
    return frozenset(out)


def _unchanged_reason(kept: Sequence[Kept], days: int, plan: _PolicyPlan) -> str:
    if not kept:
        if not any(sp.stmt.is_allow for sp in plan.statements):
            return "nothing to trim: no Allow statement (Deny statements are never changed)"
        if any(sp.stmt.actions for sp in plan.statements if not sp.stmt.is_allow):
            return (
                f"every action its Allow statements grant was used in the {days}-day window "
                "(Deny statements are never changed)"
            )
        return f"every action was used in the {days}-day window"
    codes = sorted({k.code for k in kept})
    names = {
        "action-not-tracked": "not tracked by Access Advisor",
        "service-not-reported": "service not in the report",
        "keep-list": "on the keep list",
        "keep-comment": "protected by lpgen:keep",
        "keep-expired": "expired lpgen:keep",
        "recently-added": "added less than the window ago",
        "unknown-pattern": "unknown to the action catalog",
        "not-editable": "not editable",
        "not-action": "NotAction statement",
        "not-resource": "NotResource statement",
        "shared": "shared with a policy that keeps it",
        "size-limit": "IAM's size quota",
    }
    parts = [names.get(c, c) for c in codes if c != "keep-expired"]
    return "nothing to remove: the rest was used in the window; kept with no evidence: " + (
        ", ".join(parts) if parts else "none"
    )


# --------------------------------------------------------------------------------------------
# Edits


def build_edits(
    plans: Sequence[_PolicyPlan],
    entries: Mapping[SpanKey, _SpanState],
    statements: Mapping[SpanKey, bool],
) -> dict[str, tuple[Edit, ...]]:
    """The span edits that carry out the combined decisions, by file."""
    edits: dict[str, dict[tuple[str, int, int, str], Edit]] = defaultdict(dict)
    # Entries of one list that would all go (a shared local list whose statements are all
    # removed) stay: the list is then unused, not emptied into something invalid.
    lists: dict[SpanKey, list[tuple[Location, tuple[str, ...] | None]]] = defaultdict(list)
    removed_spans: dict[str, list[Location]] = defaultdict(list)  # by file
    for plan in plans:
        doc = plan.policy.document
        for sp in plan.statements:
            loc = sp.stmt.location
            if loc is None or not loc.has_span or not statements.get(_key(loc), False):
                continue
            if doc is None or _statement_removable(sp, doc) is not None:
                continue
            container = None if loc.syntax == "hcl-block" else doc.statements_location
            kind = "remove_block" if loc.syntax == "hcl-block" else "remove"
            edit = Edit(kind, loc, container)  # type: ignore[arg-type]
            edits[loc.file][("s", loc.start, loc.end, kind)] = edit
            removed_spans[loc.file].append(loc)
    seen: set[SpanKey] = set()
    for plan in plans:
        for sp in plan.statements:
            for ep in sp.entries:
                loc = ep.entry.location
                if loc is None or not loc.has_span or _key(loc) in seen:
                    continue
                seen.add(_key(loc))
                fate = _entry_fate(entries[_key(loc)])
                container = sp.container
                lists[_key(container) if container else _key(loc)].append((loc, fate))
                if fate is None:
                    continue
                if any(
                    r.start <= loc.start and loc.end <= r.end
                    for r in removed_spans.get(loc.file, ())
                ):
                    continue
                if fate == ():
                    if container is None:
                        continue  # a lone value: its statement goes instead
                    edit = Edit("remove", loc, container)
                else:
                    edit = Edit("replace", loc, container, fate)
                edits[loc.file][("e", loc.start, loc.end, "")] = edit
    # Drop edits that would empty a list not removed with its statement.
    for members in lists.values():
        if members and all(f == () for _l, f in members):
            for loc, _f in members:
                edits[loc.file].pop(("e", loc.start, loc.end, ""), None)
    return {f: tuple(v.values()) for f, v in edits.items() if v}


# --------------------------------------------------------------------------------------------
# AWS-managed policy attachments


def _is_aws_managed(arn: str | None) -> bool:
    return bool(arn) and re.match(r"^arn:aws[a-z-]*:iam::aws:policy/", arn or "") is not None


def _detach_candidates(
    inventory: Inventory, index: UsageIndex, options: TrimOptions
) -> Iterable[DetachCandidate]:
    """AWS-managed policies attached to an entity whose report shows no service used.

    AWS-managed policy documents are not in the code, so which services one grants is not
    known; when the entity used no service at all in the window, none of them was used.
    """
    for att in inventory.attachments:
        if not _is_aws_managed(att.policy_arn) or att.target is None:
            continue
        usages = index.lookup(att.target_type, att.target, None)
        if not usages or assess_entity(usages, days=options.days) is not None:
            continue
        if not all(u.services for u in usages):
            continue
        used = [
            u
            for u in usages
            for s in u.services.values()
            if s.last_authenticated is not None
            and s.last_authenticated >= u.collected_at - timedelta(days=options.days)
        ]
        if used:
            continue
        evidence = tuple(
            Evidence(
                u.label, u.account_id, u.arn, "service-unused", u.collected_at,
                u.window_start(options.days),
                last_accessed=max(
                    (s.last_authenticated for s in u.services.values() if s.last_authenticated),
                    default=None,
                ),
                detail=(
                    f"{att.target_type} {att.target} used none of its "
                    f"{len(u.services)} services in the {options.days}-day window"
                ),
            )
            for u in usages
        )  # fmt: skip
        assert att.policy_arn is not None
        yield DetachCandidate(
            address=att.address,
            policy_arn=att.policy_arn,
            target_type=att.target_type,
            target=att.target,
            file=att.location.file,
            line=att.location.line,
            reason=(
                f"{att.target_type} {att.target} used no service in the {options.days}-day "
                "window; candidate to detach"
            ),
            evidence=evidence,
        )


# --------------------------------------------------------------------------------------------
# The whole job


class _Sources:
    """File texts under a root, read once, as the inventory reads them."""

    def __init__(self, root: Path) -> None:
        self.root = root if root.is_dir() else root.parent
        self._texts: dict[str, str | None] = {}

    def __call__(self, file: str) -> str | None:
        if file not in self._texts:
            try:
                self._texts[file] = read_source(self.root / file)
            except (OSError, UnicodeDecodeError):
                self._texts[file] = None
        return self._texts[file]


def apply_plan(
    root: Path,
    plan: TrimPlan,
    sources: Callable[[str], str | None],
    extra: Sequence[Edit] = (),
    *,
    cache_dir: Path | None = None,
) -> list[FileChange]:
    """Apply the plan's edits (and ``extra`` ones, e.g. memberships) to the files' texts.

    Edits of one file are applied together; only changed files are returned. Every changed
    file must still parse (checked in one batch; ``cache_dir`` remembers texts known to parse).
    """
    edits: dict[str, list[Edit]] = {f: list(es) for f, es in plan.edits.items()}
    for e in extra:
        edits.setdefault(e.target.file, []).append(e)
    changes: list[FileChange] = []
    for file in sorted(edits):
        text = sources(file)
        if text is None:
            raise InputError("cannot read the file to edit", file=file)
        change = edit_file(file, text, edits[file], check_parse=False)
        if change.new != text:
            changes.append(change)
    verify_parses(changes, cache_dir=cache_dir)
    return changes


def _inside_only(
    root: Path, plan: TrimPlan, extra: Sequence[Edit]
) -> tuple[TrimPlan, list[Edit]]:
    """Drop the edits of files that are not regular files whose real path lies under ``root``.

    A policy stored outside PATH (``file("../common/p.json")``, an absolute path, a symlinked
    file or directory pointing elsewhere) keeps its decision, marked "outside PATH: not
    edited". Dropping edits only ever keeps more.
    """
    from lpgen.fsutil import real_path_under

    files = set(plan.edits) | {e.target.file for e in extra}
    outside = set()
    for f in files:
        real = real_path_under(root, f)
        if real is None or not real.is_file():
            outside.add(f)
    if not outside:
        return plan, list(extra)
    decisions = []
    for d in plan.policies:
        hit = sorted(
            {r.location.file for r in d.removals if r.location and r.location.file in outside}
        )
        if hit and d.status == "trimmed":
            d = _outside_decision(d, hit, outside, plan.days)
        decisions.append(d)
    edits = {f: e for f, e in plan.edits.items() if f not in outside}
    kept_extra = [e for e in extra if e.target.file not in outside]
    return replace(plan, policies=tuple(decisions), edits=edits), kept_extra


def _outside_decision(
    d: PolicyDecision, hit: list[str], outside: set[str], days: int
) -> PolicyDecision:
    """``d`` once the edits of its removals in ``hit`` (files outside PATH) are dropped: the
    report and its counts say only what is written. With nothing left to edit it is skipped,
    saying what it would have removed."""
    rest = tuple(r for r in d.removals if r.location is None or r.location.file not in outside)
    if not rest:
        would = d.reason.replace("removed ", "would remove ", 1)
        return replace(
            d, status="skipped", reason=f"outside PATH: not edited ({would})",
            removals=(), services_removed=(),
        )  # fmt: skip
    # A service no longer granted only if none of its removals was left undone.
    undone = {
        a.split(":", 1)[0].lower() for r in d.removals if r not in rest for a in r.actions
    }
    services = tuple(s for s in d.services_removed if s.lower() not in undone)
    n = len({a.lower() for r in rest for a in r.actions})
    reason = f"removed {n} action{'s' if n != 1 else ''} unused in the {days}-day window"
    if services:
        k = len(services)
        reason += f" ({k} service{'s' if k != 1 else ''} no longer granted)"
    reason += f" (edits in {', '.join(hit)} outside PATH: not edited)"
    return replace(d, reason=reason, removals=rest, services_removed=services)


def run_trim(
    path: Path,
    snapshots: Sequence[Snapshot | str | Path],
    *,
    options: TrimOptions,
    inventory_options: InventoryOptions | None = None,
    inventory: Inventory | None = None,
) -> TrimResult:
    """Read the tree at ``path`` and the snapshots, decide, and compute the edited texts.

    Nothing is written: see :func:`lpgen.rewrite.write_in_place` and ``write_copy``. Without
    an account id in ``inventory_options``, the first snapshot's gives entities their ARNs.
    """
    from lpgen.inventory import InventoryOptions
    from lpgen.snapshot import Snapshot, load_snapshot

    if not snapshots:
        raise InputError("trim needs at least one --snapshot")
    given = inventory_options or InventoryOptions()

    def prepare() -> tuple[list[Snapshot], InventoryOptions]:
        loaded = [s if isinstance(s, Snapshot) else load_snapshot(s) for s in snapshots]
        if given.account_id is not None:
            return loaded, given
        return loaded, replace(
            given, account_id=loaded[0].account_id, partition=loaded[0].partition
        )

    def _compute() -> TrimResult:
        loaded, inv_options = prepare()
        return _run_trim(path, loaded, options, inv_options, None)

    if inventory is None and given.cache_dir is not None and all(
        not isinstance(s, Snapshot) for s in snapshots
    ):
        # The same tree, snapshots and options as an earlier run give the same result. The
        # snapshots are read only on a miss: the key has their digests (and so the account
        # an account id left out comes from), and one that did not load has no entry.
        from lpgen.terraform.cache import cached_result, file_digest, git_head

        root_dir = Path(path).resolve()
        parts = [
            "trim",
            repr(given),
            repr(options),
            *(file_digest(Path(s)) for s in snapshots),  # type: ignore[arg-type]
            git_head(root_dir) if options.use_git else "",
        ]
        result: TrimResult = cached_result(
            given.cache_dir,
            root_dir,
            parts,
            _compute,
            files_of=lambda r: sorted({c.path for c in r.changes} | set(r.files)),
            exclude=given.exclude,
            expected=TrimResult,
        )
        return result
    loaded, inv_options = prepare()
    return _run_trim(path, loaded, options, inv_options, inventory)


def _run_trim(
    path: Path,
    loaded: list[Snapshot],
    options: TrimOptions,
    inv_options: InventoryOptions,
    inventory: Inventory | None,
) -> TrimResult:
    from lpgen.terraform.workers import keep_workers

    # A parallel read's worker stays, to check the rewritten files (lpgen.terraform.workers).
    with keep_workers():
        return _trim(path, loaded, options, inv_options, inventory)


def _trim(
    path: Path,
    loaded: list[Snapshot],
    options: TrimOptions,
    inv_options: InventoryOptions,
    inventory: Inventory | None,
) -> TrimResult:
    from lpgen.inventory import build_inventory

    if inventory is None:
        inventory = build_inventory(path, options=inv_options)
    if inv_options.strict:  # --write, --out, --check: never edit a tree AWS would reject
        from lpgen.accounting import refuse_unreadable

        refuse_unreadable(inventory)
    index = UsageIndex.from_snapshots(loaded)
    root = Path(inventory.root) if inventory.root else path
    sources = _Sources(root)
    if options.use_git:
        from lpgen.gitinfo import LineHistory

        history: LineHistory | None = LineHistory(root)
    else:
        history = None
    plan = plan_trim(inventory, index, options=options, sources=sources, history=history)
    decisions: tuple[Any, ...] | None = None
    extra: list[Edit] = []
    if options.memberships:
        from lpgen.memberships import plan_membership_trim

        found, extra = plan_membership_trim(
            inventory, index, days=options.days, options=inv_options
        )
        decisions = tuple(found)
    replacements: tuple[Any, ...] = ()
    if options.replace_aws_managed:
        from lpgen.aws_managed_replace import plan_replacements, raw_documents

        records, replacing = plan_replacements(
            plan.aws_managed, raw_documents(loaded), sources, days=options.days,
            taken=frozenset(
                [p.address for p in inventory.policies]
                + [p.address for p in inventory.permission_set_policies]
            ),
        )
        replacements = tuple(records)
        extra.extend(replacing)
    plan, kept_extra = _inside_only(root, plan, extra)
    if decisions is not None and len(kept_extra) != len(extra):
        dropped = set(extra) - set(kept_extra)
        decisions = tuple(
            replace(d, reason=f"{d.reason} (outside PATH: not edited)")
            if getattr(d, "edit", None) in dropped
            else d
            for d in decisions
        )
    if replacements and len(kept_extra) != len(extra):
        kept_files = {e.target.file for e in kept_extra}
        replacements = tuple(
            replace(r, replaced=False, new_address=None, reason="not replaced: outside PATH")
            if r.replaced and r.file not in kept_files
            else r
            for r in replacements
        )
    extra = kept_extra
    changes = apply_plan(root, plan, sources, extra, cache_dir=inv_options.cache_dir)
    warnings = tuple(f"{w.location or w.address}: {w.message}" for w in inventory.warnings)
    infos = tuple(SnapshotInfo(s.label, s.account_id, s.collected_at) for s in loaded)
    from lpgen.accounting import summary_line

    return TrimResult(
        plan, tuple(changes), root, infos, warnings, decisions, files=tuple(inventory.files),
        unevaluated=summary_line(inventory), replacements=replacements,
    )  # fmt: skip

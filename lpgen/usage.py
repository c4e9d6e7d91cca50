"""Usage join: Access Advisor data from snapshots, looked up per IAM entity and judged per action.

This is the API trim, check and graph use to ask "was this used?". It never reads the wall
clock: every window is measured back from the ``collected_at`` of the snapshot the data
came from (DESIGN.md, trimming rule 3).

Building an index::

    index = UsageIndex.from_snapshots([load_snapshot(p) for p in paths])

Looking entities up. The same Terraform is often applied in several accounts, so a lookup
by kind + path + name returns one :class:`EntityUsage` per snapshot that holds the entity
(ARNs differ only by account id); ``path=None`` matches any path (IAM user, group and role
names are unique in an account whatever their path)::

    index.lookup("policy", "developers", "/teams/")   # -> [EntityUsage, ...]
    index.lookup_arn("arn:aws:iam::111122223333:role/ci")
    index.for_policy(policy)   # model.Policy: a managed policy's own report, an inline
                               # policy's owner's report (the DESIGN.md join rule)

Judging. :func:`assess_entity` says whether an entity's data can be used at all (job
COMPLETED, entity older than the window, managed policy attached to something);
:func:`assess_action` applies trim's rule to one concrete action (``"s3:CreateBucket"``;
wildcards are the caller's to expand) and returns a :class:`Verdict` with a stable
``code``, a sentence for the report and the per-snapshot evidence:

- a service not used in the window: its actions go (``service-unused``);
- a service used in the window: an action AWS tracks (``TrackedActionsLastAccessed``) and
  shows unused in the window goes (``action-unused``); every other action stays
  (``action-used``, ``action-not-tracked``, ``service-used`` when AWS tracks no action of
  that service or the report is service-level);
- a service missing from the report (``service-not-reported``), a job not COMPLETED
  (``job-not-completed``), no data for the entity (``no-data``), an entity younger than
  the window (``too-young``), a policy attached to nothing (``not-attached``): keep, and
  the reason says why.

With several snapshots usage is the union: an action goes only if *every* snapshot that
holds the entity says it may go; the first snapshot that says "keep" decides the reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from lpgen.model import Policy, PolicyDocument
from lpgen.snapshot import (
    Kind,
    Snapshot,
    SnapshotEntity,
    Status,
    format_time,
    parse_arn,
    parse_time,
)

VerdictCode = Literal[
    "service-unused",
    "action-unused",
    "action-used",
    "action-not-tracked",
    "service-used",
    "service-not-reported",
    "job-not-completed",
    "no-data",
    "too-young",
    "not-attached",
]
# Codes that allow removal; every other code keeps the action.
REMOVABLE: frozenset[str] = frozenset({"service-unused", "action-unused"})


@dataclass(frozen=True)
class TrackedAction:
    """One ``TrackedActionsLastAccessed`` entry (``last_accessed`` None: never used)."""

    name: str
    last_accessed: datetime | None = None
    entity: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class EntityAccess:
    """Who used a service, from GetServiceLastAccessedDetailsWithEntities (group reports)."""

    arn: str
    name: str
    type: str
    path: str | None = None
    last_authenticated: datetime | None = None


@dataclass(frozen=True)
class ServiceUsage:
    """One ``ServicesLastAccessed`` entry of a report.

    ``tracked_actions`` (keyed by lower-case action name) is None when AWS tracks no
    actions for the service or the report is service-level; then nothing is known about
    single actions.
    """

    namespace: str
    service_name: str
    last_authenticated: datetime | None = None
    last_entity: str | None = None
    last_region: str | None = None
    total_entities: int | None = None
    tracked_actions: dict[str, TrackedAction] | None = None
    entities: tuple[EntityAccess, ...] = ()


@dataclass(frozen=True)
class EntityUsage:
    """One entity's Access Advisor report in one snapshot."""

    label: str
    account_id: str
    arn: str
    kind: Kind
    name: str
    path: str
    collected_at: datetime
    status: Status
    error: str | None = None
    create_date: datetime | None = None
    attached: bool | None = None
    granularity: str | None = None
    services: dict[str, ServiceUsage] = field(default_factory=dict)
    # An AWSReservedSSO_* role: the IAM Identity Center permission set it belongs to.
    permission_set: str | None = None

    def service(self, namespace: str) -> ServiceUsage | None:
        return self.services.get(namespace.lower())

    def window_start(self, days: int) -> datetime:
        return self.collected_at - timedelta(days=days)


def in_window(t: datetime | None, collected_at: datetime, days: int) -> bool:
    """True when ``t`` is within ``days`` before ``collected_at`` (or after it).

    The window is measured back from the snapshot's time, never from the wall clock; a use
    recorded after ``collected_at`` counts as inside. ``None`` (never used) is outside.
    """
    if t is None:
        return False
    return t >= collected_at - timedelta(days=days)


def _time(value: object) -> datetime | None:
    if not value:
        return None
    return _parsed_time(value) if isinstance(value, str) else parse_time(value)


@functools.lru_cache(maxsize=4096)
def _parsed_time(value: str) -> datetime:
    # A snapshot repeats the same times many times (datetimes are immutable: shared).
    return parse_time(value)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def entity_usage(entity: SnapshotEntity, snapshot: Snapshot) -> EntityUsage:
    """Turn one snapshot record into an :class:`EntityUsage` (times parsed)."""
    parts = entity.parts
    by_service: dict[str, list[dict[str, Any]]] = {}
    for key, rows in (entity.entities_by_service or {}).items():
        by_service.setdefault(key.lower(), rows)  # the first spelling of a namespace
    granularity = entity.effective_granularity
    services: dict[str, ServiceUsage] = {}
    for raw in entity.details.get("ServicesLastAccessed") or []:
        namespace = str(raw["ServiceNamespace"]).lower()
        tracked: dict[str, TrackedAction] | None = None
        raw_tracked = raw.get("TrackedActionsLastAccessed")
        if raw_tracked is not None and granularity != "SERVICE_LEVEL":
            tracked = {}
            for item in raw_tracked:
                action = TrackedAction(
                    name=item["ActionName"],
                    last_accessed=_time(item.get("LastAccessedTime")),
                    entity=_str(item.get("LastAccessedEntity")),
                    region=_str(item.get("LastAccessedRegion")),
                )
                tracked[action.name.lower()] = action
        users = tuple(_entity_access(row) for row in by_service.get(namespace, ()))
        total = raw.get("TotalAuthenticatedEntities")
        services[namespace] = ServiceUsage(
            namespace=namespace,
            service_name=str(raw.get("ServiceName") or namespace),
            last_authenticated=_time(raw.get("LastAuthenticated")),
            last_entity=_str(raw.get("LastAuthenticatedEntity")),
            last_region=_str(raw.get("LastAuthenticatedRegion")),
            total_entities=total if isinstance(total, int) else None,
            tracked_actions=tracked,
            entities=users,
        )
    error = entity.error
    if error is None and isinstance(entity.details.get("Error"), dict):
        details_error = entity.details["Error"]
        error = f"{details_error.get('Code', 'Error')}: {details_error.get('Message', '')}"
    return EntityUsage(
        label=snapshot.label,
        account_id=snapshot.account_id,
        arn=entity.arn,
        kind=parts.kind,
        name=parts.name,
        path=parts.path,
        collected_at=snapshot.collected_at,
        status=entity.effective_status,
        error=error,
        create_date=_time(entity.create_date),
        attached=entity.attached,
        granularity=granularity,
        services=services,
        permission_set=entity.permission_set
        or (_permission_set_of(parts.name, parts.path) if parts.kind == "role" else None),
    )


def _entity_access(row: dict[str, Any]) -> EntityAccess:
    info = row.get("EntityInfo") or {}
    return EntityAccess(
        arn=str(info.get("Arn", "")),
        name=str(info.get("Name", "")),
        type=str(info.get("Type", "")),
        path=_str(info.get("Path")),
        last_authenticated=_time(row.get("LastAuthenticated")),
    )


def _norm_path(path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    if not path.endswith("/"):
        path += "/"
    return path


class UsageIndex:
    """Access Advisor reports of one or more snapshots, looked up by entity."""

    def __init__(self, usages: Iterable[EntityUsage]) -> None:
        self._all = list(usages)
        self._by_name: dict[tuple[str, str], list[EntityUsage]] = {}
        self._by_arn: dict[str, list[EntityUsage]] = {}
        self._by_permission_set: dict[str, list[EntityUsage]] = {}
        self.accounts: set[str] = set()
        # AWS-managed policy documents read at collect time (snapshot aws_managed_policies).
        self.aws_managed: dict[str, PolicyDocument] = {}
        for usage in self._all:
            self._by_name.setdefault((usage.kind, usage.name), []).append(usage)
            self._by_arn.setdefault(usage.arn, []).append(usage)
            self.accounts.add(usage.account_id)
            if usage.permission_set is not None:
                key = usage.permission_set.lower()
                self._by_permission_set.setdefault(key, []).append(usage)

    @classmethod
    def from_snapshots(cls, snapshots: Sequence[Snapshot]) -> UsageIndex:
        from lpgen.aws_managed import documents_of
        from lpgen.gcpause import collector_paused

        with collector_paused():
            index = cls(entity_usage(e, s) for s in snapshots for e in s.entities)
            # An account counts as seen even when its snapshot holds no entity.
            index.accounts.update(s.account_id for s in snapshots)
            index.aws_managed = documents_of(snapshots)
        return index

    def for_permission_set(self, name: str) -> list[EntityUsage]:
        """The reports of the ``AWSReservedSSO_<name>_*`` roles, one per account (and per
        snapshot) holding one: the permission set's usage in every account it is in."""
        return list(self._by_permission_set.get(name.lower(), []))

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[EntityUsage]:
        return iter(self._all)

    def lookup(self, kind: Kind, name: str, path: str | None = "/") -> list[EntityUsage]:
        """One record per snapshot holding the entity (any account); ``path=None``: any path."""
        found = self._by_name.get((kind, name), [])
        if path is None:
            return list(found)
        wanted = _norm_path(path)
        return [u for u in found if u.path == wanted]

    def lookup_arn(self, arn: str) -> list[EntityUsage]:
        """Records of exactly this ARN (one account; several if snapshots overlap)."""
        return list(self._by_arn.get(arn, []))

    def for_policy(self, policy: Policy) -> list[EntityUsage]:
        """The reports that hold a policy's usage (DESIGN.md join rule).

        A managed policy's usage is in its own report; an inline policy's in its owner's
        (group, user or role), looked up by name whatever the owner's path.
        """
        if policy.kind == "managed":
            if policy.name is None:
                return []
            return self.lookup("policy", policy.name, policy.path or "/")
        if policy.owner_type is None:
            return []
        owner = policy.owner
        path: str | None = None
        if policy.owner_arn:
            parts = parse_arn(policy.owner_arn)
            if parts is not None:
                owner, path = parts.name, parts.path
        if owner is None:
            return []
        return self.lookup(policy.owner_type, owner, path)


# --- judging -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What one snapshot says about one action (or one entity)."""

    label: str
    account_id: str
    arn: str
    code: VerdictCode
    collected_at: datetime
    window_start: datetime
    last_accessed: datetime | None = None
    entity: str | None = None
    region: str | None = None
    detail: str = ""

    def describe(self) -> str:
        where = f"{self.label or self.account_id}"
        return f"{where}: {self.detail}" if self.detail else where


@dataclass(frozen=True)
class Verdict:
    """Whether an action may go, with a stable code, a sentence and per-snapshot evidence."""

    code: VerdictCode
    reason: str
    evidence: tuple[Evidence, ...] = ()

    @property
    def removable(self) -> bool:
        return self.code in REMOVABLE


def _when(t: datetime | None) -> str:
    return format_time(t) if t else "never"


def _say_once(status: str, error: str | None) -> str:
    """``status: error``, without the error repeating the status (collect records "the
    Access Advisor job failed: Failed: ..."; the reason says "job failed" once)."""
    if not error:
        return status
    lead = error.strip()
    for prefix in (status, f"the {status}"):
        if lead.lower().startswith(prefix.lower()):
            lead = lead[len(prefix) :].lstrip(" :")
            break
    return f"{status}: {lead}" if lead else status


def _entity_blocker(usage: EntityUsage, days: int) -> Evidence | None:
    start = usage.window_start(days)

    def evidence(code: VerdictCode, detail: str) -> Evidence:
        return Evidence(
            usage.label, usage.account_id, usage.arn, code, usage.collected_at, start,
            detail=detail,
        )  # fmt: skip

    if usage.status != "COMPLETED":
        status = {
            "missing": "entity not found in AWS when collected (not applied yet?)",
            "IN_PROGRESS": "Access Advisor job did not complete",
            "FAILED": "Access Advisor job failed",
            "error": "collection failed",
        }[usage.status]
        return evidence("job-not-completed", _say_once(status, usage.error))
    if usage.kind == "policy" and usage.attached is False:
        return evidence("not-attached", "policy is attached to nothing, so AWS has no usage data")
    if usage.create_date is not None and usage.create_date > start:
        return evidence(
            "too-young",
            f"created {_when(usage.create_date)}, inside the {days}-day window",
        )
    return None


def assess_entity(usages: Sequence[EntityUsage], *, days: int) -> Verdict | None:
    """Why an entity's data cannot be used at all (None when every snapshot is usable).

    No record at all is ``no-data``; otherwise the first snapshot that is not COMPLETED,
    whose policy is attached to nothing, or whose entity is younger than the window.
    """
    if not usages:
        return Verdict("no-data", "no Access Advisor data for this entity in any snapshot")
    for usage in usages:
        blocker = _entity_blocker(usage, days)
        if blocker is not None:
            return Verdict(blocker.code, blocker.describe(), (blocker,))
    return None


def split_action(action: str) -> tuple[str, str]:
    """``"S3:CreateBucket"`` -> ``("s3", "createbucket")``."""
    service, _, name = action.partition(":")
    return service.lower(), name.lower()


def assess_action(usages: Sequence[EntityUsage], action: str, *, days: int) -> Verdict:
    """Trim's rule for one concrete action (``service:Action``) of one entity's policy.

    ``usages`` are the entity's records (``UsageIndex.lookup``/``for_policy``). The action
    goes only when every record says it may go.
    """
    blocked = assess_entity(usages, days=days)
    if blocked is not None:
        return blocked
    namespace, name = split_action(action)
    verdict = _action_verdict(usages, lambda usage: _judge(usage, namespace, name, days))
    assert verdict is not None
    return verdict


def assess_service_actions(
    usages: Sequence[EntityUsage], namespace: str, *, days: int
) -> Verdict | None:
    """The verdict :func:`assess_action` gives *every* action of a service, or None when it
    depends on the action.

    It does not when the records it reads stop at the service: a service unused in the
    window, missing from the report, or used with no action-level data (AWS tracks no
    action of it, or the report is service-level). Only a record of a service used in the
    window *with* tracked actions makes the verdict depend on the action. Deciding ``*`` or
    ``s3:*`` service by service this way gives the same verdicts as action by action.
    """
    blocked = assess_entity(usages, days=days)
    if blocked is not None:
        return blocked
    namespace = namespace.lower()

    def judge(usage: EntityUsage) -> Evidence | None:
        service = usage.service(namespace)
        if (
            service is not None
            and service.tracked_actions is not None
            and in_window(service.last_authenticated, usage.collected_at, days)
        ):
            return None  # used, with action-level data: each action has its own answer
        # The action's name is not read on this path (see _judge).
        return _judge(usage, namespace, "", days)

    return _action_verdict(usages, judge)


def _action_verdict(
    usages: Sequence[EntityUsage], judge: Callable[[EntityUsage], Evidence | None]
) -> Verdict | None:
    """Every record's evidence, in order, up to the first that keeps the action; None when
    ``judge`` cannot answer for a record it reaches."""
    evidence: list[Evidence] = []
    for usage in usages:
        item = judge(usage)
        if item is None:
            return None
        evidence.append(item)
        if item.code not in REMOVABLE:
            return Verdict(item.code, item.describe(), tuple(evidence))
    codes = {e.code for e in evidence}
    code: VerdictCode = "action-unused" if "action-unused" in codes else "service-unused"
    reason = "; ".join(e.describe() for e in evidence)
    return Verdict(code, reason, tuple(evidence))


def assess_service(usages: Sequence[EntityUsage], namespace: str, *, days: int) -> Verdict:
    """Whether a whole service was used in the window (for ``service:*`` and summaries).

    ``service-unused`` when every record reports the service unused in the window;
    otherwise why it stays (``service-used``, ``service-not-reported``, or an entity reason).
    """
    blocked = assess_entity(usages, days=days)
    if blocked is not None:
        return blocked
    evidence: list[Evidence] = []
    for usage in usages:
        item = _judge_service(usage, namespace.lower(), days)
        evidence.append(item)
        if item.code != "service-unused":
            return Verdict(item.code, item.describe(), tuple(evidence))
    return Verdict("service-unused", "; ".join(e.describe() for e in evidence), tuple(evidence))


def _judge_service(usage: EntityUsage, namespace: str, days: int) -> Evidence:
    start = usage.window_start(days)
    service = usage.service(namespace)
    if service is None:
        return Evidence(
            usage.label, usage.account_id, usage.arn, "service-not-reported",
            usage.collected_at, start,
            detail=f"service {namespace} is not in the Access Advisor report",
        )  # fmt: skip
    used = in_window(service.last_authenticated, usage.collected_at, days)
    detail = (
        f"{namespace} last used {_when(service.last_authenticated)}"
        + (f" by {service.last_entity}" if used and service.last_entity else "")
        + f", window {days} days from {format_time(usage.collected_at)}"
    )
    return Evidence(
        usage.label, usage.account_id, usage.arn,
        "service-used" if used else "service-unused",
        usage.collected_at, start,
        last_accessed=service.last_authenticated,
        entity=service.last_entity,
        region=service.last_region,
        detail=detail,
    )  # fmt: skip


def _judge(usage: EntityUsage, namespace: str, name: str, days: int) -> Evidence:
    service_evidence = _judge_service(usage, namespace, days)
    if service_evidence.code != "service-used":
        return service_evidence
    service = usage.services[namespace]
    start = usage.window_start(days)
    if service.tracked_actions is None:
        why = (
            "the report is service-level"
            if usage.granularity == "SERVICE_LEVEL"
            else f"AWS tracks no actions of {namespace}"
        )
        return Evidence(
            usage.label, usage.account_id, usage.arn, "service-used",
            usage.collected_at, start,
            last_accessed=service.last_authenticated,
            entity=service.last_entity,
            region=service.last_region,
            detail=f"{service_evidence.detail}; {why}",
        )  # fmt: skip
    tracked = service.tracked_actions.get(name)
    if tracked is None:
        return Evidence(
            usage.label, usage.account_id, usage.arn, "action-not-tracked",
            usage.collected_at, start,
            last_accessed=service.last_authenticated,
            detail=(
                f"{namespace} used in the window and Access Advisor does not track "
                f"{namespace}:{name} (absence is not evidence)"
            ),
        )  # fmt: skip
    used = in_window(tracked.last_accessed, usage.collected_at, days)
    return Evidence(
        usage.label, usage.account_id, usage.arn,
        "action-used" if used else "action-unused",
        usage.collected_at, start,
        last_accessed=tracked.last_accessed,
        entity=tracked.entity,
        region=tracked.region,
        detail=(
            f"{namespace}:{tracked.name} last used {_when(tracked.last_accessed)}"
            + (f" by {tracked.entity}" if used and tracked.entity else "")
            + f", window {days} days from {format_time(usage.collected_at)}"
        ),
    )  # fmt: skip


def _permission_set_of(name: str, path: str | None) -> str | None:
    from lpgen.sso_collect import permission_set_of  # its AWS side is not needed to load

    return permission_set_of(name, path)

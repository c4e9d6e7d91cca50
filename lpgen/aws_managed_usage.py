"""What a principal used of each AWS-managed policy attached to it, for trim's report.

An AWS-managed policy cannot be edited, only replaced or detached. With its default version
from the snapshot (collect reads it), the principal's own report says which of the actions it
grants were used in the window; the same rules as trimming decide (DESIGN.md, trimming
rules): an action goes only when Access Advisor shows its service unused, or tracks it and
shows it unused; untracked actions, ``iam:PassRole`` and the keep list stay, and so does
everything of a principal younger than the window or whose job did not complete.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from lpgen import catalog
from lpgen.aws_managed import is_aws_managed
from lpgen.model import Inventory, PolicyDocument
from lpgen.sso_trim import permission_set_evidence
from lpgen.usage import EntityUsage, UsageIndex, assess_action, assess_entity

# Verdict codes meaning "the principal used it" (as opposed to kept for lack of evidence).
_USED = frozenset({"action-used", "service-used", "action-not-tracked"})


@dataclass(frozen=True)
class ManagedUsage:
    """One AWS-managed attachment: what of it the principal used in the window."""

    address: str
    policy_arn: str
    principal: str  # "role ci", "permission set Developer"
    file: str
    line: int
    # "used" (the lists below say what), or "unknown" (``reason`` says why nothing is said).
    status: str
    reason: str
    granted: int = 0  # concrete actions the document allows (Allow statements with Action)
    kept: tuple[str, ...] = ()  # actions trim's rules keep: used, untracked, kept by list
    used_services: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


def _judge(
    doc: PolicyDocument, usages: list[EntityUsage], *, days: int, keep: tuple[str, ...]
) -> tuple[int, list[str], set[str], str | None]:
    granted: set[str] = set()
    kept: dict[str, str] = {}
    used: set[str] = set()
    for stmt in doc.statements:
        if not stmt.is_allow:
            continue
        if stmt.actions is None:
            return 0, [], set(), "it has a NotAction statement: what it allows is not listed"
        for entry in stmt.actions:
            expanded = catalog.expand(entry.value)
            if not expanded:
                return 0, [], set(), f"the action catalog does not know {entry.value}"
            for action in expanded:
                low = action.lower()
                if low in granted:
                    continue
                granted.add(low)
                if catalog.matches_any(keep, action):
                    kept[low] = action
                    continue
                verdict = assess_action(usages, action, days=days)
                if not verdict.removable:
                    kept[low] = action
                    if verdict.code in _USED:
                        used.add(catalog.service_of(action))
    return len(granted), sorted(kept.values(), key=str.lower), used, None


def _record(
    head: tuple[str, str, str, str, int],
    accounts: tuple[str, ...],
    status: str,
    reason: str,
    *,
    granted: int = 0,
    kept: tuple[str, ...] = (),
    used_services: tuple[str, ...] = (),
) -> ManagedUsage:
    return ManagedUsage(*head, status, reason, granted, kept, used_services, accounts)


def managed_usage(
    inventory: Inventory, index: UsageIndex, *, days: int, keep: tuple[str, ...]
) -> Iterable[ManagedUsage]:
    """One record per AWS-managed attachment whose document is in the snapshots."""
    targets: list[tuple[str, str, str, int, str, list[EntityUsage], tuple[str, ...], str | None]]
    targets = []
    for att in inventory.attachments:
        if not is_aws_managed(att.policy_arn) or att.policy_arn not in index.aws_managed:
            continue
        usages = index.lookup(att.target_type, att.target, None) if att.target else []
        accounts = tuple(sorted({u.account_id for u in usages}))
        targets.append((att.address, att.policy_arn or "", f"{att.target_type} {att.target}",
                        att.location.line, att.location.file, usages, accounts, None))  # fmt: skip
    from lpgen.sso import permission_set_index, reference_key

    by_key = permission_set_index(inventory)  # within each root, as the inventory links them
    for item in inventory.permission_set_policies:
        if item.kind != "managed" or not is_aws_managed(item.arn):
            continue
        if item.arn not in index.aws_managed:
            continue
        key = reference_key(item)
        ps = by_key.get(key) if key is not None else None
        if ps is None:
            continue
        found = permission_set_evidence(inventory, ps, index)
        targets.append((item.address, item.arn or "", f"permission set {ps.name or ps.address}",
                        item.location.line, item.location.file, found.usages, found.accounts,
                        found.gap))  # fmt: skip
    for address, arn, principal, line, file, usages, accounts, gap in targets:
        record = functools.partial(_record, (address, arn, principal, file, line), accounts)

        if gap is not None:
            yield record("unknown", gap)
            continue
        blocked = assess_entity(usages, days=days)
        if blocked is not None:
            yield record("unknown", blocked.reason)
            continue
        granted, kept, used, why = _judge(index.aws_managed[arn], usages, days=days, keep=keep)
        if why is not None:
            yield record("unknown", why)
            continue
        services = sorted(used)
        reason = (
            f"{principal} used {len(services)} of its services in the {days}-day window"
            + (f" ({', '.join(services)})" if services else "")
            + f"; {len(kept)} of its {granted} actions would stay under trim's rules"
        )
        yield record("used", reason, granted=granted, kept=tuple(kept),
                     used_services=tuple(services))  # fmt: skip

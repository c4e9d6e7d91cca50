"""What a change does to grants: new high-risk grants, and removals of what was used."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lpgen import catalog
from lpgen.checks.context import CheckContext, describe_policy, identity_policies, short_list
from lpgen.checks.permissions import ADMIN_MANAGED_POLICIES, PRIVESC_MANAGED_POLICIES
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.model import Inventory, Location, Policy, PolicyDocument, Statement
from lpgen.semantics import document_allows, resource_matches, statement_allows

NEW_GRANT = register(
    Rule(
        code="LP002",
        name="new-high-risk-grant",
        title="Change adds high-risk permissions that were not in use",
        severity=Severity.HIGH,
        rationale=(
            "A change that adds administrator-level, service-wide or privilege-escalation "
            "permissions deserves a second look before apply, above all when the usage data "
            "shows the principal never needed them. lpgen compares the policies after the "
            "change with those before it (the plan's prior state, or the `--base` tree) and "
            "reports new grants of `*`, `service:*` on every resource, Allow with NotAction, "
            "the privilege-escalation actions of LP013 and actions AWS classes as "
            '"Permissions management", unless a snapshot shows them used in the window.'
        ),
        fix=(
            "Grant the narrower actions the change needs and scope them to the resources it "
            "touches; if the grant is intended, say why in the pull request and silence the "
            "finding with `# lpgen:ignore LP002 reason` on the resource."
        ),
        references=(
            "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
            "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
        ),
    )
)
REMOVED_USED = register(
    Rule(
        code="LP003",
        name="removed-grant-in-use",
        title="Change removes permissions that were used in the usage window",
        severity=Severity.HIGH,
        rationale=(
            "Removing permissions by hand is how least privilege usually breaks production: "
            "an action looked unused but a nightly job, a rarely used console page or another "
            "team needed it. lpgen checks every grant the change removes against the "
            "snapshot: an action Access Advisor shows used in the window (high), or of a "
            "service used in the window whose actions AWS does not track one by one "
            "(medium), is reported unless another policy still grants it to the same "
            "principals. This is the reverse of `lpgen trim`, which only removes what it "
            "can prove unused."
        ),
        fix=(
            "Keep the actions the snapshot shows in use, or confirm with their users (the "
            "evidence names who used them last) before removing them. Use `lpgen trim` to "
            "remove only what is provably unused."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html",
        ),
    )
)

FULL = "*"


@dataclass(frozen=True)
class Grant:
    """One high-risk thing a statement allows: an action, or a whole pattern."""

    label: str
    location: Location | None
    action: str | None = None  # a concrete action (for the usage lookup)
    service: str | None = None  # a whole service (``s3:*``)


def _is_star(pattern: str) -> bool:
    return pattern != "" and set(pattern) <= {"*"}


def _resources(stmt: Statement) -> list[str]:
    if stmt.resources is not None:
        return stmt.resources
    return ["*"]  # NotResource: nearly everything


def _covered(before: Iterable[Statement], action: str, resources: list[str]) -> bool:
    """Whether Allow statements of the old document already allowed ``action`` on these."""
    for st in before:
        if not statement_allows(st, action):
            continue
        if st.resources is None:
            return True  # NotResource: treat as covering, never as a new grant
        if any(_is_star(p) for p in st.resources):
            return True
        if all(any(resource_matches(p, r) for p in st.resources) for r in resources):
            return True
    return False


def _high_risk_action(action: str) -> bool:
    if action.lower() in _PRIVESC_LOWER:
        return True
    return catalog.access_level(action) == "Permissions management"


_PRIVESC_LOWER = frozenset(a.lower() for a in catalog.PRIVESC_ACTIONS)


def new_grants(before: PolicyDocument | None, after: PolicyDocument) -> list[Grant]:
    """High-risk grants of ``after`` that ``before`` did not have (all when before is None)."""
    old = [s for s in before.statements if s.is_allow] if before is not None else []
    if before is not None and before.unknown_reason is not None:
        return []  # cannot tell what is new
    out: list[Grant] = []
    seen: set[str] = set()
    for stmt in after.statements:
        if not stmt.is_allow:
            continue
        resources = _resources(stmt)
        star = any(_is_star(r) for r in resources)
        if stmt.not_actions is not None:
            if not any(s.not_actions is not None for s in old):
                label = "every action except " + short_list(e.value for e in stmt.not_actions)
                if label not in seen:
                    seen.add(label)
                    out.append(Grant(label, stmt.location))
            continue
        for entry in stmt.actions or []:
            value = entry.value
            service, _, name = value.partition(":")
            if _is_star(value) or (_is_star(service) and _is_star(name)):
                had = any(s.actions and any(_is_star(e.value) for e in s.actions) for s in old)
                if not had and "*" not in seen:
                    seen.add("*")
                    out.append(Grant(f"{value} (every action)", entry.location))
                continue
            if star and name and _is_star(name) and "*" not in service and "?" not in service:
                wide = any(
                    st.actions and any(e.value.lower() == value.lower() or _is_star(e.value)
                                       for e in st.actions)
                    and any(_is_star(p) for p in _resources(st))
                    for st in old
                )  # fmt: skip
                if not wide and value.lower() not in seen:
                    seen.add(value.lower())
                    out.append(
                        Grant(f"{value} on every resource", entry.location,
                              service=service.lower())
                    )  # fmt: skip
                continue  # the wildcard says it all (or was there before)
            for action in catalog.expand(value) or ():
                if not _high_risk_action(action) or action.lower() in seen:
                    continue
                if _covered(old, action, resources):
                    continue
                seen.add(action.lower())
                scope = " on every resource" if star else ""
                out.append(Grant(f"{action}{scope}", entry.location, action=action))
    return out


def _used(ctx: CheckContext, policy: Policy, grant: Grant) -> bool:
    """Whether the snapshot shows the grant used in the window by the policy's principals."""
    if ctx.usage is None:
        return False
    usages = ctx.usage.for_policy(policy)
    if not usages:
        return False
    from lpgen.usage import assess_action, assess_service  # only with usage (--snapshot)

    days = ctx.options.days
    if grant.service is not None:
        return assess_service(usages, grant.service, days=days).code == "service-used"
    if grant.action is not None:
        return assess_action(usages, grant.action, days=days).code == "action-used"
    return False


def _managed_name(arn: str | None) -> str | None:
    if not arn or ":iam::aws:policy/" not in arn:
        return None
    return arn.rsplit("/", 1)[-1]


def check_new_grants(ctx: CheckContext) -> Iterator[Finding]:
    """LP002: new high-risk grants in changed or new policies, and new attachments."""
    before = ctx.before
    if before is None:
        return
    old_docs = {p.address: p.document for p in before.policies}
    for policy, doc in identity_policies(ctx.inventory):
        grants = new_grants(old_docs.get(policy.address), doc)
        fresh = [g for g in grants if not _used(ctx, policy, g)]
        if not fresh:
            continue
        verb = "newly allows" if policy.address in old_docs else "is new and allows"
        note = "" if ctx.usage is not None else " (no usage data to show they are needed)"
        yield ctx.finding(
            "LP002",
            f"{describe_policy(policy, capital=True)} {verb} "
            f"{short_list(g.label for g in fresh)}{note}",
            location=next((g.location for g in fresh if g.location), policy.location),
            address=policy.address,
        )
    old_attachments = {(a.address, a.target_type, a.target, a.policy, a.policy_arn)
                       for a in before.attachments}  # fmt: skip
    by_address = {p.address: p for p in ctx.inventory.policies}
    old_targets = _documents_by_target(before)
    for att in ctx.inventory.attachments:
        key = (att.address, att.target_type, att.target, att.policy, att.policy_arn)
        if key in old_attachments:
            continue
        target = f"{att.target_type} '{att.target or '?'}'"
        name = _managed_name(att.policy_arn)
        if name in ADMIN_MANAGED_POLICIES or name in PRIVESC_MANAGED_POLICIES:
            yield ctx.finding(
                "LP002",
                f"Change attaches AWS-managed policy {name} to {target}",
                location=att.location,
                address=att.address,
                qualifier=f"{att.target_type}:{att.target}",
            )
            continue
        attached = by_address.get(att.policy) if att.policy else None
        if attached is None or attached.document is None or attached.document.unknown_reason:
            continue
        had = old_targets.get((att.target_type, att.target or ""), [])
        grants = [
            g for g in new_grants(None, attached.document)
            if not (g.action and any(document_allows(d, g.action) for d in had))
        ]  # fmt: skip
        if grants:
            yield ctx.finding(
                "LP002",
                f"Change attaches {describe_policy(attached)} to {target}, which newly gets "
                f"{short_list(g.label for g in grants)}",
                location=att.location,
                address=att.address,
                qualifier=f"{att.target_type}:{att.target}",
            )


def _documents_by_target(inv: Inventory) -> dict[tuple[str, str], list[PolicyDocument]]:
    by_address = {p.address: p for p in inv.policies}
    out: dict[tuple[str, str], list[PolicyDocument]] = {}
    for p in inv.policies:
        if p.kind == "inline" and p.owner_type and p.owner and p.document is not None:
            out.setdefault((p.owner_type, p.owner), []).append(p.document)
    for a in inv.attachments:
        policy = by_address.get(a.policy) if a.policy else None
        if a.target and policy is not None and policy.document is not None:
            out.setdefault((a.target_type, a.target), []).append(policy.document)
    return out


def _targets_by_policy(inv: Inventory) -> dict[str, list[tuple[str, str]]]:
    """The principals each policy reaches directly: its owner, or its attachments' targets."""
    out: dict[str, list[tuple[str, str]]] = {}
    for p in inv.policies:
        if p.kind == "inline" and p.owner_type and p.owner:
            out.setdefault(p.address, []).append((p.owner_type, p.owner))
    for a in inv.attachments:
        if a.policy and a.target:
            out.setdefault(a.policy, []).append((a.target_type, a.target))
    return out


def removed_actions(before: PolicyDocument, after: PolicyDocument | None) -> list[str]:
    """Actions Allow statements of ``before`` grant and no Allow of ``after`` does."""
    granted: dict[str, str] = {}
    for stmt in before.statements:
        if not stmt.is_allow or stmt.actions is None:
            continue
        for entry in stmt.actions:
            for action in catalog.expand(entry.value) or ():
                granted.setdefault(action.lower(), action)
    if after is None:
        return sorted(granted.values(), key=str.lower)
    if after.unknown_reason is not None:
        return []
    new = [s for s in after.statements if s.is_allow]
    return sorted(
        (a for a in granted.values() if not any(statement_allows(s, a) for s in new)),
        key=str.lower,
    )


def check_removed_grants(ctx: CheckContext) -> Iterator[Finding]:
    """LP003: grants the change removes that the snapshot shows used in the window."""
    before, usage = ctx.before, ctx.usage
    if before is None or usage is None:
        return
    from lpgen.usage import assess_action

    days = ctx.options.days
    now = {p.address: p for p in ctx.inventory.policies}
    after_targets = _documents_by_target(ctx.inventory)
    targets_of = _targets_by_policy(before)
    for old, old_doc in identity_policies(before):
        new = now.get(old.address)
        removed = removed_actions(old_doc, new.document if new is not None else None)
        if not removed:
            continue
        usages = usage.for_policy(old)
        if not usages:
            continue
        targets = targets_of.get(old.address, [])
        certain: list[str] = []
        likely: list[str] = []
        for action in removed:
            verdict = assess_action(usages, action, days=days)
            if verdict.code not in ("action-used", "service-used", "action-not-tracked"):
                continue
            if targets and all(
                any(document_allows(d, action) for d in after_targets.get(t, [])) for t in targets
            ):
                continue  # still granted to every principal by another policy
            (certain if verdict.code == "action-used" else likely).append(action)
        if not certain and not likely:
            continue
        parts = []
        if certain:
            parts.append(f"{short_list(certain)} (used in the window)")
        if likely:
            services = sorted({catalog.service_of(a) for a in likely})
            parts.append(
                f"{short_list(likely)} (of {', '.join(services)}, used in the window; "
                "Access Advisor does not track these actions one by one)"
            )
        gone = "deletes" if new is None else "removes from"
        where = new.location if new is not None else Location(old.location.file, 1)
        yield ctx.finding(
            "LP003",
            f"Change {gone} {describe_policy(old)}: {'; '.join(parts)}",
            location=where,
            address=old.address,
            severity=Severity.HIGH if certain else Severity.MEDIUM,
        )

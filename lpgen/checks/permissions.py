"""Over-broad identity policies: full admin, service wildcards, NotAction, privilege escalation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from lpgen.catalog import PRIVESC_ACTIONS, any_matcher
from lpgen.checks.context import (
    CheckContext,
    describe_policy,
    identity_policies,
    permission_set_policies,
    short_list,
    statement_key,
    statement_label,
    where,
)
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.memo import remembered
from lpgen.model import ActionEntry, Location, PermissionSet, Policy, PolicyDocument, Statement
from lpgen.semantics import (
    document_allows,
    is_full_admin,
    resources_are_star,
    service_wildcards,
)

FULL_ADMIN = register(
    Rule(
        code="LP010",
        name="full-admin",
        title="Policy grants full administrator access",
        severity=Severity.CRITICAL,
        rationale=(
            "An Allow of every action (`*`) on every resource (`*`) without a condition makes "
            "whoever holds the policy an administrator of the account: they can read every "
            "secret, delete every resource, and grant themselves or anyone else any other "
            "permission. The AWS-managed AdministratorAccess policy is the same grant. Under a "
            "Condition (MFA, a source IP, a tag) it is still administrator access for whoever "
            "meets it, reported at high severity."
        ),
        fix=(
            "Grant the services and actions the principal needs (`lpgen trim` with a snapshot "
            "shows which were used). Keep administrator access for a break-glass role that "
            "people assume with MFA, not for day-to-day users, groups or CI."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
            "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html",
        ),
    )
)
SERVICE_WILDCARD = register(
    Rule(
        code="LP011",
        name="service-wildcard",
        title="Policy grants every action of a service on every resource",
        severity=Severity.MEDIUM,
        rationale=(
            '`service:*` on `Resource: "*"` grants every present and future action of the '
            "service, including deletes and permission changes on every resource of that "
            "type in the account. Such grants are rarely all used, and they grow silently "
            "when AWS adds actions."
        ),
        fix=(
            "List the actions the principal uses (`lpgen trim` narrows a wildcard to what "
            "Access Advisor shows used), or scope the Resource to the ARNs it works on."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
        ),
    )
)
ALLOW_NOT_ACTION = register(
    Rule(
        code="LP012",
        name="allow-not-action",
        title="Allow statement uses NotAction",
        severity=Severity.HIGH,
        rationale=(
            "`Effect: Allow` with `NotAction` allows every action except those listed: every "
            'service AWS launches later is granted too. On `Resource: "*"` it is close to '
            "administrator access. Removing an entry from the list widens the grant, which "
            "makes reviews of such policies error-prone."
        ),
        fix=(
            "Replace NotAction with an Action list of what is needed. To forbid some actions "
            "next to a broad grant, use a separate Deny statement (NotAction belongs with "
            "Deny, as in the MFA-enforcing policy)."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html",
        ),
    )
)
PRIVILEGE_ESCALATION = register(
    Rule(
        code="LP013",
        name="privilege-escalation",
        title="Policy allows privilege-escalation actions on every resource",
        severity=Severity.HIGH,
        rationale=(
            "Some IAM actions let a principal give itself more permissions than its policies "
            "grant: create a new version of a policy it is attached to, attach or put a policy "
            "on a user, group or role, create access keys or a login profile for another user, "
            "update a role's trust policy, pass a powerful role to a service, or change the "
            'code a privileged Lambda function runs. On `Resource: "*"` they apply to every '
            "user, role and policy in the account. The list follows Rhino Security Labs' "
            "privilege-escalation methods, as used by Cloudsplaining."
        ),
        fix=(
            "Scope these actions to the resources they are meant for (`iam:PassRole` to the "
            "execution roles a pipeline deploys, `sts:AssumeRole` to named roles), add "
            "conditions such as `iam:PassedToService`, or remove them; use permissions "
            "boundaries when a team must manage IAM itself."
        ),
        references=(
            "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
            "https://github.com/salesforce/cloudsplaining",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
        ),
    )
)

# AWS-managed policies that are the same grants as the statements above.
ADMIN_MANAGED_POLICIES = frozenset({"AdministratorAccess"})
PRIVESC_MANAGED_POLICIES = frozenset({"IAMFullAccess"})


def _managed_name(arn: str | None) -> str | None:
    """``arn:aws:iam::aws:policy/job-function/Billing`` -> ``Billing`` (AWS-managed only)."""
    if not arn or ":iam::aws:policy/" not in arn:
        return None
    return arn.rsplit("/", 1)[-1]


def _condition_keys(stmt: Statement) -> str:
    conditions = stmt.conditions if isinstance(stmt.conditions, dict) else {}
    keys = [str(k) for pairs in conditions.values() if isinstance(pairs, dict) for k in pairs]
    return short_list(dict.fromkeys(keys), 3) or "unknown"


def check_permissions(ctx: CheckContext) -> Iterator[Finding]:
    """LP010-LP013 over every identity policy, permission set and AWS-managed attachment."""
    for policy, doc in identity_policies(ctx.inventory):
        yield from _judged(ctx, policy, doc, describe_policy(policy, capital=True))
    for inline, ps_doc, what, ps in permission_set_policies(ctx.inventory):
        for f in _judged(ctx, inline, ps_doc, what):
            yield _bounded(f, ps) if ps is not None else f
    from lpgen.sso import permission_set_index, reference_key

    by_key = permission_set_index(ctx.inventory)
    for item in ctx.inventory.permission_set_policies:
        name = _managed_name(item.arn) if item.kind == "managed" else None
        key = reference_key(item)
        owner = by_key.get(key) if key is not None else None
        target = f"permission set '{owner.name or owner.address}'" if owner else "a permission set"
        found: Finding | None = None
        if name in ADMIN_MANAGED_POLICIES:
            found = ctx.finding(
                "LP010",
                f"AWS-managed policy {name} (every action on every resource) is attached to "
                f"{target}",
                location=item.location,
                address=item.address,
            )
        elif name in PRIVESC_MANAGED_POLICIES:
            found = ctx.finding(
                "LP013",
                f"AWS-managed policy {name} (every IAM action, including privilege "
                f"escalation) is attached to {target}",
                location=item.location,
                address=item.address,
            )
        if found is not None:
            yield _bounded(found, owner) if owner is not None else found
    yield from _attachments(ctx)


def _bounded(f: Finding, ps: PermissionSet) -> Finding:
    """A permission set with a permissions boundary gets at most what the boundary allows:
    the finding stays (the grant is still wider than meant) one severity lower."""
    boundary = ps.boundary
    if boundary is None:
        return f
    name = boundary.name or boundary.arn or boundary.address
    lower = Severity(max(Severity.LOW, f.severity - 1))
    return replace(f, severity=lower, message=f"{f.message}; limited by permissions boundary "
                   f"{name}")  # fmt: skip


_PRIVESC_SORTED = tuple((a, a.lower()) for a in sorted(PRIVESC_ACTIONS, key=str.lower))


def _judged(ctx: CheckContext, policy: Policy, doc: PolicyDocument, what: str) -> list[Finding]:
    """:func:`_judge_policy`, made once per policy in a `lpgen check` run: the findings on one
    policy depend on nothing else (the pass over declarations of unknown count reuses them)."""
    judge = _judge_policy
    return remembered(
        "check_permissions", (policy, doc), what, lambda: list(judge(ctx, policy, doc, what))
    )


def _judge_policy(
    ctx: CheckContext, policy: Policy, doc: PolicyDocument, what: str
) -> Iterator[Finding]:
    """LP010-LP013 over the statements of one identity policy (``what`` names it).

    Service wildcards make one LP011 per policy, naming every service and statement.
    """
    wildcards: list[tuple[str, ActionEntry]] = []
    for stmt in doc.statements:
        if not stmt.is_allow:
            continue
        label = statement_label(stmt)
        key = statement_key(stmt)
        if is_full_admin(stmt):
            yield ctx.finding(
                "LP010",
                f"{what} allows every action on every resource ({label})",
                location=where(policy, stmt),
                address=policy.address,
                qualifier=key,
            )
            continue
        if is_full_admin(replace(stmt, conditions=None)):
            yield ctx.finding(
                "LP010",
                f"{what} allows every action on every resource under a "
                f"condition ({_condition_keys(stmt)}) ({label})",
                location=where(policy, stmt),
                address=policy.address,
                qualifier=key,
                severity=Severity.HIGH,
            )
            continue
        if stmt.not_actions is not None:
            star = resources_are_star(stmt)
            scope = "on every resource" if star else "on the resources listed"
            yield ctx.finding(
                "LP012",
                f"{what} allows every action except "
                f"{short_list(e.value for e in stmt.not_actions)} {scope} ({label})",
                location=where(policy, stmt),
                address=policy.address,
                qualifier=key,
                severity=None if star else Severity.MEDIUM,
            )
            continue
        if not resources_are_star(stmt) or stmt.actions is None:
            continue
        for entry in service_wildcards(stmt):
            wildcards.append((label, entry))
        found: list[str] = []
        first: Location | None = None
        granted = any_matcher(e.value for e in stmt.actions)
        for action, name in _PRIVESC_SORTED:
            if not granted(name):
                continue
            entry_hit = next((e for e in stmt.actions if any_matcher((e.value,))(name)), None)
            if entry_hit is None or document_allows(doc, action) is False:
                continue
            found.append(action)
            first = first or entry_hit.location
        if found:
            yield ctx.finding(
                "LP013",
                f"{what} allows {short_list(found)} on every resource ({label})",
                location=first or where(policy, stmt),
                address=policy.address,
                qualifier=key,
            )
    if wildcards:
        entries = [e for _, e in wildcards]
        services = list(dict.fromkeys(e.value.split(":", 1)[0].lower() for e in entries))
        patterns = short_list(dict.fromkeys(e.value for e in entries))
        which = (
            f"every {services[0]} action" if len(services) == 1
            else f"every action of {short_list(services)}"
        )  # fmt: skip
        labels = ", ".join(dict.fromkeys(label for label, _ in wildcards))
        yield ctx.finding(
            "LP011",
            f"{what} allows {which} ({patterns}) on every resource ({labels})",
            location=entries[0].location or policy.location,
            address=policy.address,
        )


def _attachments(ctx: CheckContext) -> Iterator[Finding]:
    for att in ctx.inventory.attachments:
        name = _managed_name(att.policy_arn)
        target = f"{att.target_type} '{att.target or '?'}'"
        if name in ADMIN_MANAGED_POLICIES:
            yield ctx.finding(
                "LP010",
                f"AWS-managed policy {name} (every action on every resource) is attached to "
                f"{target}",
                location=att.location,
                address=att.address,
                qualifier=f"{att.target_type}:{att.target}",
            )
        elif name in PRIVESC_MANAGED_POLICIES:
            yield ctx.finding(
                "LP013",
                f"AWS-managed policy {name} (every IAM action, including privilege "
                f"escalation) is attached to {target}",
                location=att.location,
                address=att.address,
                qualifier=f"{att.target_type}:{att.target}",
            )

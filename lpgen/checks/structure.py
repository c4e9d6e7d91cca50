"""How permissions are organised: inline policies, policies on users, group membership."""

from __future__ import annotations

import json
from collections.abc import Iterator

from lpgen.checks.context import CheckContext, describe_policy, plural
from lpgen.findings import Finding, Rule, Severity, register

INLINE_POLICY = register(
    Rule(
        code="LP020",
        name="inline-policy-should-be-managed",
        title="Inline policy where a customer-managed policy belongs",
        severity=Severity.LOW,
        rationale=(
            "An inline policy lives and dies with one group, user or role: it cannot be "
            "reused, versioned or rolled back, and the same permissions copied into several "
            "inline policies drift apart. AWS recommends customer-managed policies, keeping "
            "inline policies for a strict one-to-one relationship (a role's own permissions). "
            "lpgen reports inline policies on groups, and inline policies whose document is "
            "repeated on several principals."
        ),
        fix=(
            "Move the document into an `aws_iam_policy` and attach it with "
            "`aws_iam_group_policy_attachment` (or the role/user variant) to every principal "
            "that needs it; delete the inline copies."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
        ),
    )
)
USER_POLICY = register(
    Rule(
        code="LP021",
        name="policy-on-user",
        title="Policy attached directly to a user",
        severity=Severity.LOW,
        rationale=(
            "Permissions given to users one by one are hard to review and outlive the job "
            "they were given for. Granting them through groups (or roles) keeps one place per "
            "job function and makes leavers and movers a membership change."
        ),
        fix=(
            "Attach the policy to a group the user belongs to (or make the workload assume a "
            "role), and remove the `aws_iam_user_policy_attachment` / `aws_iam_user_policy`."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#use-groups-for-permissions",
        ),
    )
)
USER_WITHOUT_GROUP = register(
    Rule(
        code="LP022",
        name="user-without-group",
        title="User belongs to no group",
        severity=Severity.LOW,
        rationale=(
            "A user in no group either has no permissions (a leftover) or has them attached "
            "directly, outside the team structure everyone else follows."
        ),
        fix=(
            "Add the user to the group of its team (`aws_iam_user_group_membership`), or "
            "delete it if nobody needs it."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#use-groups-for-permissions",
        ),
    )
)
EMPTY_GROUP = register(
    Rule(
        code="LP023",
        name="empty-group",
        title="Group has no members",
        severity=Severity.LOW,
        rationale=(
            "A group nobody belongs to grants nothing to anyone; its policies are dead code "
            "that reviews still have to read, and adding one user later silently hands them "
            "everything the group was once given."
        ),
        fix=(
            "Delete the group and its attachments, or add the members it was meant for. "
            "Memberships declared outside this tree are invisible to lpgen: silence the "
            "finding with a reason if that is the case."
        ),
    )
)


def _names(shown: list[str], total: int) -> str:
    shown = shown[:4]
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _canonical(raw: object) -> str | None:
    if raw is None:
        return None
    return json.dumps(raw, sort_keys=True, separators=(",", ":"))


def check_structure(ctx: CheckContext) -> Iterator[Finding]:
    """LP020-LP023."""
    inv = ctx.inventory
    inline = [p for p in inv.policies if p.kind == "inline" and p.owner_type]
    # Inline documents repeated on several principals (compared as evaluated JSON).
    owners_by_doc: dict[str, set[tuple[str, str]]] = {}
    for p in inline:
        text = _canonical(p.document.raw if p.document else None)
        if text is not None and p.owner is not None and p.owner_type is not None:
            owners_by_doc.setdefault(text, set()).add((p.owner_type, p.owner))
    labels: dict[str, list[tuple[str, str]]] = {}
    for p in inline:
        if p.owner_type == "user":
            continue  # LP021 says it
        text = _canonical(p.document.raw if p.document else None)
        shared = owners_by_doc.get(text, set()) if text is not None else set()
        if len(shared) > 1:
            assert text is not None
            if text not in labels:
                labels[text] = sorted(shared)
            owners = labels[text]
            # Name a few of the others: listing all of them for each copy would be quadratic.
            others = [f"{k} '{n}'" for k, n in owners[:5] if (k, n) != (p.owner_type, p.owner)]
            yield ctx.finding(
                "LP020",
                f"{describe_policy(p, capital=True)} repeats the document of "
                f"{plural(len(owners) - 1, 'other inline policy', 'other inline policies')} "
                f"({_names(others, len(owners) - 1)}); make it one customer-managed policy",
                location=p.location,
                address=p.address,
            )
        elif p.owner_type == "group":
            yield ctx.finding(
                "LP020",
                f"{describe_policy(p, capital=True)} is inline; a customer-managed policy "
                "attached to the group can be reviewed, reused and versioned",
                location=p.location,
                address=p.address,
            )
    for p in inline:
        if p.owner_type == "user":
            yield ctx.finding(
                "LP021",
                f"User '{p.owner or '?'}' has its own inline policy '{p.name or p.address}'",
                location=p.location,
                address=p.address,
            )
    for att in inv.attachments:
        if att.target_type == "user":
            policy = att.policy or att.policy_arn or "a policy"
            yield ctx.finding(
                "LP021",
                f"Policy {policy} is attached directly to user '{att.target or '?'}'",
                location=att.location,
                address=att.address,
                qualifier=f"user:{att.target}",
            )
    uncertain_users, uncertain_groups = ctx.uncertain_memberships
    if uncertain_users is not None:
        for user in inv.users:
            if user.name is None or user.name in uncertain_users:
                continue
            if not ctx.groups_of_user.get(user.name):
                yield ctx.finding(
                    "LP022",
                    f"User '{user.name}' belongs to no group",
                    location=user.location,
                    address=user.address,
                )
    if uncertain_groups is not None:
        for group in inv.groups:
            if group.name is None or group.name in uncertain_groups:
                continue
            if not ctx.members_of_group.get(group.name):
                yield ctx.finding(
                    "LP023",
                    f"Group '{group.name}' has no members",
                    location=group.location,
                    address=group.address,
                )

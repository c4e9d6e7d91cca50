"""Permissions Access Advisor shows unused: exactly what `lpgen trim` would remove."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lpgen.checks.context import CheckContext, plural, short_list
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.model import Inventory, Location

if TYPE_CHECKING:
    # The trim planner is imported when there is usage to judge (--snapshot), not by every
    # check.
    from lpgen.trim import PolicyDecision, Removal

UNUSED = register(
    Rule(
        code="LP001",
        name="unused-permissions",
        title="Policy grants permissions unused in the usage window",
        severity=Severity.MEDIUM,
        rationale=(
            "Every permission nobody uses is pure risk: it is what an attacker with the "
            "principal's credentials gets for free. IAM Access Advisor records the last use "
            "of each service (and of each tracked action) by the principals a policy reaches; "
            "what has not been used in the window can go. The finding names exactly what "
            "`lpgen trim` would remove, with the same rules: never an action AWS does not "
            "track, never a service missing from the report, never `iam:PassRole`, nothing "
            "younger than the window, nothing protected by `lpgen:keep`."
        ),
        fix=(
            "Run `lpgen trim PATH --snapshot SNAPSHOT --diff` (or `--write`) and review the "
            "change. Keep an action on purpose with a `# lpgen:keep ACTION reason` comment "
            "above the policy. A policy reported wholly unused can be deleted or detached."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html",
        ),
    )
)


def _entry_text(r: Removal) -> str:
    if r.replaced_by:
        return f"{r.entry} (narrowed to {', '.join(r.replaced_by)})"
    if len(r.actions) == 1 and r.actions[0].lower() == r.entry.lower():
        return r.entry
    return f"{r.entry} ({plural(len(r.actions), 'action')})"


def _message(d: PolicyDecision, days: int) -> str:
    name = d.name or d.address
    what = f"inline policy '{name}'" if d.kind == "inline" else f"policy '{name}'"
    if d.permission_set is not None:
        what = f"inline policy of permission set '{d.permission_set}'"
    if d.unused:
        return f"No action {what} allows was used in the {days}-day window; delete or detach it"
    entries = list(dict.fromkeys(_entry_text(r) for r in d.removals))
    text = (
        f"{what[0].upper()}{what[1:]} grants {plural(d.actions_removed, 'action')} unused in the "
        f"{days}-day window; lpgen trim would remove {short_list(entries)}"
    )
    if d.services_removed:
        text += f" (no longer granting {', '.join(d.services_removed)})"
    if d.permission_set is not None and d.accounts:
        which = "account" if len(d.accounts) == 1 else "accounts"
        text += (
            f"; usage of its AWSReservedSSO_{d.permission_set}_* roles in {which} "
            f"{', '.join(d.accounts)}"
        )
    return text


def _with_spans(inventory: Inventory) -> Inventory:
    """A copy whose plan-read documents have distinct placeholder spans, so trim can decide.

    Trim only decides about entries it could edit; a plan has no source text, so each entry
    gets a span of its own in a file that is never written.
    """
    inv = copy.deepcopy(inventory)
    offset = 0
    for policy in inv.policies:
        doc = policy.document
        if doc is None or doc.unknown_reason is not None:
            continue
        for stmt in doc.statements:
            stmt.not_editable = None
            start = offset
            for entry in stmt.actions or []:
                offset += 2
                entry.location = Location("<plan>", 1, start=offset, end=offset + 1, syntax="json")
            offset += 2
            stmt.actions_location = Location("<plan>", 1, start=start, end=offset, syntax="json")
            stmt.location = Location("<plan>", 1, start=start, end=offset + 1, syntax="json")
            offset += 2
    return inv


def check_unused(ctx: CheckContext) -> Iterator[Finding]:
    """LP001: one finding per policy trim would shorten or report unused, and per detach."""
    if ctx.usage is None:
        return
    from lpgen.trim import TrimOptions, plan_trim

    options = TrimOptions(
        days=ctx.options.days,
        keep=ctx.options.keep,
        use_git=ctx.options.use_git and ctx.source is not None,
    )
    history = None
    reader = None
    if ctx.source is not None and ctx.root is not None:
        inventory = ctx.source
        root = ctx.root
        texts: dict[str, str | None] = {}

        def read(file: str) -> str | None:
            if file not in texts:
                try:
                    texts[file] = (root / file).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    texts[file] = None
            return texts[file]

        reader = read
        if options.use_git:
            from lpgen.gitinfo import LineHistory

            history = LineHistory(Path(root))
    else:
        inventory = _with_spans(ctx.inventory)
    plan = plan_trim(
        inventory, ctx.usage, options=options, sources=reader, history=history, with_edits=False
    )
    located = {p.address: p.location for p in ctx.inventory.policies}
    for d in plan.policies:
        if d.status != "trimmed" and not d.unused:
            continue
        loc = located.get(d.address)
        if loc is None and d.file is not None and d.file != "<plan>":
            loc = Location(d.file, d.line or 1)
        yield ctx.finding("LP001", _message(d, options.days), location=loc, address=d.address)
    detached = {c.address for c in plan.detach}
    for m in plan.aws_managed:
        # What trim reports of an AWS-managed attachment: only when some of it was not used.
        if m.status != "used" or m.address in detached or len(m.kept) >= m.granted:
            continue
        name = m.policy_arn.rsplit("/", 1)[-1]
        used = ", ".join(m.used_services) or "none"
        yield ctx.finding(
            "LP001",
            f"AWS-managed policy {name} grants {m.principal} {m.granted} actions; only "
            f"{len(m.kept)} would stay under trim's rules (services used in the "
            f"{options.days}-day window: {used}); replace it by a policy holding what was used",
            location=Location(m.file, m.line),
            address=m.address,
            qualifier=f"aws-managed:{m.principal}",
        )
    for c in plan.detach:
        yield ctx.finding(
            "LP001",
            f"AWS-managed policy {c.policy_arn.rsplit('/', 1)[-1]} is attached to "
            f"{c.target_type} '{c.target or '?'}', which used no service in the "
            f"{options.days}-day window; detach it ({c.reason})",
            location=Location(c.file, c.line),
            address=c.address,
            qualifier=f"{c.target_type}:{c.target}",
        )

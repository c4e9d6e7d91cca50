"""Renderers of a trim run, chosen by name: text (a table), markdown (a pull-request body), json."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from lpgen.errors import InputError
from lpgen.mdtext import md_escape
from lpgen.model import Location
from lpgen.snapshot import format_time
from lpgen.trim import DetachCandidate, Kept, PolicyDecision, Proof, Removal, TrimResult
from lpgen.usage import Evidence

__all__ = ["FORMATS", "pending_lines", "render_trim", "shown_under", "summary_line", "trim_to_dict"]

JSON_FORMAT = "lpgen.trim/1"


def _day(t: datetime | None) -> str:
    return t.date().isoformat() if t else "never"


def _ordered(result: TrimResult) -> list[PolicyDecision]:
    rank = {"trimmed": 0, "skipped": 1, "unchanged": 2}
    return sorted(
        result.plan.policies,
        key=lambda p: (rank[p.status], p.file or "", p.line or 0, p.address),
    )


def _named(result: TrimResult) -> Callable[[PolicyDecision], str]:
    """How the report names a policy: its address, and its root module where one module's
    policy is reached from several roots (the same address and place for each)."""
    roots: dict[tuple[str, str | None, int | None], set[str]] = {}
    for p in result.plan.policies:
        roots.setdefault((p.address, p.file, p.line), set()).add(p.root)
    several = {key for key, rs in roots.items() if len(rs) > 1}

    def name(p: PolicyDecision) -> str:
        shared = (p.address, p.file, p.line) in several
        return f"{p.address} (root {p.root})" if shared else p.address

    return name


def _counts(result: TrimResult) -> dict[str, int]:
    policies = result.plan.policies
    trimmed = [p for p in policies if p.status == "trimmed"]
    return {
        "policies": len(policies),
        "trimmed": len(trimmed),
        "unchanged": sum(1 for p in policies if p.status == "unchanged"),
        "skipped": sum(1 for p in policies if p.status == "skipped"),
        "unused": sum(1 for p in policies if p.unused),
        "actions_removed": sum(p.actions_removed for p in trimmed),
        "services_removed": sum(len(p.services_removed) for p in trimmed),
        "files_changed": sum(1 for c in result.changes if c.old != c.new),
        "detach_candidates": len(result.plan.detach),
    }


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def summary_line(result: TrimResult) -> str:
    """``2 policies trimmed, 1 unchanged, 3 skipped; 196 actions and 2 services removed.``"""
    c = _counts(result)
    text = (
        f"{_plural(c['trimmed'], 'policy', 'policies')} trimmed, {c['unchanged']} unchanged, "
        f"{c['skipped']} skipped; {_plural(c['actions_removed'], 'action')} and "
        f"{_plural(c['services_removed'], 'service')} removed"
    )
    if c["unused"]:
        text += f"; {c['unused']} unused ({'candidate' if c['unused'] == 1 else 'candidates'}"
        text += " to delete or detach)"
    if c["detach_candidates"]:
        text += f"; {_plural(c['detach_candidates'], 'AWS-managed attachment')} to detach"
    if result.memberships is not None:
        removed = sum(1 for d in result.memberships if d.status == "removed")
        text += f"; {_plural(removed, 'group membership')} removed"
    replaced = sum(1 for r in result.replacements if r.replaced)
    if replaced:
        text += f"; {_plural(replaced, 'AWS-managed attachment')} replaced"
    return text + "."


# --- evidence in words ------------------------------------------------------------------


def _evidence_text(proof: Proof, ev: Evidence, days: int, *, account: bool = False) -> str:
    subject = proof.subject
    if ev.last_accessed is None:
        used = f"{subject} never used in the tracking period"
    else:
        used = f"{subject} last used {_day(ev.last_accessed)}"
        if ev.entity:
            used += f" by {ev.entity}"
    source = ev.label or ev.account_id
    if account and source != ev.account_id:
        source += f", account {ev.account_id}"
    return (
        f"{used} (window {days} days back from {_day(ev.collected_at)}, since "
        f"{_day(ev.window_start)}; {source})"
    )


def _proofs_text(removal: Removal, days: int, *, account: bool = False) -> list[str]:
    return [
        _evidence_text(p, ev, days, account=account) for p in removal.proofs for ev in p.evidence
    ]


def _accounts_text(p: PolicyDecision, code: Callable[[str], str] = str) -> str | None:
    """For a permission set: whose usage its decision rests on."""
    if p.permission_set is None or not p.accounts:
        return None
    which = "account" if len(p.accounts) == 1 else "accounts"
    return (
        f"permission set {code(p.permission_set)}: usage of its "
        f"{code(f'AWSReservedSSO_{p.permission_set}_*')} roles in {which} {', '.join(p.accounts)}"
    )


def _removal_head(removal: Removal) -> str:
    where = f"statement {removal.sid!r}" if removal.sid else f"statement {removal.statement + 1}"
    if removal.statement_removed:
        change = f"{where} removed"
    elif removal.replaced_by:
        change = f"narrowed to {', '.join(removal.replaced_by)} in {where}"
    else:
        change = f"removed from {where}"
    n = len(removal.actions)
    wildcard = "*" in removal.entry or "?" in removal.entry
    count = f" ({_plural(n, 'action')})" if n != 1 or wildcard else ""
    return f"{removal.entry}{count}: {change}"


def _kept_text(k: Kept) -> str:
    return f"{k.subject}: {k.reason}"


# --- text ---------------------------------------------------------------------------------


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)]
        out.append("  ".join([*cells, row[-1]]).rstrip())
    return out


def render_text(result: TrimResult) -> str:
    named = _named(result)
    days = result.plan.days
    lines: list[str] = []
    policies = _ordered(result)
    if policies:
        rows = [("STATUS", "POLICY", "WHERE", "WHY")]
        for p in policies:
            status = "unused" if p.unused else p.status
            where = f"{p.file}:{p.line}" if p.file else "-"
            rows.append((status, named(p), where, p.reason))
        lines.extend(_table(rows))
    else:
        lines.append("No IAM policies found.")
    for p in policies:
        if not p.removals and not p.kept:
            continue
        lines.append("")
        lines.append(f"{named(p)} ({p.status}{', unused' if p.unused else ''})")
        accounts = _accounts_text(p)
        if accounts:
            lines.append(f"  {accounts}")
        for r in p.removals:
            lines.append(f"  - {'unused: ' if p.unused else ''}{_removal_head(r)}")
            for text in _proofs_text(r, days, account=p.permission_set is not None):
                lines.append(f"      {text}")
        for k in p.kept:
            lines.append(f"  = kept {_kept_text(k)}")
    if result.plan.detach:
        lines.append("")
        lines.append("AWS-managed policies to detach:")
        for d in result.plan.detach:
            lines.append(f"  {d.address} ({d.file}:{d.line}): {d.policy_arn}: {d.reason}")
    if result.plan.aws_managed:
        lines.append("")
        lines.append("AWS-managed policies, what was used of them:")
        for m in result.plan.aws_managed:
            lines.append(f"  {m.address} ({m.file}:{m.line}): {m.policy_arn}: {m.reason}")
            if m.status == "used" and m.kept:
                lines.append(f"      would stay: {_short(m.kept)}")
    if result.replacements:
        lines.append("")
        lines.append("AWS-managed policies replaced by what was used:")
        for r in result.replacements:
            lines.append(f"  {r.address} ({r.file}:{r.line}): {r.policy_arn}: {r.reason}")
    if result.memberships is not None:
        from lpgen.memberships import render_membership_text

        lines.append("")
        lines.append("Group memberships:")
        text = render_membership_text(result.memberships).rstrip("\n")
        lines.extend(f"  {line}" if line else line for line in text.split("\n"))
    lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


# --- markdown -----------------------------------------------------------------------------


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def render_markdown(result: TrimResult) -> str:
    named = _named(result)
    days = result.plan.days
    c = _counts(result)
    out: list[str] = ["## Remove unused IAM permissions", ""]
    if result.snapshots:
        sources = ", ".join(
            f"{_code(s.label or s.account_id)} (account {s.account_id}, collected "
            f"{_day(s.collected_at)})"
            for s in result.snapshots
        )
        out.append(
            f"Access Advisor data from {sources}; an action goes when it was not used in the "
            f"{days} days before the data was collected."
        )
        out.append("")
    out += [
        "| Policies | Count |",
        "|---|---:|",
        f"| Trimmed | {c['trimmed']} |",
        f"| Unchanged | {c['unchanged']} |",
        f"| Skipped | {c['skipped']} |",
        "",
        f"**{md_escape(summary_line(result))}**",
        "",
    ]
    for p in _ordered(result):
        if p.status != "trimmed" and not p.unused:
            continue
        where = f" ({_code(f'{p.file}:{p.line}')})" if p.file else ""
        title = "unused: candidate to delete or detach" if p.unused else p.status
        out.append(f"### {_code(named(p))}: {title}")
        out.append("")
        out.append(f"{md_escape(p.reason)}{where}")
        out.append("")
        accounts = _accounts_text(p, _code)
        if accounts:
            out.append(accounts[0].upper() + accounts[1:] + ".")
            out.append("")
        out.append(
            f"<details><summary>Evidence ({_plural(len(p.removals), 'entry', 'entries')})</summary>"
        )
        out.append("")
        out.append("| Action | Change | Evidence |")
        out.append("|---|---|---|")
        for r in p.removals:
            change = (
                "statement removed"
                if r.statement_removed
                else "narrowed to " + ", ".join(_code(x) for x in r.replaced_by)
                if r.replaced_by
                else "removed"
            )
            n = len(r.actions)
            entry = _code(r.entry) + (f" ({_plural(n, 'action')})" if n > 1 else "")
            evidence = "<br>".join(
                md_escape(t) for t in _proofs_text(r, days, account=p.permission_set is not None)
            )
            out.append(f"| {entry} | {change} | {evidence} |")
        if p.kept:
            out.append("")
            out.append("Kept without evidence to remove:")
            out.append("")
            out.extend(f"- {_code(k.subject)}: {md_escape(k.reason)}" for k in p.kept)
        out.append("")
        out.append("</details>")
        out.append("")
    rest = [p for p in _ordered(result) if p.status != "trimmed" and not p.unused]
    if rest:
        out.append(
            f"<details><summary>Left alone ({_plural(len(rest), 'policy', 'policies')})</summary>"
        )
        out.append("")
        out.append("| Policy | Status | Why |")
        out.append("|---|---|---|")
        for p in rest:
            out.append(f"| {_code(named(p))} | {p.status} | {md_escape(p.reason)} |")
        out.append("")
        out.append("</details>")
        out.append("")
    if result.plan.detach:
        out.append("### AWS-managed policies to detach")
        out.append("")
        for d in result.plan.detach:
            out.append(
                f"- {_code(d.address)} ({_code(f'{d.file}:{d.line}')}): "
                f"{_code(d.policy_arn)}: {md_escape(d.reason)}"
            )
        out.append("")
    if result.plan.aws_managed:
        out.append("### AWS-managed policies: what was used of them")
        out.append("")
        for m in result.plan.aws_managed:
            out.append(
                f"- {_code(m.address)} ({_code(f'{m.file}:{m.line}')}): "
                f"{_code(m.policy_arn)}: {md_escape(m.reason)}"
                + (f"; would stay: {md_escape(_short(m.kept))}" if m.kept else "")
            )
        out.append("")
    if result.memberships is not None:
        from lpgen.memberships import render_membership_text

        out.append("### Group memberships")
        out.append("")
        out.append("```")
        out.append(render_membership_text(result.memberships).rstrip("\n"))
        out.append("```")
        out.append("")
    return "\n".join(out)


# --- json ---------------------------------------------------------------------------------


def _time(t: datetime | None) -> str | None:
    return format_time(t) if t else None


def _evidence_dict(proof: Proof, ev: Evidence) -> dict[str, Any]:
    return {
        "subject": proof.subject,
        "code": proof.code,
        "snapshot": ev.label,
        "account_id": ev.account_id,
        "report_arn": ev.arn,
        "collected_at": _time(ev.collected_at),
        "window_start": _time(ev.window_start),
        "last_used": _time(ev.last_accessed),
        "last_used_by": ev.entity,
        "region": ev.region,
    }


def _removal_dict(r: Removal) -> dict[str, Any]:
    return {
        "entry": r.entry,
        "statement": r.statement,
        "sid": r.sid,
        "file": r.location.file if r.location else None,
        "line": r.location.line if r.location else None,
        "replaced_by": list(r.replaced_by),
        "statement_removed": r.statement_removed,
        "actions": list(r.actions),
        "evidence": [_evidence_dict(p, ev) for p in r.proofs for ev in p.evidence],
    }


def _detach_dict(d: DetachCandidate) -> dict[str, Any]:
    return {
        "address": d.address,
        "policy_arn": d.policy_arn,
        "target_type": d.target_type,
        "target": d.target,
        "file": d.file,
        "line": d.line,
        "reason": d.reason,
    }


def _short(actions: Sequence[str]) -> str:
    """Kept actions by service: ``ec2 (193 actions), s3:GetObject``."""
    by_service: dict[str, list[str]] = {}
    for action in actions:
        by_service.setdefault(action.split(":", 1)[0].lower(), []).append(action)
    return ", ".join(
        found[0] if len(found) == 1 else f"{service} ({len(found)} actions)"
        for service, found in sorted(by_service.items())
    )


def _managed_dict(m: Any) -> dict[str, Any]:
    return {
        "address": m.address,
        "policy_arn": m.policy_arn,
        "principal": m.principal,
        "file": m.file,
        "line": m.line,
        "status": m.status,
        "reason": m.reason,
        "granted": m.granted,
        "kept": list(m.kept),
        "used_services": list(m.used_services),
        "accounts": list(m.accounts),
    }


def _replacement_dict(r: Any) -> dict[str, Any]:
    return {
        "address": r.address,
        "policy_arn": r.policy_arn,
        "file": r.file,
        "line": r.line,
        "replaced": r.replaced,
        "reason": r.reason,
        "new_address": r.new_address,
        "actions": r.actions,
        "accounts": list(r.accounts),
    }


def trim_to_dict(result: TrimResult) -> dict[str, Any]:
    """The ``trim --format json`` document: one record per policy, with the evidence."""
    return {
        "format": JSON_FORMAT,
        "days": result.plan.days,
        "snapshots": [
            {"label": s.label, "account_id": s.account_id, "collected_at": _time(s.collected_at)}
            for s in result.snapshots
        ],
        "summary": _counts(result),
        "policies": [
            {
                "address": p.address,
                "root": p.root,
                "name": p.name,
                "arn": p.arn,
                "kind": p.kind,
                "file": p.file,
                "line": p.line,
                "status": p.status,
                "reason": p.reason,
                "unused": p.unused,
                "services_removed": list(p.services_removed),
                "removed": [_removal_dict(r) for r in p.removals],
                "kept": [
                    {"subject": k.subject, "code": k.code, "reason": k.reason, "count": k.count}
                    for k in p.kept
                ],
                **(
                    {"permission_set": p.permission_set, "accounts": list(p.accounts)}
                    if p.permission_set is not None
                    else {}
                ),
            }
            for p in _ordered(result)
        ],
        "detach": [_detach_dict(d) for d in result.plan.detach],
        **(
            {"aws_managed": [_managed_dict(m) for m in result.plan.aws_managed]}
            if result.plan.aws_managed
            else {}
        ),
        **({"memberships": _membership_records(result)} if result.memberships is not None else {}),
        **(
            {"aws_managed_replaced": [_replacement_dict(r) for r in result.replacements]}
            if result.replacements
            else {}
        ),
        "files_changed": sorted(c.path for c in result.changes if c.old != c.new),
    }


def _membership_records(result: TrimResult) -> list[dict[str, Any]]:
    from lpgen.memberships import membership_report_data

    return membership_report_data(result.memberships or ())


def render_json(result: TrimResult) -> str:
    return json.dumps(trim_to_dict(result), indent=2) + "\n"


FORMATS: dict[str, Callable[[TrimResult], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}


def _under(prefix: str, file: str | None) -> str | None:
    return posixpath.join(prefix, file) if file is not None else None


def _loc_under(prefix: str, loc: Location | None) -> Location | None:
    return replace(loc, file=posixpath.join(prefix, loc.file)) if loc is not None else None


def shown_under(result: TrimResult, prefix: str | None) -> TrimResult:
    """The result with every file named ``prefix/FILE`` (PATH under the repository root),
    for reports: the edits and the diff keep their PATH-relative names."""
    if not prefix:
        return result
    policies = tuple(
        replace(
            p,
            file=_under(prefix, p.file),
            removals=tuple(
                replace(r, location=_loc_under(prefix, r.location)) for r in p.removals
            ),
        )
        for p in result.plan.policies
    )
    detach = tuple(replace(d, file=posixpath.join(prefix, d.file)) for d in result.plan.detach)
    memberships = None
    if result.memberships is not None:
        memberships = tuple(
            replace(m, location=_loc_under(prefix, m.location)) for m in result.memberships
        )
    return replace(
        result,
        plan=replace(
            result.plan,
            policies=policies,
            detach=detach,
            aws_managed=tuple(
                replace(m, file=posixpath.join(prefix, m.file)) for m in result.plan.aws_managed
            ),
        ),
        changes=tuple(replace(c, path=posixpath.join(prefix, c.path)) for c in result.changes),
        replacements=tuple(
            replace(r, file=posixpath.join(prefix, r.file)) for r in result.replacements
        ),
        memberships=memberships,
    )


def pending_lines(result: TrimResult) -> str:
    """``trim --check`` as a hook: one line per policy, membership or AWS-managed attachment
    with edits pending."""
    named = _named(result)
    lines = []
    for p in _ordered(result):
        if p.status != "trimmed":
            continue
        where = f"{p.file}:{p.line}: " if p.file else ""
        gone = len(p.services_removed)
        services = f" and {_plural(gone, 'service')}" if gone else ""
        lines.append(
            f"{where}{named(p)}: {_plural(p.actions_removed, 'action')}{services} unused "
            f"in {result.plan.days} days"
        )
    for m in result.memberships or ():
        if m.status == "removed":
            lines.append(f"{m.location}: {m.user} unused membership of group {m.group} "
                         f"({m.address})")  # fmt: skip
    for r in result.replacements:
        if r.replaced:
            lines.append(f"{r.file}:{r.line}: {r.address}: {r.policy_arn} to replace by "
                         f"{r.new_address}")  # fmt: skip
    return "".join(f"{line}\n" for line in lines)


def render_trim(fmt: str, result: TrimResult) -> str:
    """Render a trim run in the named format."""
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise InputError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})") from None
    return renderer(result)

"""Replace an AWS-managed attachment by a customer-managed policy holding what was used.

``trim --replace-aws-managed``: for each AWS-managed attachment of which the principal used
only part (lpgen.aws_managed_usage decides, with trim's rules: untracked actions,
``iam:PassRole`` and the keep list stay), write a ``resource "aws_iam_policy"`` right after
the attachment and point the attachment at it. Every statement of the new document is a
statement of the AWS-managed document with its ``Resource``, ``NotResource`` and
``Condition`` as they are, and only the kept actions of its ``Action``: never broader than
the policy it replaces. A permission set's ``aws_ssoadmin_managed_policy_attachment``
becomes an ``aws_ssoadmin_customer_managed_policy_attachment``; that policy must then exist,
by name and path, in every account the permission set is assigned to.

Only the plain form is edited: one resource block (no ``count``/``for_each``, not inside a
module) laid out as ``terraform fmt`` writes it, with the ARN as a literal string. Anything
else is reported as not replaced, with why, and left as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lpgen import catalog
from lpgen.aws_managed_usage import ManagedUsage
from lpgen.model import Location
from lpgen.rewrite import Edit

MANAGED_QUOTA = 6144  # characters of a managed policy, whitespace not counted

_ATTACHMENT_ARN = {
    "aws_iam_role_policy_attachment": "policy_arn",
    "aws_iam_group_policy_attachment": "policy_arn",
    "aws_iam_user_policy_attachment": "policy_arn",
    "aws_ssoadmin_managed_policy_attachment": "managed_policy_arn",
}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Replacement:
    """One AWS-managed attachment: replaced by ``new_address``, or not (``reason`` says why)."""

    address: str
    policy_arn: str
    file: str
    line: int
    replaced: bool
    reason: str
    new_address: str | None = None
    actions: int = 0
    accounts: tuple[str, ...] = ()


def _quote(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("${", "$${").replace("%{", "%%{")


def _key(key: str) -> str:
    return key if _IDENT.match(key) else _quote(key)


def _value(value: Any, indent: str, step: str) -> list[str]:
    """HCL lines for a JSON value (the first line holds no indentation)."""
    inner = indent + step
    if isinstance(value, dict):
        lines = ["{"]
        lines.extend(_object(value, inner, step))
        lines.append(indent + "}")
        return lines
    if isinstance(value, list):
        if len(value) == 1 and not isinstance(value[0], dict | list):
            return ["[" + _value(value[0], inner, step)[0] + "]"]
        lines = ["["]
        for item in value:
            sub = _value(item, inner, step)
            lines.append(inner + sub[0])
            lines.extend(sub[1:])
            lines[-1] += ","
        lines.append(indent + "]")
        return lines
    if isinstance(value, str):
        return [_quote(value)]
    return [json.dumps(value)]


def _object(items: Mapping[str, Any], indent: str, step: str) -> list[str]:
    """Attribute lines, ``=`` aligned over each run of one-line attributes (terraform fmt)."""
    rendered = [(_key(k), _value(v, indent, step)) for k, v in items.items()]
    lines: list[str] = []
    run: list[tuple[str, list[str]]] = []

    def flush() -> None:
        width = max((len(k) for k, _v in run), default=0)
        for k, v in run:
            lines.append(f"{indent}{k.ljust(width)} = {v[0]}")
            lines.extend(v[1:])
        run.clear()

    for k, v in rendered:
        if len(v) > 1:  # a multi-line value is not aligned with its neighbours
            flush()
            lines.append(f"{indent}{k} = {v[0]}")
            lines.extend(v[1:])
        else:
            run.append((k, v))
    flush()
    return lines


def narrowed_document(document: Mapping[str, Any], kept: Sequence[str]) -> dict[str, Any]:
    """The AWS-managed ``document`` with only the ``kept`` actions in its Allow statements.

    An entry all of whose actions stay is kept as written; otherwise its kept actions are
    listed. Statements left with no action go; Deny statements stay as they are.
    """
    keep = {a.lower() for a in kept}
    raw = document.get("Statement", [])
    statements = [raw] if isinstance(raw, dict) else list(raw)
    out: list[dict[str, Any]] = []
    for stmt in statements:
        if stmt.get("Effect") != "Allow":
            out.append(dict(stmt))
            continue
        entries = stmt.get("Action", [])
        entries = [entries] if isinstance(entries, str) else list(entries)
        actions: list[str] = []
        for entry in entries:
            expanded = catalog.expand(entry) or ()
            stays = [a for a in expanded if a.lower() in keep]
            if expanded and len(stays) == len(expanded):
                actions.append(entry)
            else:
                actions.extend(stays)
        actions = list(dict.fromkeys(actions))
        if not actions:
            continue
        new: dict[str, Any] = {}
        for k, v in stmt.items():
            new[k] = actions if k == "Action" else v
        out.append(new)
    return {"Version": document.get("Version", "2012-10-17"), "Statement": out}


def _policy_name(principal: str, arn: str) -> str:
    who = principal.split(" ")[-1]
    name = re.sub(r"[^\w+=,.@-]", "-", f"{who}-{arn.rsplit('/', 1)[-1]}-used")
    return name[:128]


def _block(text: str, rtype: str, name: str) -> tuple[int, int] | None:
    """Offsets of the resource block ``rtype.name`` (from ``resource`` to after its ``}``),
    when it is laid out as terraform fmt writes it: its closing brace alone on a line."""
    header = re.compile(
        rf'^resource[ \t]+"{re.escape(rtype)}"[ \t]+"{re.escape(name)}"[ \t]*\{{[ \t]*\r?$', re.M
    )
    found = list(header.finditer(text))
    if len(found) != 1:
        return None
    close = re.compile(r"^\}[ \t]*(?=\r?$)", re.M).search(text, found[0].end())
    if close is None:
        return None
    return found[0].start(), close.end()


def _refuse(m: ManagedUsage, why: str) -> Replacement:
    return Replacement(m.address, m.policy_arn, m.file, m.line, False, f"not replaced: {why}",
                       accounts=m.accounts)  # fmt: skip


def _one(
    m: ManagedUsage,
    document: Mapping[str, Any] | None,
    text: str | None,
    days: int,
    taken: frozenset[str],
) -> tuple[Replacement, list[Edit]]:
    if m.status != "used":
        return _refuse(m, m.reason), []
    if not m.kept:
        return _refuse(m, "nothing of it would stay (a candidate to detach)"), []
    if len(m.kept) >= m.granted:
        return _refuse(m, "every action it grants would stay"), []
    if document is None:
        return _refuse(m, "its document is not in the snapshots"), []
    rtype, _dot, name = m.address.partition(".")
    if m.address.startswith("module."):
        return _refuse(m, "it is declared inside a module"), []
    if rtype == "aws_iam_role":
        return _refuse(m, "a managed_policy_arns list is not edited"), []
    if rtype not in _ATTACHMENT_ARN:
        return _refuse(m, f"{rtype} is not one of the attachments edited"), []
    if "[" in name:
        return _refuse(m, "only a single attachment resource (no count or for_each) is edited"), []
    if text is None:
        return _refuse(m, "its file cannot be read"), []
    span = _block(text, rtype, name)
    if span is None:
        return _refuse(m, "the resource block is not laid out as terraform fmt writes it"), []
    start, end = span
    body = text[start:end]
    if re.search(r"^[ \t]*(count|for_each|dynamic)\b", body, re.M):
        return _refuse(m, "only a single attachment resource (no count or for_each) is edited"), []
    attr = _ATTACHMENT_ARN[rtype]
    arn_line = re.compile(rf'^([ \t]+){attr}([ \t]*)=[ \t]*("[^"\r\n]*")[ \t]*(?=\r?$)', re.M)
    hits = list(arn_line.finditer(body))
    if len(hits) != 1 or json.loads(hits[0].group(3)) != m.policy_arn:
        return _refuse(m, f"{attr} is not the literal ARN {m.policy_arn}"), []
    new_name = f"{name}_used"
    if f"aws_iam_policy.{new_name}" in taken or re.search(
        rf'^resource[ \t]+"aws_iam_policy"[ \t]+"{re.escape(new_name)}"', text, re.M
    ):
        return _refuse(m, f"aws_iam_policy.{new_name} already exists"), []
    sso_type = "aws_ssoadmin_customer_managed_policy_attachment"
    sso_name = next(
        (n for n in (name, f"{name}_used") if f"{sso_type}.{n}" not in taken
         and not re.search(rf'^resource[ \t]+"{sso_type}"[ \t]+"{re.escape(n)}"', text, re.M)),
        None,
    )  # fmt: skip
    if rtype == "aws_ssoadmin_managed_policy_attachment" and sso_name is None:
        return _refuse(m, f"{sso_type}.{name} and {sso_type}.{name}_used already exist"), []
    narrowed = narrowed_document(document, m.kept)
    size = len(re.sub(r"\s", "", json.dumps(narrowed, separators=(",", ":"))))
    if size > MANAGED_QUOTA:
        return _refuse(m, f"the policy would be {size} characters, over the managed quota "
                          f"of {MANAGED_QUOTA}"), []  # fmt: skip
    newline = "\r\n" if "\r\n" in body else "\n"
    step = hits[0].group(1)
    policy_name = _policy_name(m.principal, m.policy_arn)
    attrs = {
        "name": policy_name,
        "description": f"What {m.principal} used of {m.policy_arn.rsplit('/', 1)[-1]}",
    }
    lines = [f'resource "aws_iam_policy" "{new_name}" {{', *_object(attrs, step, step)]
    doc_lines = _value(narrowed, step, step)
    lines.append(f"{step}policy = jsonencode({doc_lines[0]}")
    lines.extend(doc_lines[1:])
    lines[-1] += ")"
    lines.append("}")
    resource = newline.join(lines)
    address = f"aws_iam_policy.{new_name}"
    hit = hits[0]

    def splice(begin: int, stop: int, value: str) -> Edit:
        return Edit("splice", Location(m.file, m.line, 1, begin, stop), None, (value,))

    if text.startswith(newline, end):  # after the line of the closing brace
        after = end + len(newline)
        edits = [splice(after, after, newline + resource + newline)]
    else:
        edits = [splice(end, end, newline + newline + resource)]
    if rtype == "aws_ssoadmin_managed_policy_attachment":
        ref = [
            f"{step}customer_managed_policy_reference {{",
            f"{step}{step}name = aws_iam_policy.{new_name}.name",
            f"{step}{step}path = aws_iam_policy.{new_name}.path",
            f"{step}}}",
        ]
        head = f'resource "{sso_type}" "{sso_name}" {{'
        first_end = body.index("{") + 1
        edits.append(splice(start, start + first_end, head))
        edits.append(splice(start + hit.start(), start + hit.end(), newline.join(ref)))
        where = ", ".join(m.accounts) if m.accounts else "none known"
        note = (f"; the policy must exist as {policy_name} (path /) in every account the "
                f"permission set is assigned to: {where}")  # fmt: skip
    else:
        edits.append(splice(start + hit.start(3), start + hit.end(3), f"{address}.arn"))
        note = ""
    actions = len(m.kept)
    reason = (
        f"replaced by {address} holding the {actions} of its {m.granted} actions that stay "
        f"under trim's rules in the {days}-day window" + note
    )
    return (
        Replacement(
            m.address, m.policy_arn, m.file, m.line, True, reason, address, actions, m.accounts
        ),
        edits,
    )


def plan_replacements(
    usages: Sequence[ManagedUsage],
    documents: Mapping[str, Mapping[str, Any]],
    sources: Callable[[str], str | None],
    *,
    days: int,
    taken: frozenset[str] = frozenset(),
) -> tuple[list[Replacement], list[Edit]]:
    """One record per AWS-managed attachment, and the edits of those replaced (``taken``:
    resource addresses the tree already declares)."""
    records: list[Replacement] = []
    edits: list[Edit] = []
    for m in usages:
        record, found = _one(m, documents.get(m.policy_arn), sources(m.file), days, taken)
        records.append(record)
        edits.extend(found)
    return records, edits


def raw_documents(snapshots: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """The AWS-managed documents of the snapshots as JSON data, by ARN (first one wins)."""
    out: dict[str, dict[str, Any]] = {}
    for snapshot in snapshots:
        for arn, record in snapshot.aws_managed_policies.items():
            if arn not in out and isinstance(record.get("document"), dict):
                out[arn] = record["document"]
    return out

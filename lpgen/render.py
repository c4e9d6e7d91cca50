"""Renderers of findings, chosen by name: text, json, sarif, markdown, github."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from lpgen import __version__
from lpgen.errors import InputError
from lpgen.findings import (
    PROJECT_URL,
    RULES,
    Finding,
    Rule,
    Severity,
    count_by_severity,
    sort_findings,
)
from lpgen.mdtext import md_escape


@dataclass(frozen=True)
class Report:
    """What a renderer gets: the findings to show and what was left out."""

    findings: Sequence[Finding]
    # The command that produced them ("check", "audit"): headings and SARIF category.
    command: str = "check"
    # The rules that ran (SARIF lists them all); None: the rules of the findings.
    rules: Sequence[Rule] | None = None
    # Findings silenced by inline comments / already in the baseline (shown in summaries).
    suppressed: int = 0
    baselined: int = 0
    # The directory file names are relative to (the repository root, see lpgen.paths):
    # SARIF's %SRCROOT%. None: not known (relative names resolve against the checkout).
    root: str | None = None
    # Where SARIF anchors a finding with no file in the repository (account-level findings:
    # the root user, users the Terraform does not declare): ``(file, line)`` under root.
    anchor: tuple[str, int] | None = None
    # SARIF automationDetails category; None: ``lpgen/<command>``.
    category: str | None = None
    # Text: colour the severities (ANSI); leave out the summary line.
    color: bool = False
    quiet: bool = False

    def sorted_findings(self) -> list[Finding]:
        return sort_findings(self.findings)


def summary_line(report: Report) -> str:
    """``3 findings (1 critical, 2 high); 1 suppressed.`` or ``No findings.``"""
    n = len(report.findings)
    if n == 0:
        text = "No findings"
    else:
        counts = ", ".join(
            f"{c} {sev}" for sev, c in count_by_severity(report.findings).items() if c
        )
        text = f"{n} finding{'s' if n != 1 else ''} ({counts})"
    if report.suppressed:
        text += f"; {report.suppressed} suppressed"
    if report.baselined:
        text += f"; {report.baselined} in the baseline"
    return text + "."


# --- text -------------------------------------------------------------------------------


# ANSI SGR codes of each severity's label on a terminal.
ANSI_SEVERITY = {
    Severity.CRITICAL: "1;31",
    Severity.HIGH: "31",
    Severity.MEDIUM: "33",
    Severity.LOW: "36",
    Severity.INFO: "2",
}


def render_text(report: Report) -> str:
    """One line per finding, ``file:line: CODE severity message [address]``, then a summary
    (not with ``quiet``, so that a pre-commit hook prints one line per problem)."""
    out = []
    for f in report.sorted_findings():
        where = f"{f.where}: " if f.where else ""
        address = f" [{f.address}]" if f.address else ""
        message = " ".join(f.message.splitlines())  # one line per finding, whatever the message
        label = f.severity.label
        if report.color:
            label = f"\x1b[{ANSI_SEVERITY[f.severity]}m{label}\x1b[0m"
        out.append(f"{where}{f.code} {label} {message}{address}")
    if not report.quiet:
        out.append(summary_line(report))
    return "\n".join(out) + "\n" if out else ""


# --- json -------------------------------------------------------------------------------


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity.label,
        "title": f.title,
        "message": f.message,
        "file": f.file,
        "line": f.line,
        "address": f.address,
        "subject": f.subject,
        "fingerprint": f.fingerprint,
    }


def render_json(report: Report) -> str:
    data = {
        "findings": [finding_dict(f) for f in report.sorted_findings()],
        "summary": {
            "total": len(report.findings),
            "by_severity": count_by_severity(report.findings),
            "suppressed": report.suppressed,
            "baselined": report.baselined,
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- sarif ------------------------------------------------------------------------------

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads this score: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4 low.
# Info findings score 1.0 (GitHub shows them as low): every rule has a score, so that
# every lpgen alert is a security alert with a severity.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
SRCROOT = "%SRCROOT%"


def _rules_for(report: Report) -> list[Rule | str]:
    """The rules listed in ``tool.driver.rules``; a bare code for an unregistered one."""
    listed: dict[str, Rule | str] = {}
    base = report.rules if report.rules is not None else []
    for r in base:
        listed[r.code] = r
    for f in report.findings:
        if f.code not in listed:
            listed[f.code] = RULES.get(f.code, f.code)
    return [listed[code] for code in sorted(listed)]


def _sarif_rule(r: Rule | str) -> dict[str, Any]:
    if isinstance(r, str):
        return {"id": r}
    props: dict[str, Any] = {"tags": ["security", "iam"]}
    props["security-severity"] = SECURITY_SEVERITY[r.severity]
    props["severity"] = r.severity.label
    markdown = f"{r.rationale}\n\n**Fix:** {r.fix}\n\n{r.help_link}"
    rule: dict[str, Any] = {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.rationale},
        "help": {"text": f"{r.rationale}\n\nFix: {r.fix}", "markdown": markdown},
        "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
        "properties": props,
    }
    rule["helpUri"] = r.help_uri
    return rule


def _in_repository(file: str | None) -> bool:
    """A relative name that stays under the root (code scanning shows only those)."""
    if not file:
        return False
    path = file.replace("\\", "/")
    return not (path.startswith(("/", "../")) or path == ".." or re.match(r"^[A-Za-z]:/", path))


def _artifact(file: str) -> dict[str, Any]:
    """A path relative to %SRCROOT% (the repository root)."""
    return {"uri": quote(file.replace("\\", "/")), "uriBaseId": SRCROOT}


def _sarif_result(f: Finding, index: dict[str, int], report: Report) -> dict[str, Any]:
    location: dict[str, Any] = {}
    file, line = f.file, f.line
    message = f.message
    if not _in_repository(file):
        if report.anchor is None:
            raise InputError(
                f"SARIF needs a file in the repository for every result, and {f.code} "
                f"({f.subject or f.where or f.message}) has none: give the Terraform PATH "
                "(account-level findings are then anchored at its provider block)"
            )
        if file:  # the evidence is elsewhere (a credential report outside the repository)
            message += f" (see {f.where})"
        file, line = report.anchor
    if file:
        physical: dict[str, Any] = {"artifactLocation": _artifact(file)}
        physical["region"] = {"startLine": line if line and line >= 1 else 1}
        location["physicalLocation"] = physical
    if f.address:
        location["logicalLocations"] = [{"fullyQualifiedName": f.address, "kind": "resource"}]
    elif f.subject:
        location["logicalLocations"] = [{"name": f.subject}]
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": SARIF_LEVEL[f.severity],
        "message": {"text": message},
    }
    if location:
        result["locations"] = [location]
    result["partialFingerprints"] = {"lpgenFingerprint/v1": f.fingerprint}
    result["properties"] = {"severity": f.severity.label}
    return result


def sarif_log(report: Report) -> dict[str, Any]:
    """The SARIF 2.1.0 log as plain data."""
    listed = _rules_for(report)
    index = {(r if isinstance(r, str) else r.code): i for i, r in enumerate(listed)}
    category = (report.category or f"lpgen/{report.command}").strip("/")
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "lpgen",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": [_sarif_rule(r) for r in listed],
            }
        },
        # GitHub takes the part before the last "/" as the category: one per tree and job.
        "automationDetails": {"id": f"{category}/"},
    }
    if report.root is not None:
        root_uri = Path(report.root).resolve().as_uri()
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root_uri.rstrip("/") + "/"}}
    run["results"] = [_sarif_result(f, index, report) for f in report.sorted_findings()]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


# --- markdown ---------------------------------------------------------------------------

MARKDOWN_MAX_ROWS = 200


def _md_code(text: str) -> str:
    # In a table a pipe must be escaped even inside a code span (GitHub Flavored Markdown).
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _by_severity(findings: Sequence[Finding]) -> list[Finding]:
    """Most severe first; within a severity, by file and line (the usual order)."""
    return sorted(findings, key=lambda f: (-int(f.severity), *f.sort_key()))


_CODE_SPAN = re.compile(r"`([^`]+)`")


def _html_inline(text: str) -> str:
    """Authored Markdown with code spans, for an HTML element (``<summary>``) where Markdown
    is not rendered: escape HTML, turn code spans into ``<code>``."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _CODE_SPAN.sub(r"<code>\1</code>", escaped)


def _references(r: Rule) -> str:
    links = [f"[{urlsplit(ref).netloc}]({ref})" if ref.startswith("https://") else ref
             for ref in r.references]  # fmt: skip
    return " · ".join([r.help_link, *links])


def render_markdown(report: Report) -> str:
    """A pull-request comment: counts by severity, a table, then details and fix per rule.

    Rule titles, rationale and fixes are lpgen's own Markdown and are kept as such; what
    comes from the Terraform or AWS (messages, addresses, file and user names) is escaped.
    Findings are listed most severe first.
    """
    findings = _by_severity(report.findings)
    out = []
    n = len(findings)
    if n == 0:
        out.append(f"### lpgen {report.command}: no findings")
    else:
        out.append(f"### lpgen {report.command}: {n} finding{'s' if n != 1 else ''}")
    out.append("")
    extras = []
    if report.suppressed:
        extras.append(f"{report.suppressed} suppressed inline")
    if report.baselined:
        extras.append(f"{report.baselined} in the baseline")
    if n == 0:
        if extras:
            out.extend([f"Not shown: {', '.join(extras)}.", ""])
        return "\n".join(out)
    out.append("| Severity | Count |")
    out.append("| --- | ---: |")
    for sev, count in count_by_severity(findings).items():
        if count:
            out.append(f"| {sev} | {count} |")
    out.append("")
    if extras:
        out.extend([f"Not shown: {', '.join(extras)}.", ""])
    out.append("| Severity | Code | Location | Finding |")
    out.append("| --- | --- | --- | --- |")
    for f in findings[:MARKDOWN_MAX_ROWS]:
        r = RULES.get(f.code)
        code = f"[{f.code}]({r.help_uri})" if r else f.code
        where = _md_code(f.where or f.subject or "")
        text = md_escape(f.message)
        if f.address:
            text += f" ({_md_code(f.address)})"
        out.append(f"| {f.severity.label} | {code} | {where} | {text} |")
    if n > MARKDOWN_MAX_ROWS:
        out.append("")
        out.append(f"…and {n - MARKDOWN_MAX_ROWS} more (see the full report).")
    out.append("")
    per_rule: dict[str, int] = {}
    for f in findings:  # most severe rule first, as in the table
        per_rule[f.code] = per_rule.get(f.code, 0) + 1
    for code in per_rule:
        r = RULES.get(code)
        if r is None:
            continue
        out.append("<details>")
        out.append(
            f"<summary><b>{code}</b> {_html_inline(r.title)} ({per_rule[code]})</summary>"
        )
        out.append("")
        out.append(r.rationale)
        out.append("")
        out.append(f"**Fix:** {r.fix}")
        out.append("")
        out.append(_references(r))
        out.append("")
        out.append("</details>")
        out.append("")
    return "\n".join(out)


# --- github -----------------------------------------------------------------------------

GITHUB_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}


def gh_escape_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_escape_property(text: str) -> str:
    """Escape a workflow command's property value (GitHub's escapeProperty)."""
    return gh_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands (annotations), then the summary as a plain line."""
    out = []
    for f in report.sorted_findings():
        props = []
        if f.file:
            props.append(f"file={gh_escape_property(f.file)}")
            if f.line:
                props.append(f"line={f.line}")
        props.append(f"title={gh_escape_property(f.code)}")
        message = f.message + (f" [{f.address}]" if f.address else "")
        out.append(f"::{GITHUB_LEVEL[f.severity]} {','.join(props)}::{gh_escape_data(message)}")
    if not report.quiet:
        out.append(summary_line(report))
    return "\n".join(out) + "\n" if out else ""


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "markdown": render_markdown,
    "github": render_github,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def render(fmt: str, report: Report) -> str:
    """Render ``report`` in the named format."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise InputError(
            f"unknown format '{fmt}' (expected one of: {', '.join(FORMATS)})"
        ) from None
    return renderer(report)

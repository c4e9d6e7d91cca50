"""Findings of `check` and `audit`: rule registry, selection, suppression, baselines, exit code."""

from __future__ import annotations

import enum
import hashlib
import json
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from lpgen.errors import InputError

# The project's home (pyproject's [project.urls]); its docs/ folder is browsable there.
PROJECT_URL = "https://github.com/lpgen/lpgen"
PROJECT_DOCS_URL = f"{PROJECT_URL}/blob/main/docs/"


def docs_url() -> str:
    """Base URL of the docs: ``LPGEN_DOCS_URL`` when set, else the project's docs/ folder.

    Teams that host lpgen's docs (or a fork) set it so SARIF ``helpUri`` and markdown links
    point there.
    """
    base = os.environ.get("LPGEN_DOCS_URL", "").strip() or PROJECT_DOCS_URL
    return base if base.endswith("/") else base + "/"


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``Severity.HIGH > Severity.LOW``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str | Severity) -> Severity:
        """Read ``"High"``, ``"high"``, ``"HIGH"``; an unknown name is an InputError."""
        if isinstance(text, Severity):
            return text
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise InputError(f"unknown severity '{text}' (expected one of: {names})") from None


SEVERITY_NAMES: tuple[str, ...] = tuple(s.label for s in Severity)
# `--fail-on` takes a severity or "never".
FAIL_ON_CHOICES: tuple[str, ...] = (*SEVERITY_NAMES, "never")
DEFAULT_FAIL_ON = "high"


@dataclass(frozen=True)
class Rule:
    """What one finding code means: the single source for SARIF ``rules[]`` and the docs."""

    code: str  # "LP101"
    name: str  # "root-access-key"
    title: str  # one line, sentence case, no final period
    severity: Severity  # default severity of its findings
    rationale: str  # why it matters
    fix: str  # how to fix it (in Terraform when possible)
    references: tuple[str, ...] = ()

    @property
    def help_path(self) -> str:
        """The docs page of the rule, relative to the repository root."""
        return f"docs/checks/{self.code}.md"

    @property
    def help_uri(self) -> str:
        return f"{docs_url()}checks/{self.code}.md"

    @property
    def help_link(self) -> str:
        """A markdown link to the rule's page."""
        return f"[Documentation: {self.code}]({self.help_uri})"


RULES: dict[str, Rule] = {}
_CODE = re.compile(r"^LP\d{3}$")


def register(new: Rule) -> Rule:
    """Add a rule to the registry (modules call this at import); a clashing code is a bug."""
    if not _CODE.match(new.code):
        raise ValueError(f"rule code {new.code!r} must look like LP123")
    old = RULES.get(new.code)
    if old is not None and old != new:
        raise ValueError(f"rule code {new.code} registered twice ({old.name}, {new.name})")
    if any(r.name == new.name and r.code != new.code for r in RULES.values()):
        raise ValueError(f"rule name {new.name} registered twice")
    RULES[new.code] = new
    return new


def rule(code: str) -> Rule:
    """The registered rule of a code; KeyError for an unknown code."""
    return RULES[code]


def rules(prefix: str = "") -> list[Rule]:
    """Registered rules whose code starts with ``prefix``, sorted by code."""
    return sorted((r for r in RULES.values() if r.code.startswith(prefix)), key=lambda r: r.code)


@dataclass(frozen=True)
class Finding:
    """One problem found, located at the file and line (and Terraform address) to fix.

    ``subject`` names what the finding is about when it is not a resource (an IAM user
    name, ``<root_account>``). ``qualifier`` tells apart several findings of one code on
    one resource or subject (``access_key_1``, ``Statement[2]``); with ``code``, ``address``
    and ``subject`` it makes the fingerprint, which ignores lines and wording so that
    baselines survive edits above the resource and message changes.
    """

    code: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    address: str | None = None
    subject: str | None = None
    qualifier: str | None = None

    @classmethod
    def create(
        cls,
        code: str,
        message: str,
        *,
        severity: Severity | None = None,
        file: str | None = None,
        line: int | None = None,
        address: str | None = None,
        subject: str | None = None,
        qualifier: str | None = None,
    ) -> Finding:
        """A finding of a registered rule, with the rule's severity unless one is given."""
        return cls(
            code=code,
            severity=rule(code).severity if severity is None else severity,
            message=message,
            file=file,
            line=line,
            address=address,
            subject=subject,
            qualifier=qualifier,
        )

    @property
    def rule(self) -> Rule | None:
        return RULES.get(self.code)

    @property
    def title(self) -> str:
        found = RULES.get(self.code)
        return found.title if found else ""

    @property
    def fingerprint(self) -> str:
        parts = [self.code, self.address or "", self.subject or "", self.qualifier or ""]
        if self.address is None and self.subject is None:
            parts.append(self.file or "")
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
        return digest[:32]

    @property
    def where(self) -> str:
        """``file:line``, ``file`` or ``""``."""
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def sort_key(self) -> tuple[Any, ...]:
        # Located findings first by file and line; the others grouped by subject.
        return (
            self.file is None,
            self.file or "",
            self.line or 0,
            self.subject or "",
            self.code,
            self.qualifier or "",
            self.message,
        )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def rebase_findings(findings: Iterable[Finding], base: str | os.PathLike[str]) -> list[Finding]:
    """Prefix relative file names with ``base`` (the tree path as the user typed it)."""
    prefix = Path(base).as_posix()
    result = []
    for f in findings:
        if f.file and not posixpath.isabs(f.file):
            f = replace(f, file=posixpath.normpath(posixpath.join(prefix, f.file)))
        result.append(f)
    return result


# --- selection --------------------------------------------------------------------------

_SELECTOR = re.compile(r"^LP\d{0,3}$")


def _check_selector(token: str) -> str:
    up = token.strip().upper()
    if _SELECTOR.match(up):
        return up
    low = token.strip().lower()
    if any(r.name == low for r in RULES.values()):
        return low
    raise InputError(
        f"unknown check code or name '{token}' (expected a code prefix such as LP1 or LP101)"
    )


def _match_length(finding: Finding, selectors: Sequence[str]) -> int:
    """Length of the longest selector matching the finding (0 when none; names count as codes)."""
    best = 0
    name = RULES[finding.code].name if finding.code in RULES else None
    for s in selectors:
        if s.startswith("LP") and finding.code.startswith(s):
            best = max(best, len(s))
        elif name is not None and s == name:
            best = max(best, len(finding.code) + 1)
    return best


def select_findings(
    findings: Iterable[Finding],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    min_severity: Severity | str | None = None,
) -> list[Finding]:
    """Keep the findings selected by code prefix or rule name, not ignored, at/above a severity.

    As in flake8, when a code matches both lists the longer (more specific) match wins:
    ``select=["LP1"], ignore=["LP14"]`` keeps LP101 and drops LP140; a rule name counts
    as the most specific match. An empty ``select`` selects everything.
    """
    sel = [_check_selector(s) for s in select]
    ign = [_check_selector(s) for s in ignore]
    floor = None if min_severity is None else Severity.parse(min_severity)
    kept = []
    for f in findings:
        if floor is not None and f.severity < floor:
            continue
        s_len = _match_length(f, sel) if sel else 0
        if sel and s_len == 0:
            continue
        i_len = _match_length(f, ign)
        if i_len and i_len >= s_len:
            continue
        kept.append(f)
    return kept


# --- inline suppression -----------------------------------------------------------------

_MARK = re.compile(r"(?:#|//|/\*)\s*lpgen:ignore\b(?P<rest>[^\r\n]*)")
_CODES_THEN_REASON = re.compile(
    r"^(?P<codes>LP\d{3}(?:\s*,\s*LP\d{3})*)(?:\s+(?P<reason>.*))?$", re.IGNORECASE
)
_COMMENT_ONLY = re.compile(r"^\s*(?:#|//|/\*)")
_UNTIL = re.compile(r"(?:^|\s)until=(\S+)(?=\s|$)")


@dataclass(frozen=True)
class Suppression:
    """One ``# lpgen:ignore CODE[,CODE] [until=YYYY-MM-DD] reason`` comment."""

    file: str | None
    line: int
    codes: tuple[str, ...]
    reason: str
    # Honoured up to and including this day; None: no expiry.
    until: date | None = None

    @property
    def justified(self) -> bool:
        return bool(self.reason.strip())

    def covers(self, code: str) -> bool:
        return code in self.codes

    def expired(self, today: date | None) -> bool:
        return self.until is not None and today is not None and today > self.until

    def honours(self, code: str, today: date | None = None) -> bool:
        """Silences ``code``: covers it, gives a reason and has not expired."""
        return self.covers(code) and self.justified and not self.expired(today)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file else f"line {self.line}"
        return f"{where}: lpgen:ignore {','.join(self.codes)}"


def parse_suppression(line_text: str, *, line: int, file: str | None = None) -> Suppression | None:
    """The suppression comment on one line of source, if there is one."""
    m = _MARK.search(line_text)
    if m is None:
        return None
    rest = m.group("rest").strip()
    if rest.endswith("*/"):
        rest = rest[:-2].rstrip()
    parts = _CODES_THEN_REASON.match(rest)
    if parts is None:
        # No valid code list: honoured nowhere, reported as unjustified.
        return Suppression(file=file, line=line, codes=(), reason=rest)
    codes = tuple(c.strip().upper() for c in parts.group("codes").split(","))
    reason = (parts.group("reason") or "").strip()
    until: date | None = None
    found = _UNTIL.search(reason)
    if found is not None:
        try:
            until = date.fromisoformat(found.group(1))
        except ValueError:
            raise InputError(
                f"lpgen:ignore: invalid date {found.group(1)!r} (until=YYYY-MM-DD)",
                file=file,
                line=line,
            ) from None
        reason = (reason[: found.start()] + reason[found.end() :]).strip()
    return Suppression(file=file, line=line, codes=codes, reason=reason, until=until)


def suppressions_near(text: str, line: int, *, file: str | None = None) -> list[Suppression]:
    """Suppressions that apply to a resource starting at ``line`` (1-based) of ``text``.

    Looked for on the line itself (trailing comment), on the comment lines right above it,
    and on the comment lines right at the start of the block below it.
    """
    return suppressions_near_lines(text.splitlines(), line, file=file)


def suppressions_near_lines(
    lines: Sequence[str], line: int, *, file: str | None = None
) -> list[Suppression]:
    """:func:`suppressions_near` on a text already split into lines."""
    if not 1 <= line <= len(lines):
        return []
    candidates = [line]
    i = line - 1
    while i >= 1 and _COMMENT_ONLY.match(lines[i - 1]):
        candidates.append(i)
        i -= 1
    i = line + 1
    while i <= len(lines) and _COMMENT_ONLY.match(lines[i - 1]):
        candidates.append(i)
        i += 1
    found = []
    for n in candidates:
        s = parse_suppression(lines[n - 1], line=n, file=file)
        if s is not None:
            found.append(s)
    return found


def find_suppression(
    finding: Finding, text: str, today: date | None = None
) -> Suppression | None:
    """The justified, unexpired suppression covering ``finding`` in ``text``, if any."""
    if finding.line is None:
        return None
    for s in suppressions_near(text, finding.line, file=finding.file):
        if s.honours(finding.code, today):
            return s
    return None


@dataclass
class SuppressionResult:
    kept: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    # Comments that would have matched but give no reason (or no valid code): not honoured.
    unjustified: list[Suppression] = field(default_factory=list)
    # Comments past their until= date: the finding is reported again.
    expired: list[Suppression] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """One warning line per comment not honoured."""
        return [f"Warning: {s}: needs a code and a reason; ignored." for s in self.unjustified] + [
            f"Warning: {s}: expired on {s.until}; the finding is reported again."
            for s in self.expired
        ]


def commented_reader(root: Path) -> Callable[[str], str | None]:
    """Read a finding's file (named relative to ``root``) when it can hold comments (the
    ``lpgen:ignore`` ones): Terraform, tfvars and templates; JSON cannot."""

    def read(name: str) -> str | None:
        if not name.endswith((".tf", ".tfvars", ".tpl")):
            return None
        try:
            return (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    return read


def apply_suppressions(
    findings: Iterable[Finding],
    read_source: Callable[[str], str | None],
    *,
    today: date | None = None,
) -> SuppressionResult:
    """Drop findings silenced by an inline comment with a reason (and not expired).

    ``read_source(file)`` returns a finding's file text (None when unreadable, e.g. a
    JSON file or a credential report). A comment without a reason silences nothing and is
    returned in ``unjustified`` so the caller can warn about it; one whose ``until=`` day
    is before ``today`` is returned in ``expired``.
    """
    result = SuppressionResult()
    # Each file's lines, split once: splitting the text again for every finding is
    # quadratic on a big file (thousands of findings in one file).
    cache: dict[str, list[str] | None] = {}
    seen_unjustified: set[tuple[str | None, int]] = set()
    seen_expired: set[tuple[str | None, int]] = set()
    for f in findings:
        text = None
        if f.file is not None and f.line is not None:
            if f.file not in cache:
                source = read_source(f.file)
                cache[f.file] = None if source is None else source.splitlines()
            text = cache[f.file]
        if text is None or f.line is None:
            result.kept.append(f)
            continue
        near = suppressions_near_lines(text, f.line, file=f.file)
        good = next((s for s in near if s.honours(f.code, today)), None)
        if good is not None:
            result.suppressed.append((f, good))
            continue
        for s in near:
            if s.honours(f.code) and s.expired(today) and (s.file, s.line) not in seen_expired:
                seen_expired.add((s.file, s.line))
                result.expired.append(s)
            relevant = not s.codes or (s.covers(f.code) and not s.justified)
            if relevant and (s.file, s.line) not in seen_unjustified:
                seen_unjustified.add((s.file, s.line))
                result.unjustified.append(s)
        result.kept.append(f)
    return result


def read_relative(root: str | os.PathLike[str]) -> Callable[[str], str | None]:
    """A ``read_source`` for :func:`apply_suppressions` reading files relative to ``root``."""

    def read(name: str) -> str | None:
        try:
            return (Path(root) / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    return read


# --- baselines --------------------------------------------------------------------------


def write_baseline(path: str | os.PathLike[str], findings: Iterable[Finding]) -> int:
    """Write the findings' fingerprints as a JSON list (with code and subject to help review).

    Returns the number of entries written.
    """
    entries: dict[str, dict[str, Any]] = {}
    for f in findings:
        entries.setdefault(
            f.fingerprint,
            {
                "fingerprint": f.fingerprint,
                "code": f.code,
                "address": f.address,
                "subject": f.subject,
            },
        )
    data = [entries[k] for k in sorted(entries)]
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(data)


def load_baseline(path: str | os.PathLike[str]) -> frozenset[str]:
    """Read a baseline: a JSON list of fingerprints (strings or ``{"fingerprint": ...}``)."""
    name = os.fspath(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read baseline: {exc.strerror}", file=name) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    if not isinstance(data, list):
        raise InputError("a baseline is a JSON list of fingerprints", file=name)
    prints = set()
    for i, entry in enumerate(data):
        value = entry.get("fingerprint") if isinstance(entry, dict) else entry
        if not isinstance(value, str) or not value:
            raise InputError(f"entry {i} has no fingerprint", file=name)
        prints.add(value)
    return frozenset(prints)


def filter_new(
    findings: Iterable[Finding], baseline: frozenset[str] | set[str]
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (new, already in the baseline)."""
    new: list[Finding] = []
    known: list[Finding] = []
    for f in findings:
        (known if f.fingerprint in baseline else new).append(f)
    return new, known


# --- exit code --------------------------------------------------------------------------


def parse_fail_on(value: str | Severity | None) -> Severity | None:
    """``--fail-on``: a severity, or ``never`` (None)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "never"):
        return None
    return Severity.parse(value)


def exit_code(findings: Iterable[Finding], fail_on: str | Severity | None) -> int:
    """0 when no finding is at or above ``fail_on`` (or it is ``never``), else 1."""
    threshold = parse_fail_on(fail_on)
    if threshold is None:
        return 0
    return 1 if any(f.severity >= threshold for f in findings) else 0


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts per severity, most severe first, every severity present (zeros included)."""
    counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
    for f in findings:
        counts[f.severity.label] += 1
    return counts

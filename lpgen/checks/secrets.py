"""AWS credentials written into Terraform files."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from lpgen.checks.context import CheckContext
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.model import Location

HARDCODED = register(
    Rule(
        code="LP045",
        name="hardcoded-aws-credentials",
        title="AWS access key or secret key written in Terraform code",
        severity=Severity.CRITICAL,
        rationale=(
            "A key committed to a repository is readable by everyone with access to it, to "
            "its forks and clones, and forever in its history; automated scanners harvest "
            "public repositories for keys within minutes. lpgen looks in `.tf` and `.tfvars` "
            "files for access key ids (`AKIA...`, `ASIA...`) and for 40-character secret keys "
            "assigned to a name containing `secret_key` or `secret_access_key`."
        ),
        fix=(
            "Deactivate and delete the key in IAM now (removing it from the file does not "
            "remove it from Git history), then give Terraform credentials from the "
            "environment, a profile, or an assumed role (`assume_role` in the provider, OIDC "
            "in CI), never from the code."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#securing_access-keys",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs#authentication-and-configuration",
        ),
    )
)

SUFFIXES = (".tf", ".tfvars", ".tf.json", ".tfvars.json")
# Long-term (AKIA) and temporary (ASIA) access key ids; other prefixes (AIDA, AROA...) are
# unique ids of users and roles, not credentials.
_KEY_ID = re.compile(r"(?<![A-Za-z0-9])((?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])")
_SECRET = re.compile(
    r"(?i)(?:secret_?access_?key|secret_?key|aws_?secret)[\"']?\s*[:=]\s*[\"']"
    r"([A-Za-z0-9/+]{40})[\"']"
)
# The values AWS's documentation uses as examples.
_EXAMPLE = "EXAMPLE"


def source_files(root: Path, listed: list[str], exclude: tuple[str, ...] = ()) -> list[str]:
    """Terraform files under ``root`` and those the tree read, as the reader skips them.

    Hidden directories, ``node_modules`` and paths matching an ``exclude`` glob (relative to
    ``root``) are left out, as when the tree is read.
    """

    def excluded(rel: str) -> bool:
        return any(fnmatch.fnmatchcase(rel, pattern) for pattern in exclude)

    found: set[str] = {f for f in listed if f.endswith(SUFFIXES) and not excluded(f)}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d != "node_modules" and not excluded(prefix + d)
        )
        for name in filenames:
            if name.endswith(SUFFIXES) and not excluded(prefix + name):
                found.add(prefix + name)
    return sorted(found)


def _redact(value: str) -> str:
    return f"{value[:4]}…{value[-4:]}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def scan_text(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, kind, value) of each credential in a file's text."""
    if "AKIA" in text or "ASIA" in text:
        for m in _KEY_ID.finditer(text):
            if _EXAMPLE not in m.group(1):
                yield text.count("\n", 0, m.start()) + 1, "access key id", m.group(1)
    lowered = text.lower()
    if "secret" in lowered:
        for m in _secrets(text, lowered):
            if _EXAMPLE not in m.group(1):
                yield text.count("\n", 0, m.start(1)) + 1, "secret access key", m.group(1)


def _secrets(text: str, lowered: str) -> Iterator[re.Match[str]]:
    """What ``_SECRET.finditer(text)`` finds, trying the pattern only where a match can start.

    Every match starts at a ``secret`` (any case) or at the ``aws`` / ``aws_`` before one; a
    search with the case-insensitive pattern costs as much at every other character of the
    file. ``lowered`` is ``text.lower()``: with ASCII text its offsets are the text's (other
    text, where case-insensitive matching knows more letters, is searched whole).
    """
    if not text.isascii():
        yield from _SECRET.finditer(text)
        return
    starts: set[int] = set()
    at = lowered.find("secret")
    while at >= 0:
        starts.add(at)
        if at >= 3 and lowered.startswith("aws", at - 3):
            starts.add(at - 3)
        if at >= 4 and lowered.startswith("aws_", at - 4):
            starts.add(at - 4)
        at = lowered.find("secret", at + 1)
    end = 0  # as finditer: the next match starts after the previous one
    for start in sorted(starts):
        if start < end:
            continue
        m = _SECRET.match(text, start)
        if m is not None:
            yield m
            end = m.end()


def check_secrets(ctx: CheckContext) -> Iterator[Finding]:
    """LP045 over the Terraform source files."""
    if ctx.root is None or ctx.source is None:
        return
    root = os.fspath(ctx.root)
    for rel in source_files(ctx.root, ctx.source.files, ctx.exclude):
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            continue  # a FIFO or a device is never opened; the reader warned about it
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        for line, kind, value in scan_text(text):
            shown = _redact(value) if kind == "access key id" else f"…{value[-4:]}"
            yield ctx.finding(
                "LP045",
                f"AWS {kind} {shown} is written in the code",
                location=Location(rel, line),
                qualifier=_digest(value),
            )

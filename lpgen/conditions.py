"""Policy conditions judged by their values: which keys a statement really pins, and to what.

A condition restricts only when every request it lets through must carry the key with a value
that narrows the caller. ``...IfExists`` operators pass when the key is absent, negated
operators (``StringNotEquals``, ``NotIpAddress``, ``ArnNotLike``) pass for everything but the
values listed, ``ForAllValues:`` passes an empty or absent key, and ``Null`` only tests
presence: none of them pins anything. A value that matches everyone does not either: a CIDR
covering the internet in ``aws:SourceIp``, an ARN whose account is a wildcard in
``aws:PrincipalArn``, an empty or ``*`` ``sts:ExternalId``, an organization id ``o-*``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Keys that pin who may use a statement whose principal is "*" (IAM User Guide, "AWS global
# condition context keys"; the keys IAM Access Analyzer treats as restricting), lower-case.
RESTRICTING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount",
        "aws:PrincipalArn", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner",
        "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpce",
        "aws:VpceAccount", "aws:VpceOrgID", "aws:VpceOrgPaths", "aws:ResourceOrgID",
        "aws:SourceIp", "aws:userid", "kms:CallerAccount", "s3:DataAccessPointAccount",
        "s3:DataAccessPointArn", "lambda:FunctionArn", "aws:PrincipalServiceName",
    )
)  # fmt: skip
# Keys that pin the organization of the caller.
ORG_KEYS = frozenset(
    k.lower() for k in ("aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID",
                        "aws:SourceOrgPaths")
)  # fmt: skip
# Keys that tie a service principal to the resource it acts for (confused deputy).
SOURCE_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner", "aws:SourceOrgID",
        "aws:SourceOrgPaths", "kms:CallerAccount", "kms:ViaService",
    )
)  # fmt: skip
_ACCOUNT_KEYS = frozenset(
    k.lower()
    for k in ("aws:PrincipalAccount", "aws:SourceAccount", "aws:SourceOwner", "aws:VpceAccount",
              "kms:CallerAccount", "s3:DataAccessPointAccount")
)  # fmt: skip
_ID_KEYS = frozenset(
    k.lower()
    for k in ("aws:PrincipalOrgID", "aws:SourceOrgID", "aws:VpceOrgID", "aws:ResourceOrgID",
              "aws:SourceVpc", "aws:SourceVpce", "sts:ExternalId")
)  # fmt: skip
_ARN_KEYS = frozenset(
    k.lower() for k in ("aws:PrincipalArn", "aws:SourceArn", "s3:DataAccessPointArn",
                        "lambda:FunctionArn")
)  # fmt: skip
_PATH_KEYS = frozenset(
    k.lower() for k in ("aws:PrincipalOrgPaths", "aws:SourceOrgPaths", "aws:VpceOrgPaths")
)
_WILD = re.compile(r"[*?]")


@dataclass(frozen=True)
class Test:
    """One key tested by one operator: ``StringEquals {"aws:SourceVpce": ["vpce-1"]}``."""

    operator: str  # the operator without its ForAnyValue:/ForAllValues: prefix
    key: str  # lower-case
    values: tuple[str, ...]
    negated: bool
    if_exists: bool
    for_all: bool

    @property
    def requires(self) -> bool:
        """Every request that passes carries this key with one of the values."""
        op = self.operator.lower()
        return not (self.negated or self.if_exists or self.for_all or op == "null")


def tests(conditions: Any) -> list[Test]:
    """The tests of a Condition block (a JSON object of operator -> key -> values)."""
    out: list[Test] = []
    if not isinstance(conditions, dict):
        return out
    for operator, pairs in conditions.items():
        full = str(operator)
        prefix, _, op = full.rpartition(":")
        lower = op.lower()
        if not isinstance(pairs, dict):
            continue
        negated = lower.startswith(("stringnot", "arnnot", "notip", "numericnotequals",
                                    "datenotequals"))  # fmt: skip
        if_exists = lower.endswith("ifexists")
        for key, value in pairs.items():
            items = value if isinstance(value, list) else [value]
            out.append(
                Test(
                    operator=op,
                    key=str(key).lower(),
                    values=tuple(_text(v) for v in items),
                    negated=negated,
                    if_exists=if_exists,
                    for_all=prefix.lower() == "forallvalues",
                )
            )
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def required_values(conditions: Any, key: str) -> list[str]:
    """The values a key must have in every request the condition lets through."""
    key = key.lower()
    return [v for t in tests(conditions) if t.key == key and t.requires for v in t.values]


def value_restricts(key: str, value: str, operator: str = "StringEquals") -> bool:
    """Whether one value of a key narrows who matches (not everyone, not the internet)."""
    key = key.lower()
    text = value.strip()
    if not text or text == "*":
        return False
    if key == "aws:sourceip":
        return not covers_internet(text)
    if not operator.lower().startswith(("stringlike", "arn")):
        # String equality compares literally: "*" there is a character, not a wildcard
        # (ArnEquals, like ArnLike, matches wildcards).
        return True
    if key in _ACCOUNT_KEYS or key in _ID_KEYS:
        return _WILD.search(text) is None
    if key in _ARN_KEYS:
        return arn_account_pinned(text)
    if key in _PATH_KEYS:
        # o-a1b2c3d4/r-ab12/ou-ab12-11111111/* pins the organization; o-*/* does not.
        first = text.split("/", 1)[0]
        return _WILD.search(first) is None
    if key == "aws:userid":
        return not text.startswith(("*", "?"))
    return True


def arn_account_pinned(arn: str) -> bool:
    """An ARN (pattern) whose account field is a literal: ``arn:aws:iam::*:role/x`` is not."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return _WILD.search(arn) is None
    if _WILD.search(":".join(parts[:3])):
        return False
    account = parts[4]
    if account == "" and parts[2] in ("s3", "sns", "sqs") and _WILD.search(parts[5]) is None:
        return True
    return account != "" and _WILD.search(account) is None


def covers_internet(cidr: str) -> bool:
    """``0.0.0.0/0``, ``::/0`` and other ranges of more than a /8 of public addresses."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    if net.prefixlen == 0:
        return True
    wide = 8 if net.version == 4 else 16
    return net.prefixlen < wide and not net.is_private


def pinned_keys(conditions: Any, keys: Iterable[str]) -> list[str]:
    """The keys of ``keys`` the condition really restricts (required, narrowing values)."""
    wanted = {k.lower() for k in keys}
    out: list[str] = []
    for t in tests(conditions):
        if t.key not in wanted or not t.requires or not t.values:
            continue
        if all(value_restricts(t.key, v, t.operator) for v in t.values) and t.key not in out:
            out.append(t.key)
    return out


def unsatisfiable(conditions: Any) -> bool:
    """A condition that requires a key to have one of no values at all (``values = []``, a
    variable whose default is empty): no request matches, the statement grants nothing."""
    return any(t.requires and not t.values for t in tests(conditions))


def restricts(conditions: Any, keys: Iterable[str]) -> bool:
    """Whether any of ``keys`` is pinned by the condition."""
    return bool(pinned_keys(conditions, keys))


def wide_values(conditions: Any, keys: Iterable[str]) -> list[tuple[str, str]]:
    """(key, value) of required keys whose value matches everyone: why a condition fails."""
    wanted = {k.lower() for k in keys}
    out: list[tuple[str, str]] = []
    for t in tests(conditions):
        if t.key in wanted and t.requires:
            out.extend((t.key, v) for v in t.values if not value_restricts(t.key, v, t.operator))
    return out


def condition_accounts(conditions: Any) -> list[str]:
    """Accounts a condition pins the caller to (``aws:PrincipalAccount``, the account of an
    ``aws:PrincipalArn``), when every value names one."""
    out: list[str] = []
    for t in tests(conditions):
        if not t.requires:
            continue
        if t.key == "aws:principalaccount":
            out.extend(v for v in t.values if re.fullmatch(r"\d{12}", v))
        elif t.key == "aws:principalarn":
            for v in t.values:
                parts = v.split(":")
                if len(parts) > 4 and re.fullmatch(r"\d{12}", parts[4]):
                    out.append(parts[4])
    return list(dict.fromkeys(out))


def requires_mfa(conditions: Any) -> bool:
    """``Bool aws:MultiFactorAuthPresent true`` or a ``NumericLessThan`` on the MFA age."""
    for t in tests(conditions):
        if not t.requires:
            continue
        mfa = t.key == "aws:multifactorauthpresent" and t.operator.lower() == "bool"
        if mfa and t.values and all(v.lower() == "true" for v in t.values):
            return True
        if t.key == "aws:multifactorauthage" and t.operator.lower().startswith("numericless"):
            return True
    return False


def external_id(conditions: Any) -> list[str]:
    """The external ids a trust requires (empty or ``*`` ids are no guard and are left out)."""
    return [
        v
        for t in tests(conditions)
        if t.key == "sts:externalid" and t.requires
        for v in t.values
        if value_restricts(t.key, v, t.operator)
    ]

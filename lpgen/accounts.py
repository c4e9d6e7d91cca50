"""Which AWS accounts to collect: AWS Organizations or a list, selection, shards, role hops.

The organisation is listed with ``ListAccounts`` (every page; ACTIVE accounts only) from the
management account or a delegated administrator; OU selectors are resolved with
``ListAccountsForParent`` and ``ListOrganizationalUnitsForParent`` (every page, the whole
subtree). Clients are passed in, so tests hand in moto's or a Stubber-ed one.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lpgen.errors import AwsError, InputError

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_PARENT_ID = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
_ROLE_NAME = re.compile(r"^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")


@dataclass(frozen=True)
class Account:
    """One AWS account to collect (``name`` as Organizations knows it, when listed there)."""

    id: str
    name: str = ""


def parse_account_ids(values: Iterable[str]) -> list[Account]:
    """``--accounts 111122223333,444455556666`` (repeatable) -> accounts, in order, once each."""
    seen: dict[str, Account] = {}
    for value in values:
        for item in re.split(r"[,\s]+", value.strip()):
            if not item:
                continue
            if not _ACCOUNT_ID.match(item):
                raise InputError(f"--accounts: {item!r} is not a 12-digit AWS account id")
            seen.setdefault(item, Account(item))
    if not seen:
        raise InputError("--accounts: no account id given")
    return list(seen.values())


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    # 20 is the most Organizations returns per page (MaxResults 1..20) for these listings.
    pages = client.get_paginator(operation).paginate(**params, PaginationConfig={"PageSize": 20})
    for page in pages:
        items.extend(page.get(key) or [])
    return items


def _accounts_under(client: Any, parent: str) -> set[str]:
    """Ids of the accounts in an OU (or root) and all the OUs below it."""
    found: set[str] = set()
    todo = [parent]
    while todo:
        node = todo.pop()
        accounts = _pages(client, "list_accounts_for_parent", "Accounts", ParentId=node)
        found.update(str(a["Id"]) for a in accounts)
        children = _pages(
            client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=node
        )
        todo.extend(str(ou["Id"]) for ou in children)
    return found


def _is_active(record: dict[str, Any]) -> bool:
    # ``State`` replaces ``Status`` in newer API versions; either says ACTIVE.
    state = record.get("State") or record.get("Status")
    return state == "ACTIVE"


def _check_selector(selector: str, option: str) -> None:
    if selector.startswith(("ou-", "r-")) and not _PARENT_ID.match(selector):
        raise InputError(f"{option}: {selector!r} is not an OU id (ou-...) or root id (r-...)")


def select_accounts(
    accounts: Sequence[Account],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    members: dict[str, set[str]] | None = None,
) -> list[Account]:
    """Keep the accounts an include selector matches (all without one), minus the excluded.

    A selector is an account id, an OU or root id (``ou-...``, ``r-...``: every account
    below it, given in ``members``), or a glob of the account name (case-insensitive).
    An include selector that matches no account is an error: it is almost always a typo.
    """
    members = members or {}

    def matches(account: Account, selector: str) -> bool:
        if _ACCOUNT_ID.match(selector):
            return account.id == selector
        if _PARENT_ID.match(selector):
            return account.id in members.get(selector, set())
        return fnmatch.fnmatchcase(account.name.lower(), selector.lower())

    chosen = list(accounts)
    if include:
        for selector in include:
            if not any(matches(a, selector) for a in accounts):
                raise InputError(
                    f"--include-account {selector!r} matches no ACTIVE account of the "
                    "organisation"
                )
        chosen = [a for a in chosen if any(matches(a, s) for s in include)]
    return [a for a in chosen if not any(matches(a, s) for s in exclude)]


def list_org_accounts(
    client: Any, *, include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[Account]:
    """The organisation's ACTIVE accounts (every page), selected, sorted by id."""
    for selector in include:
        _check_selector(selector, "--include-account")
    for selector in exclude:
        _check_selector(selector, "--exclude-account")
    try:
        records = _pages(client, "list_accounts", "Accounts")
        members = {
            s: _accounts_under(client, s)
            for s in {*include, *exclude}
            if _PARENT_ID.match(s)
        }
    except Exception as exc:
        response = getattr(exc, "response", None)
        if isinstance(response, dict) and "Error" in response:
            err = response["Error"]
            raise AwsError(
                f"cannot list the organisation's accounts: {err.get('Code')}: "
                f"{err.get('Message', '')} (run from the management account or a delegated "
                "administrator, with organizations:ListAccounts)"
            ) from None
        raise
    accounts = [Account(str(r["Id"]), str(r.get("Name") or "")) for r in records if _is_active(r)]
    accounts.sort(key=lambda a: a.id)
    return select_accounts(accounts, include=include, exclude=exclude, members=members)


# --- shards ------------------------------------------------------------------------------


def parse_shard(value: str) -> tuple[int, int]:
    """``"2/5"`` -> ``(2, 5)``: the second of five shards (1-based)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not match:
        raise InputError(f"--shard must look like K/N (e.g. 2/5), not {value!r}")
    k, n = int(match.group(1)), int(match.group(2))
    if not 1 <= k <= n:
        raise InputError(f"--shard {value}: K must be between 1 and N")
    return k, n


def shard_accounts(accounts: Sequence[Account], k: int, n: int) -> list[Account]:
    """Shard K of N: accounts sorted by id, every N-th from the K-th.

    Deterministic for a given account list, balanced (shard sizes differ by at most one),
    and every account is in exactly one of the N shards.
    """
    ordered = sorted({a.id: a for a in accounts}.values(), key=lambda a: a.id)
    return [a for i, a in enumerate(ordered) if i % n == k - 1]


# --- role hops ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AssumeOptions:
    """How to assume the collector role in each account."""

    role_name: str = "lpgen-collector"
    external_id: str | None = None
    session_name: str = "lpgen-collect"
    # Seconds; AWS allows 900 up to the role's MaxSessionDuration (default 3600).
    duration: int = 3600

    def __post_init__(self) -> None:
        if not _ROLE_NAME.match(self.role_name.strip("/")):
            raise InputError(f"--role-name: {self.role_name!r} is not an IAM role name")
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", self.session_name):
            raise InputError(
                f"--session-name: {self.session_name!r} must be 2-64 characters of "
                "letters, digits and +=,.@-"
            )
        if self.external_id is not None and not re.fullmatch(
            r"[\w+=,.@:/-]{2,1224}", self.external_id
        ):
            raise InputError("--external-id must be 2-1224 characters of letters, digits and "
                             "+=,.@:/-")  # fmt: skip
        if not 900 <= self.duration <= 43200:
            raise InputError(f"--duration must be 900..43200 seconds, not {self.duration}")

    def role_arn(self, partition: str, account_id: str) -> str:
        return f"arn:{partition}:iam::{account_id}:role/{self.role_name.strip('/')}"


def assume_role(sts: Any, role_arn: str, options: AssumeOptions) -> dict[str, Any]:
    """One AssumeRole call; returns the ``Credentials`` record."""
    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": options.session_name,
        "DurationSeconds": options.duration,
    }
    if options.external_id:
        params["ExternalId"] = options.external_id
    credentials: dict[str, Any] = sts.assume_role(**params)["Credentials"]
    return credentials

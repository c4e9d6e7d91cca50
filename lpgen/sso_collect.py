"""Find the roles IAM Identity Center provisions for the permission sets a tree declares.

Identity Center provisions a permission set into every account it is assigned to as an IAM
role at path ``/aws-reserved/sso.amazonaws.com/`` (``/aws-reserved/sso.amazonaws.com/<region>/``
for some instances) named ``AWSReservedSSO_<permission set name>_<16 hex digits>``
(IAM Identity Center User Guide, "Referencing permission sets in resource policies, Amazon
EKS, and AWS KMS": docs.aws.amazon.com/singlesignon/latest/userguide/
referencingpermissionsets.html). One read-only ``iam:ListRoles`` with that ``PathPrefix``,
every page, finds them; their Access Advisor reports are then collected like any role's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lpgen.awscalls import call_with_retries
from lpgen.errors import AwsError
from lpgen.model import Inventory

SSO_PATH_PREFIX = "/aws-reserved/sso.amazonaws.com/"
_ROLE_NAME = re.compile(r"^AWSReservedSSO_(?P<name>.+)_(?P<suffix>[0-9A-Za-z]+)$")
@dataclass(frozen=True)
class SsoRole:
    """A role Identity Center provisioned for a permission set, as ListRoles returned it."""

    permission_set: str
    name: str
    path: str
    arn: str


@dataclass(frozen=True)
class SsoDiscovery:
    roles: tuple[SsoRole, ...]
    # Declared permission sets with no role in the account (not assigned there, or not
    # provisioned yet): their usage in this account is not known.
    not_found: tuple[str, ...]


def permission_set_of(role_name: str, path: str | None = None) -> str | None:
    """The permission set name in ``AWSReservedSSO_<name>_<suffix>`` (None for other roles;
    with ``path``, only under the Identity Center path)."""
    if path is not None and not path.startswith(SSO_PATH_PREFIX):
        return None
    match = _ROLE_NAME.match(role_name)
    return match["name"] if match else None


def declared_permission_sets(inventory: Inventory) -> list[str]:
    """The names of the permission sets a tree declares (known statically), sorted."""
    return sorted({ps.name for ps in inventory.permission_sets if ps.name})


def find_sso_roles(
    client: Any,
    names: Iterable[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 6,
) -> SsoDiscovery:
    """List the ``AWSReservedSSO_*`` roles of the account behind ``client`` for ``names``.

    Every page is read (``IsTruncated``/``Marker``); throttling is retried with backoff. A
    failure is an :class:`~lpgen.errors.AwsError` naming the call.
    """
    wanted = {n.lower(): n for n in names}
    found: dict[str, list[SsoRole]] = {}
    if not wanted:
        return SsoDiscovery((), ())
    params: dict[str, object] = {"PathPrefix": SSO_PATH_PREFIX, "MaxItems": 1000}
    seen: set[str] = set()
    list_roles = client.list_roles
    while True:
        try:
            page = call_with_retries(list_roles, sleep=sleep, attempts=attempts, **params)
        except Exception as exc:
            raise AwsError(f"iam:ListRoles (PathPrefix {SSO_PATH_PREFIX}): {exc}") from None
        for role in page.get("Roles") or []:
            name = str(role.get("RoleName", ""))
            path = str(role.get("Path", "/"))
            ps = permission_set_of(name, path)
            if ps is None or ps.lower() not in wanted:
                continue
            declared = wanted[ps.lower()]
            found.setdefault(declared, []).append(
                SsoRole(declared, name, path, str(role.get("Arn", "")))
            )
        if not page.get("IsTruncated"):
            break
        marker = page.get("Marker")
        if not isinstance(marker, str) or marker in seen:
            raise AwsError("iam:ListRoles: IsTruncated without a new Marker; list incomplete")
        seen.add(marker)
        params["Marker"] = marker
    roles = tuple(r for n in sorted(found) for r in sorted(found[n], key=lambda r: r.arn))
    missing = tuple(n for n in sorted(wanted.values()) if n not in found)
    return SsoDiscovery(roles, missing)

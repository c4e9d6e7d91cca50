"""Small Access Advisor snapshots for tests: one report per customer-managed policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ACCOUNT = "111122223333"
COLLECTED = "2026-11-20T00:00:00+00:00"
USED = "2026-11-01T00:00:00+00:00"


def policy_snapshot(
    names: Iterable[str],
    services: Mapping[str, bool | Mapping[str, bool]],
    *,
    job_type: str | None = None,
) -> dict[str, Any]:
    """A snapshot holding a report for ``arn:aws:iam::ACCOUNT:policy/NAME`` of each name.

    ``services``: namespace -> used in the window (a service-level entry), or
    ``{action: used}`` (tracked actions; the service counts as used when one of them is).
    The job is ACTION_LEVEL when an action is tracked, SERVICE_LEVEL otherwise (``job_type``
    says otherwise)."""
    items = []
    tracked_any = False
    for ns, how in services.items():
        item: dict[str, Any] = {"ServiceNamespace": ns, "ServiceName": ns.upper()}
        if isinstance(how, Mapping):
            tracked_any = True
            if any(how.values()):
                item["LastAuthenticated"] = USED
            item["TrackedActionsLastAccessed"] = [
                {"ActionName": a, **({"LastAccessedTime": USED} if u else {})}
                for a, u in how.items()
            ]
        elif how:
            item["LastAuthenticated"] = USED
        items.append(item)
    kind = job_type or ("ACTION_LEVEL" if tracked_any else "SERVICE_LEVEL")
    return {
        "format": "lpgen.snapshot/1", "account_id": ACCOUNT, "partition": "aws",
        "collected_at": COLLECTED,
        "entities": [{
            "arn": f"arn:aws:iam::{ACCOUNT}:policy/{n}", "create_date": "2024-01-01T00:00:00Z",
            "details": {"JobStatus": "COMPLETED", "JobType": kind,
                        "ServicesLastAccessed": items},
        } for n in names],
    }  # fmt: skip

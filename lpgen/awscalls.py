"""Small helpers for read-only AWS calls outside the collect scheduler: error codes, retries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# Throttling and IAM's LimitExceeded, which botocore does not retry (see AWS_FACTS).
RETRY_CODES = frozenset({"Throttling", "ThrottlingException", "LimitExceeded"})


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (None for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        return str(code) if code else None
    return None


def call_with_retries(
    method: Callable[..., dict[str, Any]],
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 6,
    **params: Any,
) -> dict[str, Any]:
    """``method(**params)``, retried with exponential backoff (at most 30 s) on throttling."""
    for attempt in range(attempts + 1):
        try:
            return method(**params)
        except Exception as exc:
            if error_code(exc) in RETRY_CODES and attempt < attempts:
                sleep(min(30.0, 2.0**attempt))
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover

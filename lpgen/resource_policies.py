"""Resource policies that are not a policy attribute: ``aws_lambda_permission`` as a statement.

A Lambda permission is one statement of the function's resource policy written as
arguments: ``principal``, ``action``, and the conditions ``source_arn``, ``source_account``,
``principal_org_id``, ``event_source_token``. It is turned into the statement AWS stores,
so the exposure checks judge it like any other resource policy.
"""

from __future__ import annotations

from typing import Any

from lpgen.model import Location, Policy, PolicyDocument
from lpgen.policydoc import document_from_data
from lpgen.terraform.values import Unknown

LAMBDA_PERMISSION = "aws_lambda_permission"
# Shown for an argument known only after apply (a source ARN of a resource being created):
# it still restricts, whatever it turns out to be.
AFTER_APPLY = "(known after apply)"


def _text(value: Any) -> str | None:
    if isinstance(value, Unknown):
        return AFTER_APPLY
    return str(value) if isinstance(value, str) else None


def lambda_permission_document(values: dict[str, Any], location: Location) -> PolicyDocument:
    """The statement an ``aws_lambda_permission`` adds to its function's policy."""
    principal = _text(values.get("principal"))
    if principal is None:
        return PolicyDocument(unknown_reason="principal is not set", location=location)
    if principal == "*":
        who: Any = "*"
    elif principal.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        who = {"Service": principal}
    else:
        who = {"AWS": principal}
    condition: dict[str, dict[str, str]] = {}
    for arg, operator, key in (
        ("source_arn", "ArnLike", "AWS:SourceArn"),
        ("source_account", "StringEquals", "AWS:SourceAccount"),
        ("principal_org_id", "StringEquals", "aws:PrincipalOrgID"),
        ("event_source_token", "StringEquals", "lambda:EventSourceToken"),
        ("function_url_auth_type", "StringEquals", "lambda:FunctionUrlAuthType"),
    ):
        value = _text(values.get(arg))
        if value is not None:
            condition.setdefault(operator, {})[key] = value
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": who,
        "Action": _text(values.get("action")) or "lambda:InvokeFunction",
        "Resource": _text(values.get("function_name")) or "*",
    }
    sid = _text(values.get("statement_id"))
    if sid and sid != AFTER_APPLY:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    doc = document_from_data({"Version": "2012-10-17", "Statement": [statement]})
    doc.location = location
    for st in doc.statements:
        st.location = location
        st.not_editable = "the statement is written as aws_lambda_permission arguments"
    return doc


def lambda_permission_policy(address: str, values: dict[str, Any], location: Location) -> Policy:
    """The permission as a resource policy of the inventory (``description`` is its type)."""
    return Policy(
        address,
        None,
        location,
        kind="inline",
        document=lambda_permission_document(values, location),
        owner=address,
        description=LAMBDA_PERMISSION,
    )

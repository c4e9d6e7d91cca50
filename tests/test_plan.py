"""Reading `terraform show -json` plans, and checking a change (plan or --base)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lpgen.check import CheckOptions, run_check
from lpgen.errors import InputError
from lpgen.inventory import build_inventory
from lpgen.plan import load_plan, loads_plan, plan_inventories

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "check"
PLAN_DIR = DATA / "plan"
SNAPSHOT = ROOT / "terraform_examples" / "acme" / "snapshot.json"


# --- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "plan.json:1: invalid JSON: Expecting property name enclosed in double quotes"),
        ("[]", "plan.json: not a Terraform plan in JSON (expected the output of terraform show -json PLAN)"),
        ('{"format_version": "2.0", "resource_changes": []}', "plan.json: unsupported plan format_version 2.0 (expected 1.x)"),
        ('{"format_version": "1.0", "values": {}}', "plan.json: this JSON has no resource_changes: is it a state file? Give the plan (terraform show -json PLAN)"),
        ('{"format_version": "1.2", "resource_changes": [{"address": "x"}]}', "plan.json: resource_changes[0] is not a resource change"),
    ],
)  # fmt: skip
def test_bad_plans_are_input_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        loads_plan(text, file="plan.json")
    assert str(err.value) == message


def test_a_binary_plan_is_refused_with_the_command_to_convert_it(tmp_path: Path) -> None:
    binary = tmp_path / "tfplan"
    binary.write_bytes(b"PK\x03\x04rest-of-zip")
    with pytest.raises(InputError, match="binary plan file; convert it first: terraform show"):
        load_plan(binary)
    with pytest.raises(InputError, match="cannot read plan"):
        load_plan(tmp_path / "missing.json")


def test_plan_resources_and_configuration_are_joined() -> None:
    plan = load_plan(PLAN_DIR / "plan.json")
    by_address = {r.address: r for r in plan.resources}
    ci = by_address["aws_iam_group_policy_attachment.ci"]
    assert ci.created and not ci.deleted
    assert ci.unknown("policy_arn")
    assert ci.references("policy_arn") == ["aws_iam_policy.ci.arn", "aws_iam_policy.ci"]
    module = by_address["module.bucket.aws_s3_bucket_policy.this"]
    assert module.config is not None and module.config["address"] == "aws_s3_bucket_policy.this"
    assert by_address["aws_iam_policy.data"].deleted
    assert plan.account_ids() == {"111122223333"}


# --- inventories -----------------------------------------------------------------------------


def test_before_and_after_inventories_from_a_plan() -> None:
    before, after = plan_inventories(load_plan(PLAN_DIR / "plan.json"))
    assert {p.address for p in before.policies} == {
        "aws_iam_policy.developers",
        "aws_iam_policy.data",
    }
    assert {p.address for p in after.policies} == {"aws_iam_policy.developers", "aws_iam_policy.ci"}
    ci = after.policy_at("aws_iam_policy.ci")
    assert ci is not None and ci.arn == "arn:aws:iam::111122223333:policy/machines/acme-ci"
    attachment = next(a for a in after.attachments if a.address.endswith(".ci"))
    # The ARN of a policy created by the same plan is known only after apply: the
    # configuration's references say which policy it is.
    assert (attachment.policy, attachment.target) == ("aws_iam_policy.ci", "acme-developers")
    assert [(m.user, m.group) for m in after.memberships] == [("bob.martin", "acme-developers")]
    # Without the source, everything is located at the plan file, line 1.
    assert str(ci.location) == str(PLAN_DIR / "plan.json") + ":1"
    bucket = after.resource_policies[0]
    assert bucket.address == "module.bucket.aws_s3_bucket_policy.this"
    assert bucket.document is not None and bucket.document.statements[0].principals == "*"


def test_plan_entities_are_located_in_the_source() -> None:
    source = build_inventory(PLAN_DIR)
    _before, after = plan_inventories(load_plan(PLAN_DIR / "plan.json"), source=source)
    developers = after.policy_at("aws_iam_policy.developers")
    assert developers is not None and str(developers.location) == "main.tf:23"
    assert developers.document is not None
    deploy = developers.document.statements[1]
    assert str(deploy.location) == "main.tf:36"
    assert [str(e.location) for e in deploy.actions or []] == ["main.tf:39"]
    bucket = after.resource_policies[0]
    assert str(bucket.location) == "modules/bucket/main.tf:5"


def plan_of(changes: list[dict[str, Any]], config: dict[str, Any] | None = None) -> str:
    return json.dumps({
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": {"root_module": config or {}},
    })  # fmt: skip


def change(
    address: str, after: dict[str, Any], unknown: dict[str, Any], index: Any = None
) -> dict[str, Any]:
    rtype, rest = address.split(".", 1)
    name = rest.split("[", 1)[0]
    out: dict[str, Any] = {"address": address, "mode": "managed", "type": rtype, "name": name}
    if index is not None:
        out["index"] = index
    out["change"] = {
        "actions": ["create"],
        "before": None,
        "after": after,
        "after_unknown": unknown,
    }
    return out


def test_for_each_references_pick_the_instance_with_the_same_key() -> None:
    doc = '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    text = plan_of(
        [
            change('aws_iam_policy.team["a"]', {"name": "a", "policy": doc}, {"arn": True}, "a"),
            change('aws_iam_policy.team["b"]', {"name": "b", "policy": doc}, {"arn": True}, "b"),
            change('aws_iam_group_policy_attachment.team["b"]', {"group": "b"},
                   {"policy_arn": True}, "b"),
            change("aws_iam_group_policy_attachment.lost", {"group": "c"}, {"policy_arn": True}),
        ],
        {"resources": [
            {"address": "aws_iam_group_policy_attachment.team",
             "expressions": {"policy_arn": {"references": ["aws_iam_policy.team"]}}},
        ]},
    )  # fmt: skip
    _before, after = plan_inventories(loads_plan(text))
    assert [(a.address, a.policy) for a in after.attachments] == [
        ('aws_iam_group_policy_attachment.team["b"]', 'aws_iam_policy.team["b"]'),
        ("aws_iam_group_policy_attachment.lost", None),
    ]
    assert [(u.address, u.message) for u in after.unresolved] == [
        ("aws_iam_group_policy_attachment.lost", "policy_arn is known only after apply"),
    ]


def test_a_policy_known_only_after_apply_is_not_judged() -> None:
    text = plan_of([change("aws_iam_policy.p", {"name": "p"}, {"policy": True, "arn": True})])
    _before, after = plan_inventories(loads_plan(text))
    policy = after.policy_at("aws_iam_policy.p")
    assert policy is not None and policy.document is not None
    assert policy.document.unknown_reason == "policy is known only after apply"


# --- checking a plan -------------------------------------------------------------------------


def test_check_a_plan_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    plan = "tests/data/check/plan/plan.json"
    result = run_check(None, plan=plan, snapshots=[SNAPSHOT], options=CheckOptions(use_git=False, ignore=("LP05",)))
    assert {f.file for f in result.findings} == {plan}
    assert {f.line for f in result.findings} == {1}
    assert sorted((f.code, f.address or "") for f in result.findings) == [
        ("LP002", "aws_iam_group_policy_attachment.ci"),
        ("LP002", "aws_iam_policy.ci"),
        ("LP002", "aws_iam_policy.developers"),
        ("LP003", "aws_iam_policy.data"),
        ("LP003", "aws_iam_policy.developers"),
        ("LP013", "aws_iam_policy.ci"),
        ("LP013", "aws_iam_policy.developers"),
        ("LP015", "aws_iam_policy.ci"),
        ("LP018", "aws_iam_policy.developers"),
        ("LP023", "aws_iam_group.data"),
        ("LP040", "module.bucket.aws_s3_bucket_policy.this"),
    ]


def test_check_a_plan_with_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PLAN_DIR)
    result = run_check(
        ".", plan="plan.json", snapshots=[SNAPSHOT], options=CheckOptions(use_git=False, ignore=("LP05",))
    )
    got = [(f.code, f.file, f.line, f.severity.label) for f in result.findings]
    assert got == [
        ("LP023", "main.tf", 8, "low"),
        ("LP003", "main.tf", 23, "high"),
        ("LP018", "main.tf", 33, "low"),
        ("LP002", "main.tf", 39, "high"),
        ("LP013", "main.tf", 39, "high"),
        ("LP002", "main.tf", 59, "high"),
        ("LP013", "main.tf", 59, "high"),
        ("LP015", "main.tf", 59, "medium"),
        ("LP002", "main.tf", 65, "high"),
        ("LP040", "modules/bucket/main.tf", 9, "critical"),
        # The deleted policy has no line left in the source: it points at the plan.
        ("LP003", "plan.json", 1, "high"),
    ]
    messages = {(f.code, f.address): f.message for f in result.findings}
    assert messages[("LP003", "aws_iam_policy.developers")] == (
        "Change removes from policy 'acme-developers': ec2:StopInstances, lambda:GetFunction "
        "(used in the window); sqs:SendMessage (of sqs, used in the window; Access Advisor "
        "does not track these actions one by one)"
    )
    assert messages[("LP002", "aws_iam_group_policy_attachment.ci")] == (
        "Change attaches policy 'acme-ci' to group 'acme-developers', which newly gets "
        "iam:CreatePolicyVersion on every resource"
    )


def test_without_a_snapshot_removals_are_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PLAN_DIR)
    result = run_check(".", plan="plan.json", options=CheckOptions(use_git=False, ignore=("LP05",)))
    assert "LP003" in result.skipped_checks
    new = [f for f in result.findings if f.code == "LP002"]
    assert new[0].message.endswith("(no usage data to show they are needed)")


# --- checking a change against a base tree -------------------------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")


def developers(actions: str) -> str:
    return f"""
    resource "aws_iam_group" "developers" {{
      name = "acme-developers"
      path = "/teams/"
    }}
    resource "aws_iam_policy" "developers" {{
      name = "acme-developers"
      path = "/teams/"
      policy = jsonencode({{
        Statement = [{{ Effect = "Allow", Action = [{actions}], Resource = "*" }}]
      }})
    }}
    resource "aws_iam_group_policy_attachment" "developers" {{
      group      = aws_iam_group.developers.name
      policy_arn = aws_iam_policy.developers.arn
    }}
    """


def test_base_tree_finds_new_and_removed_grants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path / "base",
        {"iam.tf": developers('"ec2:StartInstances", "ec2:RebootInstances", "lambda:GetFunction"')},
    )
    write(tmp_path / "head", {"iam.tf": developers('"ec2:StartInstances", "iam:AttachUserPolicy"')})
    monkeypatch.chdir(tmp_path)
    result = run_check(
        "head", base="base", snapshots=[SNAPSHOT],
        options=CheckOptions(use_git=False, select=("LP002", "LP003")),
    )  # fmt: skip
    assert [(f.code, f.file, f.line, f.message) for f in result.findings] == [
        ("LP003", "head/iam.tf", 6,
         "Change removes from policy 'acme-developers': lambda:GetFunction (used in the window)"),
        ("LP002", "head/iam.tf", 10,
         "Policy 'acme-developers' newly allows iam:AttachUserPolicy on every resource"),
    ]  # fmt: skip
    # ec2:RebootInstances went too, but the snapshot shows it unused: a safe removal.


def test_moving_a_grant_to_another_policy_is_not_a_removal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "base", {"iam.tf": developers('"lambda:GetFunction"')})
    write(tmp_path / "head", {"iam.tf": developers('"ec2:StartInstances"') + """
    resource "aws_iam_group_policy" "lambda" {
      name   = "lambda"
      group  = aws_iam_group.developers.name
      policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "lambda:*", Resource = "*" }] })
    }
    """})  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = run_check(
        "head", base="base", snapshots=[SNAPSHOT],
        options=CheckOptions(use_git=False, select=("LP003",)),
    )  # fmt: skip
    assert result.findings == ()


def test_base_and_plan_are_alternatives() -> None:
    with pytest.raises(InputError, match="--base and --plan"):
        run_check(str(PLAN_DIR), plan=PLAN_DIR / "plan.json", base=str(PLAN_DIR))
    with pytest.raises(InputError, match="give the Terraform PATH, a --plan, or both"):
        run_check(None)


def test_new_service_wildcard_is_one_grant() -> None:
    from lpgen.checks.changes import new_grants
    from lpgen.policydoc import document_from_value

    before = document_from_value(
        '{"Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}'
    )
    after = document_from_value(
        '{"Statement": [{"Effect": "Allow", "Action": ["iam:*", "s3:GetObject", "kms:PutKeyPolicy"], '
        '"Resource": "*"}]}'
    )
    assert [g.label for g in new_grants(before, after)] == [
        "iam:* on every resource",
        "kms:PutKeyPolicy on every resource",
    ]
    assert new_grants(after, after) == []

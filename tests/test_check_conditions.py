"""Conditions judged by their values (LP040, LP041) and OIDC trust segment by segment (LP042)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lpgen.checks.oidc import web_identity_problem
from lpgen.conditions import RESTRICTING_KEYS, covers_internet, external_id, restricts
from lpgen.findings import Severity
from tests.test_check_rules import role, run


def public(name: str, condition: str) -> str:
    return role(
        name,
        f"""{{ Effect = "Allow", Principal = {{ AWS = "*" }}, Action = "sts:AssumeRole"
              Condition = {condition} }}""",
    )


def test_public_principal_conditions_are_judged_by_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "roles.tf": public("internet", '{ IpAddress = { "aws:SourceIp" = "0.0.0.0/0" } }')
        + public("internet6", '{ IpAddress = { "aws:SourceIp" = ["10.0.0.0/8", "::/0"] } }')
        + public("office", '{ IpAddress = { "aws:SourceIp" = "203.0.113.0/24" } }')
        + public("anyaccount", '{ StringLike = { "aws:PrincipalArn" = "arn:aws:iam::*:role/deploy" } }')
        + public("oneaccount", '{ ArnLike = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/*" } }')
        + public("vpce", '{ StringEquals = { "aws:VpceAccount" = "111122223333" } }')
        + public("org", '{ StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } }')
        + public("anyorg", '{ StringLike = { "aws:PrincipalOrgID" = "o-*" } }')
        + public("negated", '{ StringNotEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } }')
        + public("ifexists", '{ StringEqualsIfExists = { "aws:SourceVpce" = "vpce-1a2b" } }')
        + public("sourcevpc", '{ StringEquals = { "aws:SourceVpc" = "vpc-1a2b" } }')
        + public("resorg", '{ StringEquals = { "aws:ResourceOrgID" = "o-a1b2c3d4e5" } }')
        + public("orgpaths", '{ "ForAnyValue:StringLike" = { "aws:PrincipalOrgPaths" = "o-a1b2c3d4e5/r-ab12/*" } }'),
    })  # fmt: skip
    got = {f.address.split(".")[1]: f.message for f in result.findings if f.code == "LP040"}
    assert sorted(got) == ["anyaccount", "anyorg", "ifexists", "internet", "internet6", "negated"]
    assert got["internet"] == (
        "Role 'internet' can be assumed by any AWS principal, with a condition that matches "
        "everyone (aws:sourceip '0.0.0.0/0') (statement 1)"
    )
    assert "aws:principalarn 'arn:aws:iam::*:role/deploy'" in got["anyaccount"]
    assert got["negated"].endswith("with no condition that limits who (statement 1)")


@pytest.mark.parametrize(
    ("cidr", "internet"),
    [("0.0.0.0/0", True), ("::/0", True), ("0.0.0.0/1", True), ("10.0.0.0/8", False),
     ("203.0.113.7/32", False), ("2001:db8::/32", False), ("not-a-cidr", False)],
)  # fmt: skip
def test_covers_internet(cidr: str, internet: bool) -> None:
    assert covers_internet(cidr) is internet


def test_external_id_must_have_a_value() -> None:
    assert external_id({"StringEquals": {"sts:ExternalId": ""}}) == []
    assert external_id({"StringLike": {"sts:ExternalId": "*"}}) == []
    assert external_id({"StringEqualsIfExists": {"sts:ExternalId": "x"}}) == []
    assert external_id({"StringEquals": {"sts:ExternalId": ["acme-7f3c"]}}) == ["acme-7f3c"]
    assert not restricts({"Null": {"aws:PrincipalOrgID": "false"}}, RESTRICTING_KEYS)
    assert not restricts(
        {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-1"}}, RESTRICTING_KEYS
    )


def partner(name: str, condition: str, principal: str = "arn:aws:iam::444455556666:root") -> str:
    return role(
        name,
        f"""{{ Effect = "Allow", Principal = {{ AWS = "{principal}" }}, Action = "sts:AssumeRole"
              Condition = {condition} }}""",
    )


def test_cross_account_guards_are_judged_by_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "roles.tf": partner("emptyid", '{ StringEquals = { "sts:ExternalId" = "" } }')
        + partner("goodid", '{ StringEquals = { "sts:ExternalId" = "acme-7f3c2a" } }')
        + partner("org", '{ StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } }')
        + partner("mfa", '{ Bool = { "aws:MultiFactorAuthPresent" = "true" } }',
                  "arn:aws:iam::999988887777:root"),
    }, account_id="111122223333")  # fmt: skip
    got = {f.address.split(".")[1]: (f.severity, f.message) for f in result.findings}
    assert sorted(got) == ["emptyid", "mfa"]
    assert got["emptyid"][0] == Severity.HIGH
    assert got["mfa"] == (
        Severity.LOW,
        "Role 'mfa' can be assumed from account 999988887777 without an sts:ExternalId or "
        "aws:PrincipalOrgID condition (MFA required: people of a central account) (statement 1)",
    )


GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"


def oidc(federated: str, op: str, key: str, value: str, aud: tuple[str, str] | None = None) -> str:
    cond = {op: {key: value}}
    if aud is not None:
        cond.setdefault("StringEquals", {})[aud[0]] = aud[1]
    return json.dumps(
        {"Effect": "Allow", "Principal": {"Federated": federated},
         "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("host", "sub", "severity", "text"),
    [
        # GitHub: organization, repository, branch / environment.
        ("token.actions.githubusercontent.com", "repo:myOrg*", Severity.HIGH,
         "every organization whose name matches 'myOrg*'"),
        ("token.actions.githubusercontent.com", "repo:*", Severity.HIGH, "of any repository"),
        ("token.actions.githubusercontent.com", "*", Severity.HIGH, "of any repository"),
        ("token.actions.githubusercontent.com", "repo:myOrg/*", Severity.MEDIUM,
         "any repository of organization 'myOrg'"),
        ("token.actions.githubusercontent.com", "repo:myOrg/app:*", Severity.LOW,
         "any branch, tag, environment or pull request of myOrg/app"),
        ("token.actions.githubusercontent.com", "repo:myOrg/app:ref:refs/heads/*", Severity.LOW,
         "any branch"),
        ("token.actions.githubusercontent.com", "repo:myOrg/app:ref:refs/heads/main", None, ""),
        ("token.actions.githubusercontent.com", "repo:myOrg/app:environment:prod", None, ""),
        ("token.actions.githubusercontent.com", "repo:myOrg/app:ref:refs/heads/release-*", None,
         ""),
        # A customised sub that starts with a claim the repository chooses.
        ("token.actions.githubusercontent.com",
         "workflow:deploy:repo:myOrg/app:ref:refs/heads/main", Severity.HIGH,
         "names its workflow to match"),
        # GitLab: group, project, ref.
        ("gitlab.com", "project_path:*", Severity.HIGH, "any group"),
        ("gitlab.com", "project_path:acme/*", Severity.MEDIUM, "any project of group 'acme'"),
        ("gitlab.com", "project_path:acme/app:*", Severity.LOW, "any branch or tag of acme/app"),
        ("gitlab.com", "project_path:acme/app:ref_type:branch:ref:main", None, ""),
        # Terraform Cloud: organization, project, workspace.
        ("app.terraform.io", "organization:*", Severity.HIGH, "any organization"),
        ("app.terraform.io", "organization:acme:project:*:workspace:*:run_phase:*",
         Severity.MEDIUM, "any workspace of organization 'acme'"),
        ("app.terraform.io", "organization:acme:project:core:workspace:prod:run_phase:*", None, ""),
        # Bitbucket and CircleCI: the provider pins the workspace / organization.
        ("api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc", "*",
         Severity.MEDIUM, "any repository of the workspace"),
        ("api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc",
         "{7e8f0a2b-1111-2222-3333-444455556666}:*", None, ""),
        ("oidc.circleci.com/org/1b2c", "org/1b2c/project/*/user/*", Severity.MEDIUM,
         "any project of the organization"),
        ("oidc.circleci.com/org/1b2c", "org/1b2c/project/9f8e/user/*", None, ""),
        # EKS (IRSA): namespace, service account.
        ("oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "system:serviceaccount:*:*",
         Severity.HIGH, "any namespace"),
        ("oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "system:serviceaccount:apps:*",
         Severity.MEDIUM, "any service account in namespace 'apps'"),
        ("oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "system:serviceaccount:apps:web", None, ""),
    ],
)  # fmt: skip
def test_oidc_subjects_segment_by_segment(
    host: str, sub: str, severity: Severity | None, text: str
) -> None:
    federated = f"arn:aws:iam::111122223333:oidc-provider/{host}"
    got = web_identity_problem([federated], {"StringLike": {f"{host}:sub": sub}})
    if severity is None:
        assert got is None
    else:
        assert got is not None and got[1] == severity and text in got[0], got


@pytest.mark.parametrize(
    "host",
    ["gitlab.com", "app.terraform.io", "oidc.eks.us-east-1.amazonaws.com/id/ABC",
     "token.actions.githubusercontent.com"],
)  # fmt: skip
def test_oidc_without_a_sub_condition_is_reported(host: str) -> None:
    federated = f"arn:aws:iam::111122223333:oidc-provider/{host}"
    got = web_identity_problem([federated], {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"}})
    assert got is not None and got[1] == Severity.HIGH


def test_oidc_enterprise_issuer_keys_count_as_the_sub_claim() -> None:
    host = "token.actions.githubusercontent.com"
    cond = {"StringEquals": {f"{host}/acme:sub": "repo:acme/app:ref:refs/heads/main"}}
    assert web_identity_problem([f"arn:aws:iam::1:oidc-provider/{host}"], cond) is None


def test_oidc_equality_takes_wildcards_literally() -> None:
    host = "token.actions.githubusercontent.com"
    cond = {"StringEquals": {f"{host}:sub": "repo:myOrg/app:*"}}
    assert web_identity_problem([f"arn:aws:iam::1:oidc-provider/{host}"], cond) is None


def test_oidc_findings_in_a_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = "token.actions.githubusercontent.com"
    result = run(tmp_path, monkeypatch, {
        "roles.tf": role("prefix", oidc(GITHUB, "StringLike", f"{host}:sub", "repo:myOrg*",
                                        (f"{host}:aud", "sts.amazonaws.com")))
        + role("pinned", oidc(GITHUB, "StringEquals", f"{host}:sub",
                              "repo:myOrg/app:ref:refs/heads/main",
                              (f"{host}:aud", "sts.amazonaws.com"))),
    })  # fmt: skip
    assert [(f.code, f.address, f.severity) for f in result.findings] == [
        ("LP042", "aws_iam_role.prefix", Severity.HIGH)
    ]


def test_admin_under_a_condition_is_still_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_check_rules import policy

    result = run(tmp_path, monkeypatch, {
        "p.tf": policy("breakglass", """{ Effect = "Allow", Action = "*", Resource = "*",
            Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } } }"""),
    })  # fmt: skip
    assert [(f.code, f.severity, f.message) for f in result.findings] == [
        ("LP010", Severity.HIGH,
         "Policy 'breakglass' allows every action on every resource under a condition "
         "(aws:MultiFactorAuthPresent) (statement 1)"),
    ]  # fmt: skip


VENDOR = partner("vendor", "{}").replace("Condition = {}", "")
OWN = partner("own", "{}", "arn:aws:iam::111122223333:role/ci").replace("Condition = {}", "")


@pytest.mark.parametrize(
    "files",
    [
        {"providers.tf": 'provider "aws" {\n  allowed_account_ids = [var.account]\n}\n'
                         'variable "account" {}\n',
         "terraform.tfvars": 'account = "111122223333"\n'},
        {"providers.tf": 'provider "aws" {\n  region = "eu-west-1"\n  assume_role {\n'
                         '    role_arn = "arn:aws:iam::111122223333:role/terraform"\n  }\n}\n'},
        {"variables.tf": 'variable "account_id" { type = string }\n',
         "terraform.tfvars": 'account_id = "111122223333"\n'},
    ],
    ids=["allowed_account_ids", "assume_role", "tfvars"],
)  # fmt: skip
def test_the_own_account_is_learned_from_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
) -> None:
    result = run(tmp_path, monkeypatch, {"roles.tf": VENDOR + OWN, **files})
    assert [(f.address, f.severity) for f in result.findings] == [
        ("aws_iam_role.vendor", Severity.HIGH)
    ]
    assert "could not be compared" not in result.findings[0].message


def test_the_own_account_from_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from lpgen.cli import main

    (tmp_path / "roles.tf").write_text(VENDOR + OWN)
    (tmp_path / ".lpgen.toml").write_text('account_id = "111122223333"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", ".", "--no-git", "--ignore", "LP05"])
    assert result.exit_code == 1, result.output
    assert "aws_iam_role.vendor" in result.output
    assert "aws_iam_role.own" not in result.output


def test_a_tree_that_follows_the_practices_has_no_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MFA enforced through the group, ExternalId on the partner's trust, GitHub OIDC pinned
    to a repository and branch, scoped policies, CIS password policy, guardrails, Identity
    Center: every rule runs (guardrails included) and none fires."""
    from lpgen.check import CheckOptions, run_check

    monkeypatch.chdir(Path(__file__).resolve().parent / "data" / "check" / "good")
    result = run_check(".", options=CheckOptions(use_git=False))
    assert result.findings == ()
    assert result.notes == ()
    inv = result.inventory
    assert inv is not None and {a.account_id for a in inv.account_sources} == {"111122223333"}
    assert [ps.name for ps in inv.permission_sets] == ["ReadOnly"]


def test_a_public_principal_pinned_to_another_account_is_cross_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "roles.tf": public("other", '{ StringEquals = { "aws:PrincipalAccount" = "444455556666" } }')
        + public("own", '{ ArnLike = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/ci-*" } }'),
    }, account_id="111122223333")  # fmt: skip
    assert [(f.code, f.address) for f in result.findings] == [("LP041", "aws_iam_role.other")]

"""lpgen against other scanners' own test cases (tests/data/check/peers, see its README).

For each vendored case: the resources the peer expects to fail, the ones lpgen reports besides
(``extra``) and the ones it does not (``missing``), each with the reason lpgen differs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lpgen.check import CheckOptions, run_check
from lpgen.inventory import InventoryOptions

PEERS = Path(__file__).resolve().parent / "data" / "check" / "peers"

CASES = {
    # CKV_AWS_70: S3 bucket does not allow an action with any principal.
    "checkov/S3AllowsAnyPrincipal": (
        ("LP040",),
        {"aws_s3_bucket.fail", "aws_s3_bucket.fail2", "aws_s3_bucket.fail3",
         "aws_s3_bucket_policy.fail", "aws_s3_bucket.fail_w_condition",
         "aws_s3_bucket_policy.fail_w_condition"},
        {
            # Principal "*" with ArnNotEquals aws:PrincipalArn: everyone but one user. A negated
            # operator restricts nothing; Checkov passes it.
            "aws_s3_bucket.pass_w_condition": "negated condition",
            "aws_s3_bucket_policy.pass_w_condition": "negated condition",
            # Public through a data "aws_iam_policy_document"; Checkov does not follow it.
            "aws_s3_bucket_policy.json": "policy from a data source",
        },
        {},
    ),
    # CKV_AWS_168: SQS queue policy is not public.
    "checkov/SQSQueuePolicyAnyPrincipal": (
        ("LP040",),
        {"aws_sqs_queue_policy.q2", "aws_sqs_queue_policy.q3", "aws_sqs_queue_policy.q4",
         "aws_sqs_queue_policy.q5", "aws_sqs_queue.aq2", "aws_sqs_queue.aq3",
         "aws_sqs_queue.aq4", "aws_sqs_queue.aq5"},
        {},
        {},
    ),
    # CKV_AWS_364: Lambda permissions for AWS services are limited by SourceArn/SourceAccount.
    "checkov/LambdaServicePermission": (
        ("LP044",),
        {"aws_lambda_permission.ckv_unittest_fail"},
        {},
        {},
    ),
    # CKV_AWS_301: Lambda function is not public.
    "checkov/LambdaFunctionIsNotPublic": (
        ("LP040",),
        {"aws_lambda_permission.fail"},
        {},
        {
            # principal "*" with source_arn of one EventBridge rule: aws:SourceArn pins the
            # caller to that rule (IAM Access Analyzer does not call it public either).
            "aws_lambda_permission.fail": "source_arn restricts",
        },
    ),
    # CKV_AWS_393: GitHub Actions OIDC trust only allows safe claims and claim order.
    "checkov/GithubActionsOIDCTrustPolicyOnRole": (
        ("LP042",),
        {"aws_iam_role.fail1", "aws_iam_role.fail2", "aws_iam_role.fail-wildcard",
         "aws_iam_role.fail-abusable", "aws_iam_role.fail-wildcard-assertion",
         "aws_iam_role.fail-misused-repo"},
        {
            # StringLike "repo:ORG/REPO:*": any branch, tag or pull request (low).
            "aws_iam_role.pass_aud_first": "branch segment open",
            "aws_iam_role.pass2": "branch segment open",
            # StringLike "repo:freddiemac/*": any repository of the organization (medium).
            "aws_iam_role.pass-fm-customer": "repository segment open",
        },
        {
            # StringEquals compares literally: "invalid", "*", "repo:*" and "repo:myOrg*" match
            # no token at all. The role cannot be assumed: broken, not open.
            "aws_iam_role.fail2": "literal value",
            "aws_iam_role.fail-wildcard": "literal value",
            "aws_iam_role.fail-wildcard-assertion": "literal value",
            "aws_iam_role.fail-misused-repo": "literal value",
        },
    ),
    # KICS: cross-account assume-role policy without ExternalId or MFA. positive3 is the
    # empty sts:ExternalId.
    "kics/cross_account_iam_assume_role_policy_without_external_id_or_mfa": (
        ("LP041",),
        {"aws_iam_role.positive1", "aws_iam_role.positive2", "aws_iam_role.positive3"},
        {
            # Bool aws:MultiFactorAuthPresent true: KICS accepts it; lpgen reports the
            # hub-and-spoke pattern at low severity, since the other account decides who its
            # people are.
            "aws_iam_role.negative2": "MFA-gated trust, low",
        },
        {},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_peer_cases(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    codes, peer_fails, extra, missing = CASES[case]
    monkeypatch.chdir(PEERS / case)
    result = run_check(
        ".",
        options=CheckOptions(use_git=False, select=codes),
        inventory_options=InventoryOptions(account_id="123456789012"),
    )
    reported = {f.address for f in result.findings}
    if case.startswith("kics/cross_account"):
        severities = {f.address: f.severity.label for f in result.findings}
        assert severities["aws_iam_role.negative2"] == "low"
    assert reported == (peer_fails - set(missing)) | set(extra)

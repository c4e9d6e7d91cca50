"""Account guardrails the best practices call for, as far as the tree shows them (LP050-LP053).

These are info-level: the guardrails may live in another tree that manages the same account.
They apply to a tree that manages people's IAM (it declares IAM users or groups); `lpgen
baseline` writes a module that provides all of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from lpgen.checks.context import CheckContext
from lpgen.checks.credentials import document_enforces_mfa
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.model import Location

_BASELINE = "Run `lpgen baseline --out guardrails` and call the module it writes"

register(
    Rule(
        code="LP050",
        name="guardrail-password-policy",
        title="No account password policy declared",
        severity=Severity.INFO,
        rationale=(
            "Without an account password policy IAM accepts any password of 8 characters "
            "and never asks for a change. The tree that manages the account's IAM users is "
            "the place to set length, character classes, reuse and age."
        ),
        fix=(
            "Declare `aws_iam_account_password_policy` (minimum length 14, all character "
            f"classes, reuse prevention 24). {_BASELINE} (part `password-policy`)."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
        ),
    )
)
register(
    Rule(
        code="LP051",
        name="guardrail-root-activity-alert",
        title="No alert on root user activity",
        severity=Severity.INFO,
        rationale=(
            "The root user can do anything and should almost never be used. An EventBridge "
            "rule on events whose `userIdentity.type` is `Root` (console sign-in and API "
            "calls) tells the security team at once when it is."
        ),
        fix=(
            "Declare an `aws_cloudwatch_event_rule` whose pattern matches "
            "`detail.userIdentity.type = [\"Root\"]` with an SNS target. "
            f"{_BASELINE} (part `root-alert`)."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html",
            "https://aws.amazon.com/blogs/mt/monitor-and-notify-on-aws-account-root-user-activity/",
        ),
    )
)
register(
    Rule(
        code="LP052",
        name="guardrail-access-analyzer",
        title="No IAM Access Analyzer analyzer for external access",
        severity=Severity.INFO,
        rationale=(
            "IAM Access Analyzer continuously reports resources and roles shared outside the "
            "account or organization, which policy review in a pull request cannot see once "
            "other trees or the console change them."
        ),
        fix=(
            "Declare an `aws_accessanalyzer_analyzer` of type `ACCOUNT` (or `ORGANIZATION` in "
            f"the delegated administrator account). {_BASELINE} (part `access-analyzer`)."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html",
        ),
    )
)
register(
    Rule(
        code="LP053",
        name="guardrail-mfa-policy",
        title="No policy that enforces MFA",
        severity=Severity.INFO,
        rationale=(
            "IAM cannot require MFA by a setting; a policy that denies everything but MFA "
            "set-up to requests without `aws:MultiFactorAuthPresent`, attached to every group "
            "of console users, is how an account enforces it."
        ),
        fix=(
            "Declare the \"require MFA\" policy and attach it to the groups of console users. "
            f"{_BASELINE} (part `mfa`) with `--console-group` for each such group."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage.html",
        ),
    )
)


def check_guardrails(ctx: CheckContext) -> Iterator[Finding]:
    """LP050-LP053."""
    inv = ctx.inventory
    people = [*inv.users, *inv.groups]
    if not people:
        return
    anchor: Location = min(
        (e.location for e in people), key=lambda loc: (loc.file, loc.line)
    )
    where = f"this tree manages {len(inv.users)} IAM user(s) and {len(inv.groups)} group(s)"
    if not inv.password_policies and not inv.login_profiles:
        # With console users, LP034 already says it louder.
        yield ctx.finding(
            "LP050",
            f"No aws_iam_account_password_policy is declared ({where})",
            location=anchor,
            subject="account",
        )
    if not any(g.kind == "root-activity-alert" for g in inv.guardrails):
        yield ctx.finding(
            "LP051",
            f"No EventBridge rule alerts on root user activity ({where})",
            location=anchor,
            subject="account",
        )
    if not any(
        g.kind == "access-analyzer" and "UNUSED" not in g.detail.upper() for g in inv.guardrails
    ):
        yield ctx.finding(
            "LP052",
            f"No IAM Access Analyzer analyzer for external access is declared ({where})",
            location=anchor,
            subject="account",
        )
    documents = [p.document for p in inv.policies if p.document is not None]
    if any(d.unknown_reason for d in documents):
        return  # a policy lpgen cannot read might be the one enforcing MFA
    if not any(document_enforces_mfa(d) for d in documents):
        yield ctx.finding(
            "LP053",
            f"No policy in the tree denies access without MFA ({where})",
            location=anchor,
            subject="account",
        )

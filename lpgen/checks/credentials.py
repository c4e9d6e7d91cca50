"""Credentials declared in Terraform: access keys, console users, MFA, the password policy."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from lpgen.checks.context import CheckContext, short_list
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.model import PolicyDocument, Statement
from lpgen.semantics import is_deny, resources_are_star

ACCESS_KEY = register(
    Rule(
        code="LP030",
        name="long-lived-access-key",
        title="IAM user access key declared in Terraform",
        severity=Severity.LOW,
        rationale=(
            "An access key is a long-lived credential: it works from anywhere until someone "
            "deletes it, ends up in CI settings, laptops and logs, and is the most common "
            "starting point of AWS account compromises. Roles give short-lived credentials "
            "instead: OIDC federation for CI (GitHub Actions, GitLab), instance and task roles "
            "on AWS, IAM Identity Center for people."
        ),
        fix=(
            "Replace the user and its `aws_iam_access_key` with an `aws_iam_role` the "
            "workload assumes (for CI, trust the provider's OIDC identity provider with a "
            "`sub` condition). If a key is unavoidable, rotate it and give it a `pgp_key`."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-workloads-use-roles",
            "https://docs.github.com/actions/deployment/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services",
        ),
    )
)
KEY_WITHOUT_PGP = register(
    Rule(
        code="LP031",
        name="access-key-secret-in-state",
        title="Access key secret stored unencrypted in the Terraform state",
        severity=Severity.HIGH,
        rationale=(
            "Without `pgp_key`, `aws_iam_access_key` writes the secret access key in plain "
            "text into the Terraform state, where everyone who can read the state bucket, "
            "a plan artifact or a CI log of `terraform show` can use it."
        ),
        fix=(
            "Set `pgp_key` (a `keybase:` user or a base64 public key) so the state only holds "
            "`encrypted_secret`, and rotate the key whose secret was in the state. Better, "
            "use a role instead of a key."
        ),
        references=(
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_access_key",
            "https://developer.hashicorp.com/terraform/language/state/sensitive-data",
        ),
    )
)
KEY_ON_CONSOLE_USER = register(
    Rule(
        code="LP032",
        name="key-and-console-user",
        title="Console user also has an access key",
        severity=Severity.MEDIUM,
        rationale=(
            "A person who signs in to the console rarely needs a long-lived key: the AWS CLI "
            "can use IAM Identity Center or temporary credentials. A key beside a password "
            "is a second way in with the same permissions and no MFA."
        ),
        fix=(
            "Delete the `aws_iam_access_key` and use temporary credentials (`aws sso login`, "
            "`aws sts get-session-token`). If it is a machine user, remove its "
            "`aws_iam_user_login_profile` instead."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-users-federation-idp",
        ),
    )
)
MFA_NOT_ENFORCED = register(
    Rule(
        code="LP033",
        name="console-user-mfa-not-enforced",
        title="Console user gets no policy that enforces MFA",
        severity=Severity.HIGH,
        rationale=(
            "IAM cannot require MFA at sign-in by itself. Unless a policy denies everything "
            "while `aws:MultiFactorAuthPresent` is false, a console user without an MFA device "
            "(or a stolen password) has all of the user's permissions. lpgen looks for such a "
            "Deny in the policies of the user and of every group it belongs to."
        ),
        fix=(
            "Attach an MFA-enforcing policy (a Deny with `NotAction` limited to MFA set-up, "
            '`Resource = "*"` and `BoolIfExists = { "aws:MultiFactorAuthPresent" = '
            '"false" }`) to every group with console users, or remove the user\'s '
            "`aws_iam_user_login_profile` if it does not need the console."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/tutorial_users-self-manage-mfa-and-creds.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage.html",
        ),
    )
)
NO_PASSWORD_POLICY = register(
    Rule(
        code="LP034",
        name="no-password-policy",
        title="Console users but no account password policy",
        severity=Severity.MEDIUM,
        rationale=(
            "Without `aws_iam_account_password_policy` the account uses AWS's default policy: "
            "passwords of 8 characters, no reuse prevention, no expiry. Console users then "
            "choose weak passwords that survive leaks."
        ),
        fix=(
            "Declare `aws_iam_account_password_policy` (for example `minimum_password_length = "
            "14`, `password_reuse_prevention = 24`). If another Terraform root manages it, "
            "silence the finding with a reason."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
        ),
    )
)

WEAK_PASSWORD_POLICY = register(
    Rule(
        code="LP035",
        name="weak-password-policy",
        title="Account password policy is weaker than the CIS AWS Foundations Benchmark",
        severity=Severity.MEDIUM,
        rationale=(
            "The CIS AWS Foundations Benchmark asks for passwords of at least 14 characters "
            "that cannot reuse any of the last 24, with upper- and lower-case letters, numbers "
            "and symbols, expiring after at most 90 days, which users may change themselves. A "
            "setting left out takes AWS's "
            "default (6 characters in Terraform's provider, no reuse prevention, no expiry), "
            "which lets console users pick passwords that fall to guessing and survive leaks."
        ),
        fix=(
            "Set `minimum_password_length = 14`, `password_reuse_prevention = 24`, "
            "`require_uppercase_characters`, `require_lowercase_characters`, "
            "`require_numbers` and `require_symbols` to true, and `max_password_age = 90` "
            "(`lpgen baseline` writes such a policy), and `allow_users_to_change_password = "
            "true`."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
            "https://www.cisecurity.org/benchmark/amazon_web_services",
        ),
    )
)

# (setting, what CIS asks, the test) for aws_iam_account_password_policy.
_CIS_PASSWORD: tuple[tuple[str, str], ...] = (
    ("minimum_password_length", ">= 14"),
    ("password_reuse_prevention", ">= 24"),
    ("require_uppercase_characters", "true"),
    ("require_lowercase_characters", "true"),
    ("require_numbers", "true"),
    ("require_symbols", "true"),
    ("max_password_age", "<= 90"),
    # Not CIS, but without it users cannot change an expiring or leaked password themselves.
    ("allow_users_to_change_password", "true"),
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def password_policy_gaps(settings: dict[str, Any], unknown: Iterable[str] = ()) -> list[str]:
    """What a password policy's settings miss of the CIS benchmark (unknown settings pass)."""
    gaps: list[str] = []
    skip = set(unknown)
    for name, want in _CIS_PASSWORD:
        if name in skip:
            continue
        value = settings.get(name)
        if name == "allow_users_to_change_password":
            # The provider's default is true: only an explicit false is a gap.
            if value is False or str(value).lower() == "false":
                gaps.append(f"{name} false")
            continue
        if want == "true":
            if value is not True and str(value).lower() != "true":
                gaps.append(f"{name} {'not set' if value is None else str(value).lower()}")
            continue
        number = _number(value)
        limit = float(want.split()[1])
        if number is None or number == 0:
            gaps.append(f"{name} not set (CIS: {want})")
        elif (want.startswith(">=") and number < limit) or (
            want.startswith("<=") and number > limit
        ):
            gaps.append(f"{name} {value:g} (CIS: {want})" if isinstance(value, float)
                        else f"{name} {value} (CIS: {want})")  # fmt: skip
    return gaps


_MFA_PRESENT = "aws:multifactorauthpresent"
_MFA_AGE = "aws:multifactorauthage"


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() for v in items if isinstance(v, (str, bool))]


def _denies_without_mfa(conditions: Any) -> bool:
    """A condition block that matches requests made without MFA."""
    if not isinstance(conditions, dict):
        return False
    for operator, pairs in conditions.items():
        if not isinstance(pairs, dict):
            continue
        op = str(operator).lower()
        for key, value in pairs.items():
            k = str(key).lower()
            values = _values(value)
            if op in ("bool", "boolifexists") and k == _MFA_PRESENT and "false" in values:
                return True
            if op == "null" and k in (_MFA_PRESENT, _MFA_AGE) and "true" in values:
                return True
    return False


def _enforces_mfa(stmt: Statement) -> bool:
    """A Deny of (nearly) everything, on every resource, when the request has no MFA."""
    if not is_deny(stmt) or not resources_are_star(stmt):
        return False
    broad = stmt.not_actions is not None or any(
        e.value.strip() in ("*", "*:*") for e in stmt.actions or []
    )
    return broad and _denies_without_mfa(stmt.conditions)


def _only_with_mfa(doc: PolicyDocument) -> bool:
    """Every Allow of the document requires MFA (``aws:MultiFactorAuthPresent`` true)."""
    from lpgen.conditions import requires_mfa, tests

    def mfa(stmt: Statement) -> bool:
        if requires_mfa(stmt.conditions):
            return True
        # BoolIfExists true: console sessions always carry the key, so they need MFA.
        return any(
            t.key == _MFA_PRESENT and t.operator.lower() == "boolifexists"
            and t.values and all(v.lower() == "true" for v in t.values)
            for t in tests(stmt.conditions)
        )  # fmt: skip

    allows = [s for s in doc.statements if s.is_allow]
    return doc.unknown_reason is None and bool(allows) and all(mfa(s) for s in allows)


def document_enforces_mfa(doc: PolicyDocument) -> bool:
    """Whether a policy document denies (nearly) everything to requests without MFA."""
    return doc.unknown_reason is None and any(_enforces_mfa(s) for s in doc.statements)


def check_credentials(ctx: CheckContext) -> Iterator[Finding]:
    """LP030-LP035."""
    inv = ctx.inventory
    console = {lp.user for lp in inv.login_profiles if lp.user is not None}
    for key in inv.access_keys:
        user = key.user or "?"
        state = " (inactive)" if key.status and key.status.lower() == "inactive" else ""
        yield ctx.finding(
            "LP030",
            f"User '{user}' has a long-lived access key{state}; prefer a role or IAM Identity "
            "Center",
            location=key.location,
            address=key.address,
        )
        if not key.has_pgp_key:
            yield ctx.finding(
                "LP031",
                f"Access key of user '{user}' has no pgp_key: its secret is stored in plain "
                "text in the Terraform state",
                location=key.location,
                address=key.address,
            )
        if key.user is not None and key.user in console:
            yield ctx.finding(
                "LP032",
                f"User '{user}' signs in to the console and also has an access key",
                location=key.location,
                address=key.address,
            )
    uncertain_users, _groups = ctx.uncertain_memberships
    for lp in inv.login_profiles:
        name = lp.user
        if name is None or uncertain_users is None or name in uncertain_users:
            continue
        groups = sorted(ctx.groups_of_user.get(name, ()))
        docs = list(ctx.documents_of("user", name))
        for g in groups:
            docs += ctx.documents_of("group", g)
        if any(d is not None and document_enforces_mfa(d) for _a, d in docs):
            continue
        if docs and all(d is not None and _only_with_mfa(d) for _a, d in docs):
            continue  # every permission the user has needs MFA: nothing works without it
        if any(_unknown(ref, d) for ref, d in docs):
            continue  # a policy lpgen cannot read might be the one enforcing MFA
        via = f"groups: {short_list(groups, 5)}" if groups else "in no group"
        yield ctx.finding(
            "LP033",
            f"Console user '{name}' gets no policy that denies access without MFA ({via})",
            location=lp.location,
            address=lp.address,
        )
    for pp in inv.password_policies:
        gaps = password_policy_gaps(pp.settings, pp.unknown)
        if gaps:
            yield ctx.finding(
                "LP035",
                f"Account password policy is weaker than CIS: {', '.join(gaps)}",
                location=pp.location,
                address=pp.address,
            )
    if inv.login_profiles and not inv.password_policies:
        first = min(inv.login_profiles, key=lambda lp: (lp.location.file, lp.location.line))
        yield ctx.finding(
            "LP034",
            f"{len(console) or len(inv.login_profiles)} user(s) can sign in to the console "
            "and no aws_iam_account_password_policy is declared",
            location=first.location,
            subject="account",
        )


def _unknown(ref: str, doc: PolicyDocument | None) -> bool:
    """A policy whose text is not readable here: unknown document or customer ARN elsewhere."""
    if doc is not None:
        return doc.unknown_reason is not None
    return ":iam::aws:policy/" not in ref

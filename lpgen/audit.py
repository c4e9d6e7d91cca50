"""`lpgen audit`: IAM hygiene findings from the credential report, tied to the Terraform."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from lpgen.credreport import (
    ROOT_USER,
    CredentialReport,
    CredentialRow,
    KeySlot,
    fetch_credential_report,
    read_credential_report,
)
from lpgen.findings import (
    Finding,
    Rule,
    Severity,
    apply_suppressions,
    commented_reader,
    filter_new,
    load_baseline,
    rebase_findings,
    register,
    rules,
    select_findings,
)
from lpgen.model import Inventory, Location
from lpgen.paths import prefix_under_root, relative_to_root

# --- rules (LP100-LP199 are audit findings) ------------------------------------------------

R = register
ROOT_ACCESS_KEY = R(
    Rule(
        code="LP101",
        name="root-access-key",
        title="Root user has an access key",
        severity=Severity.CRITICAL,
        rationale=(
            "An access key of the root user has every permission in the account and cannot be "
            "limited by IAM policies or permissions boundaries. A leaked root key is a full "
            "account compromise. An inactive root key can be made active again by anyone who "
            "signs in as root."
        ),
        fix=(
            "Delete the root user's access keys (sign in as root, Security credentials, Access "
            "keys). Use IAM roles, or IAM users managed in Terraform, for programmatic access."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_add-key.html",
        ),
    )
)
ROOT_NO_MFA = R(
    Rule(
        code="LP102",
        name="root-mfa-disabled",
        title="Root user has no MFA device",
        severity=Severity.CRITICAL,
        rationale=(
            "Without MFA, the root user's password alone opens the whole account, including "
            "closing it and changing its contact and billing details."
        ),
        fix="Sign in as root and assign an MFA device (a hardware key or passkey is best).",
        references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html",),
    )
)
ROOT_PASSWORD_USED = R(
    Rule(
        code="LP103",
        name="root-password-used",
        title="Root user signed in recently",
        severity=Severity.MEDIUM,
        rationale=(
            "The root user should be kept for the few tasks only it can do. Regular sign-ins as "
            "root mean everyday work runs with unlimited permissions and no IAM audit trail of "
            "who did it."
        ),
        fix=(
            "Find out who signed in as root and why (CloudTrail ConsoleLogin events with "
            "userIdentity.type Root). Move that work to IAM roles or users with the "
            "permissions it needs."
        ),
        references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html",),
    )
)
ROOT_CERTIFICATE = R(
    Rule(
        code="LP104",
        name="root-signing-certificate",
        title="Root user has a signing certificate",
        severity=Severity.HIGH,
        rationale=(
            "An X.509 signing certificate of the root user authenticates some API calls with "
            "root's unlimited permissions, like a root access key."
        ),
        fix="Sign in as root and delete the signing certificate.",
    )
)
CONSOLE_NO_MFA = R(
    Rule(
        code="LP110",
        name="console-user-without-mfa",
        title="Console user has no MFA device",
        severity=Severity.HIGH,
        rationale=(
            "A user who can sign in to the console with only a password is one phished or "
            "reused password away from an account takeover with that user's permissions."
        ),
        fix=(
            "Have the user register an MFA device, and deny everything but MFA setup to users "
            "without MFA (a policy with the condition BoolIfExists aws:MultiFactorAuthPresent "
            "false). If the user does not need the console, remove its "
            "aws_iam_user_login_profile."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html",
        ),
    )
)
PASSWORD_OLD = R(
    Rule(
        code="LP111",
        name="password-not-rotated",
        title="Console password is older than the maximum age",
        severity=Severity.MEDIUM,
        rationale=(
            "A password that has not changed for a long time has had a long time to leak. "
            "A password policy with a maximum age makes rotation happen."
        ),
        fix=(
            "Have the user change the password, and set max_password_age in "
            "aws_iam_account_password_policy. With aws_iam_user_login_profile, "
            "password_reset_required = true forces a change at next sign-in of a new profile."
        ),
    )
)
PASSWORD_UNUSED = R(
    Rule(
        code="LP112",
        name="password-unused",
        title="Console password not used recently",
        severity=Severity.LOW,
        rationale=(
            "A console password nobody uses is access nobody needs: it can only be used by "
            "someone who should not have it."
        ),
        fix=(
            "Remove the user's aws_iam_user_login_profile (or delete the login profile in the "
            "console if Terraform does not manage it)."
        ),
    )
)
KEY_OLD = R(
    Rule(
        code="LP120",
        name="access-key-not-rotated",
        title="Access key is older than the maximum age",
        severity=Severity.MEDIUM,
        rationale=(
            "Long-lived access keys end up in laptops, CI settings and logs. The longer a key "
            "lives the more likely it has leaked; rotating limits how long a leaked key works."
        ),
        fix=(
            "Rotate the key: create a second aws_iam_access_key, move the clients to it, then "
            "delete the old one. Better, replace the key with an IAM role (OIDC federation for "
            "CI, instance or task roles on AWS)."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console",
        ),
    )
)
KEY_UNUSED = R(
    Rule(
        code="LP121",
        name="access-key-unused",
        title="Active access key not used recently",
        severity=Severity.MEDIUM,
        rationale=(
            "An active key that nothing uses is pure risk: it still works for whoever holds "
            "a copy of it."
        ),
        fix="Delete the key (its aws_iam_access_key resource), or first make it Inactive.",
    )
)
TWO_KEYS = R(
    Rule(
        code="LP122",
        name="two-active-access-keys",
        title="User has two active access keys",
        severity=Severity.MEDIUM,
        rationale=(
            "Two active keys are only needed during a rotation. Outside one, the second key "
            "doubles what can leak and hides which clients still use which key."
        ),
        fix="Finish the rotation: delete the key the clients no longer use.",
    )
)
KEY_ON_CONSOLE_USER = R(
    Rule(
        code="LP123",
        name="access-key-on-console-user",
        title="Console user also has an active access key",
        severity=Severity.LOW,
        rationale=(
            "A person with console access rarely needs a long-lived access key: the AWS CLI "
            "can use IAM Identity Center or temporary credentials. A key beside a password "
            "gives the same permissions a second, unprotected way in, without MFA."
        ),
        fix=(
            "Delete the user's aws_iam_access_key and use temporary credentials (aws sso "
            "login, aws configure export-credentials). If it is a machine user, remove its "
            "aws_iam_user_login_profile instead."
        ),
    )
)
KEY_INACTIVE = R(
    Rule(
        code="LP124",
        name="inactive-access-key",
        title="Inactive access key not deleted",
        severity=Severity.LOW,
        rationale=(
            "An inactive key can be made active again by anyone allowed iam:UpdateAccessKey; "
            "a key nobody uses should be deleted, not kept."
        ),
        fix="Delete the key (its aws_iam_access_key resource).",
    )
)
INACTIVE_USER = R(
    Rule(
        code="LP130",
        name="inactive-user",
        title="User has not signed in or used an access key recently",
        severity=Severity.MEDIUM,
        rationale=(
            "A user who no longer signs in or calls AWS is a leftover (someone who left, a "
            "retired application) whose credentials and permissions still exist."
        ),
        fix=(
            "Confirm the user is not needed (SSH keys for CodeCommit and service-specific "
            "credentials are not in the credential report), then delete its aws_iam_user and "
            "everything attached to it."
        ),
    )
)
UNMANAGED_USER = R(
    Rule(
        code="LP140",
        name="unmanaged-user",
        title="User not declared in the Terraform",
        severity=Severity.LOW,
        rationale=(
            "A user created outside Terraform escapes review: its permissions and credentials "
            "are not in the code, and `lpgen check` cannot see them."
        ),
        fix=(
            "Import the user into Terraform (an import block for aws_iam_user), or delete it "
            "if nobody needs it."
        ),
    )
)


def audit_rules() -> list[Rule]:
    """Every audit rule, by code."""
    return rules("LP1")


# --- options and result -----------------------------------------------------------------


@dataclass(frozen=True)
class AuditOptions:
    """What `lpgen audit` measures against."""

    max_key_age: int = 90
    max_password_age: int = 90
    # Days without use after which a password, key or user counts as unused.
    inactive_days: int = 90
    # Root password use within this many days is reported.
    root_password_days: int = 90
    # The time ages are measured at; None: the report's generation time, or for a bare
    # CSV the newest time it records.
    now: datetime | None = None
    ignore: tuple[str, ...] = ()
    # Codes, prefixes or rule names to report only (empty: all), as check --select.
    select: tuple[str, ...] = ()
    # A baseline file (check's format): findings it lists are left out and counted.
    baseline: str | None = None


@dataclass(frozen=True)
class AuditResult:
    findings: tuple[Finding, ...]
    report: CredentialReport
    now: datetime
    now_source: str
    suppressed: int = 0
    notes: tuple[str, ...] = field(default=())
    # The Terraform read from PATH, when one was given.
    inventory: Inventory | None = None
    # Findings left out because the baseline lists them; every finding before the baseline
    # (what --write-baseline records).
    baselined: int = 0
    unbaselined: tuple[Finding, ...] = ()


def evaluation_time(report: CredentialReport, now: datetime | None) -> tuple[datetime, str]:
    """The time ages are measured at, and where it comes from (deterministic for a file)."""
    if now is not None:
        return (now if now.tzinfo else now.replace(tzinfo=timezone.utc)), "--now"
    if report.generated_at is not None:
        return report.generated_at, "the report's generation time"
    newest = report.newest_time()
    if newest is not None:
        return newest, "the newest time in the report"
    return datetime.now(timezone.utc), "the current time"


# --- findings from the report -------------------------------------------------------------


def _day(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d")


def _days(now: datetime, t: datetime) -> int:
    return (now - t) // timedelta(days=1)


def _ago(now: datetime, t: datetime) -> str:
    d = _days(now, t)
    return "today" if d == 0 else ("1 day ago" if d == 1 else f"{d} days ago")


def _key_use(now: datetime, key: KeySlot) -> str:
    if not isinstance(key.last_used, datetime):
        return "never used"
    text = f"last used on {_day(key.last_used)}"
    if key.last_used_region:
        text += f" in {key.last_used_region}"
    if key.last_used_service:
        text += f" by {key.last_used_service}"
    return text


def _root_findings(row: CredentialRow, now: datetime, options: AuditOptions) -> Iterable[Finding]:
    def make(code: str, message: str, **kw: Any) -> Finding:
        return Finding.create(code, message, subject=ROOT_USER, **kw)

    for key in row.keys:
        if not key.exists:
            continue
        created = (
            f"created {_day(key.last_rotated)}" if isinstance(key.last_rotated, datetime) else ""
        )
        details = ", ".join(x for x in (key.label, created, _key_use(now, key)) if x)
        state = "an active" if key.active else "an inactive"
        yield make(
            "LP101",
            f"Root user has {state} access key ({details})",
            severity=Severity.CRITICAL if key.active else Severity.HIGH,
            qualifier=f"access_key_{key.number}",
        )
    if not row.mfa_active:
        yield make("LP102", "Root user has no MFA device")
    used = row.password_last_used
    if isinstance(used, datetime) and _days(now, used) <= options.root_password_days:
        yield make(
            "LP103",
            f"Root user signed in with its password on {_day(used)}, {_ago(now, used)} "
            f"(within the last {options.root_password_days} days)",
        )
    for cert in row.certs:
        if not cert.exists:
            continue
        state = "an active" if cert.active else "an inactive"
        uploaded = (
            f", uploaded {_day(cert.last_rotated)}"
            if isinstance(cert.last_rotated, datetime)
            else ""
        )
        yield make(
            "LP104",
            f"Root user has {state} signing certificate (certificate {cert.number}{uploaded})",
            severity=Severity.HIGH if cert.active else Severity.MEDIUM,
            qualifier=f"cert_{cert.number}",
        )


def _user_findings(row: CredentialRow, now: datetime, options: AuditOptions) -> Iterable[Finding]:
    name = row.user

    def make(code: str, message: str, **kw: Any) -> Finding:
        return Finding.create(code, message, subject=name, **kw)

    console = row.password_enabled is True
    active_keys = [k for k in row.keys if k.active]

    if console and not row.mfa_active:
        yield make("LP110", f"User '{name}' can sign in to the console without MFA")

    changed = row.password_last_changed
    if console and isinstance(changed, datetime) and _days(now, changed) > options.max_password_age:
        yield make(
            "LP111",
            f"Console password of user '{name}' was last changed on {_day(changed)}, "
            f"{_ago(now, changed)} (limit {options.max_password_age} days)",
        )

    if console:
        used = row.password_last_used
        if isinstance(used, datetime):
            if _days(now, used) > options.inactive_days:
                yield make(
                    "LP112",
                    f"Console password of user '{name}' was last used on {_day(used)}, "
                    f"{_ago(now, used)} (limit {options.inactive_days} days)",
                )
        else:
            # no_information (or N/A beside password_enabled=true): never used since it was set.
            since = changed if isinstance(changed, datetime) else row.created
            if isinstance(since, datetime) and _days(now, since) > options.inactive_days:
                yield make(
                    "LP112",
                    f"Console password of user '{name}' has never been used since it was set "
                    f"on {_day(since)}, {_ago(now, since)} (limit {options.inactive_days} days)",
                )

    for key in row.keys:
        label = key.label.capitalize()
        qualifier = f"access_key_{key.number}"
        created = key.last_rotated
        if not key.exists:
            continue
        if not key.active:
            when = f" (created {_day(created)})" if isinstance(created, datetime) else ""
            yield make(
                "LP124",
                f"{label} of user '{name}' is inactive but not deleted{when}",
                qualifier=qualifier,
            )
            continue
        if not isinstance(created, datetime):
            continue
        if _days(now, created) > options.max_key_age:
            yield make(
                "LP120",
                f"{label} of user '{name}' was created or last rotated on {_day(created)}, "
                f"{_ago(now, created)} (limit {options.max_key_age} days)",
                qualifier=qualifier,
            )
        last = key.last_used
        if isinstance(last, datetime):
            if _days(now, last) > options.inactive_days:
                yield make(
                    "LP121",
                    f"{label} of user '{name}' was {_key_use(now, key)}, {_ago(now, last)} "
                    f"(limit {options.inactive_days} days)",
                    qualifier=qualifier,
                )
        elif _days(now, created) > options.inactive_days:
            yield make(
                "LP121",
                f"{label} of user '{name}' has never been used since it was created on "
                f"{_day(created)}, {_ago(now, created)} (limit {options.inactive_days} days)",
                qualifier=qualifier,
            )

    if len(active_keys) == 2:
        yield make("LP122", f"User '{name}' has two active access keys")

    if console and active_keys:
        if len(active_keys) == 1:
            key = active_keys[0]
            yield make(
                "LP123",
                f"User '{name}' has a console password and an active access key ({key.label})",
                qualifier=f"access_key_{key.number}",
            )
        else:
            yield make("LP123", f"User '{name}' has a console password and two active access keys")

    activity = [
        t
        for t in (row.password_last_used, *(k.last_used for k in row.keys))
        if isinstance(t, datetime)
    ]
    if activity:
        last_seen = max(activity)
        if _days(now, last_seen) > options.inactive_days:
            yield make(
                "LP130",
                f"User '{name}' has not signed in or used an access key since "
                f"{_day(last_seen)}, {_ago(now, last_seen)} (limit {options.inactive_days} days)",
            )
    elif isinstance(row.created, datetime) and _days(now, row.created) > options.inactive_days:
        yield make(
            "LP130",
            f"User '{name}' has never signed in or used an access key since it was created "
            f"on {_day(row.created)}, {_ago(now, row.created)} "
            f"(limit {options.inactive_days} days)",
        )


def audit_report(
    report: CredentialReport, *, now: datetime, options: AuditOptions
) -> list[Finding]:
    """Hygiene findings of every row, located at the report's file and row when it has one."""
    found: list[Finding] = []
    for row in report.rows:
        produce = _root_findings if row.is_root else _user_findings
        for f in produce(row, now, options):
            found.append(replace(f, file=report.source, line=row.line) if report.source else f)
    return found


# --- tying findings to the Terraform --------------------------------------------------------

Target = Literal["user", "login_profile", "access_key"]
# Which resource fixes each user finding.
TARGETS: dict[str, Target] = {
    "LP110": "login_profile",
    "LP111": "login_profile",
    "LP112": "login_profile",
    "LP120": "access_key",
    "LP121": "access_key",
    "LP122": "user",
    "LP123": "access_key",
    "LP124": "access_key",
    "LP130": "user",
}


@dataclass(frozen=True)
class Resource:
    """The Terraform resource a finding points at, and what to add to its message."""

    address: str
    location: Location
    # Set when the finding falls back to the aws_iam_user: why.
    note: str | None = None


def _named(candidates: list[Any], name: str, attr: str) -> list[Any]:
    exact = [c for c in candidates if getattr(c, attr) == name]
    if exact:
        return exact
    # IAM user names are unique ignoring case.
    folded = name.casefold()
    return [c for c in candidates if (getattr(c, attr) or "").casefold() == folded]


def terraform_resource(
    inventory: Inventory,
    user: str,
    target: Target,
    *,
    key: KeySlot | None = None,
    row: CredentialRow | None = None,
) -> Resource | None:
    """The resource declaring what a finding about ``user`` is about (None: not declared).

    Falls back to the ``aws_iam_user`` (with a note) when the login profile or key is not
    declared, or when more than one access key could be the one meant: the report numbers
    key slots, Terraform names resources, so a key is matched only when it is the user's
    one declared key with the status the report shows and the account has no other key
    of that status.
    """
    users = _named(inventory.users, user, "name")
    if len(users) != 1:
        return None
    owner = users[0]
    if target == "login_profile":
        profiles = _named(inventory.login_profiles, user, "user")
        if len(profiles) == 1:
            return Resource(profiles[0].address, profiles[0].location)
        note = "no aws_iam_user_login_profile declares the password" if not profiles else None
        return Resource(owner.address, owner.location, note)
    if target == "access_key":
        declared = _named(inventory.access_keys, user, "user")
        if not declared:
            return Resource(owner.address, owner.location, "no aws_iam_access_key declares it")
        if key is None:  # about all the user's keys
            return Resource(owner.address, owner.location)
        wanted = "active" if key.active else "inactive"
        same = [k for k in declared if (k.status or "Active").lower() == wanted]
        in_account = [k for k in row.keys if k.exists and k.active == key.active] if row else [key]
        if len(same) == 1 and len(in_account) == 1:
            return Resource(same[0].address, same[0].location)
        if not same:
            note = f"no {wanted} aws_iam_access_key declares it"
        elif len(same) > 1:
            note = (
                f"lpgen cannot tell which of the user's {len(same)} {wanted} "
                "aws_iam_access_key resources it is"
            )
        else:
            note = (
                f"the account has {len(in_account)} {wanted} keys, the Terraform declares one; "
                "lpgen cannot tell which"
            )
        return Resource(owner.address, owner.location, note)
    return Resource(owner.address, owner.location)


def attach_terraform(
    findings: Iterable[Finding],
    report: CredentialReport,
    inventory: Inventory,
    *,
    base: str | None = None,
) -> tuple[list[Finding], list[str]]:
    """Point each user finding at its resource; add LP140 for users Terraform does not declare.

    ``base`` (the tree path as typed) prefixes the inventory's root-relative file names.
    Returns the findings and notes worth telling the user.
    """
    rows = {r.user: r for r in report.rows}
    notes: list[str] = []
    result: list[Finding] = []
    for f in findings:
        target = TARGETS.get(f.code)
        row = rows.get(f.subject or "")
        if target is None or row is None:
            result.append(f)
            continue
        key = None
        if f.qualifier and f.qualifier.startswith("access_key_"):
            key = row.keys[int(f.qualifier[-1]) - 1]
        found = terraform_resource(inventory, row.user, target, key=key, row=row)
        if found is None:
            result.append(f)
            continue
        located = replace(
            f,
            file=found.location.file,
            line=found.location.line,
            address=found.address,
            message=f"{f.message}; {found.note}" if found.note else f.message,
        )
        result.append(rebase_findings([located], base)[0] if base else located)

    unnamed = [u for u in inventory.users if not u.name]
    for row in report.users:
        if _named(inventory.users, row.user, "name"):
            continue
        message = (
            f"User '{row.user}' exists in the account but no aws_iam_user in the Terraform "
            "declares it"
        )
        if unnamed:
            message += (
                f" ({len(unnamed)} aws_iam_user resource{'s' if len(unnamed) > 1 else ''} "
                "with a name lpgen could not evaluate may)"
            )
        result.append(
            Finding.create(
                "LP140",
                message,
                subject=row.user,
                file=report.source,
                line=row.line if report.source else None,
            )
        )
    if inventory.account_id and report.account_id and inventory.account_id != report.account_id:
        notes.append(
            f"Warning: the Terraform is for account {inventory.account_id}, the credential "
            f"report for account {report.account_id}."
        )
    return result, notes


# --- the command ---------------------------------------------------------------------------


def run_audit(
    path: str | None,
    *,
    options: AuditOptions,
    report_file: str | None = None,
    iam_client_factory: Callable[[], Any] | None = None,
    inventory_options: Any = None,
    root: Path | None = None,
) -> AuditResult:
    """Read (or fetch) the report, find problems, tie them to ``path``'s Terraform, filter."""
    if report_file is not None:
        report = read_credential_report(report_file)
    elif iam_client_factory is not None:
        report = fetch_credential_report(iam_client_factory())
    else:  # pragma: no cover - the CLI always passes one
        raise ValueError("run_audit needs a report file or an IAM client")
    now, source = evaluation_time(report, options.now)
    findings = audit_report(report, now=now, options=options)
    notes: list[str] = []
    suppressed = 0
    inventory = None
    if path is not None:
        from lpgen.inventory import build_inventory

        inventory = build_inventory(path, options=inventory_options)
        # Files are named relative to ``root`` (the CLI passes the repository root, see
        # lpgen.paths); without one, relative to the current directory (PATH as typed).
        if root is None:
            base = None if os.path.normpath(path) == "." else path
        else:
            base = prefix_under_root(path, root)
        findings, more = attach_terraform(findings, report, inventory, base=base)
        notes += more
    if root is not None and report.source is not None:
        shown = relative_to_root(report.source, root) or report.source
        findings = [replace(f, file=shown) if f.file == report.source else f for f in findings]
    findings = select_findings(findings, select=options.select, ignore=options.ignore)
    if path is not None:
        # until= dates are compared with the time ages are measured at.
        outcome = apply_suppressions(
            findings, commented_reader(root or Path()), today=now.date()
        )
        findings = outcome.kept
        suppressed = len(outcome.suppressed)
        notes += outcome.warnings()
    unbaselined = tuple(findings)
    baselined = 0
    if options.baseline is not None:
        findings, known = filter_new(findings, load_baseline(options.baseline))
        baselined = len(known)
    return AuditResult(
        baselined=baselined,
        unbaselined=unbaselined,
        findings=tuple(findings),
        report=report,
        now=now,
        now_source=source,
        suppressed=suppressed,
        notes=tuple(notes),
        inventory=inventory,
    )


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // (24 * 60)} days"


def describe_timing(result: AuditResult, *, wall_clock: datetime) -> list[str]:
    """Lines telling how old the report is and what ages are measured against."""
    report = result.report
    lines = []
    stamp = "%Y-%m-%d %H:%M:%S UTC"
    if report.generated_at is not None:
        generated = report.generated_at.astimezone(timezone.utc)
        age = _duration(wall_clock - generated)
        what = f"Credential report {report.source}" if report.source else "Credential report"
        lines.append(f"{what} generated {generated.strftime(stamp)} ({age} ago).")
        if report.source is None:
            lines.append("AWS generates a new report at most every 4 hours.")
    if result.now_source != "the report's generation time":
        measured = result.now.astimezone(timezone.utc).strftime(stamp)
        hint = "" if result.now_source == "--now" else "; use --now to choose another time"
        lines.append(f"Ages measured at {measured} ({result.now_source}{hint}).")
    return lines

"""Narrowing wildcards: `"*"` and service-family wildcards name services; IAM's size quotas.

The `"*"` case is a golden file (tests/data/trim_star); its snapshot is generated here so
that it lists every service of the installed catalog.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpgen import catalog
from lpgen.cli import main
from lpgen.inventory import build_inventory
from lpgen.rewrite import read_source
from lpgen.trim import TrimOptions, run_trim

STAR = Path(__file__).parent / "data" / "trim_star"
COLLECTED = "2026-11-20T00:00:00+00:00"
USED = "2026-11-01T09:00:00+00:00"
OLD = "2026-01-01T09:00:00+00:00"


def snapshot(arn: str, used: dict[str, Any], *, listed: set[str] | None = None) -> dict[str, Any]:
    """A snapshot for one entity: ``used`` services (value: tracked actions or None) were used
    in the window; every other service in ``listed`` (default: the whole catalog) was not."""
    services = []
    for ns in sorted(catalog.known_services() if listed is None else listed | set(used)):
        item: dict[str, Any] = {"ServiceNamespace": ns, "ServiceName": ns.upper()}
        if ns in used:
            item["LastAuthenticated"] = USED
            tracked = used[ns]
            if tracked is not None:
                item["TrackedActionsLastAccessed"] = [
                    {"ActionName": a, **({"LastAccessedTime": USED} if w else {})}
                    for a, w in tracked.items()
                ]
        services.append(item)
    return {
        "format": "lpgen.snapshot/1",
        "account_id": "111122223333",
        "partition": "aws",
        "collected_at": COLLECTED,
        "entities": [
            {
                "arn": arn,
                "create_date": "2024-03-01T10:00:00+00:00",
                "details": {
                    "JobStatus": "COMPLETED",
                    "JobType": "ACTION_LEVEL",
                    "JobCompletionDate": COLLECTED,
                    "ServicesLastAccessed": services,
                },
            }
        ],
    }


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes.decode(), result.stderr


def action_elements(path: Path) -> list[str]:
    inv = build_inventory(path)
    return [
        e.value
        for p in inv.policies
        for s in (p.document.statements if p.document else [])
        for e in (s.actions or []) + (s.not_actions or [])
    ]


def test_star_narrows_to_used_services_golden(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(STAR / "input", tree)
    snap = tmp_path / "snapshot.json"
    used = {"s3": None, "sts": None, "lambda": None}
    snap.write_text(json.dumps(snapshot("arn:aws:iam::111122223333:policy/admin", used)))

    code, report, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--write")
    assert (code, err) == (0, "Wrote 1 file.\n")
    assert read_source(tree / "main.tf") == read_source(STAR / "expected" / "main.tf")
    # Every element names its service; "*" became the used services (and the default keep
    # list's iam:PassRole), "s*" the used services starting with "s"; the Deny is untouched.
    for value in action_elements(tree):
        assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*]+", value), value
    status = report.splitlines()[1]
    assert re.match(r"trimmed +aws_iam_policy.admin +main.tf:2 +removed [\d,]+ actions unused "
                    r"in the 90-day window \(\d+ services no longer granted\)$", status), status

    code, out, _ = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--check")
    assert code == 0, out


def test_star_narrowing_over_the_quota_keeps_the_coarser_form(tmp_path: Path) -> None:
    # A report listing two services only: every other catalog service is "not reported" and
    # kept, so narrowing "*" would list hundreds of services, over a user's 2,048 characters.
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(
        'resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n\n'
        'resource "aws_iam_user_policy" "ci" {\n  user = aws_iam_user.ci.name\n'
        '  policy = jsonencode({\n    Version = "2012-10-17"\n'
        '    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]\n  })\n}\n'
    )
    snap = tmp_path / "snapshot.json"
    doc = snapshot("arn:aws:iam::111122223333:user/ci", {"s3": None}, listed={"sqs"})
    snap.write_text(json.dumps(doc))
    before = read_source(tree / "main.tf")
    code, report, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--write")
    assert code == 0, err
    assert read_source(tree / "main.tf") == before
    assert (
        "= kept the coarser form: the narrowed policy would be "
    ) in report
    assert "over IAM's 2,048-character limit for a user's inline policies; wildcards kept as " \
           "written" in report


def _user_tree(root: Path, policies: int) -> None:
    root.mkdir()
    parts = ['resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n']
    for i in range(policies):
        parts.append(
            f'resource "aws_iam_user_policy" "p{i}" {{\n  name = "p{i}"\n'
            "  user = aws_iam_user.ci.name\n  policy = jsonencode({\n"
            '    Version = "2012-10-17"\n'
            f'    Statement = [{{ Sid = "S{i}", Effect = "Allow", Action = ["ec2:Describe*"], '
            'Resource = "*" }]\n  })\n}\n'
        )
    (root / "main.tf").write_text("\n".join(parts))


def _describe_snapshot() -> dict[str, Any]:
    # ec2 used, one tracked Describe action in three unused: narrowing lists many patterns.
    tracked = {a.split(":", 1)[1]: i % 30 != 0
               for i, a in enumerate(catalog.expand("ec2:Describe*") or ())}
    return snapshot("arn:aws:iam::111122223333:user/ci", {"ec2": tracked}, listed=set())


def test_inline_policies_count_against_the_owner_total(tmp_path: Path) -> None:
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps(_describe_snapshot()))
    options = TrimOptions(use_git=False)

    one = tmp_path / "one"
    _user_tree(one, 1)
    [single] = run_trim(one, [snap], options=options).plan.policies
    assert single.status == "trimmed"
    assert not any(k.code == "size-limit" for k in single.kept)
    narrowed = [p for r in single.removals for p in r.replaced_by]
    size = catalog.policy_size(
        {"Version": "2012-10-17",
         "Statement": [{"Sid": "S0", "Effect": "Allow", "Action": narrowed, "Resource": "*"}]}
    )
    assert 2048 // 2 < size <= 2048  # fits alone, but two of them do not

    two = tmp_path / "two"
    _user_tree(two, 2)
    decisions = run_trim(two, [snap], options=options).plan.policies
    notes = [k.reason for d in decisions for k in d.kept if k.code == "size-limit"]
    assert notes, [d.reason for d in decisions]
    assert "would bring its owner's inline policies to" in notes[0]
    assert "over IAM's 2,048-character limit for a user's inline policies" in notes[0]
    # Whatever was written fits the owner's quota.
    result = run_trim(two, [snap], options=options)
    total = 0
    for d in result.plan.policies:
        acts = [p for r in d.removals for p in r.replaced_by] or ["ec2:Describe*"]
        total += catalog.policy_size(
            {"Version": "2012-10-17",
             "Statement": [{"Sid": "S0", "Effect": "Allow", "Action": acts, "Resource": "*"}]}
        )
    assert total <= 2048


def test_star_whose_fine_narrowing_is_too_long_narrows_to_whole_services(tmp_path: Path) -> None:
    # ec2 used, every other ec2 action tracked and unused: the exact narrowing of "*" would
    # name hundreds of ec2 patterns (over 6,144 characters); the coarser valid form is
    # "ec2:*" (plus the keep list's iam:PassRole), which fits.
    tree = tmp_path / "tree"
    shutil.copytree(STAR / "input", tree)
    text = read_source(tree / "main.tf").replace('["s*", "lambda:*"]', '["lambda:*"]')
    (tree / "main.tf").write_text(text)
    tracked = {a.split(":", 1)[1]: i % 2 == 0
               for i, a in enumerate(catalog.actions_for_service("ec2"))}
    snap = tmp_path / "snapshot.json"
    doc = snapshot("arn:aws:iam::111122223333:policy/admin", {"ec2": tracked, "lambda": None})
    snap.write_text(json.dumps(doc))
    code, report, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--write")
    assert code == 0, err
    assert 'Action   = ["ec2:*", "iam:PassRole", "lambda:*"] # to be' in \
        read_source(tree / "main.tf")
    assert "= kept the coarser form: the narrowed policy would be " in report
    assert ("over IAM's 6,144-character limit; wildcards spanning services narrowed to whole "
            "services only, other wildcards kept as written") in report
    # The ec2 actions unused in the window are still reported as such; what "ec2:*" keeps
    # is only what the quota forced.
    code, out, _ = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--check")
    assert code == 0, out


def _deny_and_star_tree(root: Path, denied: list[str]) -> str:
    """A user's inline policy: a Deny of ``denied``, then Allow "*"; returns its JSON."""
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": denied, "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
    ]}  # fmt: skip
    root.mkdir()
    (root / "main.tf").write_text(
        'resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n\n'
        'resource "aws_iam_user_policy" "ci" {\n  user = aws_iam_user.ci.name\n'
        f"  policy = <<EOF\n{json.dumps(doc, indent=2)}\nEOF\n}}\n"
    )
    return json.dumps(doc)


def test_a_deny_statement_counts_toward_the_narrowed_size(tmp_path: Path) -> None:
    """Narrowing "*" to the services used makes this policy longer. Its Deny statement is
    written as it is and counts toward IAM's 2,048 characters like the rest: with it, the
    narrowed policy would be over the limit, so the coarser form is kept (a narrowed policy
    measured without its Deny actions would pass, and IAM would reject it)."""
    used = {s: None for s in ("s3", "sqs", "sns", "ec2", "ecr", "ecs", "eks", "kms", "logs",
                              "ssm", "sts", "lambda", "dynamodb", "events", "glue")}  # fmt: skip
    describe = sorted(a for a in catalog.expand("ec2:Describe*") or ())
    denied: list[str] = []
    for action in describe:  # the input fits: between 1,900 and 2,000 characters
        if catalog.policy_size(_doc_text([*denied, action])) > 1990:
            break
        denied.append(action)
    assert catalog.policy_size(_doc_text(denied)) > 1900
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps(snapshot("arn:aws:iam::111122223333:user/ci", used)))

    alone = tmp_path / "alone"  # the same Allow without the Deny: narrowed as usual
    _deny_and_star_tree(alone, ["ec2:DeleteVpc"])
    code, report, err = run("trim", str(alone), "--snapshot", str(snap), "--no-git", "--write")
    assert code == 0, err
    assert "s3:*" in read_source(alone / "main.tf")

    tree = tmp_path / "tree"
    _deny_and_star_tree(tree, denied)
    before = read_source(tree / "main.tf")
    code, report, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--write")
    assert code == 0, err
    assert read_source(tree / "main.tf") == before
    assert "kept the coarser form: the narrowed policy would be " in report
    assert "over IAM's 2,048-character limit for a user's inline policies" in report


def _doc_text(denied: list[str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": denied, "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
    ]})  # fmt: skip

"""trim --replace-aws-managed: an AWS-managed attachment replaced by what was used of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from lpgen import catalog
from lpgen.cli import main
from lpgen.rewrite import read_source

CASE = Path(__file__).parent / "data" / "trim" / "aws_managed_replace"
ARN = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"


def _trim(tree: Path, *extra: str) -> tuple[int, str]:
    args = ["trim", str(tree), "--no-git", "--max-snapshot-age", "0"]
    result = CliRunner().invoke(
        main, [*args, "--snapshot", str(CASE / "snapshot.json"), *extra], catch_exceptions=False
    )
    return result.exit_code, result.stdout


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(CASE / "input", tree)
    return tree


def test_off_by_default_only_reports(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    code, out = _trim(tree, "--write")
    assert code == 0
    assert "replaced" not in out
    assert read_source(tree / "main.tf") == read_source(CASE / "input" / "main.tf")


def test_replaces_the_literal_attachment_and_refuses_the_variable(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    code, out = _trim(tree, "--replace-aws-managed", "--write", "--format", "json")
    assert code == 0
    report = json.loads(out[out.index("{") :])
    records = {r["address"]: r for r in report["aws_managed_replaced"]}
    ci = records["aws_iam_role_policy_attachment.ci_ec2_read"]
    assert ci["replaced"] and ci["new_address"] == "aws_iam_policy.ci_ec2_read_used"
    deploy = records["aws_iam_role_policy_attachment.deploy_ec2_read"]
    assert not deploy["replaced"]
    assert deploy["reason"] == f"not replaced: policy_arn is not the literal ARN {ARN}"
    text = read_source(tree / "main.tf")
    assert "policy_arn = aws_iam_policy.ci_ec2_read_used.arn" in text
    assert "policy_arn = var.deploy_policy_arn" in text
    assert report["files_changed"] == ["main.tf"]

    # The new policy holds only actions the AWS-managed document allows, and every used one.
    snapshot = json.loads((CASE / "snapshot.json").read_text(encoding="utf-8"))
    document = snapshot["aws_managed_policies"][ARN]["document"]
    allowed = {
        a.lower()
        for s in document["Statement"]
        for entry in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        for a in catalog.expand(entry) or ()
    }
    start = text.index('resource "aws_iam_policy"')
    block = text[start : text.index("\n}\n", start)]
    written = {
        a.lower()
        for line in block.splitlines()
        for token in line.replace("[", " ").replace("]", " ").split()
        if ":" in token and token.startswith('"')
        for a in catalog.expand(token.strip('",')) or ()
    }
    assert written and written <= allowed
    assert {"ec2:describeinstances", "ec2:describeimages"} <= written
    assert not any(a.startswith(("autoscaling:", "elasticloadbalancing:")) for a in written)

    # Idempotent: a second run changes nothing.
    code, out = _trim(tree, "--replace-aws-managed", "--diff")
    assert code == 0 and out == ""


def test_for_each_attachment_is_not_replaced(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    text = read_source(tree / "main.tf").replace(
        'resource "aws_iam_role_policy_attachment" "ci_ec2_read" {\n',
        'resource "aws_iam_role_policy_attachment" "ci_ec2_read" {\n  for_each   = toset(["a"])\n',
    )
    (tree / "main.tf").write_text(text, encoding="utf-8")
    code, out = _trim(tree, "--replace-aws-managed", "--write")
    assert code == 0
    assert "not replaced: only a single attachment resource (no count or for_each)" in out
    assert read_source(tree / "main.tf") == text


def test_managed_policy_arns_list_is_not_replaced(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    text = read_source(tree / "main.tf")
    start = text.index('resource "aws_iam_role_policy_attachment" "ci_ec2_read"')
    text = text[:start] + text[text.index("}\n", start) + 2 :]
    text = text.replace('  name = "ci"\n', f'  name = "ci"\n  managed_policy_arns = ["{ARN}"]\n')
    (tree / "main.tf").write_text(text, encoding="utf-8")
    code, out = _trim(tree, "--replace-aws-managed", "--write")
    assert code == 0
    assert "aws_iam_role.ci" in out
    assert "not replaced: a managed_policy_arns list is not edited" in out
    assert read_source(tree / "main.tf") == text


def test_check_names_the_pending_replacement(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    code, out = _trim(tree, "--replace-aws-managed", "--check")
    assert code == 1
    assert out == (
        f"main.tf:16: aws_iam_role_policy_attachment.ci_ec2_read: {ARN} to replace by "
        "aws_iam_policy.ci_ec2_read_used\n"
    )


def test_permission_set_attachment_name_taken_gets_a_new_one(tmp_path: Path) -> None:
    # A permission set often has both attachments under one name (seen in
    # ministryofjustice/modernisation-platform): the new one must not collide.
    case = CASE.parent / "aws_managed_replace_sso"
    tree = tmp_path / "tree"
    shutil.copytree(case / "input", tree)
    taken = (
        '\nresource "aws_ssoadmin_customer_managed_policy_attachment" "developer_ec2" {\n'
        "  instance_arn       = local.instance_arn\n"
        "  permission_set_arn = aws_ssoadmin_permission_set.developer.arn\n"
        "  customer_managed_policy_reference {\n"
        '    name = "Existing"\n'
        "  }\n}\n"
    )
    with open(tree / "sso.tf", "a", encoding="utf-8") as handle:
        handle.write(taken)
    snaps = [str(s) for s in sorted(case.glob("snapshot*.json"))]
    args = ["trim", str(tree), "--no-git", "--max-snapshot-age", "0", "--replace-aws-managed"]
    for snap in snaps:
        args += ["--snapshot", snap]
    result = CliRunner().invoke(main, [*args, "--write"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = read_source(tree / "sso.tf")
    assert 'resource "aws_ssoadmin_customer_managed_policy_attachment" "developer_ec2_used" {' in text
    assert taken in text  # the existing attachment is left as it is

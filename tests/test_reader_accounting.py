"""Unknown stays unknown, and every IAM declaration is accounted for (DESIGN.md contract)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.accounting import declaration_addresses, declaration_of
from lpgen.cli import main
from lpgen.inventory import IAM_RESOURCE_TYPES, InventoryOptions, build_inventory
from tests.shown import shown

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
READER = DATA / "reader"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--no-cache"], env=env)
    return result.exit_code, without_accounts(result.stdout), result.stderr


def without_accounts(out: str) -> str:
    """The inventory text without its closing accounts-per-root section (tested elsewhere)."""
    return out.split("\nAccounts per root module\n", 1)[0]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


# --- 1. unknown stays unknown -------------------------------------------------------------


def test_workspace_count_is_unresolved_not_zero() -> None:
    where = shown(READER / "workspace_count")
    code, out, _ = run("inventory", str(READER / "workspace_count"))
    assert code == 0
    assert out == (
        "0 groups, 0 users, 0 roles, 0 managed and 0 inline policies, 0 memberships, "
        "0 attachments in 1 files\n"
        "\n"
        "Not resolved\n"
        f"  {where}/main.tf:2: aws_iam_policy.admin: count is not known: terraform.workspace is not "
        "set (TF_WORKSPACE or --workspace)\n"
    )


@pytest.mark.parametrize(
    ("how", "env"),
    [(["--workspace", "production"], None), ([], {"TF_WORKSPACE": "production"})],
)
def test_workspace_from_option_or_tf_workspace(how: list[str], env: dict[str, str] | None) -> None:
    where = shown(READER / "workspace_count")
    code, out, _ = run("inventory", str(READER / "workspace_count"), *how, env=env)
    assert code == 0
    assert f"  admin [managed, jsonencode, 1 statements] attached to nothing  ({where}/main.tf:2)\n" in out
    assert "Not resolved" not in out


def test_other_workspace_is_not_instantiated() -> None:
    where = shown(READER / "workspace_count")
    code, out, _ = run("inventory", str(READER / "workspace_count"), "--workspace", "dev")
    assert code == 0
    assert out.endswith(
        "Not instantiated (no instance under the values given)\n"
        f'  {where}/main.tf:2: aws_iam_policy.admin: count is 0 (terraform.workspace = "dev")\n'
    )


def test_variable_without_value_in_count_is_unresolved() -> None:
    where = shown(READER / "var_count")
    code, out, _ = run("inventory", str(READER / "var_count"))
    assert code == 0
    assert (
        f"  {where}/main.tf:3: aws_iam_policy.deploy: count is not known: var.env has no value (no "
        "default, and not set by TF_VAR_env, a tfvars file, --var-file or --var)\n"
    ) in out


@pytest.mark.parametrize(
    "expr",
    [
        'var.x == "a" ? 1 : 0',
        'var.x != "a" ? 1 : 0',
        "!var.x ? 1 : 0",
        "var.x ? 1 : 0",
        "var.x + 1",
        "-var.x",
        "var.x > 2 ? 1 : 0",
        "var.x && true ? 1 : 0",
        "true && var.x ? 1 : 0",
        "false || var.x ? 1 : 0",
        "length(var.x)",
        "[1, 2][var.x]",
        '{ a = 1 }[var.x]',
        'contains(["a"], var.x) ? 1 : 0',
        'lower(var.x) == "a" ? 1 : 0',
        '"${var.x}" == "a" ? 1 : 0',
        'length("p-${var.x}") > 0 ? 1 : 0',
        "max(var.x, 1)",
        "var.x == null ? 0 : 1",
        "length([for v in var.x : v])",
        "coalesce(var.x, 1)",
        "try(var.x, 1)",
        "try(var.x.enabled, false) ? 1 : 0",
        "can(var.x.enabled) ? 1 : 0",
        'length(jsonencode({ a = var.x }))',
        'md5(jsonencode({ a = var.x })) == "" ? 0 : 1',
        'jsonencode({ a = var.x }) == "{}" ? 0 : 1',
    ],
)
def test_operators_on_unknown_give_unknown(tmp_path: Path, expr: str) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'variable "x" {}\n'
            'resource "aws_iam_user" "u" {\n'
            f"  count = {expr}\n"
            '  name  = "u"\n'
            "}\n"
        },
    )
    inv = build_inventory(tmp_path)
    assert inv.users == []
    assert inv.not_instantiated == []
    messages = [u.message for u in inv.unresolved if u.address == "aws_iam_user.u"]
    assert len(messages) == 1
    assert messages[0].startswith("count is not known: ")
    assert "var.x has no value" in messages[0]


@pytest.mark.parametrize(
    ("expr", "users"),
    [
        ("try(var.o.missing, 0)", 0),
        ("try(var.o.n, 0)", 2),
        ("can(var.o.missing) ? 1 : 0", 0),
        ("can(var.o.n) ? 1 : 0", 1),
        ("try(var.l[5], 1)", 1),
        ('lookup(var.o, "missing", 1)', 1),
    ],
)
def test_try_and_can_pass_over_errors_only(tmp_path: Path, expr: str, users: int) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'variable "o" {\n  default = { n = 2 }\n}\n'
            'variable "l" {\n  default = []\n}\n'
            'resource "aws_iam_user" "u" {\n'
            f"  count = {expr}\n"
            '  name  = "u${count.index}"\n'
            "}\n"
        },
    )
    inv = build_inventory(tmp_path)
    assert len(inv.users) == users
    assert [u for u in inv.unresolved if u.address.startswith("aws_iam_user")] == []


def test_for_each_over_unknown_is_unresolved(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'variable "names" {}\n'
            'resource "aws_iam_group" "g" {\n'
            "  for_each = toset(var.names)\n"
            "  name     = each.key\n"
            "}\n"
        },
    )
    inv = build_inventory(tmp_path)
    assert inv.groups == []
    [u] = [u for u in inv.unresolved if u.address == "aws_iam_group.g"]
    assert u.message.startswith("for_each is not known: ")
    assert "var.names has no value" in u.message


# --- 2. every declaration accounted for ----------------------------------------------------


def test_not_instantiated_text_and_json() -> None:
    where = shown(READER / "not_instantiated")
    tree = str(READER / "not_instantiated")
    code, out, _ = run("inventory", tree)
    assert code == 0
    assert out == (
        "0 groups, 0 users, 0 roles, 0 managed and 0 inline policies, 0 memberships, "
        "0 attachments in 2 files\n"
        "\n"
        "Not instantiated (no instance under the values given)\n"
        f"  {where}/main.tf:10: aws_iam_policy.admin: count is 0 (var.create = false)\n"
        f"  {where}/main.tf:19: aws_iam_user.people: for_each is empty (var.users = [])\n"
        f"  {where}/modules/team/main.tf:3: module.team.aws_iam_group.this: module.team has count 0 "
        "(var.create = false)\n"
        f"  {where}/modules/team/main.tf:7: module.team.aws_iam_group_policy.this: module.team has "
        "count 0 (var.create = false)\n"
    )
    code, out, _ = run("inventory", tree, "--format", "json")
    assert json.loads(out)["not_instantiated"] == [
        {"address": "aws_iam_policy.admin", "file": f"{where}/main.tf", "line": 10,
         "reason": "count is 0 (var.create = false)"},
        {"address": "aws_iam_user.people", "file": f"{where}/main.tf", "line": 19,
         "reason": "for_each is empty (var.users = [])"},
        {"address": "module.team.aws_iam_group.this", "file": f"{where}/modules/team/main.tf",
         "line": 3, "reason": "module.team has count 0 (var.create = false)"},
        {"address": "module.team.aws_iam_group_policy.this", "file": f"{where}/modules/team/main.tf",
         "line": 7, "reason": "module.team has count 0 (var.create = false)"},
    ]  # fmt: skip


def test_instantiated_once_the_values_say_so() -> None:
    code, out, _ = run(
        "inventory", str(READER / "not_instantiated"), "--var", "create=true",
        "--var", 'users=["ann"]',
    )  # fmt: skip
    assert code == 0
    assert out.startswith(
        "1 groups, 1 users, 0 roles, 1 managed and 1 inline policies, 0 memberships, "
        "0 attachments in 2 files\n"
    )
    assert "Not instantiated" not in out


def test_module_with_unknown_count_leaves_its_declarations_unresolved(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'variable "on" {}\nmodule "m" {\n  source = "./m"\n'
            "  count  = var.on ? 1 : 0\n}\n",
            "m/main.tf": 'resource "aws_iam_role" "r" {\n  name = "r"\n'
            '  assume_role_policy = "{}"\n}\n',
        },
    )
    inv = build_inventory(tmp_path)
    assert inv.roles == []
    found = {u.address: u.message for u in inv.unresolved}
    assert found["module.m[*].aws_iam_role.r"].startswith("module.m count is not known: ")


# The accounting invariant, over every tree the test suite and the examples hold.

_DECL = re.compile(r'^[ \t]*resource[ \t]+"(aws_iam_[a-z_]+)"[ \t]+"([^"]+)"', re.M)


def _trees() -> list[Path]:
    """The top-most directories holding .tf files (a tree with its modules)."""
    dirs = {tf.parent for base in (DATA, ROOT / "terraform_examples") for tf in base.rglob("*.tf")}
    return sorted(d for d in dirs if not any(p in dirs for p in d.parents))


def _declared(tree: Path) -> list[tuple[str, int, str]]:
    """(file, line, type) of every IAM resource block, by a plain text scan."""
    out = []
    for tf in sorted(tree.rglob("*.tf")):
        if any(part.startswith(".") for part in tf.relative_to(tree).parts):
            continue
        try:
            text = tf.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for m in _DECL.finditer(text):
            if m.group(1) in IAM_RESOURCE_TYPES:
                line = text.count("\n", 0, m.start()) + 1
                out.append((tf.relative_to(tree).as_posix(), line, m.group(1)))
    return out


@pytest.mark.parametrize("tree", _trees(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_iam_declaration_is_accounted_for(tree: Path) -> None:
    try:
        inv = build_inventory(tree, options=InventoryOptions())
    except Exception as exc:  # a tree the reader rejects as a whole (an error test's input)
        assert type(exc).__module__.startswith("lpgen"), exc
        return
    skipped = {w.address for w in inv.warnings}
    places: set[tuple[str, int]] = set()
    for name in (
        "groups", "users", "roles", "policies", "memberships", "attachments",
        "access_keys", "login_profiles", "password_policies", "unresolved", "not_instantiated",
    ):  # fmt: skip
        for item in getattr(inv, name):
            loc = item.location
            if loc is not None:
                places.add((loc.file, loc.line))
    for file, line, rtype in _declared(tree):
        if file in skipped or file.startswith(".terraform"):
            continue
        assert (file, line) in places, f"{tree.name}/{file}:{line} {rtype} is nowhere"
    lists = declaration_addresses(inv)
    for address, where in lists.items():
        assert not ("entities" in where and "not_instantiated" in where), address
    for ni in inv.not_instantiated:
        assert declaration_of(ni.address) == ni.address


# --- 5. never silent -------------------------------------------------------------------------

_SUMMARY = (
    "1 IAM declaration could not be fully evaluated: var.env has no value; see `lpgen inventory`"
)


@pytest.mark.parametrize("command", ["inventory", "check", "graph"])
def test_one_line_on_stderr_and_strict_exits_2(command: str) -> None:
    tree = str(READER / "var_count")
    code, _, err = run(command, tree)
    assert code == 0
    assert err == f"Warning: {_SUMMARY}\n"
    code, out, err = run(command, tree, "--strict")
    assert code == 2
    assert err == f"Error: {_SUMMARY}\n"
    assert out != ""  # the output is still written


def test_trim_says_so_too(tmp_path: Path) -> None:
    tree = write(
        tmp_path / "tree",
        {"main.tf": (READER / "var_count" / "main.tf").read_text(encoding="utf-8")},
    )
    snapshot = DATA / "trim" / "jsonencode" / "snapshot.json"
    code, _, err = run("trim", str(tree), "--snapshot", str(snapshot), "--no-git")
    assert code == 0
    assert err.splitlines()[0] == f"Warning: {_SUMMARY}"


def test_workspace_is_named_as_the_cause() -> None:
    code, _, err = run("inventory", str(READER / "workspace_count"))
    assert code == 0
    assert err == (
        "Warning: 1 IAM declaration could not be fully evaluated: terraform.workspace is not "
        "set (TF_WORKSPACE or --workspace); see `lpgen inventory`\n"
    )


def test_root_causes_are_named_not_what_they_caused() -> None:
    from lpgen.accounting import root_cause

    assert root_cause(
        "count is not known: contains(): var.env has no value (no default, and not set by ...)"
    ) == "var.env has no value"
    assert root_cause(
        "module.m count is not known: module module.this (cloudposse/label/null) is not followed"
    ) == "module module.this (cloudposse/label/null) is not followed"
    assert root_cause("name is not known: module.x.aws_iam_role.r[0].name is generated by AWS "
                      "from name_prefix") == "names generated by AWS from name_prefix"
    # A file read from a path built of something unknown counts by that cause, once.
    assert root_cause(
        "inline_policy is not known: file() path is not known: terraform.workspace is not set "
        "(TF_WORKSPACE or --workspace)"
    ) == root_cause("for_each is not known: terraform.workspace is not set "
                    "(TF_WORKSPACE or --workspace)")


def test_nothing_said_when_everything_is_known() -> None:
    code, _, err = run("inventory", str(READER / "not_instantiated"), "--strict")
    assert (code, err) == (0, "")


# --- 3. check judges the code, not one instantiation of it ----------------------------------


def test_check_reports_not_instantiated_declarations_marked() -> None:
    tree = READER / "not_instantiated"
    code, out, _ = run("check", str(tree), "--select", "LP010,LP011")
    assert code == 1
    assert out == (
        f"{shown(tree)}/main.tf:15: LP010 critical Policy 'admin' allows every action on every "
        "resource (statement 1) (not instantiated: count is 0 (var.create = false)) "
        "[aws_iam_policy.admin]\n"
        f"{shown(tree)}/modules/team/main.tf:11: LP011 medium Inline policy "
        "'module.team.aws_iam_group_policy.this' of group 'ops' allows every iam action "
        "(iam:*) on every resource (statement 1) (not instantiated: module.team has count 0 "
        "(var.create = false)) [module.team.aws_iam_group_policy.this]\n"
        "2 findings (1 critical, 1 medium).\n"
    )


def test_as_applied_leaves_out_what_the_values_do_not_create() -> None:
    code, out, _ = run(
        "check", str(READER / "not_instantiated"), "--select", "LP010,LP011", "--as-applied"
    )
    assert (code, out) == (0, "No findings.\n")


def test_unknown_instance_counts_are_checked_even_as_applied() -> None:
    tree = READER / "workspace_count"
    for extra in ([], ["--as-applied"]):
        code, out, _ = run("check", str(tree), *extra)
        assert code == 1
        assert out == (
            f"{shown(tree)}/main.tf:7: LP010 critical Policy 'admin' allows every action on every "
            "resource (statement 1) (instances not known: count is not known: "
            "terraform.workspace is not set (TF_WORKSPACE or --workspace)) "
            "[aws_iam_policy.admin]\n"
            "1 finding (1 critical).\n"
        )


def test_instantiated_declarations_are_not_marked() -> None:
    tree = READER / "workspace_count"
    code, out, _ = run("check", str(tree), "--workspace", "production")
    assert code == 1
    assert out == (
        f"{shown(tree)}/main.tf:7: LP010 critical Policy 'admin' allows every action on every "
        "resource (statement 1) [aws_iam_policy.admin[0]]\n"
        "1 finding (1 critical).\n"
    )


def test_generated_names_are_listed_but_do_not_fail_strict(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'resource "aws_iam_role" "r" {\n  name_prefix = "ci-"\n'
            '  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })\n}\n'
        },
    )
    code, out, err = run("inventory", str(tmp_path), "--strict")
    assert (code, err) == (0, "")
    assert "aws_iam_role.r: name is not known: aws_iam_role.r.name is generated by AWS" in out


def test_a_comment_on_the_block_silences_a_not_instantiated_finding(tmp_path: Path) -> None:
    text = (READER / "not_instantiated" / "main.tf").read_text(encoding="utf-8")
    text = text.replace(
        'resource "aws_iam_policy" "admin" {',
        '# lpgen:ignore LP010 break-glass policy, created by hand in an incident\n'
        'resource "aws_iam_policy" "admin" {',
    )
    write(tmp_path, {"main.tf": text})
    code, out, _ = run("check", str(tmp_path), "--select", "LP010")
    assert (code, out) == (0, "No findings; 1 suppressed.\n")

"""collect --org/--accounts: account listing (moto Organizations), role hops (moto STS and the
loopback endpoint), one snapshot per account, failures that stay local, shards, --max-age."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from lpgen.accounts import (
    Account,
    AssumeOptions,
    assume_role,
    list_org_accounts,
    parse_account_ids,
    parse_shard,
    shard_accounts,
)
from lpgen.cli import main
from lpgen.errors import AwsError, InputError
from lpgen.snapshot import load_snapshot
from tests.iam_server import FakeEntity, FakeIam, FakeService

UTC = timezone.utc
USED = datetime(2026, 11, 1, tzinfo=UTC)

TF = """
resource "aws_iam_policy" "dev" {
  name   = "dev"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
}
resource "aws_iam_group" "ops" {
  name = "ops"
}
"""


# --- Organizations (moto) -----------------------------------------------------------------


@pytest.fixture
def org() -> Iterator[dict[str, Any]]:
    """An organisation: the management account, 2 OUs (one nested), 25 members, 1 closed."""
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        prod = client.create_organizational_unit(ParentId=root, Name="prod")
        prod_id = prod["OrganizationalUnit"]["Id"]
        eu = client.create_organizational_unit(ParentId=prod_id, Name="prod-eu")
        eu_id = eu["OrganizationalUnit"]["Id"]
        ids: dict[str, str] = {}
        for i in range(25):
            name = f"team-{i:02d}" if i < 20 else f"sandbox-{i}"
            created = client.create_account(Email=f"a{i}@example.com", AccountName=name)
            account_id = created["CreateAccountStatus"]["AccountId"]
            ids[name] = account_id
            if i < 4:
                client.move_account(AccountId=account_id, SourceParentId=root,
                                    DestinationParentId=prod_id)  # fmt: skip
            elif i < 6:
                client.move_account(AccountId=account_id, SourceParentId=root,
                                    DestinationParentId=eu_id)  # fmt: skip
        client.close_account(AccountId=ids["sandbox-24"])
        yield {"client": client, "ids": ids, "root": root, "prod": prod_id, "eu": eu_id}


def test_every_page_of_active_accounts_sorted(org: dict[str, Any]) -> None:
    calls: list[str] = []
    client = org["client"]
    client.meta.events.register(
        "before-call.organizations.ListAccounts", lambda **kw: calls.append("ListAccounts")
    )
    accounts = list_org_accounts(client)
    ids = org["ids"]
    assert [a.id for a in accounts] == sorted(a.id for a in accounts)
    # 26 accounts in the organisation (management + 25), one of them closed.
    assert len(accounts) == 25
    assert ids["sandbox-24"] not in {a.id for a in accounts}
    assert len(calls) >= 2, "ListAccounts pages at 20: the second page must be read"
    assert {a.name for a in accounts} >= {"master", "team-00", "sandbox-23"}


def test_include_and_exclude_by_id_name_and_ou(org: dict[str, Any]) -> None:
    client, ids = org["client"], org["ids"]
    # An OU covers its nested OUs.
    under_prod = list_org_accounts(client, include=[org["prod"]])
    assert {a.name for a in under_prod} == {f"team-{i:02d}" for i in range(6)}
    only_eu = list_org_accounts(client, include=[org["eu"]])
    assert {a.name for a in only_eu} == {"team-04", "team-05"}
    # Name globs (case-insensitive) and ids; exclude wins.
    chosen = list_org_accounts(
        client, include=["SANDBOX-*", ids["team-10"]], exclude=[ids["sandbox-21"]]
    )
    assert {a.name for a in chosen} == {"sandbox-20", "sandbox-22", "sandbox-23", "team-10"}
    rest = list_org_accounts(client, exclude=[org["prod"], "sandbox-*", "master"])
    assert {a.name for a in rest} == {f"team-{i:02d}" for i in range(6, 20)}


def test_an_include_that_matches_nothing_is_an_error(org: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="--include-account 'prod-\\*' matches no ACTIVE"):
        list_org_accounts(org["client"], include=["prod-*"])
    with pytest.raises(InputError, match="not an OU id"):
        list_org_accounts(org["client"], include=["ou-x"])


def test_listing_denied_is_a_clear_error() -> None:
    from botocore.stub import Stubber

    client = boto3.client("organizations", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error(
            "list_accounts",
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
            400,
        )
        with pytest.raises(AwsError) as caught:
            list_org_accounts(client)
    assert str(caught.value) == (
        "cannot list the organisation's accounts: AccessDeniedException: You don't have "
        "permissions to access this resource. (run from the management account or a "
        "delegated administrator, with organizations:ListAccounts)"
    )


def test_role_hop_with_moto_sts() -> None:
    with mock_aws():
        sts = boto3.client("sts", region_name="us-east-1")
        options = AssumeOptions(
            role_name="security/lpgen-collector",
            external_id="ext-123",
            session_name="ci-run",
            duration=900,
        )
        role_arn = options.role_arn("aws", "444455556666")
        assert role_arn == "arn:aws:iam::444455556666:role/security/lpgen-collector"
        credentials = assume_role(sts, role_arn, options)
        hop = boto3.client(
            "sts",
            region_name="us-east-1",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        who = hop.get_caller_identity()
        assert who["Account"] == "444455556666"
        assert who["Arn"] == "arn:aws:sts::444455556666:assumed-role/lpgen-collector/ci-run"


def test_assume_options_are_validated() -> None:
    with pytest.raises(InputError, match=r"--duration must be 900\.\.43200"):
        AssumeOptions(duration=60)
    with pytest.raises(InputError, match="--session-name"):
        AssumeOptions(session_name="a b")
    with pytest.raises(InputError, match="--role-name"):
        AssumeOptions(role_name="bad name")


def test_account_list_parsing() -> None:
    assert parse_account_ids(["111122223333, 444455556666", "111122223333"]) == [
        Account("111122223333"),
        Account("444455556666"),
    ]
    with pytest.raises(InputError, match="'12345' is not a 12-digit AWS account id"):
        parse_account_ids(["12345"])


# --- shards -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    ids=st.sets(st.integers(min_value=0, max_value=10**12 - 1), max_size=300),
    n=st.integers(min_value=1, max_value=40),
)
def test_every_account_is_in_exactly_one_shard(ids: set[int], n: int) -> None:
    accounts = [Account(f"{i:012d}") for i in ids]
    shards = [shard_accounts(accounts, k, n) for k in range(1, n + 1)]
    seen = [a.id for shard in shards for a in shard]
    assert sorted(seen) == sorted(a.id for a in accounts)  # all, each once
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1  # balanced
    # Deterministic whatever order the accounts come in.
    again = [shard_accounts(list(reversed(accounts)), k, n) for k in range(1, n + 1)]
    assert again == shards


def test_shard_parsing() -> None:
    assert parse_shard("2/5") == (2, 5)
    for bad in ("0/3", "4/3", "1", "a/b"):
        with pytest.raises(InputError, match="--shard"):
            parse_shard(bad)


# --- a whole run against the loopback endpoint -----------------------------------------------

A, B, C, D = "111111111111", "222222222222", "333333333333", "444444444444"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIam]:
    with FakeIam("999999999999", seed=3) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", fake.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
        for account in (A, B, C, D):
            fake.add(
                FakeEntity(
                    "policy",
                    "dev",
                    account=account,
                    services=[FakeService("s3", last_authenticated=USED), FakeService("ec2")],
                )
            )
            fake.add(
                FakeEntity(
                    "group",
                    "ops",
                    account=account,
                    services=[FakeService("iam", last_authenticated=USED)],
                )
            )
        yield fake


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tf"
    root.mkdir(parents=True)
    (root / "iam.tf").write_text(TF, encoding="utf-8")
    return root


def normalise(text: str) -> str:
    return re.sub(r"in \d+\.\ds", "in Ns", text)


def test_accounts_run_failures_stay_local(endpoint: FakeIam, tmp_path: Path) -> None:
    endpoint.deny_assume.add(B)
    endpoint.deny_iam.add(C)
    endpoint.account_throttle[D] = 0.3
    out = tmp_path / "snapshots"
    result = CliRunner().invoke(
        main,
        [
            "collect", str(tree(tmp_path)), "--out", str(out),
            "--accounts", f"{A},{B}", "--accounts", f"{C} {D}",
            "--external-id", "ext-1", "--duration", "900", "--concurrency", "3",
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    denied = (
        "AssumeRole arn:aws:iam::222222222222:role/lpgen-collector: AccessDenied: User: "
        "arn:aws:iam::999999999999:user/lpgen is not authorized to perform: sts:AssumeRole "
        "on resource: arn:aws:iam::222222222222:role/lpgen-collector"
    )
    iam_denied = (
        "GetPolicy: AccessDenied: User: arn:aws:sts::333333333333:assumed-role/x is not "
        "authorized to perform: iam:GetPolicy"
    )
    assert normalise(result.stdout) == (
        "ACCOUNT       NAME  OUTCOME  ENTITIES  COMPLETED  PROBLEMS  DETAIL\n"
        "111111111111  -     ok       2         2          0\n"
        f"222222222222  -     failed   0         0          0         {denied}\n"
        f"333333333333  -     failed   2         0          2         {iam_denied}\n"
        "444444444444  -     ok       2         2          0\n"
        f"4 accounts into {out} in Ns at concurrency 3: 2 ok, 2 failed\n"
        f"Summary written to {out / 'summary.json'}.\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [
        f"{A}.json", f"{B}.error.json", f"{C}.json", f"{D}.json", "summary.json",
    ]  # fmt: skip
    for account in (A, D):
        snapshot = load_snapshot(out / f"{account}.json")
        assert snapshot.account_id == account
        assert [e.effective_status for e in snapshot.entities] == ["COMPLETED", "COMPLETED"]
        assert snapshot.entities[0].arn == f"arn:aws:iam::{account}:policy/dev"
    error = json.loads((out / f"{B}.error.json").read_text())
    assert (error["format"], error["account_id"], error["error"]) == (
        "lpgen.collect-error/1", B, denied,
    )  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert summary["format"] == "lpgen.collect-summary/1" and summary["all_ok"] is False
    assert [(r["account_id"], r["outcome"]) for r in summary["accounts"]] == [
        (A, "ok"), (B, "failed"), (C, "failed"), (D, "ok"),
    ]  # fmt: skip
    # Throttled calls in D were retried, nothing lost.
    assert endpoint.account_throttled[D] > 0
    # Every hop asked for the options given, once per account.
    assert {(a["ExternalId"], a["DurationSeconds"]) for a in endpoint.assumed} == {("ext-1", "900")}
    assert len(endpoint.assumed) == 3

    # trim refuses the directory while B has no usage data; the error says what to do.
    trimmed = CliRunner().invoke(main, ["trim", str(tree(tmp_path / "x")), "--snapshot", str(out)])
    assert trimmed.exit_code == 2
    assert trimmed.stderr == (
        f"Error: {out}: account {B} has no snapshot, only an error record: {denied}; collect "
        f"it again, or delete {B}.error.json to go on without its usage\n"
    )
    # snapshot show summarises the whole directory.
    shown = CliRunner().invoke(main, ["snapshot", "show", str(out)])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.count("Snapshot ") == 3
    assert shown.stdout.endswith(f"Account {B}: no snapshot: {denied}\n")
    as_json = json.loads(CliRunner().invoke(main, ["snapshot", "show", str(out), "--format",
                                                   "json"]).stdout)  # fmt: skip
    assert [len(as_json["snapshots"]), as_json["failed"][0]["account_id"]] == [3, B]


def test_rerun_with_max_age_skips_fresh_accounts(endpoint: FakeIam, tmp_path: Path) -> None:
    out = tmp_path / "snapshots"
    path = tree(tmp_path)
    endpoint.deny_assume.add(B)
    first = CliRunner().invoke(main, ["collect", str(path), "--out", str(out), "--accounts",
                                      f"{A},{B}"])  # fmt: skip
    assert first.exit_code == 1
    endpoint.deny_assume.clear()
    endpoint.assumed.clear()
    again = CliRunner().invoke(main, ["collect", str(path), "--out", str(out), "--accounts",
                                      f"{A},{B}", "--max-age", "12h"])  # fmt: skip
    assert again.exit_code == 0, again.output
    lines = normalise(again.stdout).splitlines()
    assert lines[1].split()[:3] == [A, "-", "fresh"]
    assert lines[1].endswith("snapshot younger than --max-age, skipped")
    assert lines[2].split()[:3] == [B, "-", "ok"]
    assert [a["Arn"].split(":")[4] for a in endpoint.assumed] == [B]
    # B's stale error record is gone; the directory now feeds trim.
    assert sorted(p.name for p in out.iterdir()) == [f"{A}.json", f"{B}.json", "summary.json"]
    trimmed = CliRunner().invoke(main, ["trim", str(path), "--snapshot", str(out)])
    assert trimmed.exit_code == 0, trimmed.output


def test_shards_of_a_run_and_merge(endpoint: FakeIam, tmp_path: Path) -> None:
    path = tree(tmp_path)
    runner = CliRunner()
    outs = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard-{k}"
        result = runner.invoke(main, ["collect", str(path), "--out", str(out), "--accounts",
                                      f"{D},{C},{B},{A}", "--shard", f"{k}/3"])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"(shard {k}/3)" in result.stdout
        outs.append(out)
    got = [sorted(p.name for p in o.glob("*.json") if p.name != "summary.json") for o in outs]
    assert got == [[f"{A}.json", f"{D}.json"], [f"{B}.json"], [f"{C}.json"]]
    merged = tmp_path / "all"
    result = runner.invoke(main, ["snapshot", "merge", *map(str, outs), "--out", str(merged)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Merged 4 accounts into {merged}: 4 snapshots, 0 error records.\n"
    assert sorted(p.name for p in merged.iterdir()) == [f"{x}.json" for x in (A, B, C, D)]
    # A conflicting duplicate (same account, other data) is refused, nothing written.
    other = tmp_path / "other"
    other.mkdir()
    data = json.loads((outs[0] / f"{A}.json").read_text())
    data["entities"] = data["entities"][:1]
    (other / f"{A}.json").write_text(json.dumps(data))
    target = tmp_path / "refused"
    result = runner.invoke(main, ["snapshot", "merge", str(outs[0]), str(other), "--out",
                                  str(target)])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {other / (A + '.json')}: account {A} is also in {outs[0] / (A + '.json')} "
        "with other data; merge one of them\n"
    )
    assert not target.exists()


def test_org_options_need_org(tmp_path: Path) -> None:
    path = tree(tmp_path)
    runner = CliRunner()
    cases = [
        (["--shard", "1/2"], "--shard and --max-age need --org or --accounts"),
        (["--include-account", "x"], "--include-account/--exclude-account need --org"),
        (["--org", "--accounts", A], "--org and --accounts are mutually exclusive"),
    ]
    for extra, message in cases:
        result = runner.invoke(main, ["collect", str(path), "--out", str(tmp_path / "o"), *extra])
        assert result.exit_code == 2
        assert message in result.stderr


def test_documented_first_hop_permissions_match_the_calls(org: dict[str, Any]) -> None:
    from lpgen.inventory import InventoryOptions, build_inventory

    client = org["client"]
    called: set[str] = set()
    client.meta.events.register(
        "before-call.organizations.*",
        lambda model, **kw: called.add(f"organizations:{model.name}"),
    )
    list_org_accounts(client, include=[org["prod"]])
    called.add("sts:AssumeRole")

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "permissions.md").read_text(encoding="utf-8")
    section = doc[doc.index("**First hop"):doc.index("**Second hop")]
    documented = set(re.findall(r"^\| `((?:organizations|sts):\w+)`", section, re.M))
    assert documented == called

    inventory = build_inventory(
        root / "terraform_examples" / "lpgen-collector",
        options=InventoryOptions(variables=(("runner_role_name", "ci"),)),
    )
    [hop] = [p for p in inventory.policies if p.name == "lpgen-collect-org"]
    assert hop.document is not None
    in_terraform = {e.value for s in hop.document.statements for e in s.actions or []}
    assert in_terraform == called


# --- a directory of snapshots feeds trim, check and graph -------------------------------------

CASE = Path(__file__).parent / "data" / "trim" / "jsonencode"


def used_everywhere(data: dict[str, Any], account: str) -> dict[str, Any]:
    """The same entities in another account, where every service and action was used."""
    text = json.dumps(data).replace(data["account_id"], account)
    other = json.loads(text)
    for entity in other["entities"]:
        for service in entity["details"]["ServicesLastAccessed"]:
            service["LastAuthenticated"] = "2026-11-19T00:00:00+00:00"
            for action in service.get("TrackedActionsLastAccessed") or []:
                action["LastAccessedTime"] = "2026-11-19T00:00:00+00:00"
    return other


def test_a_policy_used_in_one_account_is_used(tmp_path: Path) -> None:
    import shutil

    tree_dir = tmp_path / "tree"
    shutil.copytree(CASE / "input", tree_dir)
    data = json.loads((CASE / "snapshot.json").read_text())
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / f"{data['account_id']}.json").write_text(json.dumps(data))
    both = tmp_path / "both"
    both.mkdir()
    (both / f"{data['account_id']}.json").write_text(json.dumps(data))
    (both / f"{D}.json").write_text(json.dumps(used_everywhere(data, D)))
    (both / "summary.json").write_text("{}")  # ignored

    runner = CliRunner()
    one = runner.invoke(main, ["trim", str(tree_dir), "--snapshot", str(alone), "--no-git",
                               "--format", "json"])  # fmt: skip
    assert one.exit_code == 0, one.output
    assert [r["status"] for r in json.loads(one.stdout)["policies"]] == ["trimmed"]
    two = runner.invoke(main, ["trim", str(tree_dir), "--snapshot", str(both), "--no-git",
                               "--format", "json"])  # fmt: skip
    assert two.exit_code == 0, two.output
    assert [r["status"] for r in json.loads(two.stdout)["policies"]] == ["unchanged"]
    # check and graph read the directory too.
    checked = runner.invoke(main, ["check", str(tree_dir), "--snapshot", str(both), "--no-git",
                                   "--select", "LP003", "--fail-on", "never"])  # fmt: skip
    assert checked.exit_code == 0, checked.output
    drawn = runner.invoke(main, ["graph", str(tree_dir), "--snapshot", str(both),
                                 "--format", "json"])  # fmt: skip
    assert drawn.exit_code == 0, drawn.output
    # A stray file in the directory is an error, never skipped.
    (both / "notes.json").write_text("{}")
    bad = runner.invoke(main, ["trim", str(tree_dir), "--snapshot", str(both)])
    assert bad.exit_code == 2
    assert bad.stderr.startswith(f"Error: {both / 'notes.json'}: not a snapshot directory entry")


def test_collect_org_end_to_end(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--org: Organizations from moto, STS and IAM from the loopback endpoint."""
    with FakeIam("999999999999", seed=7) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", fake.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
        with mock_aws(config={"core": {"passthrough": {"services": ["iam", "sts"]}}}):
            client = boto3.client("organizations", region_name="us-east-1")
            client.create_organization(FeatureSet="ALL")
            root = client.list_roots()["Roots"][0]["Id"]
            ou = client.create_organizational_unit(ParentId=root, Name="workloads")
            ou_id = ou["OrganizationalUnit"]["Id"]
            members = []
            for name in ("app-prod", "app-dev", "data-prod"):
                created = client.create_account(Email=f"{name}@example.com", AccountName=name)
                account = created["CreateAccountStatus"]["AccountId"]
                members.append(account)
                if name != "data-prod":
                    client.move_account(AccountId=account, SourceParentId=root,
                                        DestinationParentId=ou_id)  # fmt: skip
                fake.add(FakeEntity("policy", "dev", account=account,
                                    services=[FakeService("s3", last_authenticated=USED)]))
                fake.add(FakeEntity("group", "ops", account=account))  # fmt: skip
            out = tmp_path / "org"
            result = CliRunner().invoke(
                main,
                ["collect", str(tree(tmp_path)), "--org", "--include-account", ou_id,
                 "--include-account", "data-*", "--exclude-account", "app-dev",
                 "--out", str(out)],
            )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = dict(zip(("app-prod", "app-dev", "data-prod"), members, strict=True))
    lines = result.stdout.splitlines()
    assert sorted(line.split()[1] for line in lines[1:3]) == ["app-prod", "data-prod"]
    assert lines[3].startswith(f"2 accounts into {out} in ")
    assert sorted(p.name for p in out.glob("*.json")) == sorted(
        [f"{names['app-prod']}.json", f"{names['data-prod']}.json", "summary.json"]
    )
    assert {a["Arn"].split(":")[4] for a in fake.assumed} == {names["app-prod"],
                                                              names["data-prod"]}  # fmt: skip

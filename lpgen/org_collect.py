"""Collect many accounts in one run: a role hop per account, one snapshot per account.

Every account gets the collector role assumed once (its jobs must be read by the session
that started them), its own IAM client and throttling lane, and its own file in the output
directory (see :mod:`lpgen.snapshots_dir`). All accounts share one scheduler, so the one
``--concurrency`` bounds the calls in flight across and within accounts; a few accounts are
open at a time, in order, so that no session sits idle towards its expiry. A failure stays
with its account: it is recorded and the others go on.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from lpgen.account_map import AccountMap
from lpgen.accounts import Account, AssumeOptions, assume_role
from lpgen.awscalls import error_code
from lpgen.collect import (
    _RETRY_CODES,
    AccountCollection,
    CollectOptions,
    CollectTarget,
    FirstHop,
    JobTimer,
    Progress,
    SkippedEntity,
    _error_text,
    assumed_keys,
    make_scheduler,
    utc_now,
)
from lpgen.errors import InputError, LpgenError
from lpgen.fsutil import write_atomic
from lpgen.model import Inventory
from lpgen.scheduler import Scheduler
from lpgen.snapshot import format_time
from lpgen.snapshots_dir import (
    SUMMARY_FILE,
    SUMMARY_FORMAT,
    ErrorRecord,
    fresh_snapshot,
    save_into,
    snapshot_path,
    write_error,
)

Outcome = Literal["ok", "incomplete", "failed", "fresh"]
_OUTCOMES: tuple[Outcome, ...] = ("ok", "fresh", "incomplete", "failed")


class AccountProgress(Progress, Protocol):
    """Progress that also hears when an account ends (to count what it never reached)."""

    def account_done(self, result: AccountResult) -> None: ...


@dataclass
class AccountResult:
    """What happened to one account."""

    account: Account
    outcome: Outcome
    file: str = ""
    entities: int = 0
    completed: int = 0
    missing: int = 0
    problems: int = 0
    retries: int = 0
    error: str = ""
    elapsed: float = 0.0
    # Targets planned but never collected (the role could not be assumed).
    unreached: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account.id,
            "name": self.account.name,
            "outcome": self.outcome,
            "file": self.file,
            "entities": self.entities,
            "completed": self.completed,
            "missing": self.missing,
            "problems": self.problems,
            "retries": self.retries,
            "error": self.error,
            "seconds": round(self.elapsed, 1),
        }


@dataclass
class OrgResult:
    out_dir: Path
    accounts: list[AccountResult]
    skipped: tuple[SkippedEntity, ...]
    elapsed: float
    concurrency: int
    shard: tuple[int, int] | None = None
    summary_file: str = ""

    @property
    def all_ok(self) -> bool:
        return all(r.outcome in ("ok", "fresh") for r in self.accounts)


@dataclass(frozen=True)
class OrgOptions:
    """Where to write, how to hop, what to skip."""

    out_dir: Path
    assume: AssumeOptions = field(default_factory=AssumeOptions)
    # Skip an account whose snapshot in out_dir is at most this many seconds old.
    max_age: float | None = None
    shard: tuple[int, int] | None = None


PlanFn = Callable[[str, str], Sequence[CollectTarget]]


class _Run:
    def __init__(
        self,
        *,
        hop: FirstHop,
        plan: PlanFn,
        options: CollectOptions,
        org: OrgOptions,
        progress: AccountProgress | None,
        monotonic: Callable[[], float],
        inventory: Inventory | None = None,
    ) -> None:
        self.hop = hop
        # Permission sets are provisioned into member accounts: each account is searched
        # for the AWSReservedSSO_* roles of every permission set the tree declares.
        self.inventory = inventory
        self.sso = bool(inventory is not None and inventory.permission_sets)
        self.plan = plan
        self.options = options
        self.org = org
        self.progress = progress
        self.monotonic = monotonic
        self.partition = hop.identity.partition
        self.deadline = monotonic() + options.timeout
        self.results: dict[str, AccountResult] = {}
        self._queue: deque[Account] = deque()
        self._lock = threading.Lock()
        self.scheduler: Scheduler = make_scheduler(options, monotonic=monotonic)
        self.sts = hop.client("sts")
        self.timer = JobTimer()

    def start(self, accounts: Sequence[Account]) -> None:
        self._queue.extend(accounts)
        # A few accounts open at a time: enough to keep every worker busy while one
        # account's jobs run, few enough that sessions are used soon after they start.
        for _ in range(max(2, self.options.concurrency)):
            self._open_next()

    def _open_next(self) -> None:
        with self._lock:
            if not self._queue:
                return
            account = self._queue.popleft()
        self.scheduler.submit(self._open(account), gated=False)

    def _finish(self, result: AccountResult) -> None:
        with self._lock:
            self.results[result.account.id] = result
        if self.progress is not None:
            self.progress.account_done(result)
        self._open_next()

    def _open(self, account: Account) -> Generator[float, None, None]:
        started = self.monotonic()
        targets = list(self.plan(account.id, self.partition))
        if not targets and not self.sso:
            # Nothing of the tree is applied to this account: an empty snapshot, no AWS call.
            self._write(account, self._collection(account, None, []), started)
            return
        if self.monotonic() >= self.deadline:
            self._fail(account, "not collected: the --timeout was reached", started, targets)
            return
        role_arn = self.org.assume.role_arn(self.partition, account.id)
        attempt = 0
        while True:
            try:
                credentials = assume_role(self.sts, role_arn, self.org.assume)
                break
            except Exception as exc:
                # STS throttles too (what botocore's retries left): back off, then give up.
                if error_code(exc) in _RETRY_CODES and attempt < self.options.retry_attempts:
                    attempt += 1
                    yield min(self.options.retry_max, self.options.retry_base * 2**attempt)
                    continue
                self._fail(account, _error_text(exc, f"AssumeRole {role_arn}"), started, targets)
                return
        iam = self.hop.client("iam", assumed_keys(credentials))
        if self.sso and self.inventory is not None:
            from lpgen.collect import sso_targets_for

            try:
                sso_targets, _not_found = sso_targets_for(self.inventory, iam)
            except LpgenError as exc:
                self._fail(account, str(exc), started, targets)
                return
            targets.extend(sso_targets)
            grow = getattr(self.progress, "grow", None)
            if sso_targets and grow is not None:
                grow(len(sso_targets))
        run = self._collection(account, iam, targets)
        if self.inventory is not None:
            from lpgen.aws_managed import attached_aws_managed, fetch_aws_managed

            arns = attached_aws_managed(self.inventory)
            if arns:
                run.aws_managed_policies = fetch_aws_managed(iam, arns)
        run.submit(self.scheduler, lambda done: self._write(account, done, started))

    def _collection(
        self, account: Account, iam: Any, targets: Sequence[CollectTarget]
    ) -> AccountCollection:
        return AccountCollection(
            targets,
            iam_client=iam,
            options=self.options,
            account_id=account.id,
            partition=self.partition,
            collected_at=utc_now(),
            deadline=self.deadline,
            monotonic=self.monotonic,
            progress=self.progress,
            timer=self.timer,
        )

    def _fail(
        self, account: Account, error: str, started: float, targets: Sequence[CollectTarget]
    ) -> None:
        path = write_error(
            self.org.out_dir, ErrorRecord(account.id, error, utc_now(), name=account.name)
        )
        self._finish(
            AccountResult(
                account,
                "failed",
                file=str(path),
                error=error,
                elapsed=self.monotonic() - started,
                unreached=len(targets),
            )
        )

    def _write(self, account: Account, run: AccountCollection, started: float) -> None:
        snapshot = run.snapshot()
        try:
            path = save_into(self.org.out_dir, snapshot)
        except LpgenError as exc:
            # A full disk or a read-only directory: this account's result is lost, say so.
            self._finish(AccountResult(account, "failed", error=str(exc),
                                       elapsed=self.monotonic() - started))  # fmt: skip
            return
        statuses = [e.effective_status for e in snapshot.entities]
        completed = statuses.count("COMPLETED")
        missing = statuses.count("missing")
        problems = len(statuses) - completed - missing
        errors = [e.error for e in snapshot.entities if e.error and e.effective_status == "error"]
        outcome: Outcome = "ok"
        if problems:
            outcome = "failed" if completed == 0 else "incomplete"
        self._finish(
            AccountResult(
                account,
                outcome,
                file=str(path),
                entities=len(statuses),
                completed=completed,
                missing=missing,
                problems=problems,
                retries=run.stats.retries,
                error=errors[0] if errors else "",
                elapsed=self.monotonic() - started,
            )
        )


def plan_by_account(inventory: Inventory, amap: AccountMap) -> PlanFn:
    """Targets per account from the roots→accounts map.

    An entity declared in a file under a mapped root (the deepest one) is collected in that
    root's accounts; one declared anywhere else (an unmapped root, a module outside every
    root) in every account: an entity an account does not have just comes back "missing".
    """
    import dataclasses

    from lpgen.collect import plan_targets

    roots = sorted(amap.mapped, key=lambda m: -len(m.root))

    def owner(location: Any) -> tuple[str, ...] | None:
        file = getattr(location, "file", None)
        if not file:
            return None
        for m in roots:
            if m.root == "." or file == m.root or file.startswith(m.root + "/"):
                return m.accounts
        return None

    def plan(account_id: str, partition: str) -> Sequence[CollectTarget]:
        def keep(entity: Any) -> bool:
            accounts = owner(entity.location)
            return accounts is None or account_id in accounts

        part = dataclasses.replace(
            inventory,
            groups=[g for g in inventory.groups if keep(g)],
            users=[u for u in inventory.users if keep(u)],
            roles=[r for r in inventory.roles if keep(r)],
            policies=[p for p in inventory.policies if keep(p)],
        )
        return plan_targets(part, account_id=account_id, partition=partition).targets

    return plan


def run_org_collect(
    inventory: Inventory,
    accounts: Sequence[Account],
    *,
    hop: FirstHop,
    options: CollectOptions,
    org: OrgOptions,
    progress: AccountProgress | None = None,
    plan: PlanFn | None = None,
    now: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
) -> OrgResult:
    """Collect every account (skipping fresh ones), one snapshot or error record each.

    ``plan(account_id, partition)`` gives an account's targets; by default every entity of
    the inventory (the same code applied to every account).
    """
    from lpgen.collect import plan_targets

    started = monotonic()
    skipped = plan_targets(inventory, account_id="000000000000", partition="aws").skipped
    if plan is None:

        def plan(account_id: str, partition: str) -> Sequence[CollectTarget]:
            return plan_targets(inventory, account_id=account_id, partition=partition).targets
    org.out_dir.mkdir(parents=True, exist_ok=True)
    results: list[AccountResult] = []
    todo: list[Account] = []
    moment = now()
    for account in accounts:
        if org.max_age is not None and fresh_snapshot(
            org.out_dir, account.id, now=moment, max_age=org.max_age
        ):
            file = str(snapshot_path(org.out_dir, account.id))
            results.append(AccountResult(account, "fresh", file=file))
        else:
            todo.append(account)
    run = _Run(hop=hop, plan=plan, options=options, org=org, progress=progress,
               monotonic=monotonic, inventory=inventory)  # fmt: skip
    total = sum(len(plan(a.id, hop.identity.partition)) for a in todo)
    if progress is not None:
        progress.start(total)
    try:
        run.start(todo)
        run.scheduler.run()
    finally:
        if progress is not None:
            progress.finish()
    results.extend(run.results[a.id] for a in todo)
    order = {a.id: i for i, a in enumerate(accounts)}
    results.sort(key=lambda r: order[r.account.id])
    result = OrgResult(
        out_dir=org.out_dir,
        accounts=results,
        skipped=skipped,
        elapsed=monotonic() - started,
        concurrency=options.concurrency,
        shard=org.shard,
    )
    result.summary_file = str(write_summary(result, at=moment))
    return result


def write_summary(result: OrgResult, *, at: datetime) -> Path:
    path = result.out_dir / SUMMARY_FILE
    data = {
        "format": SUMMARY_FORMAT,
        "started_at": format_time(at),
        "shard": f"{result.shard[0]}/{result.shard[1]}" if result.shard else None,
        "all_ok": result.all_ok,
        "accounts": [r.to_dict() for r in result.accounts],
    }
    write_atomic(path, json.dumps(data, indent=2) + "\n", what="summary")
    return path


def render_org_summary(result: OrgResult) -> str:
    """The per-account table ``lpgen collect --org/--accounts`` prints at the end."""
    rows = [("ACCOUNT", "NAME", "OUTCOME", "ENTITIES", "COMPLETED", "PROBLEMS", "DETAIL")]
    for r in result.accounts:
        detail = r.error
        if r.outcome == "fresh":
            detail = "snapshot younger than --max-age, skipped"
        rows.append(
            (
                r.account.id,
                r.account.name or "-",
                r.outcome,
                str(r.entities) if r.outcome != "fresh" else "-",
                str(r.completed) if r.outcome != "fresh" else "-",
                str(r.problems) if r.outcome != "fresh" else "-",
                detail,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:6])) + "  " + row[6]
        for row in rows
    ]
    lines = [line.rstrip() for line in lines]
    counts: dict[str, int] = {}
    for r in result.accounts:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    shard = f" (shard {result.shard[0]}/{result.shard[1]})" if result.shard else ""
    lines.append(
        f"{len(result.accounts)} accounts{shard} into {result.out_dir} in {result.elapsed:.1f}s "
        f"at concurrency {result.concurrency}: "
        + ", ".join(f"{counts[k]} {k}" for k in _OUTCOMES if k in counts)
    )
    if result.skipped:
        lines.append(f"Skipped {len(result.skipped)} entities whose name is not known:")
        lines.extend(
            f"  {s.location + ': ' if s.location else ''}{s.address}: {s.reason}"
            for s in result.skipped
        )
    lines.append(f"Summary written to {result.summary_file}.")
    return "\n".join(lines)


def collect_accounts(
    inventory: Inventory,
    *,
    aws: Any,
    org: bool,
    account_ids: Sequence[str],
    include: Sequence[str],
    exclude: Sequence[str],
    options: CollectOptions,
    org_options: OrgOptions,
    progress: AccountProgress | None = None,
    account_map: AccountMap | None = None,
) -> OrgResult:
    """The whole ``collect --org/--accounts`` run: first hop, account list, shard, collect.

    With an ``account_map`` (roots mapped to accounts), each account gets the entities of
    its roots (see :func:`plan_by_account`).
    """
    from lpgen.accounts import list_org_accounts, parse_account_ids, shard_accounts
    from lpgen.collect import open_first_hop

    explicit = parse_account_ids(account_ids) if not org else None
    hop = open_first_hop(aws)
    if explicit is not None:
        accounts = explicit
    else:
        accounts = list_org_accounts(
            hop.client("organizations"), include=include, exclude=exclude
        )
        if not accounts:
            raise InputError("the organisation has no ACTIVE account left after the selection")
    if org_options.shard is not None:
        accounts = shard_accounts(accounts, *org_options.shard)
    plan = plan_by_account(inventory, account_map) if account_map else None
    return run_org_collect(
        inventory, accounts, hop=hop, options=options, org=org_options, progress=progress,
        plan=plan,
    )  # fmt: skip

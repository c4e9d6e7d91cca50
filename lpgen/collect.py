"""Collect IAM Access Advisor data with boto3 for what a Terraform tree declares, into a Snapshot.

For every customer-managed policy, every group, and every user and role that owns inline
policies: describe it (GetPolicy/GetGroup/GetUser/GetRole: create date, attachments, the
real ARN), GenerateServiceLastAccessedDetails, poll GetServiceLastAccessedDetails until the
job leaves IN_PROGRESS and read every page (Access Advisor has no botocore paginator), and
for groups read GetServiceLastAccessedDetailsWithEntities for each used service.

Every target gets a record: a job that FAILED or did not finish in time is an error for that
entity, never "unused"; an entity absent in AWS is "missing" and the run goes on. The IAM
client is passed in (one per account, shared by the worker threads; boto3 clients are
thread-safe) so tests hand in a Stubber-ed one; :func:`open_clients` builds it for the CLI.
"""

from __future__ import annotations

import functools
import random
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, Literal, Protocol

from lpgen import __version__
from lpgen.awscalls import error_code
from lpgen.errors import AwsError, InputError
from lpgen.model import Inventory, iam_arn
from lpgen.scheduler import Lane, Scheduler
from lpgen.snapshot import (
    Kind,
    Snapshot,
    SnapshotEntity,
    Status,
    format_time,
    normalise_response,
    normalise_time,
    parse_arn,
)

Granularity = Literal["ACTION_LEVEL", "SERVICE_LEVEL"]

# IAM error codes we back off and retry ourselves. botocore's standard mode retries
# `Throttling` but not IAM's `LimitExceeded` (botocore/retries/standard.py,
# ThrottledRetryableChecker); a Stubber-ed client bypasses botocore's retries entirely,
# and a retry quota that runs dry hands throttling back to us too.
_RETRY_CODES = frozenset(
    {"LimitExceeded", "Throttling", "ThrottlingException", "RequestLimitExceeded"}
)
_MISSING_CODES = frozenset({"NoSuchEntity"})


@dataclass(frozen=True)
class CollectOptions:
    """How ``collect`` runs. Frozen: one value per run, safe to share between threads."""

    granularity: Granularity = "ACTION_LEVEL"
    concurrency: int = 4
    # Overall limit for the run, in seconds; entities not done by then are recorded as errors.
    timeout: float = 1800.0
    # Polling an IN_PROGRESS job: wait after the first IN_PROGRESS answer, growth factor,
    # cap (seconds). The very first poll waits for most of the account's typical job time.
    poll_initial: float = 0.25
    poll_factor: float = 1.5
    poll_max: float = 10.0
    # Jobs in flight per worker thread: waiting jobs do not hold a thread.
    jobs_per_worker: int = 8
    # MaxItems of GetServiceLastAccessedDetails(-WithEntities): AWS allows 1..1000.
    page_size: int = 1000
    # Read GetServiceLastAccessedDetailsWithEntities for each used service of a group.
    with_entities: bool = True
    # Our own backoff for LimitExceeded (and throttling botocore gave up on).
    retry_attempts: int = 8
    retry_base: float = 1.0
    retry_max: float = 30.0

    def __post_init__(self) -> None:
        if self.granularity not in ("ACTION_LEVEL", "SERVICE_LEVEL"):
            raise InputError(
                f"granularity must be ACTION_LEVEL or SERVICE_LEVEL, not {self.granularity!r}"
            )
        if self.concurrency < 1:
            raise InputError(f"concurrency must be at least 1, not {self.concurrency}")
        if self.timeout <= 0:
            raise InputError(f"timeout must be positive, not {self.timeout}")
        if not 1 <= self.page_size <= 1000:
            raise InputError(f"page size must be 1..1000, not {self.page_size}")


# --- targets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectTarget:
    """One IAM entity to collect, with the Terraform addresses that declare it."""

    kind: Kind
    name: str
    path: str
    arn: str
    addresses: tuple[str, ...] = ()
    # An AWSReservedSSO_* role: the permission set it was provisioned for.
    permission_set: str | None = None


@dataclass(frozen=True)
class SkippedEntity:
    """A declared entity that cannot be collected (its name is not known statically)."""

    address: str
    reason: str
    location: str = ""


@dataclass(frozen=True)
class TargetPlan:
    targets: tuple[CollectTarget, ...]
    skipped: tuple[SkippedEntity, ...]


_KIND_ORDER: dict[str, int] = {"policy": 0, "group": 1, "user": 2, "role": 3}


def plan_targets(inventory: Inventory, *, account_id: str, partition: str) -> TargetPlan:
    """What to collect for an inventory, and what had to be skipped (and why).

    Customer-managed policies, all groups, users/roles owning inline policies (an inline
    policy's usage is in its owner's report) and users/roles with an AWS-managed policy
    attached. Deduplicated by ARN.
    """
    found: dict[str, CollectTarget] = {}
    skipped: list[SkippedEntity] = []

    def add(kind: Kind, name: str, path: str, address: str) -> None:
        arn = iam_arn(partition, account_id, kind, name, path)
        old = found.get(arn)
        if old is None:
            found[arn] = CollectTarget(kind, name, _norm_path(path), arn, (address,))
        elif address not in old.addresses:
            found[arn] = CollectTarget(old.kind, old.name, old.path, arn, (*old.addresses, address))

    def skip(address: str, what: str, unknown: list[str], location: str) -> None:
        why = f"{what} is not known statically"
        if unknown:
            why += f" ({'; '.join(unknown)})"
        skipped.append(SkippedEntity(address, why, location))

    for policy in inventory.policies:
        if policy.kind != "managed":
            continue
        if policy.name is None:
            skip(policy.address, "the policy name", policy.unknown, str(policy.location))
        else:
            add("policy", policy.name, policy.path, policy.address)
    for group in inventory.groups:
        if group.name is None:
            skip(group.address, "the group name", group.unknown, str(group.location))
        else:
            add("group", group.name, group.path, group.address)
    lookups: dict[str, Callable[[str], Any]] = {
        "user": inventory.user_named,
        "role": inventory.role_named,
        "group": inventory.group_named,
    }
    for policy in inventory.policies:
        if policy.kind != "inline" or policy.owner_type is None:
            continue
        if policy.owner is None:
            skip(
                policy.address,
                f"the {policy.owner_type} that owns this inline policy",
                policy.unknown,
                str(policy.location),
            )
            continue
        owner = lookups[policy.owner_type](policy.owner)
        if owner is not None:
            add(policy.owner_type, policy.owner, owner.path, owner.address)
            continue
        # An owner declared elsewhere: its path comes from owner_arn when known; the
        # collector looks the real ARN up by name anyway.
        path = "/"
        if policy.owner_arn and (parts := parse_arn(policy.owner_arn)) is not None:
            path = parts.path
        add(policy.owner_type, policy.owner, path, policy.address)
    # A user or role with an AWS-managed policy attached: its own report says what it used
    # of that policy (trim reports it, and may replace the policy by what was used).
    from lpgen.aws_managed import is_aws_managed

    for att in inventory.attachments:
        if att.target_type == "group" or att.target is None or not is_aws_managed(att.policy_arn):
            continue
        entity = lookups[att.target_type](att.target)
        if entity is not None:
            add(att.target_type, att.target, entity.path, entity.address)
    targets = sorted(found.values(), key=lambda t: (_KIND_ORDER[t.kind], t.arn))
    return TargetPlan(tuple(targets), tuple(skipped))


def targets_from_inventory(
    inventory: Inventory, *, account_id: str, partition: str
) -> list[CollectTarget]:
    """The entities to collect for an inventory (see :func:`plan_targets` for the skipped)."""
    return list(plan_targets(inventory, account_id=account_id, partition=partition).targets)


def _norm_path(path: str | None) -> str:
    p = path or "/"
    if not p.startswith("/"):
        p = "/" + p
    if not p.endswith("/"):
        p += "/"
    return p


# --- progress ----------------------------------------------------------------------------


class Progress(Protocol):
    """Receives progress events; called from worker threads (implementations lock)."""

    def start(self, total: int) -> None: ...

    def advance(self, entity: SnapshotEntity) -> None: ...

    def finish(self) -> None: ...


class TerminalProgress:
    """A one-line progress bar on a terminal: ``[#####.....] 512/1000  errors 3  12s``."""

    def __init__(self, stream: IO[str] | None = None, *, width: int = 30) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._width = width
        self._lock = threading.Lock()
        self._total = 0
        self._done = 0
        self._errors = 0
        self._missing = 0
        self._started = 0.0
        self._last_draw = 0.0

    def start(self, total: int) -> None:
        with self._lock:
            self._total, self._started = total, time.monotonic()
            self._draw(force=True)

    def advance(self, entity: SnapshotEntity) -> None:
        with self._lock:
            self._done += 1
            status = entity.effective_status
            if status == "missing":
                self._missing += 1
            elif status != "COMPLETED":
                self._errors += 1
            self._draw(force=self._done == self._total)

    def grow(self, extra: int) -> None:
        """More entities than planned (an account's AWSReservedSSO_* roles, found on the way)."""
        with self._lock:
            self._total += extra
            self._draw(force=False)

    def account_done(self, result: Any) -> None:
        """An account of an --org run ended; count the entities it never reached."""
        unreached = int(getattr(result, "unreached", 0))
        if unreached:
            with self._lock:
                self._done += unreached
                self._errors += unreached
                self._draw(force=self._done == self._total)

    def finish(self) -> None:
        with self._lock:
            self._draw(force=True)
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        filled = self._width * self._done // self._total if self._total else self._width
        bar = "#" * filled + "." * (self._width - filled)
        line = f"\r[{bar}] {self._done}/{self._total}"
        if self._missing:
            line += f"  missing {self._missing}"
        line += f"  errors {self._errors}  {now - self._started:.0f}s"
        self._stream.write(line)
        self._stream.flush()


# --- collection --------------------------------------------------------------------------


class _Missing(Exception):
    """The entity does not exist in AWS."""


class _Timeout(Exception):
    """The overall deadline passed."""


def _error_text(exc: BaseException, operation: str) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{operation}: {err.get('Code', 'Error')}: {err.get('Message', '')}".rstrip(": ")
    return f"{operation}: {type(exc).__name__}: {exc}"


def _missing_text(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    message = ""
    if isinstance(response, dict):
        message = str(response.get("Error", {}).get("Message") or "")
    return "not found in AWS (not applied yet?)" + (f": {message}" if message else "")


@dataclass
class CollectStats:
    """Counters of one run (read after ``collect`` returns)."""

    calls: int = 0
    retries: int = 0
    polls: int = 0
    pages: int = 0


class JobTimer:
    """How long Access Advisor jobs take, smoothed over the jobs seen (thread-safe).

    The first poll of a job waits for most of that instead of polling an unfinished job
    over and over; one timer is shared by every account of a run (jobs behave alike).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._estimate: float | None = None

    def observe(self, seconds: float) -> None:
        with self._lock:
            old = self._estimate
            self._estimate = seconds if old is None else 0.7 * old + 0.3 * seconds

    def first_wait(self, cap: float) -> float:
        with self._lock:
            estimate = self._estimate
        return 0.0 if estimate is None else min(cap, 0.8 * estimate)


class _Collector:
    """One account's collection: its shared IAM client, counters and throttling lane.

    Every step that may wait is a generator yielding the seconds it wants to wait (a poll
    interval, a retry backoff); :class:`~lpgen.scheduler.Scheduler` runs other entities'
    steps meanwhile, so waiting never holds a thread.
    """

    def __init__(
        self,
        client: Any,
        options: CollectOptions,
        *,
        deadline: float,
        monotonic: Callable[[], float],
        rng: random.Random,
        lane: Lane | None = None,
        timer: JobTimer | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.deadline = deadline
        self.monotonic = monotonic
        self.lane = lane or Lane()
        self._rng = rng
        self._lock = threading.Lock()
        self.stats = CollectStats()
        self.timer = timer or JobTimer()

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + amount)

    def call(self, operation: str, **params: Any) -> Generator[float, None, dict[str, Any]]:
        """One API call, with our backoff for LimitExceeded / leftover throttling."""
        method = getattr(self.client, operation)
        attempt = 0
        while True:
            self._count("calls")
            try:
                response: dict[str, Any] = method(**params)
                return response
            except Exception as exc:
                code = error_code(exc)
                if code not in _RETRY_CODES or attempt >= self.options.retry_attempts:
                    raise
                cap = min(self.options.retry_max, self.options.retry_base * 2**attempt)
                # "Equal jitter": at least half the step, so retries really spread out.
                delay = cap / 2 + self._rng.uniform(0, cap / 2)
                if self.monotonic() + delay > self.deadline:
                    raise
                if code != "LimitExceeded":
                    # The account's endpoint is throttling: every entity of it slows down,
                    # other accounts go on.
                    self.lane.pause(self.monotonic() + cap / 2)
                attempt += 1
                self._count("retries")
                yield delay

    # -- one entity --

    def collect_one(self, target: CollectTarget) -> Generator[float, None, SnapshotEntity]:
        entity = SnapshotEntity(
            arn=target.arn,
            addresses=list(target.addresses),
            granularity=self.options.granularity,
            permission_set=target.permission_set,
        )
        if self.monotonic() >= self.deadline:
            entity.status, entity.error = "error", "not collected: the --timeout was reached"
            return entity
        operation = "describe"
        try:
            operation = _DESCRIBE[target.kind][0]
            yield from self._describe(target, entity)
            operation = "GenerateServiceLastAccessedDetails"
            job = yield from self.call(
                "generate_service_last_accessed_details",
                Arn=entity.arn,
                Granularity=self.options.granularity,
            )
            job_id = str(job["JobId"])
            operation = "GetServiceLastAccessedDetails"
            yield from self._read_job(job_id, entity)
            if (
                entity.status == "COMPLETED"
                and target.kind == "group"
                and self.options.with_entities
            ):
                operation = "GetServiceLastAccessedDetailsWithEntities"
                yield from self._read_entities(job_id, entity)
        except _Missing as exc:
            entity.status, entity.error, entity.details = "missing", str(exc), {}
        except _Timeout:
            if entity.details.get("JobStatus") == "IN_PROGRESS":
                entity.status = "IN_PROGRESS"
                entity.error = "the job did not complete before the --timeout"
            else:
                entity.status = "error"
                entity.error = f"{operation}: the --timeout was reached"
        except Exception as exc:
            if error_code(exc) in _MISSING_CODES and operation in (
                _DESCRIBE[target.kind][0],
                "GenerateServiceLastAccessedDetails",
            ):
                entity.status, entity.details = "missing", {}
                entity.error = _missing_text(exc)
            else:
                entity.status = "error"
                entity.error = _error_text(exc, operation)
                if entity.details.get("JobStatus") != "COMPLETED":
                    entity.details = {}
        return entity

    def _describe(
        self, target: CollectTarget, entity: SnapshotEntity
    ) -> Generator[float, None, None]:
        _, method, key = _DESCRIBE[target.kind]
        params: dict[str, Any]
        if target.kind == "policy":
            params = {"PolicyArn": target.arn}
        elif target.kind == "group":
            # One member is enough: we only want the group's own record.
            params = {"GroupName": target.name, "MaxItems": 1}
        elif target.kind == "user":
            params = {"UserName": target.name}
        else:
            params = {"RoleName": target.name}
        try:
            response = yield from self.call(method, **params)
        except Exception as exc:
            if error_code(exc) in _MISSING_CODES:
                raise _Missing(_missing_text(exc)) from None
            raise
        record = response.get(key) or {}
        # The real ARN: an inline policy's owner declared elsewhere may have another path.
        arn = record.get("Arn")
        if isinstance(arn, str) and parse_arn(arn) is not None:
            entity.arn = arn
        if record.get("CreateDate") is not None:
            entity.create_date = normalise_time(record["CreateDate"])
        if target.kind == "policy" and isinstance(record.get("AttachmentCount"), int):
            entity.attached = record["AttachmentCount"] > 0

    def _poll_waits(self) -> Iterator[float]:
        """The waits before each poll: most of a typical job first, then short and growing."""
        yield self.timer.first_wait(self.options.poll_max)
        delay = self.options.poll_initial
        while True:
            yield delay
            delay = min(delay * self.options.poll_factor, self.options.poll_max)

    def _read_job(self, job_id: str, entity: SnapshotEntity) -> Generator[float, None, None]:
        started = self.monotonic()
        waits = self._poll_waits()
        page: dict[str, Any] = {"JobStatus": "IN_PROGRESS"}
        first = True
        while page.get("JobStatus") == "IN_PROGRESS":
            if not first:
                entity.details = normalise_response(page)
            remaining = self.deadline - self.monotonic()
            if remaining <= 0:
                raise _Timeout
            wait = next(waits)
            if wait > 0:
                # The last wait is shortened so the final poll happens right at the deadline.
                yield min(wait, remaining)
            first = False
            page = yield from self.call(
                "get_service_last_accessed_details",
                JobId=job_id,
                MaxItems=self.options.page_size,
            )
            self._count("polls")
        status = page.get("JobStatus")
        if status in ("COMPLETED", "FAILED"):
            self.timer.observe(self.monotonic() - started)
        if status == "FAILED":
            entity.details = normalise_response(page)
            entity.status = "FAILED"
            error = page.get("Error") or {}
            entity.error = (
                f"the Access Advisor job failed: {error.get('Code', 'Error')}: "
                f"{error.get('Message', '')}"
                if error
                else "the Access Advisor job failed"
            )
            return
        if status != "COMPLETED":
            raise RuntimeError(f"unexpected JobStatus {status!r}")
        merged = dict(page)
        services = list(page.get("ServicesLastAccessed") or [])
        seen_markers: set[str] = set()
        while page.get("IsTruncated"):
            marker = page.get("Marker")
            if not marker or marker in seen_markers:
                raise RuntimeError("IsTruncated without a new Marker: the listing is incomplete")
            seen_markers.add(marker)
            if self.monotonic() >= self.deadline:
                raise _Timeout
            page = yield from self.call(
                "get_service_last_accessed_details",
                JobId=job_id,
                MaxItems=self.options.page_size,
                Marker=marker,
            )
            self._count("pages")
            services.extend(page.get("ServicesLastAccessed") or [])
        merged["ServicesLastAccessed"] = services
        entity.details = normalise_response(merged)
        entity.status = "COMPLETED"

    def _read_entities(self, job_id: str, entity: SnapshotEntity) -> Generator[float, None, None]:
        by_service: dict[str, list[dict[str, Any]]] = {}
        for service in entity.details.get("ServicesLastAccessed") or []:
            if not service.get("LastAuthenticated"):
                continue
            namespace = service["ServiceNamespace"]
            rows: list[dict[str, Any]] = []
            params: dict[str, Any] = {
                "JobId": job_id,
                "ServiceNamespace": namespace,
                "MaxItems": self.options.page_size,
            }
            seen_markers: set[str] = set()
            while True:
                if self.monotonic() >= self.deadline:
                    raise _Timeout
                page = yield from self.call(
                    "get_service_last_accessed_details_with_entities", **params
                )
                rows.extend(page.get("EntityDetailsList") or [])
                if not page.get("IsTruncated"):
                    break
                marker = page.get("Marker")
                if not marker or marker in seen_markers:
                    raise RuntimeError("IsTruncated without a new Marker: the list is incomplete")
                seen_markers.add(marker)
                params["Marker"] = marker
            by_service[namespace] = normalise_response(rows)
        entity.entities_by_service = by_service


_DESCRIBE: dict[str, tuple[str, str, str]] = {
    "policy": ("GetPolicy", "get_policy", "Policy"),
    "group": ("GetGroup", "get_group", "Group"),
    "user": ("GetUser", "get_user", "User"),
    "role": ("GetRole", "get_role", "Role"),
}


class AccountCollection:
    """One account's targets as scheduler tasks, assembled into a Snapshot once all are done.

    Entities of several accounts can share one :class:`~lpgen.scheduler.Scheduler`: its
    workers bound the calls in flight across accounts, each account keeps its own client,
    counters and throttling lane.
    """

    def __init__(
        self,
        targets: Sequence[CollectTarget],
        *,
        iam_client: Any,
        options: CollectOptions,
        account_id: str,
        partition: str,
        collected_at: datetime,
        deadline: float,
        monotonic: Callable[[], float] = time.monotonic,
        progress: Progress | None = None,
        timer: JobTimer | None = None,
    ) -> None:
        self.targets = list(targets)
        self.account_id = account_id
        self.partition = partition
        self.collected_at = collected_at
        self.progress = progress
        self.collector = _Collector(
            iam_client,
            options,
            deadline=deadline,
            monotonic=monotonic,
            rng=random.Random(),
            lane=Lane(account_id),
            timer=timer,
        )
        # Default versions of the AWS-managed policies the tree attaches (read up front).
        self.aws_managed_policies: dict[str, dict[str, Any]] = {}
        self._results: list[SnapshotEntity | None] = [None] * len(self.targets)
        self._left = len(self.targets)
        self._lock = threading.Lock()

    @property
    def stats(self) -> CollectStats:
        return self.collector.stats

    def submit(
        self,
        scheduler: Scheduler,
        on_done: Callable[[AccountCollection], None] | None = None,
    ) -> None:
        """Queue every target; ``on_done(self)`` runs once the last one has finished."""
        if not self.targets:
            if on_done is not None:
                on_done(self)
            return

        def finished(index: int, entity: SnapshotEntity) -> None:
            self._results[index] = entity
            if self.progress is not None:
                self.progress.advance(entity)
            with self._lock:
                self._left -= 1
                last = self._left == 0
            if last and on_done is not None:
                on_done(self)

        for index, target in enumerate(self.targets):
            scheduler.submit(
                self.collector.collect_one(target),
                lane=self.collector.lane,
                done=functools.partial(finished, index),
            )

    def snapshot(self) -> Snapshot:
        # Two targets can resolve to one real ARN (an inline policy's owner declared
        # elsewhere, with a path we had to guess): keep one record, with every address.
        entities: list[SnapshotEntity] = []
        by_arn: dict[str, SnapshotEntity] = {}
        for record in self._results:
            if record is None:
                continue
            first = by_arn.get(record.arn)
            if first is None:
                by_arn[record.arn] = record
                entities.append(record)
            else:
                first.addresses.extend(a for a in record.addresses if a not in first.addresses)
        return Snapshot(
            account_id=self.account_id,
            partition=self.partition,
            collected_at=self.collected_at,
            entities=entities,
            generator=f"lpgen {__version__}",
            aws_managed_policies=dict(self.aws_managed_policies),
        )


def utc_now() -> datetime:
    """Whole seconds, rounded down: an earlier collected_at only widens trim's window."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def make_scheduler(
    options: CollectOptions,
    *,
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Scheduler:
    """``concurrency`` calls in flight; up to ``jobs_per_worker`` times as many jobs."""
    return Scheduler(
        options.concurrency,
        max_active=options.concurrency * options.jobs_per_worker,
        sleep=sleep,
        monotonic=monotonic,
    )


def collect(
    targets: Sequence[CollectTarget],
    *,
    iam_client: Any,
    options: CollectOptions,
    progress: Progress | None = None,
    account_id: str | None = None,
    partition: str | None = None,
    now: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    stats: CollectStats | None = None,
    aws_managed: Sequence[str] = (),
) -> Snapshot:
    """Collect Access Advisor data for ``targets`` with one shared IAM client.

    ``account_id``/``partition`` default to those of the targets' ARNs; the default
    versions of the ``aws_managed`` policy ARNs are read into the snapshot. ``now`` gives the
    snapshot's ``collected_at`` (the start of the run: a conservative window start);
    ``sleep``/``monotonic`` are for tests. Entities are returned in target order.
    """
    if account_id is None or partition is None:
        parts = parse_arn(targets[0].arn) if targets else None
        if parts is None:
            raise InputError("nothing to collect: no targets, and no account id given")
        account_id = account_id or parts.account_id
        partition = partition or parts.partition
    run = AccountCollection(
        targets,
        iam_client=iam_client,
        options=options,
        account_id=account_id,
        partition=partition,
        collected_at=(now or utc_now)(),
        deadline=monotonic() + options.timeout,
        monotonic=monotonic,
        progress=progress,
    )
    if aws_managed:
        from lpgen.aws_managed import fetch_aws_managed

        run.aws_managed_policies = fetch_aws_managed(iam_client, aws_managed)
    scheduler = make_scheduler(options, sleep=sleep, monotonic=monotonic)
    if progress is not None:
        progress.start(len(targets))
    try:
        run.submit(scheduler)
        scheduler.run()
    finally:
        if progress is not None:
            progress.finish()
    if stats is not None:
        for name in ("calls", "retries", "polls", "pages"):
            setattr(stats, name, getattr(run.stats, name))
    return run.snapshot()


# --- AWS session and clients -------------------------------------------------------------


@dataclass(frozen=True)
class AwsOptions:
    """Where the credentials come from: the standard boto3 chain, a profile, a role."""

    profile: str | None = None
    region: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    session_name: str = "lpgen-collect"
    # botocore standard-mode attempts (first try included). Few: botocore sleeps in the
    # calling thread, while lpgen's own backoff for throttling (CollectOptions.retry_*)
    # waits without holding a worker and slows the whole account down.
    max_attempts: int = 3
    concurrency: int = 4


@dataclass(frozen=True)
class Identity:
    account_id: str
    partition: str
    arn: str


@dataclass
class AwsClients:
    """One IAM client per account (shared by all threads) and who it acts as."""

    iam: Any
    identity: Identity
    region: str
    extra: dict[str, Any] = field(default_factory=dict)


def client_config(*, max_attempts: int = 10, max_pool_connections: int = 10) -> Any:
    """botocore Config with an explicit retry mode (defaults changed in botocore 1.44)."""
    from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]

    return Config(
        # total_max_attempts counts the first try (botocore's max_attempts does not).
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
        connect_timeout=10,
        read_timeout=30,
        user_agent_extra=f"lpgen/{__version__}",
    )


@dataclass
class FirstHop:
    """Frozen credentials of the standard chain (or of --role-arn), for further clients."""

    session: Any
    keys: dict[str, Any]
    region: str
    config: Any
    identity: Identity

    def client(self, service: str, keys: dict[str, Any] | None = None) -> Any:
        return self.session.client(
            service, region_name=self.region, config=self.config, **(keys or self.keys)
        )


def assumed_keys(credentials: dict[str, Any]) -> dict[str, Any]:
    """Client keyword arguments for an AssumeRole ``Credentials`` record."""
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def open_first_hop(aws: AwsOptions) -> FirstHop:
    """Resolve credentials once (and assume --role-arn); find the account with STS.

    Credentials are frozen at the start (or come from one AssumeRole call) because an
    Access Advisor job must be read by the same user or role *session* that generated it;
    a provider that refreshes mid-run would start a new session and orphan the jobs.
    """
    import boto3  # type: ignore[import-untyped,unused-ignore]
    import botocore.exceptions  # type: ignore[import-untyped,unused-ignore]

    try:
        session = boto3.Session(profile_name=aws.profile, region_name=aws.region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise InputError(f"--profile: {exc}") from None
    region = aws.region or session.region_name or "us-east-1"
    config = client_config(
        max_attempts=aws.max_attempts, max_pool_connections=max(10, aws.concurrency + 4)
    )
    try:
        credentials = session.get_credentials()
        if credentials is None:
            raise AwsError(
                "no AWS credentials found (set AWS_PROFILE or --profile, or the "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment variables)"
            )
        frozen = credentials.get_frozen_credentials()
        keys = {
            "aws_access_key_id": frozen.access_key,
            "aws_secret_access_key": frozen.secret_key,
            "aws_session_token": frozen.token,
        }
        if aws.role_arn:
            sts = session.client("sts", region_name=region, config=config, **keys)
            params: dict[str, Any] = {
                "RoleArn": aws.role_arn,
                "RoleSessionName": aws.session_name,
            }
            if aws.external_id:
                params["ExternalId"] = aws.external_id
            keys = assumed_keys(sts.assume_role(**params)["Credentials"])
        sts = session.client("sts", region_name=region, config=config, **keys)
        caller = sts.get_caller_identity()
    except botocore.exceptions.ClientError as exc:
        what = "AssumeRole" if aws.role_arn else "GetCallerIdentity"
        raise AwsError(_error_text(exc, what)) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AwsError(f"cannot reach AWS: {exc}") from None
    arn = str(caller["Arn"])
    partition = arn.split(":")[1] if arn.startswith("arn:") else "aws"
    identity = Identity(account_id=str(caller["Account"]), partition=partition, arn=arn)
    return FirstHop(session=session, keys=keys, region=region, config=config, identity=identity)


def open_clients(aws: AwsOptions) -> AwsClients:
    """The IAM client of the account the credentials (or --role-arn) lead to."""
    hop = open_first_hop(aws)
    return AwsClients(iam=hop.client("iam"), identity=hop.identity, region=hop.region)


# --- a whole run -------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectResult:
    snapshot: Snapshot
    out: str
    identity: Identity
    skipped: tuple[SkippedEntity, ...]
    elapsed: float
    stats: CollectStats

    def count(self, status: Status) -> int:
        return sum(1 for e in self.snapshot.entities if e.effective_status == status)

    @property
    def problems(self) -> int:
        """Entities with no usable data that are not simply missing."""
        return sum(
            1 for e in self.snapshot.entities if e.effective_status not in ("COMPLETED", "missing")
        )


def run_collect(
    inventory: Inventory,
    *,
    clients: AwsClients,
    options: CollectOptions,
    out: str,
    progress: Progress | None = None,
) -> CollectResult:
    """Plan targets from an inventory, collect them, write the snapshot atomically."""
    from lpgen.aws_managed import attached_aws_managed
    from lpgen.snapshot import save_snapshot

    identity = clients.identity
    plan = plan_targets(inventory, account_id=identity.account_id, partition=identity.partition)
    started = time.monotonic()
    sso_targets, sso_skipped = sso_targets_for(inventory, clients.iam)
    plan = TargetPlan((*plan.targets, *sso_targets), (*plan.skipped, *sso_skipped))
    stats = CollectStats()
    snapshot = collect(
        plan.targets,
        iam_client=clients.iam,
        options=options,
        progress=progress,
        account_id=identity.account_id,
        partition=identity.partition,
        stats=stats,
        aws_managed=attached_aws_managed(inventory),
    )
    save_snapshot(snapshot, out)
    snapshot.label = out.rsplit("/", 1)[-1]
    return CollectResult(
        snapshot=snapshot,
        out=out,
        identity=identity,
        skipped=plan.skipped,
        elapsed=time.monotonic() - started,
        stats=stats,
    )


def sso_targets_for(
    inventory: Inventory, iam_client: Any
) -> tuple[list[CollectTarget], list[SkippedEntity]]:
    """The ``AWSReservedSSO_*`` roles of the account for the permission sets the tree
    declares (one paginated ``iam:ListRoles``), and the permission sets with no role there."""
    from lpgen.sso_collect import declared_permission_sets, find_sso_roles

    names = declared_permission_sets(inventory)
    if not names:
        return [], []
    found = find_sso_roles(iam_client, names)
    addresses: dict[str, tuple[str, ...]] = {}
    for ps in inventory.permission_sets:
        if ps.name:
            addresses[ps.name] = (*addresses.get(ps.name, ()), ps.address)
    targets = []
    for role in found.roles:
        parts = parse_arn(role.arn)
        if parts is None:
            continue
        targets.append(
            CollectTarget("role", role.name, role.path, role.arn,
                          addresses.get(role.permission_set, ()), role.permission_set)
        )  # fmt: skip
    skipped = [
        SkippedEntity(
            address,
            f"permission set {name}: no AWSReservedSSO_{name}_* role in this account "
            "(not assigned here, or not provisioned yet): no usage data from this account",
        )
        for name in found.not_found
        for address in addresses.get(name, ())
    ]
    return targets, skipped


def render_collect_summary(result: CollectResult, *, verbose: bool = True) -> str:
    """The summary ``lpgen collect`` prints at the end."""
    snapshot = result.snapshot
    total = len(snapshot.entities)
    counts = [
        (result.count("COMPLETED"), "completed"),
        (result.count("missing"), "missing (not in AWS)"),
        (result.count("FAILED"), "failed"),
        (result.count("IN_PROGRESS"), "not finished in time"),
        (result.count("error"), "errors"),
    ]
    lines = [
        f"Collected {total} entities of account {result.identity.account_id} into {result.out} "
        f"in {result.elapsed:.1f}s: "
        + ", ".join(f"{n} {label}" for n, label in counts if n or label == "completed"),
    ]
    if result.stats.retries:
        lines.append(f"Retried {result.stats.retries} throttled calls.")
    if result.skipped:
        lines.append(f"Skipped {len(result.skipped)} entities (name not known, or no role):")
        lines.extend(
            f"  {s.location + ': ' if s.location else ''}{s.address}: {s.reason}"
            for s in result.skipped
        )
    if verbose:
        for entity in snapshot.entities:
            status = entity.effective_status
            if status != "COMPLETED":
                lines.append(f"  {entity.arn}: {_problem(status, entity.error)}")
    lines.append(f"Collected at {format_time(snapshot.collected_at)} as {result.identity.arn}.")
    return "\n".join(lines)


def _problem(status: str, error: str | None) -> str:
    """What went wrong with one entity, each thing said once: ``Access Advisor job failed:
    Internal failure ...`` rather than ``FAILED: the Access Advisor job failed: Failed: ...``."""
    text = (error or "").strip()
    if status == "FAILED":
        text = text.removeprefix("the Access Advisor job failed").lstrip(" :")
        if text.lower().startswith("failed:"):  # AWS's error code for a failed job
            text = text[len("failed:") :].lstrip()
        return f"Access Advisor job failed: {text}" if text else "Access Advisor job failed"
    return f"{status}: {text}" if text else status

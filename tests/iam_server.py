"""A loopback endpoint that speaks the IAM (and a little STS) query protocol, for lpgen collect.

Form-encoded POST in, XML in the IAM namespace out, as botocore expects; point a client at it
with ``endpoint_url`` or ``AWS_ENDPOINT_URL_IAM``/``AWS_ENDPOINT_URL_STS``. It holds a set of
fake entities with Access Advisor data and implements what ``collect`` calls:
GetCallerIdentity, AssumeRole, GetPolicy/GetGroup/GetUser/GetRole, ListRoles,
GetPolicyVersion (AWS-managed policies),
GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails(WithEntities), with
paging (``max_page`` caps MaxItems), slow jobs, failed jobs, per-call latency and random
Throttling / LimitExceeded. Like AWS, a job can only be read with the credentials (access
key) that generated it. Binds 127.0.0.1 only. Used by tests and by benchmarks/collect_bench.py.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


@dataclass
class FakeService:
    """One ServicesLastAccessed entry."""

    namespace: str
    name: str = ""
    last_authenticated: datetime | None = None
    last_entity: str | None = None
    last_region: str | None = None
    total_entities: int = 0
    # ACTION_LEVEL data: [{"ActionName": ..., "LastAccessedTime": datetime, ...}], or None.
    tracked_actions: list[dict[str, Any]] | None = None
    # GetServiceLastAccessedDetailsWithEntities rows: {"EntityInfo": {...}, "LastAuthenticated"}.
    entities: list[dict[str, Any]] = field(default_factory=list)

    def record(self, granularity: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ServiceName": self.name or f"Amazon {self.namespace.upper()}",
            "ServiceNamespace": self.namespace,
            "LastAuthenticated": self.last_authenticated,
            "LastAuthenticatedEntity": self.last_entity,
            "LastAuthenticatedRegion": self.last_region,
            "TotalAuthenticatedEntities": self.total_entities,
        }
        if granularity == "ACTION_LEVEL" and self.tracked_actions is not None:
            out["TrackedActionsLastAccessed"] = self.tracked_actions
        return out


@dataclass
class FakeEntity:
    """An IAM policy, group, user or role with its Access Advisor data."""

    kind: str  # policy | group | user | role
    name: str
    path: str = "/"
    create_date: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=timezone.utc))
    attachment_count: int = 1
    services: list[FakeService] = field(default_factory=list)
    # How many GetServiceLastAccessedDetails calls answer IN_PROGRESS before the data.
    in_progress_polls: int = 0
    fail: bool = False
    # The account it lives in (None: the endpoint's own account). Assumed-role credentials
    # see the entities of the account of the role they came from.
    account: str | None = None
    id: str = field(default_factory=lambda: "AID" + uuid.uuid4().hex[:17].upper())


@dataclass
class _Job:
    arn: str
    granularity: str
    access_key: str
    created: datetime
    polls_left: int
    # time.monotonic() at which the job completes (jobs that take wall-clock time).
    ready_at: float = 0.0


class IamError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _xml(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        inner = "".join(_xml(k, v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list):
        inner = "".join(_xml("member", v) for v in value)
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, bool):
        return f"<{name}>{'true' if value else 'false'}</{name}>"
    if isinstance(value, datetime):
        text = value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"<{name}>{text}</{name}>"
    return f"<{name}>{escape(str(value))}</{name}>"


_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/")


class FakeIam:
    """The endpoint's state and server. Use as a context manager; ``url`` once started."""

    def __init__(
        self,
        account_id: str = "111122223333",
        *,
        latency: tuple[float, float] = (0.0, 0.0),
        throttle_rate: float = 0.0,
        limit_rate: float = 0.0,
        max_page: int | None = None,
        seed: int = 0,
        caller_arn: str | None = None,
        job_seconds: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        self.account_id = account_id
        self.latency = latency
        self.throttle_rate = throttle_rate
        self.limit_rate = limit_rate
        self.max_page = max_page
        # AWS-managed policies (arn:aws:iam::aws:policy/...): ARN -> (version id, document).
        self.aws_policies: dict[str, tuple[str, dict[str, Any]]] = {}
        # How long an Access Advisor job runs (wall clock, uniform in the range), as on AWS
        # where a job takes seconds; ``in_progress_polls`` adds a number of polls on top.
        self.job_seconds = job_seconds
        self.caller_arn = caller_arn or f"arn:aws:iam::{account_id}:user/lpgen"
        self.entities: dict[str, FakeEntity] = {}
        self.jobs: dict[str, _Job] = {}
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.assumed: list[dict[str, str]] = []
        # Accounts whose collector role cannot be assumed, and accounts where every IAM
        # call is denied (AccessDenied), for the tests of failures that stay local.
        self.deny_assume: set[str] = set()
        self.deny_iam: set[str] = set()
        # Throttling share per account (overrides throttle_rate for that account's calls).
        self.account_throttle: dict[str, float] = {}
        self._key_account: dict[str, str] = {}
        self.account_calls: Counter[str] = Counter()
        self.account_throttled: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- state --

    def arn(self, entity: FakeEntity) -> str:
        account = entity.account or self.account_id
        return f"arn:aws:iam::{account}:{entity.kind}{entity.path}{entity.name}"

    def account_of(self, access_key: str) -> str:
        """The account an access key acts in: its role's for assumed keys, else our own."""
        return self._key_account.get(access_key, self.account_id)

    def add(self, entity: FakeEntity) -> FakeEntity:
        self.entities[self.arn(entity)] = entity
        return entity

    def _by_name(self, kind: str, name: str, key: str = "") -> FakeEntity:
        account = self.account_of(key)
        for entity in self.entities.values():
            if (
                entity.kind == kind
                and entity.name == name
                and (entity.account or self.account_id) == account
            ):
                return entity
        raise IamError(404, "NoSuchEntity", f"The {kind} with name {name} cannot be found.")

    def _by_arn(self, arn: str) -> FakeEntity:
        entity = self.entities.get(arn)
        if entity is None:
            raise IamError(404, "NoSuchEntity", f"{arn} was not found.")
        return entity

    # -- server --

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY, Nagle plus the
            # client's delayed ACK would add ~40 ms to every call.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                params = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
                match = _CREDENTIAL_RE.search(self.headers.get("Authorization", ""))
                access_key = match.group(1) if match else ""
                status, payload = fake.handle(params, access_key)
                data = payload.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeIam:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- protocol --

    def handle(self, params: dict[str, str], access_key: str) -> tuple[int, str]:
        action = params.get("Action", "")
        namespace = STS_NS if action in ("GetCallerIdentity", "AssumeRole") else IAM_NS
        request_id = str(uuid.uuid4())
        account = self.account_of(access_key)
        throttle_rate = self.account_throttle.get(account, self.throttle_rate)
        with self._lock:
            self.calls[action] += 1
            self.account_calls[account] += 1
            delay = self._rng.uniform(*self.latency) if self.latency[1] > 0 else 0.0
            roll = self._rng.random()
            if account in self.account_throttle:
                # Per account the share is exact, not drawn: calls interleave across threads,
                # so a shared random sequence would leave the count to chance.
                n = self.account_calls[account]
                roll = 0.0 if int(n * throttle_rate) > int((n - 1) * throttle_rate) else 1.0
        if delay:
            time.sleep(delay)
        try:
            if namespace == IAM_NS and account in self.deny_iam:
                raise IamError(
                    403,
                    "AccessDenied",
                    f"User: arn:aws:sts::{account}:assumed-role/x is not authorized to perform: "
                    f"iam:{action}",
                )
            if namespace == IAM_NS and roll < throttle_rate:
                with self._lock:
                    self.account_throttled[account] += 1
                raise IamError(400, "Throttling", "Rate exceeded")
            if (
                action == "GenerateServiceLastAccessedDetails"
                and roll < self.throttle_rate + self.limit_rate
            ):
                raise IamError(409, "LimitExceeded", "Too many jobs in progress.")
            method = getattr(self, f"_op_{action}", None)
            if method is None:
                raise IamError(400, "InvalidAction", f"Could not find operation {action}")
            result = method(params, access_key)
        except IamError as exc:
            with self._lock:
                self.errors[exc.code] += 1
            kind = "Sender" if exc.status < 500 else "Receiver"
            body = (
                f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
                f"<Code>{exc.code}</Code><Message>{escape(exc.message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            )
            return exc.status, body
        inner = "".join(_xml(k, v) for k, v in result.items())
        body = (
            f'<{action}Response xmlns="{namespace}"><{action}Result>{inner}</{action}Result>'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</{action}Response>"
        )
        return 200, body

    def _op_GetCallerIdentity(self, params: dict[str, str], key: str) -> dict[str, Any]:
        for assumed in list(self.assumed):
            if assumed["AccessKeyId"] == key:
                account = assumed["Arn"].split(":")[4]
                return {"UserId": "AROAFAKE:x", "Account": account, "Arn": assumed["Arn"]}
        return {"UserId": "AIDAFAKE", "Account": self.account_id, "Arn": self.caller_arn}

    def _op_AssumeRole(self, params: dict[str, str], key: str) -> dict[str, Any]:
        role_arn, session = params["RoleArn"], params["RoleSessionName"]
        role_name = role_arn.rsplit("/", 1)[-1]
        account = role_arn.split(":")[4]
        if account in self.deny_assume:
            raise IamError(
                403,
                "AccessDenied",
                f"User: {self.caller_arn} is not authorized to perform: sts:AssumeRole on "
                f"resource: {role_arn}",
            )
        creds = {
            "AccessKeyId": "ASIA" + uuid.uuid4().hex[:16].upper(),
            "SecretAccessKey": uuid.uuid4().hex,
            "SessionToken": uuid.uuid4().hex,
            "Expiration": datetime(2099, 1, 1, tzinfo=timezone.utc),
        }
        arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}"
        with self._lock:
            self.assumed.append(
                {
                    "AccessKeyId": creds["AccessKeyId"],
                    "Arn": arn,
                    "ExternalId": params.get("ExternalId", ""),
                    "DurationSeconds": params.get("DurationSeconds", ""),
                }
            )
            self._key_account[creds["AccessKeyId"]] = account
        return {
            "Credentials": creds,
            "AssumedRoleUser": {"AssumedRoleId": f"AROAFAKE:{session}", "Arn": arn},
        }

    def _record(self, entity: FakeEntity) -> dict[str, Any]:
        key = {"policy": "Policy", "group": "Group", "user": "User", "role": "Role"}[entity.kind]
        record: dict[str, Any] = {
            "Path": entity.path,
            f"{key}Name": entity.name,
            f"{key}Id": entity.id,
            "Arn": self.arn(entity),
            "CreateDate": entity.create_date,
        }
        if entity.kind == "policy":
            record.update(
                DefaultVersionId="v1",
                AttachmentCount=entity.attachment_count,
                PermissionsBoundaryUsageCount=0,
                IsAttachable=True,
                UpdateDate=entity.create_date,
            )
        return record

    def _op_GetPolicy(self, params: dict[str, str], key: str) -> dict[str, Any]:
        if params["PolicyArn"] in self.aws_policies:
            arn = params["PolicyArn"]
            version, _doc = self.aws_policies[arn]
            created = datetime(2015, 2, 6, tzinfo=timezone.utc)
            return {
                "Policy": {
                    "PolicyName": arn.rsplit("/", 1)[-1], "PolicyId": "ANPAAWS", "Arn": arn,
                    "Path": "/", "DefaultVersionId": version, "AttachmentCount": 1,
                    "IsAttachable": True, "CreateDate": created, "UpdateDate": created,
                }
            }  # fmt: skip
        entity = self._by_arn(params["PolicyArn"])
        if entity.kind != "policy":
            raise IamError(400, "InvalidInput", "not a policy ARN")
        return {"Policy": self._record(entity)}

    def _op_GetPolicyVersion(self, params: dict[str, str], key: str) -> dict[str, Any]:
        from urllib.parse import quote

        found = self.aws_policies.get(params["PolicyArn"])
        if found is None or found[0] != params["VersionId"]:
            raise IamError(404, "NoSuchEntity", f"Policy {params['PolicyArn']} version not found.")
        version, doc = found
        return {
            "PolicyVersion": {
                # AWS sends the document URL-encoded; botocore decodes it.
                "Document": quote(json.dumps(doc)),
                "VersionId": version,
                "IsDefaultVersion": True,
                "CreateDate": datetime(2015, 2, 6, tzinfo=timezone.utc),
            }
        }

    def _op_GetGroup(self, params: dict[str, str], key: str) -> dict[str, Any]:
        return {
            "Group": self._record(self._by_name("group", params["GroupName"], key)),
            "Users": [],
            "IsTruncated": False,
        }

    def _op_GetUser(self, params: dict[str, str], key: str) -> dict[str, Any]:
        return {"User": self._record(self._by_name("user", params["UserName"], key))}

    def _op_GetRole(self, params: dict[str, str], key: str) -> dict[str, Any]:
        return {"Role": self._record(self._by_name("role", params["RoleName"], key))}

    def _op_ListRoles(self, params: dict[str, str], key: str) -> dict[str, Any]:
        account = self.account_of(key)
        prefix = params.get("PathPrefix", "/")
        roles = sorted(
            (
                e
                for e in self.entities.values()
                if e.kind == "role"
                and (e.account or self.account_id) == account
                and e.path.startswith(prefix)
            ),
            key=lambda e: e.name,
        )
        page, marker = self._page([self._record(e) for e in roles], params)
        out: dict[str, Any] = {"Roles": page, "IsTruncated": marker is not None}
        if marker is not None:
            out["Marker"] = marker
        return out

    def _op_GenerateServiceLastAccessedDetails(
        self, params: dict[str, str], key: str
    ) -> dict[str, Any]:
        entity = self._by_arn(params["Arn"])
        job_id = str(uuid.uuid4())
        with self._lock:
            runs = self._rng.uniform(*self.job_seconds) if self.job_seconds[1] > 0 else 0.0
            self.jobs[job_id] = _Job(
                arn=self.arn(entity),
                granularity=params.get("Granularity", "SERVICE_LEVEL"),
                access_key=key,
                created=datetime.now(timezone.utc).replace(microsecond=0),
                polls_left=entity.in_progress_polls,
                ready_at=time.monotonic() + runs,
            )
        return {"JobId": job_id}

    def _job(self, params: dict[str, str], key: str) -> _Job:
        job = self.jobs.get(params.get("JobId", ""))
        if job is None or job.access_key != key:
            # AWS: the job must be read by the principal (or role session) that generated it.
            raise IamError(404, "NoSuchEntity", "No job found for this principal.")
        return job

    def _page(self, items: list[Any], params: dict[str, str]) -> tuple[list[Any], str | None]:
        size = int(params.get("MaxItems") or 100)
        if self.max_page is not None:
            size = min(size, self.max_page)
        start = int(params.get("Marker") or 0)
        end = start + size
        return items[start:end], (str(end) if end < len(items) else None)

    def _op_GetServiceLastAccessedDetails(self, params: dict[str, str], key: str) -> dict[str, Any]:
        job = self._job(params, key)
        entity = self.entities[job.arn]
        out: dict[str, Any] = {"JobType": job.granularity, "JobCreationDate": job.created}
        with self._lock:
            waiting = job.polls_left > 0
            if waiting:
                job.polls_left -= 1
            elif time.monotonic() < job.ready_at:
                waiting = True
        if waiting:
            # As AWS does: no JobCompletionDate while in progress.
            return {"JobStatus": "IN_PROGRESS", **out, "ServicesLastAccessed": []}
        out["JobCompletionDate"] = job.created
        if entity.fail:
            return {
                "JobStatus": "FAILED",
                **out,
                "ServicesLastAccessed": [],
                "Error": {"Message": "Internal failure generating the report", "Code": "Failed"},
            }
        services = [s.record(job.granularity) for s in entity.services]
        page, marker = self._page(services, params)
        return {
            "JobStatus": "COMPLETED",
            **out,
            "ServicesLastAccessed": page,
            "IsTruncated": marker is not None,
            "Marker": marker,
        }

    def _op_GetServiceLastAccessedDetailsWithEntities(
        self, params: dict[str, str], key: str
    ) -> dict[str, Any]:
        job = self._job(params, key)
        entity = self.entities[job.arn]
        namespace = params["ServiceNamespace"]
        service = next((s for s in entity.services if s.namespace == namespace), None)
        if service is None:
            raise IamError(400, "InvalidInput", f"Service {namespace} is not in the report.")
        page, marker = self._page(service.entities, params)
        return {
            "JobStatus": "COMPLETED",
            "JobCreationDate": job.created,
            "JobCompletionDate": job.created,
            "EntityDetailsList": page,
            "IsTruncated": marker is not None,
            "Marker": marker,
        }

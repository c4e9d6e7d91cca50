"""Benchmark: lpgen collect over a loopback IAM endpoint, at concurrency 1 and 4.

Starts the loopback server of ``tests/iam_server.py`` (127.0.0.1 only; IAM query protocol),
fills it with N entities (default 200: policies, groups, users, roles; a few policies
with ~400 services so Access Advisor pages; group members), adds 50-100 ms latency to every
call, lets every Access Advisor job run 1-3 s of wall-clock time before it completes (as on
AWS: a job takes seconds), and answers a share of calls with ``Throttling`` (and
``GenerateServiceLastAccessedDetails`` sometimes with ``LimitExceeded``). Then it runs the
real client path (``open_clients`` -> STS + IAM clients through ``AWS_ENDPOINT_URL_IAM`` /
``AWS_ENDPOINT_URL_STS``; ``collect``) once per concurrency level and checks that the
snapshot matches what the endpoint holds: every entity COMPLETED, every service and its last
access time present.

Exit status 0 when nothing was lost, concurrency 4 is at least 3x faster than 1 and the
fastest level took at most ``--max-seconds`` (default 40); 1 otherwise. A watchdog ends the
process after ``--time-limit`` seconds whatever happens.

    python benchmarks/collect_bench.py                 # the full run (about 2.5 minutes)
    python benchmarks/collect_bench.py --entities 50   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lpgen.collect import (  # noqa: E402
    AwsOptions,
    CollectOptions,
    CollectStats,
    CollectTarget,
    TerminalProgress,
    collect,
    open_clients,
)
from lpgen.snapshot import Snapshot, parse_time  # noqa: E402
from tests.iam_server import FakeEntity, FakeIam, FakeService  # noqa: E402

ACCOUNT = "111122223333"
NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
NAMESPACES = [f"svc{i:03d}" for i in range(420)]


def populate(
    fake: FakeIam, count: int, rng: random.Random, *, account: str = ACCOUNT
) -> list[CollectTarget]:
    """Entities of every kind in ``account``; returns the targets to collect (stable order)."""
    targets: list[CollectTarget] = []
    kinds = ["policy"] * 4 + ["group"] * 2 + ["user"] * 2 + ["role"] * 2
    for index in range(count):
        kind = kinds[index % len(kinds)]
        name = f"{kind}-{index:05d}"
        path = "/bench/" if index % 3 == 0 else "/"
        wide = kind == "policy" and index % 100 == 0  # a policy allowing "*": ~400 services
        chosen = NAMESPACES[:400] if wide else rng.sample(NAMESPACES, rng.randint(2, 10))
        services = []
        for position, namespace in enumerate(chosen):
            used = position < 2 or rng.random() < 0.2
            last = NOW - timedelta(days=rng.randint(1, 300), seconds=rng.randint(0, 86399))
            members = []
            if used and kind == "group" and position < 2:
                members = [
                    {
                        "EntityInfo": {
                            "Arn": f"arn:aws:iam::{account}:user/member-{index}-{m}",
                            "Name": f"member-{index}-{m}",
                            "Type": "USER",
                            "Id": f"AIDA{index:08d}{m:08d}",
                            "Path": "/",
                        },
                        "LastAuthenticated": last,
                    }
                    for m in range(rng.randint(1, 3))
                ]
            services.append(
                FakeService(
                    namespace,
                    last_authenticated=last if used else None,
                    last_entity=f"arn:aws:iam::{account}:user/someone" if used else None,
                    total_entities=1 if used else 0,
                    tracked_actions=(
                        [{"ActionName": "DoThing", "LastAccessedTime": last}, {"ActionName": "X"}]
                        if used
                        else None
                    ),
                    entities=members,
                )
            )
        entity = FakeEntity(
            kind,
            name,
            path,
            services=services,
            in_progress_polls=1 if rng.random() < 0.02 else 0,
            attachment_count=1,
            account=None if account == fake.account_id else account,
        )
        fake.add(entity)
        targets.append(CollectTarget(kind, name, path, fake.arn(entity)))  # type: ignore[arg-type]
    return targets


def verify(fake: FakeIam, snapshot: Snapshot, targets: list[CollectTarget]) -> list[str]:
    """Differences between the snapshot and what the endpoint holds (empty: none)."""
    problems: list[str] = []
    got = {e.arn: e for e in snapshot.entities}
    for target in targets:
        entity = got.get(target.arn)
        if entity is None:
            problems.append(f"{target.arn}: not in the snapshot")
            continue
        if entity.effective_status != "COMPLETED":
            problems.append(f"{target.arn}: {entity.effective_status}: {entity.error}")
            continue
        expected = fake.entities[target.arn]
        services = entity.details.get("ServicesLastAccessed") or []
        want = {s.namespace: s.last_authenticated for s in expected.services}
        have = {
            s["ServiceNamespace"]: (
                parse_time(s["LastAuthenticated"]) if s.get("LastAuthenticated") else None
            )
            for s in services
        }
        want = {k: v.replace(microsecond=0) if v else None for k, v in want.items()}
        if have != want:
            problems.append(f"{target.arn}: services differ ({len(have)} vs {len(want)})")
        if expected.kind == "group":
            members = {s.namespace: len(s.entities) for s in expected.services if s.entities}
            seen = {k: len(v) for k, v in (entity.entities_by_service or {}).items() if v}
            if members != seen:
                problems.append(f"{target.arn}: group members differ")
    return problems


def run_once(
    fake: FakeIam, targets: list[CollectTarget], concurrency: int, time_limit: float
) -> dict[str, Any]:
    fake.jobs.clear()
    fake.calls.clear()
    fake.errors.clear()
    clients = open_clients(AwsOptions(region="us-east-1", concurrency=concurrency))
    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
    stats = CollectStats()
    started = time.perf_counter()
    snapshot = collect(
        targets,
        iam_client=clients.iam,
        options=CollectOptions(concurrency=concurrency, timeout=time_limit),
        progress=progress,
        account_id=clients.identity.account_id,
        partition=clients.identity.partition,
        stats=stats,
    )
    elapsed = time.perf_counter() - started
    problems = verify(fake, snapshot, targets)
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "entities": len(snapshot.entities),
        "completed": sum(1 for e in snapshot.entities if e.effective_status == "COMPLETED"),
        "calls": sum(fake.calls.values()),
        "throttled": fake.errors["Throttling"],
        "limit_exceeded": fake.errors["LimitExceeded"],
        "polls": stats.polls,
        "own_retries": stats.retries,
        "problems": problems,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=200)
    parser.add_argument("--latency-min", type=float, default=0.05)
    parser.add_argument("--latency-max", type=float, default=0.10)
    parser.add_argument("--throttle", type=float, default=0.02, help="share of Throttling")
    parser.add_argument("--limit", type=float, default=0.01, help="share of LimitExceeded")
    parser.add_argument("--max-page", type=int, default=100, help="services per page")
    parser.add_argument(
        "--job-seconds", default="1,3", help="how long a job runs before it completes: MIN,MAX"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=40.0, help="target for the fastest level"
    )
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--time-limit", type=float, default=1200.0, help="hard stop, seconds")
    parser.add_argument("--concurrency", default="1,4", help="levels to compare, e.g. 1,4")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    def give_up() -> None:
        print(f"benchmark stopped: --time-limit {args.time_limit:.0f}s reached", file=sys.stderr)
        os._exit(3)

    watchdog = threading.Timer(args.time_limit, give_up)
    watchdog.daemon = True
    watchdog.start()
    deadline = time.monotonic() + args.time_limit

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIABENCHMARK")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "benchmark")
    os.environ.pop("AWS_PROFILE", None)
    levels = [int(c) for c in args.concurrency.split(",")]
    job_min, job_max = (float(x) for x in args.job_seconds.split(","))
    rng = random.Random(args.seed)
    with FakeIam(
        ACCOUNT,
        latency=(args.latency_min, args.latency_max),
        throttle_rate=args.throttle,
        limit_rate=args.limit,
        max_page=args.max_page,
        seed=args.seed,
        job_seconds=(job_min, job_max),
    ) as fake:
        os.environ["AWS_ENDPOINT_URL_IAM"] = fake.url
        os.environ["AWS_ENDPOINT_URL_STS"] = fake.url
        targets = populate(fake, args.entities, rng)
        print(
            f"{len(targets)} entities at {fake.url}, latency {args.latency_min * 1000:.0f}-"
            f"{args.latency_max * 1000:.0f} ms, Throttling {args.throttle:.0%}, "
            f"LimitExceeded {args.limit:.0%} of job starts, {args.max_page} services per page, "
            f"jobs run {job_min:g}-{job_max:g} s"
        )
        results = []
        for level in levels:
            result = run_once(fake, targets, level, max(1.0, deadline - time.monotonic() - 5))
            results.append(result)
            print(
                f"concurrency {level}: {result['seconds']:8.2f} s  "
                f"{result['completed']}/{result['entities']} completed  "
                f"{result['calls']} calls ({result['polls']} polls), "
                f"{result['throttled']} Throttling, "
                f"{result['limit_exceeded']} LimitExceeded, {result['own_retries']} own retries, "
                f"{len(result['problems'])} problems"
            )
            for problem in result["problems"][:10]:
                print(f"  {problem}")
    watchdog.cancel()
    ok = all(not r["problems"] and r["completed"] == len(targets) for r in results)
    speedup = None
    if 1 in levels and 4 in levels:
        one = next(r for r in results if r["concurrency"] == 1)
        four = next(r for r in results if r["concurrency"] == 4)
        speedup = one["seconds"] / four["seconds"]
        print(f"speedup 1 -> 4: {speedup:.2f}x (target >= 3x)")
        ok = ok and speedup >= 3.0
    fastest = min(r["seconds"] for r in results)
    print(f"fastest: {fastest:.1f} s (target <= {args.max_seconds:g} s)")
    ok = ok and fastest <= args.max_seconds
    print("OK" if ok else "FAILED: see above")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"results": results, "speedup": speedup, "fastest": fastest, "ok": ok}, indent=2
            ) + "\n",
            encoding="utf-8",
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

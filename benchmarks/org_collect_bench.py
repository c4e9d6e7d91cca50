"""Benchmark: collect 50 accounts x 20 entities (an organisation) over a loopback endpoint.

The loopback server of ``tests/iam_server.py`` (127.0.0.1 only) plays STS and the IAM of 50
member accounts: ``AssumeRole`` hands out credentials that see only their account's
entities, every call takes 50-100 ms, every Access Advisor job runs 1-3 s, 2% of calls are
answered ``Throttling`` (1% of job starts ``LimitExceeded``). The run is the real one of
``lpgen collect --accounts``: first hop from the environment, one role hop per account, one
shared scheduler, one snapshot per account written into a temporary directory. Each
snapshot is then checked against the endpoint (every entity COMPLETED, every service and
last-access time present).

Exit status 0 when every account is ``ok`` and nothing was lost, and the run took at most
``--max-seconds``; 1 otherwise. A watchdog ends the process after ``--time-limit`` seconds.

    python benchmarks/org_collect_bench.py    # 50 x 20 at concurrency 4 and 8 (~3 min)
    python benchmarks/org_collect_bench.py --accounts 5 --entities 10 --concurrency 4
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from collect_bench import populate, verify  # noqa: E402

from lpgen.accounts import Account, AssumeOptions  # noqa: E402
from lpgen.collect import AwsOptions, CollectOptions, CollectTarget, open_first_hop  # noqa: E402
from lpgen.model import Inventory  # noqa: E402
from lpgen.org_collect import OrgOptions, render_org_summary, run_org_collect  # noqa: E402
from lpgen.snapshot import load_snapshot  # noqa: E402
from tests.iam_server import FakeIam  # noqa: E402

MANAGEMENT = "999999999999"


def run_once(
    fake: FakeIam,
    targets: dict[str, list[CollectTarget]],
    concurrency: int,
    time_limit: float,
) -> dict[str, Any]:
    fake.jobs.clear()
    fake.calls.clear()
    fake.errors.clear()
    fake.assumed.clear()
    hop = open_first_hop(AwsOptions(region="us-east-1", concurrency=concurrency))
    accounts = [Account(a, f"member-{i:02d}") for i, a in enumerate(sorted(targets))]
    with tempfile.TemporaryDirectory(prefix="lpgen-org-bench-") as out:
        started = time.perf_counter()
        result = run_org_collect(
            Inventory(root=str(ROOT)),
            accounts,
            hop=hop,
            options=CollectOptions(concurrency=concurrency, timeout=time_limit),
            org=OrgOptions(out_dir=Path(out), assume=AssumeOptions()),
            plan=lambda account_id, partition: targets[account_id],
        )
        elapsed = time.perf_counter() - started
        problems: list[str] = []
        for account in accounts:
            path = Path(out) / f"{account.id}.json"
            if not path.is_file():
                problems.append(f"{account.id}: no snapshot")
                continue
            problems.extend(
                f"{account.id}: {p}" for p in verify(fake, load_snapshot(path), targets[account.id])
            )
        table = render_org_summary(result)
    return {
        "accounts": len(accounts),
        "entities": sum(len(t) for t in targets.values()),
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "ok_accounts": sum(1 for r in result.accounts if r.outcome == "ok"),
        "calls": sum(fake.calls.values()),
        "assume_role_calls": fake.calls["AssumeRole"],
        "throttled": fake.errors["Throttling"],
        "limit_exceeded": fake.errors["LimitExceeded"],
        "problems": problems,
        "table_tail": table.splitlines()[-2],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--entities", type=int, default=20, help="per account")
    parser.add_argument("--latency-min", type=float, default=0.05)
    parser.add_argument("--latency-max", type=float, default=0.10)
    parser.add_argument("--job-seconds", default="1,3", help="MIN,MAX run time of a job")
    parser.add_argument("--throttle", type=float, default=0.02, help="share of Throttling")
    parser.add_argument("--limit", type=float, default=0.01, help="share of LimitExceeded")
    parser.add_argument("--concurrency", default="4,8", help="levels to run, e.g. 4,8")
    parser.add_argument("--max-seconds", type=float, default=180.0, help="bound, every level")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--time-limit", type=float, default=900.0, help="hard stop, seconds")
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
    job_min, job_max = (float(x) for x in args.job_seconds.split(","))
    levels = [int(c) for c in args.concurrency.split(",")]
    rng = random.Random(args.seed)
    with FakeIam(
        MANAGEMENT,
        latency=(args.latency_min, args.latency_max),
        throttle_rate=args.throttle,
        limit_rate=args.limit,
        max_page=100,
        seed=args.seed,
        job_seconds=(job_min, job_max),
    ) as fake:
        os.environ["AWS_ENDPOINT_URL_IAM"] = fake.url
        os.environ["AWS_ENDPOINT_URL_STS"] = fake.url
        targets = {
            f"{100000000000 + i:012d}": populate(
                fake, args.entities, rng, account=f"{100000000000 + i:012d}"
            )
            for i in range(args.accounts)
        }
        print(
            f"{args.accounts} accounts x {args.entities} entities at {fake.url}, latency "
            f"{args.latency_min * 1000:.0f}-{args.latency_max * 1000:.0f} ms, jobs run "
            f"{job_min:g}-{job_max:g} s, Throttling {args.throttle:.0%}, LimitExceeded "
            f"{args.limit:.0%} of job starts"
        )
        results = []
        for level in levels:
            result = run_once(fake, targets, level, max(1.0, deadline - time.monotonic() - 5))
            results.append(result)
            print(
                f"concurrency {level}: {result['seconds']:8.2f} s  "
                f"{result['ok_accounts']}/{result['accounts']} accounts ok, "
                f"{result['entities']} entities, {result['calls']} calls "
                f"({result['assume_role_calls']} AssumeRole), {result['throttled']} Throttling, "
                f"{result['limit_exceeded']} LimitExceeded, {len(result['problems'])} problems"
            )
            for problem in result["problems"][:10]:
                print(f"  {problem}")
    watchdog.cancel()
    ok = all(
        not r["problems"] and r["ok_accounts"] == r["accounts"] and r["seconds"] <= args.max_seconds
        for r in results
    )
    print("OK" if ok else "FAILED: see above")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"results": results, "ok": ok}, indent=2) + "\n",
                             encoding="utf-8")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

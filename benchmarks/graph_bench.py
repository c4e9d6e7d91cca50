"""Benchmark: build and export the access graph of a large account.

10,000 users, 1,000 groups, 3,000 customer-managed policies (each user in 3 groups, each
group with 3 policies, each policy reaching 4 services), with usage from a synthetic
snapshot. Prints the time of each step and the process's peak resident memory
(``--tracemalloc`` adds each step's peak Python allocations).

    PYTHONPATH=. python benchmarks/graph_bench.py [--users N --groups N --policies N]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from lpgen.graph import analyze, build_graph
from lpgen.graph_export import export_graph
from lpgen.model import (
    ActionEntry,
    Attachment,
    Group,
    Inventory,
    Location,
    Membership,
    Policy,
    PolicyDocument,
    Statement,
    User,
)
from lpgen.usage import EntityAccess, EntityUsage, ServiceUsage, UsageIndex

SERVICES = ["s3", "ec2", "lambda", "dynamodb", "sqs", "sns", "logs", "kms", "ssm", "ecr",
            "glue", "athena", "rds", "cloudwatch", "iam", "sts"]
T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)


def make_inventory(users: int, groups: int, policies: int) -> Inventory:
    loc = Location("main.tf", 1)
    inv = Inventory(root="bench", account_id="111122223333")
    inv.users = [User(f"aws_iam_user.u[{i}]", f"u{i}", loc) for i in range(users)]
    inv.groups = [Group(f"aws_iam_group.g[{i}]", f"g{i}", loc) for i in range(groups)]
    for i in range(policies):
        services = [SERVICES[(i + k) % len(SERVICES)] for k in range(4)]
        doc = PolicyDocument(statements=[Statement(
            index=0, actions=[ActionEntry(f"{s}:Get*") for s in services], resources=["*"]
        )])
        inv.policies.append(Policy(f"aws_iam_policy.p[{i}]", f"p{i}", loc, document=doc,
                                   arn=f"arn:aws:iam::111122223333:policy/p{i}"))
    for i in range(users):
        for k in range(3):
            g = (i * 7 + k * 13) % groups
            inv.memberships.append(Membership(f"u{i}", f"g{g}", f"aws_iam_group_membership.g{g}",
                                              loc))
    for g in range(groups):
        for k in range(3):
            p = (g * 3 + k) % policies
            inv.attachments.append(Attachment(f"aws_iam_policy.p[{p}]", None, "group", f"g{g}",
                                              f"aws_iam_group_policy_attachment.a{g}_{k}", loc))
    return inv


def make_usage(inv: Inventory) -> UsageIndex:
    recent, old = T0 - timedelta(days=3), T0 - timedelta(days=400)
    usages: list[EntityUsage] = []
    members: dict[str, list[str]] = {}
    for m in inv.memberships:
        members.setdefault(m.group or "", []).append(m.user or "")
    for i, p in enumerate(inv.policies):
        services = {s: ServiceUsage(s, s, last_authenticated=recent if (i + j) % 3 else old)
                    for j, s in enumerate(SERVICES[(i + k) % len(SERVICES)] for k in range(4))}
        usages.append(_usage("policy", p.name or "", services))
    for g in inv.groups:
        who = tuple(EntityAccess(f"arn:aws:iam::111122223333:user/{u}", u, "USER",
                                 last_authenticated=recent)
                    for u in members.get(g.name or "", [])[::2])
        usages.append(_usage("group", g.name or "", {
            "s3": ServiceUsage("s3", "Amazon S3", last_authenticated=recent, entities=who)
        }))
    return UsageIndex(usages)


def _usage(kind: Any, name: str, services: dict[str, ServiceUsage]) -> EntityUsage:
    return EntityUsage("bench.json", "111122223333", f"arn:aws:iam::111122223333:{kind}/{name}",
                       kind, name, "/", T0, "COMPLETED", attached=True, services=services)


TRACE = False


def measure(label: str, step: Callable[[], Any]) -> Any:
    if TRACE:
        tracemalloc.start()
    start = time.perf_counter()
    result = step()
    elapsed = time.perf_counter() - start
    memory = ""
    if TRACE:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory = f"   peak {peak / 2**20:8.1f} MiB"
    size = f", {len(result):,} chars" if isinstance(result, (str, bytes)) else ""
    print(f"{label:<28} {elapsed:8.2f} s{memory}{size}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--policies", type=int, default=3_000)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="Also report each step's peak Python allocations (slower).")
    args = parser.parse_args()
    global TRACE
    TRACE = args.tracemalloc
    inv = measure("inventory (synthetic)",
                  lambda: make_inventory(args.users, args.groups, args.policies))
    usage = measure("usage index (synthetic)", lambda: make_usage(inv))
    ag = measure("build graph + usage", lambda: build_graph(inv, usage=usage))
    g = ag.graph
    print(f"{'':<28} {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges")
    for fmt in ("json", "graphml", "dot", "mermaid"):
        measure(f"export {fmt}", lambda fmt=fmt: export_graph(g, fmt))
    measure("analyze + who-can", lambda: analyze(ag, who_can="s3:GetObject"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak resident memory':<28} {peak:8.0f} MiB")


if __name__ == "__main__":
    main()

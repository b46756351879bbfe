"""`make bench-mfa-sweep`: the MFA sweeper's IAM calls against the number of pending enrolments.

Deploys the stack into a local cloud (as `make bench` does), then for each size N creates N IAM users and their
pending enrolments directly (the table and IAM, not through onboarding: it is the sweep being measured) and runs
one sweep through the deployed schedule, as EventBridge does. Every request the sweeper's role makes is counted in
the local cloud, by service and action; the sweep's own summary (from its log) says what it did.

By default each enrolment needs nothing this hour (reminded an hour ago, deadline days away): the common case,
which the sweeper used to pay two IAM calls for (GetUser, ListMFADevices) per enrolment, one after the other, in a
30-second function. `--remind` makes every enrolment due a reminder instead (a hiring wave's first sweep): still
no IAM call per user, but an SNS Publish and a DynamoDB UpdateItem each. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from turnstile.dal.table import PendingEnrolment

from stacks.configuration import load_config

from . import account
from .burst import synthesize
from .cloud import LocalCloud

SIZES = (10, 100, 1000, 5000)
SWEEPER = "turnstile-SweepMfaEnrolments"
SCHEDULE = "turnstile-MfaSweeperSchedule"
# IAM reuses a credential report for four hours: each size is swept past that, so the report lists its users.
NEW_REPORT = dt.timedelta(hours=4, minutes=1)
PATH = "/turnstile/bench/"
OLD_CALLS_PER_ENROLMENT = ("GetUser", "ListMFADevices")  # the sweeper before the credential report


@dataclass
class Measured:
    pending: int
    iam: Counter[str]
    other: Counter[str]  # the sweeper's other requests, "service:Action"
    summary: dict[str, int]  # the sweep's own counts (from its log)
    wall_seconds: float

    def row(self) -> str:
        kinds = ", ".join(f"{action} {n}" for action, n in sorted(self.iam.items()))
        old = len(OLD_CALLS_PER_ENROLMENT) * self.pending
        done = ", ".join(f"{outcome} {n}" for outcome, n in self.summary.items() if n)
        return (
            f"| {self.pending:,} | {kinds} | {sum(self.iam.values())} | {old:,} | {sum(self.other.values()):,} | "
            f"{done} | {self.wall_seconds:.1f} |"
        )


def username(n: int) -> str:
    return f"bench.user{n:05d}"


def add_users(cloud: LocalCloud, have: int, want: int) -> None:
    iam = cloud.client("iam")
    for n in range(have, want):
        iam.create_user(UserName=username(n), Path=PATH)


def write_pending(cloud: LocalCloud, table: str, count: int, now: dt.datetime, *, remind: bool) -> None:
    """`count` pending enrolments that registered a day ago; reminded an hour ago unless `remind`."""
    items = [
        PendingEnrolment(
            username=username(n),
            task_token=f"bench-token-{n:05d}",
            execution_id="bench",
            employee_id=f"B{n:05d}",
            email=f"{username(n)}@example.com",
            deadline=now + dt.timedelta(days=6),
            registered_at=now - dt.timedelta(days=1),
            last_reminded=None if remind else now - dt.timedelta(hours=1),
        ).to_item()
        for n in range(count)
    ]
    ddb = cloud.client("dynamodb")
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        while batch:
            batch = ddb.batch_write_item(RequestItems={table: batch})["UnprocessedItems"].get(table, [])


def last_summary(cloud: LocalCloud) -> dict[str, int]:
    """The counts of the sweeper's last "MFA sweep" log line."""
    from moto.awslambda.models import lambda_backends

    group = lambda_backends[cloud.account][cloud.region].get_function(SWEEPER).logs_group_name
    found: dict[str, int] = {}
    for page in cloud.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group):
        for event in page["events"]:
            for line in event["message"].splitlines():
                if '"MFA sweep"' in line:
                    found = dict(json.loads(line).get("counts", {}))
    return found


def measure(cloud: LocalCloud, table: str, have: int, pending: int, *, remind: bool) -> Measured:
    cloud.clock.advance(NEW_REPORT.total_seconds())
    add_users(cloud, have, pending)
    write_pending(cloud, table, pending, cloud.clock.now(), remind=remind)
    started = time.perf_counter()
    with cloud.faults.recording() as calls:
        cloud.fire_schedule(SCHEDULE)
    wall = time.perf_counter() - started
    mine = [c for c in calls if c.caller == SWEEPER]
    return Measured(
        pending=pending,
        iam=Counter(c.action for c in mine if c.service == "iam"),
        other=Counter(f"{c.service}:{c.action}" for c in mine if c.service != "iam"),
        summary=last_summary(cloud),
        wall_seconds=wall,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="pending enrolments per sweep")
    parser.add_argument("--remind", action="store_true", help="every enrolment is due a reminder")
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    results: list[Measured] = []
    with tempfile.TemporaryDirectory() as tmp, LocalCloud() as cloud:
        assembly = synthesize(Path(tmp) / "cdk.out", None)
        account.prepare(cloud, load_config().hr.bus_name)
        table = cloud.deploy(assembly).outputs["TableName"]
        have = 0
        for size in sizes:
            results.append(measure(cloud, table, have, size, remind=args.remind))
            have = size
            print(f"{size} pending: {results[-1].row()}", file=sys.stderr)
    state = "each due a reminder" if args.remind else "each needing nothing this hour"
    print(f"\nOne MFA sweep per size, pending enrolments {state} (IAM calls counted in the local cloud)\n")
    print(
        "| pending enrolments | IAM calls by kind | IAM total | IAM total before (GetUser + ListMFADevices each) "
        "| other requests | sweep summary | wall s |"
    )
    print("| ---: | --- | ---: | ---: | ---: | --- | ---: |")
    for result in results:
        print(result.row())
    others = sum((r.other for r in results), Counter[str]())
    print("\nother requests by kind, all sizes: " + ", ".join(f"{k} {n}" for k, n in sorted(others.items())))
    print(
        "wall s is the emulator's: it includes the sweeper's 1 s wait for the report IAM starts (complete on the next"
        " poll here) and moto's DynamoDB Query (most of it at 5,000); the local cloud's Lambda context says 30 s"
        " remain, so the sweeper starts no enrolment after 24 s (WORK_SHARE) and defers the rest to the next sweep."
    )
    print(f"\ncommand: make bench-mfa-sweep ARGS='{' '.join(argv if argv is not None else sys.argv[1:])}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())

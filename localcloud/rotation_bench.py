"""`make bench-rotation`: the key-rotation workflow against accounts of 1,000 and 5,000 managed users.

For each size: deploys the stack into a fresh local cloud, creates the users with keys of assorted ages (Turnstile
keys stored in their access-key secret, keys the users made, users without keys; some keys used recently), then
runs one dry run and one real run, and a naive scan (ListUsers, ListAccessKeys per user, GetAccessKeyLastUsed per
key) on the same account. It counts every request the account answers, by caller and action, the state
transitions and Lambda invocations of each run, and wall time; and prices a run at us-east-1 list prices.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from . import account
from .burst import synthesize
from .cloud import LocalCloud

DAY = 86400
PATH = "/turnstile/bench/"
# (age in days at the run, share of users): cohorts created a day count apart on the local clock
COHORTS = ((120, 0.1), (95, 0.15), (85, 0.1), (60, 0.25), (20, 0.4))
# us-east-1 list prices (USD)
STEP_FUNCTIONS_PER_TRANSITION = 0.025 / 1000
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
SECRETS_MANAGER_PER_CALL = 0.05 / 10_000
SNS_PER_PUBLISH = 0.50 / 1_000_000
DYNAMODB_PER_WRITE = 0.625 / 1_000_000
DYNAMODB_PER_READ = 0.125 / 1_000_000
KMS_PER_CALL = 0.03 / 10_000
LAMBDA_MEMORY_GB = 0.25


@dataclass
class Run:
    label: str
    users: int
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (caller, service, action)
    transitions: int = 0
    invocations: int = 0
    wall_seconds: float = 0.0
    lambda_seconds: float = 0.0
    looked_at: int = 0
    deferred: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def iam_calls(self, caller: str | None = None) -> Counter[str]:
        return Counter({a: n for (c, s, a), n in self.calls.items() if s == "iam" and (caller is None or c == caller)})

    def cost(self) -> float:
        by_service: Counter[str] = Counter()
        for (_, service, _), n in self.calls.items():
            by_service[service] += n
        writes = sum(
            n for (_, s, a), n in self.calls.items() if s == "dynamodb" and a in {"PutItem", "UpdateItem", "DeleteItem"}
        )
        reads = by_service["dynamodb"] - writes
        return (
            self.transitions * STEP_FUNCTIONS_PER_TRANSITION
            + self.invocations * LAMBDA_PER_REQUEST
            + self.lambda_seconds * LAMBDA_MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND
            + by_service["secretsmanager"] * SECRETS_MANAGER_PER_CALL
            + by_service["sns"] * SNS_PER_PUBLISH
            + writes * DYNAMODB_PER_WRITE
            + reads * DYNAMODB_PER_READ
            + by_service["kms"] * KMS_PER_CALL
        )


def populate(cloud: LocalCloud, users: int, key_arn: str) -> dict[str, int]:
    """Managed users in cohorts, each cohort created `age` days before the run (the clock moves between them)."""
    import turnstile.domain.secrets_store as secrets_store

    iam, sm = cloud.client("iam"), cloud.client("secretsmanager")
    made: Counter[str] = Counter()
    in_use: list[tuple[str, str]] = []
    ages = [age for age, _ in COHORTS]
    n = 0
    for index, (age, share) in enumerate(COHORTS):
        for _ in range(round(users * share)):
            name = f"bench{n:05d}"
            kind = ("turnstile", "turnstile", "turnstile", "self-made", "self-made", "none")[n % 6]
            n += 1
            iam.create_user(UserName=name, Path=PATH, Tags=[{"Key": "turnstile:managed", "Value": "true"}])
            if kind == "none":
                made[kind] += 1
                continue
            key = iam.create_access_key(UserName=name)["AccessKey"]
            if kind == "turnstile":
                secret = f"turnstile/users/{name}/access-key"
                sm.create_secret(Name=secret, KmsKeyId=key_arn)
                sm.put_secret_value(
                    SecretId=secret,
                    SecretString=json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": "x"}),
                    ClientRequestToken=secrets_store.version_token(key["AccessKeyId"]),
                )
            if n % 2:  # half the keys are in use
                in_use.append((key["AccessKeyId"], key["SecretAccessKey"]))
            made[kind] += 1
        next_age = ages[index + 1] if index + 1 < len(ages) else 0
        cloud.clock.advance((age - next_age) * DAY)  # the next cohort is younger; finally, to the run's day
    for key_id, secret in in_use:  # the programs holding these keys call AWS on the day of the run
        session = boto3.session.Session(
            aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=cloud.region
        )
        session.client("sts").get_caller_identity()
    made["keys in use"] = len(in_use)
    return dict(made)


def measure(cloud: LocalCloud, machine: str, label: str, users: int, payload: dict[str, Any]) -> Run:
    sfn = cloud.client("stepfunctions")
    result = Run(label, users)
    started = time.monotonic()
    with cloud.faults.recording() as calls:
        arn = sfn.start_execution(
            stateMachineArn=machine, name=f"bench-{label}-{time.time_ns()}", input=json.dumps(payload)
        )["executionArn"]
        execution = cloud.wait_for_execution(arn, timeout=7200)
    result.wall_seconds = time.monotonic() - started
    result.calls.update(c.site for c in calls)
    history = cloud.history(arn)
    result.transitions = sum(1 for e in history if e["type"].endswith("StateEntered"))
    result.invocations = sum(1 for e in history if e["type"] == "LambdaFunctionScheduled")
    scheduled: dict[int, Any] = {}
    for event in history:
        if event["type"] == "LambdaFunctionStarted":
            scheduled[event["id"]] = event["timestamp"]
        elif (
            event["type"] in {"LambdaFunctionSucceeded", "LambdaFunctionFailed"}
            and event["previousEventId"] in scheduled
        ):
            result.lambda_seconds += (event["timestamp"] - scheduled[event["previousEventId"]]).total_seconds()
    output = json.loads(execution.get("output") or "{}")
    users_seen = (output.get("plan") or {}).get("users", [])
    result.looked_at = len(users_seen)
    result.deferred = int((output.get("plan") or {}).get("deferred") or 0)
    result.outcomes.update(u["outcome"] for u in users_seen)
    if execution["status"] != "SUCCEEDED":
        print(
            f"{label}: {execution['status']} {execution.get('error')} {execution.get('cause', '')[:500]}",
            file=sys.stderr,
        )
    return result


def naive_scan(cloud: LocalCloud, users: int) -> Run:
    """What a script does without the credential report: a call per user and per key."""
    iam = cloud.client("iam")
    result = Run("naive scan", users)
    started = time.monotonic()
    with cloud.faults.recording() as calls:
        for page in iam.get_paginator("list_users").paginate(PathPrefix=PATH):
            for user in page["Users"]:
                for key in iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]:
                    iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    result.wall_seconds = time.monotonic() - started
    result.calls.update(c.site for c in calls)
    return result


def bench(assembly: Path, users: int) -> list[Run]:
    with LocalCloud() as cloud:
        account.prepare(cloud, "turnstile-hr")
        deployment = cloud.deploy(assembly)
        machine = deployment.outputs["KeyRotationStateMachineArn"]
        started = time.monotonic()
        [key_id] = [r["physical_id"] for r in deployment.resources.values() if r["type"] == "AWS::KMS::Key"]
        made = populate(cloud, users, key_id)
        print(f"{users} users: {made} in {time.monotonic() - started:.0f} s", file=sys.stderr)
        runs = [
            measure(cloud, machine, "dry run", users, {"dry_run": True}),
            measure(cloud, machine, "rotation", users, {"dry_run": False}),
            naive_scan(cloud, users),
        ]
        for run in runs:
            print(
                f"  {run.label}: {run.wall_seconds:.0f} s, {sum(run.iam_calls().values())} IAM calls", file=sys.stderr
            )
        return runs


def table(runs: list[Run]) -> str:
    lines = [
        "| users | run | scan IAM calls | per-user IAM calls (by kind) | users looked at (left for the next run) | "
        "outcomes | transitions | Lambda invocations | wall | cost per run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        scan = run.iam_calls("turnstile-PlanKeyRotation") if run.label != "naive scan" else run.iam_calls()
        per_user = run.iam_calls("turnstile-RotateUserKeys")
        kinds = ", ".join(f"{a} {n}" for a, n in sorted(per_user.items())) or "—"
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(run.outcomes.items())) or "—"
        scan_text = ", ".join(f"{a} {n}" for a, n in sorted(scan.items()))
        cost = f"${run.cost():.4f}" if run.label != "naive scan" else "—"
        lines.append(
            f"| {run.users:,} | {run.label} | {sum(scan.values())} ({scan_text}) | {kinds} | "
            f"{run.looked_at} ({run.deferred}) | {outcomes} | {run.transitions} | {run.invocations} | "
            f"{run.wall_seconds:.0f} s | {cost} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        assembly = synthesize(Path(tmp) / "cdk.out", None)
        runs = [run for users in args.users for run in bench(assembly, users)]
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

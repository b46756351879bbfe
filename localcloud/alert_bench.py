"""`make bench-alerts`: how long an alert takes in the local cloud, from the API call CloudTrail records to the SNS
message in a subscribed queue, and what each alert costs in calls.

Deploys the stack into a fresh local cloud, subscribes a queue to the alerts topic, and for each scenario makes
the calls one at a time as an administrator (a role session), timing each from the call's return (CloudTrail's
event is emitted by then) to the message's arrival (the queue polled every 2 ms). It counts RaiseAlert's
invocations and the requests its role makes. Not a test: nothing here asserts a time. In AWS, CloudTrail delivers
management events to EventBridge in seconds to minutes; this measures Turnstile's part only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from . import account
from .burst import synthesize
from .cloud import LocalCloud
from .demo import inbox as subscribe

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# us-east-1 list prices (USD)
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
ASSUMED_SECONDS = 0.2  # per invocation, for the price (in-process durations say nothing about Lambda's)
DYNAMODB_PER_WRITE = 0.625 / 1_000_000
DYNAMODB_PER_READ = 0.125 / 1_000_000
SNS_PER_PUBLISH = 0.50 / 1_000_000
KMS_PER_CALL = 0.03 / 10_000
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


@dataclass
class Result:
    scenario: str
    events: int
    alerts: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    invocations: int = 0
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (service, action) by RaiseAlert

    def per_alert(self, service: str, actions: set[str] | None = None) -> float:
        n = sum(c for (s, a), c in self.calls.items() if s == service and (actions is None or a in actions))
        return n / max(self.alerts, 1)

    def cost_per_1000_events(self) -> float:
        writes = sum(c for (s, a), c in self.calls.items() if s == "dynamodb" and a in WRITES)
        reads = sum(c for (s, a), c in self.calls.items() if s == "dynamodb" and a not in WRITES)
        total = (
            self.invocations * (LAMBDA_PER_REQUEST + 0.25 * ASSUMED_SECONDS * LAMBDA_ARM_PER_GB_SECOND)
            + writes * DYNAMODB_PER_WRITE
            + reads * DYNAMODB_PER_READ
            + self.calls[("sns", "Publish")] * SNS_PER_PUBLISH
            + sum(c for (s, _), c in self.calls.items() if s == "kms") * KMS_PER_CALL
        )
        return 1000 * total / max(self.events, 1)


def arrivals(cloud: LocalCloud, url: str) -> int:
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[cloud.account][cloud.region].queues[url.rsplit("/", 1)[-1]]
    with queue._messages_lock:
        return len(queue._messages)


def measure(
    cloud: LocalCloud,
    inbox: str,
    scenario: str,
    steps: list[Callable[[], Any]],
    *,
    alerting_step: int | None = None,
    before_each: Callable[[], Any] | None = None,
) -> Result:
    """Run `steps` one at a time (after `before_each`, untimed); time those that should alert (every one, or each
    `alerting_step`-th)."""
    result = Result(scenario, len(steps))
    before_logs = len(cloud.log_messages())
    with cloud.faults.recording() as calls:
        for index, step in enumerate(steps, start=1):
            if before_each is not None:
                before_each()
            cloud.settle()
            seen = arrivals(cloud, inbox)
            step()
            started = time.perf_counter()
            timed = alerting_step is None or index % alerting_step == 0
            if not timed:
                continue
            deadline = started + 30
            while arrivals(cloud, inbox) == seen and time.perf_counter() < deadline:
                time.sleep(0.002)
            if arrivals(cloud, inbox) > seen:
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.alerts += 1
        cloud.settle()
    result.calls.update((c.service, c.action) for c in calls if c.caller == "turnstile-RaiseAlert")
    result.invocations = sum(
        1
        for line in cloud.log_messages()[before_logs:]
        if '"function_name":"turnstile-RaiseAlert"' in line and "CloudTrail event judged" in line
    )
    return result


def run(events: int, security_hub: bool) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp, LocalCloud() as cloud:
        assembly = synthesize(Path(tmp) / "cdk.out", {"alerting.security_hub": True} if security_hub else None)
        account.prepare(cloud, "turnstile-hr")
        if security_hub:
            cloud.client("securityhub").enable_security_hub()
        deployment = cloud.deploy(assembly)
        inbox = subscribe(cloud, deployment.outputs["NotificationsTopicArn"])
        admin = account.administrator(cloud, "bench").client("iam")
        iam = cloud.client("iam")
        iam.create_group(GroupName="bench-group")
        for n in range(events):
            iam.create_user(UserName=f"bench-target-{n}")
        policy = iam.create_policy(PolicyName="bench-allow-all", PolicyDocument=json.dumps(ALLOW_ALL))["Policy"]["Arn"]
        for n in range(events):
            iam.create_user(UserName=f"bench-signin-{n}")
            iam.create_login_profile(UserName=f"bench-signin-{n}", Password="Bench-Password-123!")  # noqa: S106
        cloud.settle()

        def detach_customer_policy() -> None:
            attached = iam.list_attached_group_policies(GroupName="bench-group")["AttachedPolicies"]
            if attached:
                iam.detach_group_policy(GroupName="bench-group", PolicyArn=policy)

        results = [
            measure(
                cloud,
                inbox,
                "CreateUser (one rule, one detection)",
                [partial(admin.create_user, UserName=f"bench-made-{n}") for n in range(events)],
            ),
            measure(
                cloud,
                inbox,
                "AttachUserPolicy AdministratorAccess (3 rules, 3 detections, 1 alert)",
                [
                    partial(admin.attach_user_policy, UserName=f"bench-target-{n}", PolicyArn=ADMIN_POLICY)
                    for n in range(events)
                ],
            ),
            measure(
                cloud,
                inbox,
                "AttachGroupPolicy of a customer policy allowing * (its default version read)",
                [partial(admin.attach_group_policy, GroupName="bench-group", PolicyArn=policy) for _ in range(events)],
                before_each=detach_customer_policy,
            ),
            measure(
                cloud,
                inbox,
                "failed console sign-ins, 5 per user (a burst: the 5th alerts)",
                [
                    partial(cloud.console_sign_in, f"bench-signin-{n // 5}", "wrong", source_ip=f"198.51.100.{n % 200}")
                    for n in range(events * 5)
                ],
                alerting_step=5,
            ),
        ]
        return results


def report(results: list[Result], security_hub: bool) -> str:
    lines = [
        f"Alert latency in the local cloud (API call returned → SNS message in a subscribed queue); "
        f"Security Hub import {'on' if security_hub else 'off'}",
        "",
        "| scenario | events | alerts | p50 ms | p95 ms | max ms | RaiseAlert invocations / event "
        "| DynamoDB calls / alert | IAM reads / alert | $ per 1,000 events |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        ordered = sorted(r.latencies_ms)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)] if ordered else 0.0
        lines.append(
            f"| {r.scenario} | {r.events} | {r.alerts} | {statistics.median(ordered) if ordered else 0:.0f} "
            f"| {p95:.0f} | {max(ordered) if ordered else 0:.0f} | {r.invocations / max(r.events, 1):.2f} "
            f"| {r.per_alert('dynamodb'):.1f} | {r.per_alert('iam'):.1f} | {r.cost_per_1000_events():.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=40, help="events per scenario (default 40)")
    parser.add_argument("--security-hub", action="store_true", help="deploy with alerting.security_hub: true")
    args = parser.parse_args(argv)
    print(report(run(args.events, args.security_hub), args.security_hub))
    return 0


if __name__ == "__main__":
    sys.exit(main())

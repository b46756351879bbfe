"""Drive the deployed onboarding workflow the way production does: by putting HR events on the bus."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from typing import Any

import boto3
import pyotp

from localcloud import Deployment, LocalCloud, account
from stacks.configuration import load_config
from tests import queues
from tests.factories import hire_detail

REPORT_LIFETIME = 4 * 3600 + 60  # seconds: IAM reuses a credential report for four hours


@dataclass
class Deployed:
    cloud: LocalCloud
    deployment: Deployment
    inbox_url: str
    events_url: str

    @property
    def state_machine(self) -> str:
        return self.deployment.outputs["OnboardingStateMachineArn"]

    @property
    def table(self) -> str:
        return self.deployment.outputs["TableName"]

    def client(self, service: str) -> Any:
        return self.cloud.client(service)

    def hire(self, *details: dict[str, Any]) -> list[dict[str, Any]]:
        """Put one "Employee Hired" event per detail; return the executions they started, once each has
        finished or is parked waiting for MFA enrolment."""
        known = {r["executionArn"] for r in self.cloud.executions(self.state_machine)}
        for detail in details:
            self.put_hr_event("Employee Hired", detail)
        deadline = time.monotonic() + 60
        while len(
            new := [r for r in self.cloud.executions(self.state_machine) if r["executionArn"] not in known]
        ) < len(details):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(new)} of {len(details)} executions started")
            time.sleep(0.1)
        runs = [self.cloud.wait_for_execution(r["executionArn"], parked_ok=True) for r in new]
        return sorted(runs, key=lambda r: r["startDate"])

    def put_hr_event(self, detail_type: str, detail: dict[str, Any] | str, *, source: str = "hr.system") -> str:
        """As the HR integration's role: the only principal the bus policy lets put events."""
        return self.cloud.put_event(
            self.deployment.outputs["HrBusName"], source, detail_type, detail, session=self.hr_publisher
        )

    @functools.cached_property
    def hr_publisher(self) -> boto3.session.Session:
        return account.hr_publisher(self.cloud)

    def finish(self, execution: dict[str, Any]) -> dict[str, Any]:
        """Wait for a (resumed) execution to end."""
        self.cloud.settle()
        return self.cloud.wait_for_execution(execution["executionArn"])

    def sweep_mfa(self) -> None:
        """The hourly MFA sweeper, once IAM has a newer credential report than the last: the sweeper judges from
        the report, which IAM renews at most every four hours (so a change made just now is seen only then)."""
        self.cloud.clock.advance(REPORT_LIFETIME)
        self.cloud.fire_schedule("turnstile-MfaSweeperSchedule")

    def parked(self, execution: dict[str, Any]) -> bool:
        """RUNNING and waiting at AwaitMfaEnrolment for its task token."""
        history = self.cloud.history(execution["executionArn"])
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if e["type"] == "TaskStateEntered"]
        return (
            execution["status"] == "RUNNING"
            and entered[-1] == "AwaitMfaEnrolment"
            and history[-1]["type"] == "TaskSubmitted"
        )

    def state_output(self, execution: dict[str, Any], state: str) -> dict[str, Any]:
        """The state data as `state` left it (from the execution history)."""
        for event in self.cloud.history(execution["executionArn"]):
            details = event.get("stateExitedEventDetails", {})
            if details.get("name") == state:
                return dict(json.loads(details["output"]))
        raise KeyError(f"{state} never exited")

    def read_secret(self, name: str) -> dict[str, Any]:
        """As the helpdesk role: the only principal the secrets' resource policy lets read values."""
        sm = account.helpdesk(self.cloud).client("secretsmanager")
        return dict(json.loads(sm.get_secret_value(SecretId=name)["SecretString"]))

    def enrol_mfa(self, username: str, *, valid_codes: bool = True) -> str:
        """The user, in a console session, creates a virtual MFA device and enables it with TOTP codes."""
        iam = self.cloud.console_session(username).client("iam")
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=username)["VirtualMFADevice"]
        seed = device["Base32StringSeed"]
        totp = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed)
        now = time.time()
        codes = (totp.at(now - 30), totp.at(now)) if valid_codes else ("000000", "111111")
        iam.enable_mfa_device(
            UserName=username,
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1=codes[0],
            AuthenticationCode2=codes[1],
        )
        return str(device["SerialNumber"])

    def notifications(self, *, after: int = 0) -> list[dict[str, Any]]:
        """Every message published to Turnstile's topic (from the `after`-th on), read without consuming it:
        a snapshot, so no test can hide a message from another (or from the secrets scan)."""
        return [json.loads(json.loads(body)["Message"]) for body in snapshot(self.cloud, self.inbox_url)[after:]]

    def mark(self) -> int:
        """How many notifications exist now: pass it as `after=` to see only what comes next."""
        return len(snapshot(self.cloud, self.inbox_url))

    def events(self) -> list[dict[str, Any]]:
        """Every event put on the HR bus or the default bus, as recorded (a snapshot)."""
        return [json.loads(body) for body in snapshot(self.cloud, self.events_url)]

    def history_text(self, execution: dict[str, Any]) -> str:
        return json.dumps(self.cloud.history(execution["executionArn"]), default=str)


def snapshot(cloud: LocalCloud, url: str) -> list[str]:
    """The bodies of every message in a queue, in order, left in place (read from the emulator's backend: a
    receive would hide them from the next reader)."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[cloud.account][cloud.region].queues[url.rsplit("/", 1)[-1]]
    with queue._messages_lock:
        return [message.body for message in queue._messages]


def deploy(cloud: LocalCloud, assembly: Any) -> Deployed:
    """Deploy the session's cloud assembly into an account as it is before Turnstile (localcloud.account: the
    helpdesk and HR roles); subscribe an inbox to the topic and a recorder to every bus."""
    account.prepare(cloud, load_config().hr.bus_name)
    deployment = cloud.deploy(assembly)
    topic = deployment.outputs["NotificationsTopicArn"]
    sqs = cloud.client("sqs")
    inbox_url = queues.inbox(sqs, cloud.client("sns"), topic, "security-inbox")
    buses = ("default", deployment.outputs["HrBusName"])
    rule_prefix = f"arn:aws:events:{cloud.region}:{cloud.account}:rule/"
    rules = [rule_prefix + ("" if bus == "default" else f"{bus}/") + f"record-{bus}" for bus in buses]
    events_url, events_arn = queues.queue(sqs, "every-event", service="events.amazonaws.com", source_arns=rules)
    events = cloud.client("events")
    for bus in buses:
        events.put_rule(Name=f"record-{bus}", EventBusName=bus, EventPattern=json.dumps({"account": [cloud.account]}))
        events.put_targets(Rule=f"record-{bus}", EventBusName=bus, Targets=[{"Id": "sqs", "Arn": events_arn}])
    return Deployed(cloud=cloud, deployment=deployment, inbox_url=inbox_url, events_url=events_url)


def person(
    employee_id: str, first: str, last: str, *, console: bool = True, programmatic: bool = False, **extra: Any
) -> dict[str, Any]:
    return hire_detail(
        employee_id=employee_id,
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}@example.com",
        access={"console": console, "programmatic": programmatic},
        **extra,
    )

"""Drive the deployed onboarding workflow the way production does: by putting HR events on the bus."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyotp

from localcloud import Deployment, LocalCloud
from tests.factories import hire_detail

HELPDESK_ARN = "arn:aws:iam::123456789012:role/turnstile-helpdesk"


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
            self.cloud.put_event(self.deployment.outputs["HrBusName"], "hr.system", "Employee Hired", detail)
        deadline = time.monotonic() + 60
        while len(
            new := [r for r in self.cloud.executions(self.state_machine) if r["executionArn"] not in known]
        ) < len(details):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(new)} of {len(details)} executions started")
            time.sleep(0.1)
        runs = [self.cloud.wait_for_execution(r["executionArn"], parked_ok=True) for r in new]
        return sorted(runs, key=lambda r: r["startDate"])

    def finish(self, execution: dict[str, Any]) -> dict[str, Any]:
        """Wait for a (resumed) execution to end."""
        self.cloud.settle()
        return self.cloud.wait_for_execution(execution["executionArn"])

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
        sm = self.cloud.role_session(HELPDESK_ARN, "helpdesk").client("secretsmanager")
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

    def notifications(self) -> list[dict[str, Any]]:
        return [json.loads(body["Message"]) for body in drain(self.client("sqs"), self.inbox_url)]

    def history_text(self, execution: dict[str, Any]) -> str:
        return json.dumps(self.cloud.history(execution["executionArn"]), default=str)


def drain(sqs: Any, url: str) -> Iterator[dict[str, Any]]:
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            yield json.loads(message["Body"])


def queue(cloud: LocalCloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def deploy(cloud: LocalCloud, assembly: Any) -> Deployed:
    """Deploy the session's cloud assembly into an account that has a helpdesk role (the configured secret
    reader); subscribe an inbox to the topic and a recorder to every bus."""
    cloud.client("iam").create_role(
        RoleName="turnstile-helpdesk",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    deployment = cloud.deploy(assembly)
    inbox_url, inbox_arn = queue(cloud, "security-inbox")
    cloud.client("sns").subscribe(
        TopicArn=deployment.outputs["NotificationsTopicArn"],
        Protocol="sqs",
        Endpoint=inbox_arn,
        Attributes={"RawMessageDelivery": "false"},
    )
    events_url, events_arn = queue(cloud, "every-event")
    events = cloud.client("events")
    for bus in ("default", deployment.outputs["HrBusName"]):
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

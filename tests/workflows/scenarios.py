"""Drive the deployed onboarding workflow the way production does: by putting HR events on the bus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from localcloud import Deployment, LocalCloud
from tests.factories import hire_detail


@dataclass
class Deployed:
    cloud: LocalCloud
    deployment: Deployment
    inbox_url: str
    events_url: str
    _seen: int = field(default=0)

    @property
    def state_machine(self) -> str:
        return self.deployment.outputs["OnboardingStateMachineArn"]

    @property
    def table(self) -> str:
        return self.deployment.outputs["TableName"]

    def client(self, service: str) -> Any:
        return self.cloud.client(service)

    def hire(self, *details: dict[str, Any]) -> list[dict[str, Any]]:
        """Put one "Employee Hired" event per detail; return the executions they started, finished."""
        for detail in details:
            self.cloud.put_event(self.deployment.outputs["HrBusName"], "hr.system", "Employee Hired", detail)
        self._seen += len(details)
        runs = self.cloud.wait_for_executions(self.state_machine, self._seen)
        return runs[-len(details) :]

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
    """Deploy the session's cloud assembly; subscribe an inbox to the topic and a recorder to every bus."""
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

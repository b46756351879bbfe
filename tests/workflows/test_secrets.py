"""No temporary password or secret access key travels: after every onboarding scenario — happy, duplicate,
rejected, conflicting, failing, enrolling, missing the deadline — neither appears in any execution history, log
line, notification, event (HR bus, default bus, CloudTrail), dead letter, audit item or stack output.

Every channel is read as a snapshot (nothing is consumed), and a planted marker proves the scan sees each one."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import hire_detail
from tests.workflows.scenarios import Deployed, person, snapshot

DEAD_LETTER_QUEUES = (
    "turnstile-hr-dead-letters",
    "turnstile-iam-events-dead-letters",
    "turnstile-onboarding-dead-letters",
    "turnstile-key-rotation-dead-letters",
    "turnstile-alerts-dead-letters",
    "turnstile-offboarding-dead-letters",
)


@dataclass
class Scanned:
    deployed: Deployed
    secrets: list[str]  # every password and secret key ever stored, read before any was deleted


@pytest.fixture(scope="module")
def after_every_scenario(deployed: Deployed) -> Scanned:
    deployed.client("iam").create_user(UserName="sam.jones")  # unmanaged: a name conflict
    twice = person("E3003", "Both", "Kinds", console=True, programmatic=True)
    faults = deployed.cloud.faults
    with faults.injected("iam", "AddUserToGroup", "ServiceFailure", caller="turnstile-AddToGroups", when=failing):
        runs = deployed.hire(
            person("E3001", "Console", "Only"),
            person("E3002", "Keys", "Only", console=False, programmatic=True),
            twice,
            twice,
            hire_detail(employee_id="E3004", department="Nowhere"),
            person("E3005", "Sam", "Jones", programmatic=True),
            person("E3006", "Never", "Enrols", console=False, programmatic=True),
            person("E3007", "Rolled", "Back", console=False, programmatic=True, team="Data"),
        )
    deployed.enrol_mfa("console.only")
    secrets = stored_secrets(deployed)
    deployed.cloud.clock.advance(8 * 24 * 3600)
    deployed.sweep_mfa()
    for run in runs:
        deployed.finish(run)
    deployed.cloud.settle()
    return Scanned(deployed, secrets)


def failing(call: Any) -> bool:
    """Fail only Rolled Back's group membership: that hire is rolled back after its key was stored."""
    return call.params.get("UserName") == "rolled.back"


def stored_secrets(deployed: Deployed) -> list[str]:
    sm = deployed.client("secretsmanager")
    values = []
    for secret in sm.list_secrets()["SecretList"]:
        if secret.get("DeletedDate"):
            continue
        value = deployed.read_secret(secret["ARN"])
        values.append(value.get("password") or value["secret_access_key"])
    return values


def everything_recorded(deployed: Deployed) -> dict[str, str]:
    cloud = deployed.cloud
    sfn = deployed.client("stepfunctions")
    executions = [
        sfn.describe_execution(executionArn=r["executionArn"])
        for machine in sfn.list_state_machines()["stateMachines"]  # onboarding and key rotation
        for r in cloud.executions(machine["stateMachineArn"])
    ]
    sqs = deployed.client("sqs")
    dead_letters = [snapshot(cloud, sqs.get_queue_url(QueueName=name)["QueueUrl"]) for name in DEAD_LETTER_QUEUES]
    items = deployed.client("dynamodb").scan(TableName=deployed.table)["Items"]
    return {
        "execution history": json.dumps([cloud.history(e["executionArn"]) for e in executions], default=str),
        "execution input/output": json.dumps(executions, default=str),
        "logs": "\n".join(cloud.log_messages()),
        "notifications": json.dumps(snapshot(cloud, deployed.inbox_url)),
        "events": json.dumps(snapshot(cloud, deployed.events_url)),
        "cloudtrail": json.dumps(cloud.cloudtrail.emitted if cloud.cloudtrail else []),
        "dead letters": json.dumps(dead_letters),
        "table": json.dumps(items),
        "stack outputs": json.dumps(deployed.deployment.outputs),
    }


def leaks(recorded: dict[str, str], secrets: list[str]) -> list[tuple[str, str]]:
    return [(place, secret[:4] + "…") for place, text in recorded.items() for secret in secrets if secret in text]


def test_the_scan_sees_the_workflow_and_the_secrets_exist(after_every_scenario: Scanned) -> None:
    """Guard against a scan that passes because it looked at nothing."""
    recorded = everything_recorded(after_every_scenario.deployed)
    # passwords: console-only, both-kinds; keys: keys-only, never-enrols (rolled-back's secret is gone)
    assert len(after_every_scenario.secrets) == 4
    assert "console-password" in recorded["execution history"] and "AccessKeyId" not in recorded["logs"]
    assert "user ensured" in recorded["logs"] and "HireRejected" in recorded["notifications"]
    assert "Employee Hired" in recorded["events"] and "UserNameConflict" in recorded["execution history"]
    assert "CreateLoginProfile" in recorded["cloudtrail"] and "RollBackHire" in recorded["execution history"]
    assert "MfaDeadlinePassed" in recorded["notifications"] and "ReleaseMfaHold" in recorded["execution history"]
    assert "EMPLOYEE#E3001" in recorded["table"]


def test_no_secret_appears_anywhere(after_every_scenario: Scanned) -> None:
    assert leaks(everything_recorded(after_every_scenario.deployed), after_every_scenario.secrets) == []


def test_a_secret_planted_in_any_channel_is_caught(deployed: Deployed) -> None:
    """The scan itself can fail: a marker put in each channel through that channel's own producer is found."""
    marker = f"PLANTED-{uuid.uuid4().hex}"
    cloud = deployed.cloud
    deployed.client("sns").publish(TopicArn=deployed.deployment.outputs["NotificationsTopicArn"], Message=marker)
    cloud.put_event("default", "test.planter", "Planted", {"marker": marker})
    deployed.put_hr_event("Employee Hired", {"marker": marker})  # also starts an execution: its history
    sqs = deployed.client("sqs")
    for name in DEAD_LETTER_QUEUES:
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"], MessageBody=marker)
    logs = deployed.client("logs")
    logs.create_log_group(logGroupName="/planted")
    logs.create_log_stream(logGroupName="/planted", logStreamName="s")
    now_ms = int(time.time() * 1000)  # CloudWatch Logs rejects events older than 14 days
    planted = [{"timestamp": now_ms, "message": marker}]
    logs.put_log_events(logGroupName="/planted", logStreamName="s", logEvents=planted)
    deployed.client("dynamodb").put_item(TableName=deployed.table, Item={"pk": {"S": "PLANTED"}, "sk": {"S": marker}})
    deployed.client("iam").create_user(UserName="planted", Tags=[{"Key": "marker", "Value": marker[:40]}])
    deployed.deployment.outputs["Planted"] = marker
    try:
        cloud.wait_for_executions(deployed.state_machine, 1)
        cloud.settle()
        recorded = everything_recorded(deployed)
    finally:
        del deployed.deployment.outputs["Planted"]
    caught = {place for place, _ in leaks(recorded, [marker])}
    assert caught | {"cloudtrail"} == set(recorded)
    assert marker[:40] in recorded["cloudtrail"]  # CloudTrail recorded the tag value of CreateUser

"""No temporary password or secret access key travels: after every onboarding scenario, neither appears in
any execution history, log line, notification, event, dead letter or stack output."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.factories import hire_detail
from tests.workflows.scenarios import Deployed, drain, person


@dataclass
class Scanned:
    deployed: Deployed
    secrets: list[str]  # every password and secret key ever stored, read before any was deleted


@pytest.fixture(scope="module")
def after_every_scenario(deployed: Deployed) -> Scanned:
    deployed.client("iam").create_user(UserName="sam.jones")  # unmanaged: a name conflict
    twice = person("E3003", "Both", "Kinds", console=True, programmatic=True)
    runs = deployed.hire(
        person("E3001", "Console", "Only"),
        person("E3002", "Keys", "Only", console=False, programmatic=True),
        twice,
        twice,
        hire_detail(employee_id="E3004", department="Nowhere"),
        person("E3005", "Sam", "Jones", programmatic=True),
        person("E3006", "Never", "Enrols", programmatic=True),
    )
    # the MFA paths: one user enrols (CloudTrail resumes the workflow), one misses the deadline
    deployed.enrol_mfa("console.only")
    secrets = stored_secrets(deployed)
    deployed.cloud.clock.advance(8 * 24 * 3600)
    deployed.cloud.fire_schedule("turnstile-MfaSweeperSchedule")
    for run in runs:
        deployed.finish(run)
    return Scanned(deployed, secrets)


def stored_secrets(deployed: Deployed) -> list[str]:
    sm = deployed.client("secretsmanager")
    values = []
    for secret in sm.list_secrets()["SecretList"]:
        value = deployed.read_secret(secret["ARN"])
        values.append(value.get("password") or value["secret_access_key"])
    return values


def everything_recorded(deployed: Deployed) -> dict[str, str]:
    cloud, sqs = deployed.cloud, deployed.client("sqs")
    histories = [cloud.history(run["executionArn"]) for run in cloud.executions(deployed.state_machine)]
    executions = [
        deployed.client("stepfunctions").describe_execution(executionArn=r["executionArn"])
        for r in cloud.executions(deployed.state_machine)
    ]
    dead_letters = list(drain(sqs, deployed.deployment.outputs["HrDeadLetterQueueUrl"]))
    return {
        "execution history": json.dumps(histories, default=str),
        "execution input/output": json.dumps(executions, default=str),
        "logs": "\n".join(cloud.log_messages()),
        "notifications": json.dumps(list(drain(sqs, deployed.inbox_url))),
        "events": json.dumps(list(drain(sqs, deployed.events_url))),
        "dead letters": json.dumps(dead_letters),
        "stack outputs": json.dumps(deployed.deployment.outputs),
    }


def test_the_scan_sees_the_workflow_and_the_secrets_exist(after_every_scenario: Scanned) -> None:
    """Guard against a scan that passes because it looked at nothing."""
    recorded = everything_recorded(after_every_scenario.deployed)
    secrets = after_every_scenario.secrets
    # passwords: console-only, both-kinds, never-enrols; keys: keys-only, both-kinds (sent twice), never-enrols
    assert len(secrets) == 6
    assert "console-password" in recorded["execution history"] and "AccessKeyId" not in recorded["logs"]
    assert "user ensured" in recorded["logs"] and "HireRejected" in recorded["notifications"]
    assert "Employee Hired" in recorded["events"] and "UserNameConflict" in recorded["execution history"]
    assert "AWS API Call via CloudTrail" in recorded["events"] and "CreateLoginProfile" in recorded["events"]
    assert "MfaDeadlinePassed" in recorded["notifications"] and "ReleaseMfaHold" in recorded["execution history"]


def test_no_secret_appears_anywhere(after_every_scenario: Scanned) -> None:
    secrets = after_every_scenario.secrets
    recorded = everything_recorded(after_every_scenario.deployed)
    leaks = [(place, secret[:4] + "…") for place, text in recorded.items() for secret in secrets if secret in text]
    assert leaks == []

"""The per-hire counts the README's cost section quotes, measured from execution histories."""

from __future__ import annotations

from localcloud.timeline import steps
from tests.factories import hire_detail
from tests.workflows.scenarios import Deployed, person


def counts(deployed: Deployed, execution: dict) -> tuple[int, int]:
    entered = steps(deployed.cloud.history(execution["executionArn"]))
    return len(entered), sum(1 for step in entered if step.kind == "Task")


def test_state_transitions_and_lambda_tasks_per_outcome(deployed: Deployed) -> None:
    detail = person("E5001", "Cost", "Counted", console=True, programmatic=True)
    first, duplicate = deployed.hire(detail, detail)
    if first["status"] != "RUNNING":
        first, duplicate = duplicate, first
    deployed.enrol_mfa("cost.counted")
    onboarded = deployed.finish(first)
    [rejected] = deployed.hire(hire_detail(employee_id="E5002", department="Nowhere"))
    assert onboarded["status"] == "SUCCEEDED" and counts(deployed, onboarded) == (15, 10)
    assert counts(deployed, rejected) == (4, 2)
    assert counts(deployed, duplicate) == (5, 2)

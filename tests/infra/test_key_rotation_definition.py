"""statemachines/key_rotation.asl.json and its schedule, as the stack deploys them: every task (the Map's too)
retries with jitter, each user's failure is caught inside the Map, the run's failures reach its summary, and
the EventBridge Scheduler schedule can start this state machine and nothing else."""

from __future__ import annotations

import json
import re
from typing import Any

from stacks.configuration import load_config
from stacks.constructs.workflow_definition import STANDARD_RETRY, STATEMACHINES, definition
from stacks.function_specs import KEY_ROTATION_STEPS
from tests.conftest import Synthesized
from tests.infra.test_template import actions, resources, statements_of

ASL: dict[str, Any] = definition("key_rotation")
STATES: dict[str, Any] = ASL["States"]
MAP = STATES["ActOnUsers"]
INNER: dict[str, Any] = MAP["ItemProcessor"]["States"]


def tasks() -> dict[str, dict[str, Any]]:
    found = {n: s for n, s in STATES.items() if s["Type"] == "Task"}
    return found | {n: s for n, s in INNER.items() if s["Type"] == "Task"}


def test_every_task_the_maps_included_ends_its_retriers_with_the_standard_policy() -> None:
    assert set(tasks()) == {
        "BeginRotationRun",
        "PlanKeyRotation",
        "RotateUserKeys",
        "FinishRotationRun",
        "RecordRunFailure",
    }
    for name, state in tasks().items():
        assert state["Retry"][-len(STANDARD_RETRY) :] == STANDARD_RETRY, name
    # the planner's own retrier comes first: IAM is still generating the credential report
    assert STATES["PlanKeyRotation"]["Retry"][0]["ErrorEquals"] == ["ReportInProgress"]


def test_one_users_failure_is_caught_in_the_map_and_the_runs_failures_reach_a_summary() -> None:
    assert INNER["RotateUserKeys"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "UserFailed"}
    ]
    assert INNER["UserFailed"]["Parameters"]["outcome"] == "failed"
    for name in ("PlanKeyRotation", "ActOnUsers"):
        assert STATES[name]["Catch"][-1] == {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.error",
            "Next": "RunFailed",
        }
    assert STATES["RunFailed"]["Next"] == "RecordRunFailure"
    assert STATES["RecordRunFailure"]["Resource"] == STATES["FinishRotationRun"]["Resource"]
    # a summary that cannot be recorded fails the execution, which KeyRotationEndedRule reports
    assert STATES["FinishRotationRun"]["Catch"][-1]["Next"] == "SummaryNotRecorded"
    assert STATES["SummaryNotRecorded"]["Type"] == "Fail"


def test_every_placeholder_is_a_rotation_step() -> None:
    text = (STATEMACHINES / "key_rotation.asl.json").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", text)) == {f"{name}FunctionArn" for name in KEY_ROTATION_STEPS}


def test_the_deployed_map_is_bounded_by_the_configured_concurrency(synthesized: Synthesized) -> None:
    [machine] = [
        m
        for m in resources(synthesized, "AWS::StepFunctions::StateMachine").values()
        if m["Properties"].get("StateMachineName") == "turnstile-key-rotation"
    ]
    text = json.dumps(machine["Properties"]["DefinitionString"])
    assert f'\\"MaxConcurrency\\": {load_config().rotation.max_concurrency}' in text


def test_the_schedule_starts_only_the_rotation_state_machine_as_a_role_only_the_scheduler_can_assume(
    synthesized: Synthesized,
) -> None:
    [schedule] = resources(synthesized, "AWS::Scheduler::Schedule").values()
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == load_config().rotation.schedule
    assert props["ScheduleExpressionTimezone"] == "Etc/UTC"
    target = props["Target"]
    assert target["Arn"]["Ref"].startswith("KeyRotationStateMachine")
    assert json.loads(target["Input"]) == {}  # dry run as configured
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 20 and "DeadLetterConfig" in target
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    trust = synthesized.template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
    assert all("aws:SourceAccount" in s["Condition"]["StringEquals"] for s in trust)
    granted = {a for s in statements_of(synthesized, role_id) for a in actions(s)}
    assert granted == {"states:StartExecution", "sqs:SendMessage"}

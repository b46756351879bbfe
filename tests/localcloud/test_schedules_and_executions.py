"""Gap and adapter tests: EventBridge Scheduler schedules from CloudFormation (run as their target's role), unnamed
executions, and the fault tool's `held` requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud import LocalCloud

REGION = "us-east-1"
ACCOUNT = "123456789012"
PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@pytest.fixture
def raw_moto() -> Iterator[None]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def trusting(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def machine_and_schedule_template(*, may_start: bool) -> dict[str, Any]:
    """A state machine and a daily schedule that starts it as role "scheduler-role" (allowed to, or not)."""
    policies = (
        [
            {
                "PolicyName": "start",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "states:StartExecution", "Resource": {"Ref": "M"}}],
                },
            }
        ]
        if may_start
        else []
    )
    return {
        "Resources": {
            "MachineRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": json.loads(trusting("states.amazonaws.com"))},
            },
            "M": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": "m",
                    "DefinitionString": json.dumps(PASS_MACHINE),
                    "RoleArn": {"Fn::GetAtt": ["MachineRole", "Arn"]},
                },
            },
            "ScheduleRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "scheduler-role",
                    "AssumeRolePolicyDocument": json.loads(trusting("scheduler.amazonaws.com")),
                    "Policies": policies,
                },
            },
            "Daily": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Name": "daily",
                    "ScheduleExpression": "rate(1 day)",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {
                        "Arn": {"Ref": "M"},
                        "RoleArn": {"Fn::GetAtt": ["ScheduleRole", "Arn"]},
                        "Input": json.dumps({"dry_run": True}),
                    },
                },
            },
        },
        "Outputs": {"ScheduleArn": {"Value": {"Fn::GetAtt": ["Daily", "Arn"]}}},
    }


def test_gap_moto_cloudformation_cannot_create_a_scheduler_schedule() -> None:
    from moto.cloudformation import parsing

    from localcloud.adapters.scheduler_schedules import SchedulerSchedule

    native = {m.cloudformation_type() for m in parsing.get_model_list() if m is not SchedulerSchedule}
    assert "AWS::Scheduler::Schedule" not in native


def test_adapter_creates_the_schedule_and_fires_it_as_its_role(cloud: LocalCloud) -> None:
    client("cloudformation").create_stack(
        StackName="s", TemplateBody=json.dumps(machine_and_schedule_template(may_start=True))
    )
    schedule = client("scheduler").get_schedule(Name="daily")
    assert schedule["ScheduleExpression"] == "rate(1 day)"
    assert schedule["Target"]["RoleArn"].endswith(":role/scheduler-role")
    execution = cloud.wait_for_execution(cloud.fire_scheduler_schedule("daily"))
    assert execution["status"] == "SUCCEEDED" and json.loads(execution["input"]) == {"dry_run": True}
    decisions = [d for d in cloud.authorization.decisions if d.request.action == "states:StartExecution"]
    assert decisions and "scheduler-role" in decisions[-1].principal


def test_adapter_refuses_a_schedule_whose_role_may_not_start_the_machine(cloud: LocalCloud) -> None:
    client("cloudformation").create_stack(
        StackName="s", TemplateBody=json.dumps(machine_and_schedule_template(may_start=False))
    )
    with pytest.raises(Exception, match="AccessDenied"):
        cloud.fire_scheduler_schedule("daily")


def unnamed_runs() -> list[str]:
    sfn = client("stepfunctions")
    role = client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=trusting("states.amazonaws.com"))
    arn = sfn.create_state_machine(name="m", definition=json.dumps(PASS_MACHINE), roleArn=role["Role"]["Arn"])[
        "stateMachineArn"
    ]
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    try:
        second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        second = "refused: ExecutionAlreadyExists"
    return [first, second]


def test_gap_moto_names_an_unnamed_execution_none(raw_moto: None) -> None:
    first, second = unnamed_runs()
    assert first.endswith(":None") and second in (first, "refused: ExecutionAlreadyExists")  # one execution


def test_adapter_names_unnamed_executions_with_a_uuid(cloud: LocalCloud) -> None:
    first, second = unnamed_runs()
    assert not first.endswith(":None") and first != second
    assert len(first.rsplit(":", 1)[-1]) == 36 and len(second.rsplit(":", 1)[-1]) == 36


def test_held_requests_wait_until_the_block_ends_and_others_pass(cloud: LocalCloud) -> None:
    iam = cloud.client("iam")
    done = threading.Event()

    def held_call() -> None:
        iam.list_users()
        done.set()

    with cloud.faults.held("iam", "ListUsers") as reached:
        threading.Thread(target=held_call, daemon=True).start()
        assert reached.wait(10)
        iam.list_groups()  # another action is not held
        assert not done.wait(0.5)
    assert done.wait(10)


def test_an_unnamed_execution_is_still_held_to_the_input_limit(cloud: LocalCloud) -> None:
    """The two adapters of StartExecution (execution_names, execution_input_limit) both apply."""
    sfn = client("stepfunctions")
    role = client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=trusting("states.amazonaws.com"))
    arn = sfn.create_state_machine(name="m", definition=json.dumps(PASS_MACHINE), roleArn=role["Role"]["Arn"])[
        "stateMachineArn"
    ]
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.start_execution(stateMachineArn=arn, input=json.dumps({"x": "x" * 300_000}))

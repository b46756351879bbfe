"""The offboarding (leaver) workflow: its functions, the state machine, and the daily sweep of retained leavers."""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..function_specs import OFFBOARDING_STEPS
from .dead_letters import dead_letter_queue
from .functions import FunctionFactory
from .names import OFFBOARDING_STATE_MACHINE
from .workflow_definition import definition


class OffboardingWorkflow(Construct):
    """`turnstile-offboarding` (statemachines/offboarding.asl.json); `RetainedUsersSchedule` → SweepRetainedUsers.
    Rejections are recorded by the onboarding's RecordRejection (one audit and alert format for every HR event)."""

    def __init__(self, scope: Construct, construct_id: str, *, functions: FunctionFactory) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.functions = {name: functions.build(name) for name in OFFBOARDING_STEPS}
        invoked = {**self.functions, "RecordRejection": functions.functions["RecordRejection"]}
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="Turnstile offboarding state machine: invokes its own step functions, logs, traces",
        )
        log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=OFFBOARDING_STATE_MACHINE,
            role=role,
            definition_body=sfn.DefinitionBody.from_string(json.dumps(definition("offboarding"))),
            definition_substitutions={f"{name}FunctionArn": fn.function_arn for name, fn in invoked.items()},
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        for fn in invoked.values():
            fn.grant_invoke(self.state_machine)

        self.dead_letters = dead_letter_queue(self, "DeadLetters", queue_name="turnstile-offboarding-dead-letters")
        sweeper = functions.build("SweepRetainedUsers", on_failure=self.dead_letters)
        self.retained_schedule = events.Rule(
            self,
            "RetainedUsersSchedule",
            rule_name="turnstile-RetainedUsersSchedule",
            schedule=events.Schedule.rate(Duration.days(1)),
            description="Turnstile: deletes leavers kept disabled once their retention ends",
        )
        self.retained_schedule.add_target(
            targets.LambdaFunction(
                sweeper, dead_letter_queue=self.dead_letters, retry_attempts=20, max_event_age=Duration.hours(6)
            )
        )
        self.functions["SweepRetainedUsers"] = sweeper

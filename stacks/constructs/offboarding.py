"""The offboarding (leaver) workflow: its functions, the state machine, and the daily sweep of retained leavers."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from ..function_specs import OFFBOARDING_STEPS
from .dead_letters import dead_letter_queue
from .functions import FunctionFactory
from .names import OFFBOARDING_STATE_MACHINE
from .state_machine import workflow_state_machine
from .workflow_definition import definition


class OffboardingWorkflow(Construct):
    """`turnstile-offboarding` (statemachines/offboarding.asl.json); `RetainedUsersSchedule` → SweepRetainedUsers.
    Rejections are recorded by the onboarding's RecordRejection (one audit and alert format for every HR event)."""

    def __init__(self, scope: Construct, construct_id: str, *, functions: FunctionFactory) -> None:
        super().__init__(scope, construct_id)
        self.functions = {name: functions.build(name) for name in OFFBOARDING_STEPS}
        invoked = {**self.functions, "RecordRejection": functions.functions["RecordRejection"]}
        self.state_machine = workflow_state_machine(
            self, name=OFFBOARDING_STATE_MACHINE, what="offboarding", asl=definition("offboarding"), functions=invoked
        )

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

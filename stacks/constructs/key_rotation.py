"""The key-rotation workflow: its functions, the state machine, the EventBridge Scheduler schedule that starts it,
and the rule that alerts on a run ending FAILED, TIMED_OUT or ABORTED."""

from __future__ import annotations

from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct
from turnstile.config import Rotation

from ..function_specs import KEY_ROTATION_STEPS
from .dead_letters import dead_letter_queue
from .execution_ended import execution_ended_rule
from .functions import FunctionFactory
from .names import KEY_ROTATION_STATE_MACHINE
from .state_machine import workflow_state_machine
from .workflow_definition import definition


class KeyRotationWorkflow(Construct):
    """`turnstile-key-rotation` (statemachines/key_rotation.asl.json), `KeyRotationSchedule` (EventBridge
    Scheduler) that starts it, and `KeyRotationEndedRule` → RecordRotationRunEnded."""

    def __init__(self, scope: Construct, construct_id: str, *, rotation: Rotation, functions: FunctionFactory) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.functions = {name: functions.build(name) for name in KEY_ROTATION_STEPS}
        asl = definition("key_rotation")
        asl["States"]["ActOnUsers"]["MaxConcurrency"] = rotation.max_concurrency
        self.state_machine = workflow_state_machine(
            self, name=KEY_ROTATION_STATE_MACHINE, what="key-rotation", asl=asl, functions=self.functions
        )

        self.dead_letters = dead_letter_queue(self, "DeadLetters", queue_name="turnstile-key-rotation-dead-letters")
        schedule_role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="Turnstile KeyRotationSchedule: starts the key-rotation state machine, nothing else",
        )
        # An empty input: the run takes dry_run from the configuration (an operator may start one with
        # {"dry_run": false}).
        self.schedule = scheduler.Schedule(
            self,
            "KeyRotationSchedule",
            schedule_name="turnstile-key-rotation",
            description="Turnstile: starts the key-rotation workflow",
            schedule=scheduler.ScheduleExpression.expression(rotation.schedule, TimeZone.ETC_UTC),
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_object({}),
                role=schedule_role,
                dead_letter_queue=self.dead_letters,
                retry_attempts=20,
                max_event_age=Duration.hours(6),
            ),
        )

        recorder = functions.build("RecordRotationRunEnded", on_failure=self.dead_letters)
        self.ended_rule = execution_ended_rule(
            self,
            "KeyRotationEndedRule",
            what="a key-rotation",
            state_machine=self.state_machine,
            function=recorder,
            dead_letters=self.dead_letters,
        )
        self.functions["RecordRotationRunEnded"] = recorder

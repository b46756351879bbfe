"""The onboarding (joiner) workflow: its functions, the state machine, and the reconciler of executions that end
FAILED, TIMED_OUT or ABORTED."""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..function_specs import ONBOARDING_STEPS
from .dead_letters import dead_letter_queue
from .execution_ended import execution_ended_rule
from .functions import FunctionFactory
from .names import ONBOARDING_STATE_MACHINE
from .workflow_definition import definition

STATE_MACHINE_NAME = ONBOARDING_STATE_MACHINE


class OnboardingWorkflow(Construct):
    """`turnstile-onboarding` (statemachines/onboarding.asl.json) and `OnboardingEndedRule` → ReconcileOnboarding."""

    def __init__(self, scope: Construct, construct_id: str, *, functions: FunctionFactory) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.functions = {name: functions.build(name) for name in ONBOARDING_STEPS}
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="Turnstile onboarding state machine: invokes its own step functions, logs, traces",
        )
        log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=STATE_MACHINE_NAME,
            role=role,
            definition_body=sfn.DefinitionBody.from_string(json.dumps(definition("onboarding"))),
            definition_substitutions={f"{name}FunctionArn": fn.function_arn for name, fn in self.functions.items()},
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        for fn in self.functions.values():
            fn.grant_invoke(self.state_machine)

        # Whatever ends an execution badly — its own failure path failing, an abort, a timeout, a data limit —
        # the reconciler hears of it from Step Functions' own status-change event on the default bus.
        self.dead_letters = dead_letter_queue(self, "DeadLetters", queue_name="turnstile-onboarding-dead-letters")
        reconciler = functions.build("ReconcileOnboarding", on_failure=self.dead_letters)
        self.ended_rule = execution_ended_rule(
            self,
            "OnboardingEndedRule",
            what="an onboarding",
            state_machine=self.state_machine,
            function=reconciler,
            dead_letters=self.dead_letters,
        )
        self.functions["ReconcileOnboarding"] = reconciler

"""The onboarding (joiner) workflow: its functions, the state machine, and the reconciler of executions that end
FAILED, TIMED_OUT or ABORTED."""

from __future__ import annotations

from constructs import Construct

from ..function_specs import ONBOARDING_STEPS
from .dead_letters import dead_letter_queue
from .execution_ended import execution_ended_rule
from .functions import FunctionFactory
from .names import ONBOARDING_STATE_MACHINE
from .state_machine import workflow_state_machine
from .workflow_definition import definition

STATE_MACHINE_NAME = ONBOARDING_STATE_MACHINE


class OnboardingWorkflow(Construct):
    """`turnstile-onboarding` (statemachines/onboarding.asl.json) and `OnboardingEndedRule` → ReconcileOnboarding."""

    def __init__(self, scope: Construct, construct_id: str, *, functions: FunctionFactory) -> None:
        super().__init__(scope, construct_id)
        self.functions = {name: functions.build(name) for name in ONBOARDING_STEPS}
        self.state_machine = workflow_state_machine(
            self, name=STATE_MACHINE_NAME, what="onboarding", asl=definition("onboarding"), functions=self.functions
        )

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

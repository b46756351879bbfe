"""Reactions to IAM activity reported by CloudTrail, and the schedules that back them up.

IAM is global: its CloudTrail events reach EventBridge only in us-east-1, on the default bus. In us-east-1
these rules fire directly; elsewhere `IamEventsForwarderStack` (stacks/forwarder_stack.py) forwards them here.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from constructs import Construct
from turnstile.config import TurnstileConfig

from .dead_letters import dead_letter_queue
from .functions import FunctionFactory

CLOUDTRAIL = "AWS API Call via CloudTrail"


class IamEventReactions(Construct):
    """MfaEnrolledRule → ConfirmMfaEnrolment; PasswordPolicyChangedRule → GuardPasswordPolicy;
    PasswordChangedRule → HandOverConsolePassword;
    MfaSweeperSchedule → SweepMfaEnrolments; PasswordPolicySchedule → EnsurePasswordPolicy."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: TurnstileConfig, functions: FunctionFactory
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = dead_letter_queue(self, "DeadLetters", queue_name="turnstile-iam-events-dead-letters")
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
        # Errors inside these functions (not only failed deliveries) end in the dead-letter queue after two retries.
        confirm, sweeper, guard, handover = (
            functions.build(name, on_failure=self.dead_letters)
            for name in ("ConfirmMfaEnrolment", "SweepMfaEnrolments", "GuardPasswordPolicy", "HandOverConsolePassword")
        )
        policy_writer = functions.functions["EnsurePasswordPolicy"]  # an onboarding step, also run daily
        policy_writer.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.dead_letters), retry_attempts=2
        )

        self.mfa_enrolled = self._on_iam_call("MfaEnrolledRule", ["EnableMFADevice"], confirm, default_bus)
        self.policy_changed = self._on_iam_call(
            "PasswordPolicyChangedRule",
            ["UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"],
            guard,
            default_bus,
        )
        self.password_changed = self._on_iam_call("PasswordChangedRule", ["ChangePassword"], handover, default_bus)
        self.sweeper_schedule = self._every(
            "MfaSweeperSchedule", Duration.minutes(config.mfa.sweep_every_minutes), sweeper
        )
        self.policy_schedule = self._every("PasswordPolicySchedule", Duration.days(1), policy_writer)
        self.functions = {
            "ConfirmMfaEnrolment": confirm,
            "SweepMfaEnrolments": sweeper,
            "GuardPasswordPolicy": guard,
            "HandOverConsolePassword": handover,
        }

    def _target(self, function: lambda_.IFunction) -> targets.LambdaFunction:
        return targets.LambdaFunction(
            function, dead_letter_queue=self.dead_letters, retry_attempts=20, max_event_age=Duration.hours(6)
        )

    def _on_iam_call(
        self, rule_id: str, names: list[str], function: lambda_.IFunction, bus: events.IEventBus
    ) -> events.Rule:
        rule = events.Rule(
            self,
            rule_id,
            rule_name=f"turnstile-{rule_id}",
            event_bus=bus,
            description=f"Turnstile: CloudTrail {', '.join(names)} → {rule_id.removesuffix('Rule')}",
            event_pattern=events.EventPattern(
                source=["aws.iam"],
                detail_type=[CLOUDTRAIL],
                detail={"eventSource": ["iam.amazonaws.com"], "eventName": names},
            ),
        )
        rule.add_target(self._target(function))
        return rule

    def _every(self, rule_id: str, period: Duration, function: lambda_.IFunction) -> events.Rule:
        rule = events.Rule(
            self,
            rule_id,
            rule_name=f"turnstile-{rule_id}",
            schedule=events.Schedule.rate(period),
            description=f"Turnstile: runs {function.node.id} every {period.to_human_string()}",
        )
        rule.add_target(self._target(function))
        return rule

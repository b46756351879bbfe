"""Reactions to IAM activity reported by CloudTrail, and the schedules that back them up.

IAM is global: its CloudTrail events reach EventBridge only in us-east-1, on the default bus. In us-east-1
these rules fire directly; elsewhere `IamEventsForwarderStack` (stacks/forwarder_stack.py) forwards them here.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from turnstile.config import TurnstileConfig

from . import arns
from .dead_letters import dead_letter_queue
from .directory import Directory
from .functions import FunctionFactory
from .onboarding import OnboardingWorkflow
from .storage import Storage

CLOUDTRAIL = "AWS API Call via CloudTrail"


class IamEventReactions(Construct):
    """MfaEnrolledRule → ConfirmMfaEnrolment; PasswordPolicyChangedRule → GuardPasswordPolicy;
    MfaSweeperSchedule → SweepMfaEnrolments; PasswordPolicySchedule → EnsurePasswordPolicy."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TurnstileConfig,
        storage: Storage,
        directory: Directory,
        functions: FunctionFactory,
        onboarding: OnboardingWorkflow,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        users = arns.managed_users(stack, config.user_path)
        any_user = arns.any_user(stack)
        self.dead_letters = dead_letter_queue(self, "DeadLetters", queue_name="turnstile-iam-events-dead-letters")
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")

        confirm = functions.step("ConfirmMfaEnrolment", description="Turnstile: EnableMFADevice resumes onboarding")
        confirm.add_to_role_policy(iam.PolicyStatement(actions=["iam:ListUserTags"], resources=[any_user]))
        confirm.add_to_role_policy(iam.PolicyStatement(actions=["iam:ListMFADevices"], resources=[users]))
        confirm.add_to_role_policy(
            iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=[onboarding.state_machine_arn])
        )
        storage.table.grant(confirm, "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem")

        sweeper = functions.step("SweepMfaEnrolments", description="Turnstile: lost MFA events, reminders, deadlines")
        sweeper.add_to_role_policy(
            iam.PolicyStatement(actions=["iam:ListMFADevices", "iam:GetUser"], resources=[users])
        )
        sweeper.add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=[onboarding.state_machine_arn]
            )
        )
        storage.table.grant(
            sweeper,
            "dynamodb:Query",
            "dynamodb:GetItem",
            "dynamodb:DeleteItem",
            "dynamodb:UpdateItem",
            "dynamodb:PutItem",
        )

        policy_writer = onboarding.functions["EnsurePasswordPolicy"]
        guard_role = iam.Role(
            self,
            "GuardPasswordPolicyRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Turnstile GuardPasswordPolicy: only what this step needs",
        )
        own_roles = [policy_writer.role.role_arn, guard_role.role_arn]  # type: ignore[union-attr]
        guard = functions.step(
            "GuardPasswordPolicy",
            description="Turnstile: revert password policy drift",
            role=guard_role,
            extra_environment={"TURNSTILE_OWN_ROLE_ARNS": json.dumps(own_roles)},
        )
        guard.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"], resources=["*"]
            )
        )
        storage.table.grant(guard, "dynamodb:PutItem")
        for fn in (sweeper, guard, confirm):
            storage.topic.grant_publish(fn)
            storage.key.grant(fn, "kms:GenerateDataKey*", "kms:Decrypt")

        self.mfa_enrolled = self._on_iam_call("MfaEnrolledRule", ["EnableMFADevice"], confirm, default_bus)
        self.policy_changed = self._on_iam_call(
            "PasswordPolicyChangedRule",
            ["UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"],
            guard,
            default_bus,
        )
        self.sweeper_schedule = self._every(
            "MfaSweeperSchedule", Duration.minutes(config.mfa.sweep_every_minutes), sweeper
        )
        self.policy_schedule = self._every("PasswordPolicySchedule", Duration.days(1), policy_writer)
        self.functions = {"ConfirmMfaEnrolment": confirm, "SweepMfaEnrolments": sweeper, "GuardPasswordPolicy": guard}

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

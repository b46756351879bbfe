"""HR events in: the `turnstile-hr` bus, who may publish to it, its archive, and the workflow rules."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from turnstile.config import HrSource

from .dead_letters import dead_letter_queue


class HrIngestion(Construct):
    """The HR bus (publishers restricted by resource policy), a replay archive and one rule per event type."""

    def __init__(self, scope: Construct, construct_id: str, *, hr: HrSource) -> None:
        super().__init__(scope, construct_id)
        self._hr = hr
        self.bus = events.EventBus(
            self,
            "Bus",
            event_bus_name=hr.bus_name,
            description="Turnstile: HR lifecycle events (hired, transferred, terminated)",
        )
        for index, principal in enumerate(hr.publisher_principals):
            self.bus.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"HrPublisher{index}",
                    principals=[
                        iam.AccountPrincipal(principal) if principal.isdigit() else iam.ArnPrincipal(principal)
                    ],
                    actions=["events:PutEvents"],
                    resources=[self.bus.event_bus_arn],
                )
            )
        self.archive = self.bus.archive(
            "Archive",
            archive_name=f"{hr.bus_name}-archive",
            description="Every HR event, for replay after an outage or a fix",
            event_pattern=events.EventPattern(source=[hr.event_source]),
            retention=Duration.days(hr.archive_retention_days),
        )
        self.dead_letters = dead_letter_queue(self, "DeadLetters", queue_name="turnstile-hr-dead-letters")

    def route(self, rule_id: str, detail_type: str, workflow: sfn.IStateMachine) -> events.Rule:
        """A rule sending `detail_type` events from the HR source to `workflow`; undeliverable ones go to the DLQ."""
        rule = events.Rule(
            self,
            rule_id,
            rule_name=f"turnstile-{rule_id}",
            event_bus=self.bus,
            description=f"Turnstile: {detail_type} events start {workflow.node.path}",
            event_pattern=events.EventPattern(source=[self._hr.event_source], detail_type=[detail_type]),
        )
        rule.add_target(
            targets.SfnStateMachine(
                workflow,
                dead_letter_queue=self.dead_letters,
                retry_attempts=20,
                max_event_age=Duration.hours(24),
            )
        )
        return rule

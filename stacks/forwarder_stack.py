"""IamEventsForwarderStack: IAM's CloudTrail events exist on EventBridge only in us-east-1. When Turnstile
lives in another region, this small us-east-1 stack forwards them to that region's default bus, where
Turnstile's rules (MfaEnrolledRule, PasswordPolicyChangedRule) match them."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from .constructs.iam_events import CLOUDTRAIL

IAM_EVENTS_REGION = "us-east-1"


class IamEventsForwarderStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, target_region: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="Turnstile: forwards IAM CloudTrail events", **kwargs)
        destination = events.EventBus.from_event_bus_arn(
            self,
            "TurnstileRegionDefaultBus",
            f"arn:{self.partition}:events:{target_region}:{self.account}:event-bus/default",
        )
        rule = events.Rule(
            self,
            "ForwardIamEvents",
            rule_name="turnstile-forward-iam-events",
            description=f"Turnstile: IAM CloudTrail events to {target_region}",
            event_pattern=events.EventPattern(source=["aws.iam"], detail_type=[CLOUDTRAIL]),
        )
        role = iam.Role(
            self,
            "ForwardRole",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnEquals": {
                        "aws:SourceArn": self.format_arn(
                            service="events", resource="rule", resource_name="turnstile-forward-iam-events"
                        )
                    },
                },
            ),
            description=f"Turnstile: EventBridge forwards IAM CloudTrail events to {target_region}",
        )
        rule.add_target(targets.EventBus(destination, role=role))

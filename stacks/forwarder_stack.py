"""Forwarder stacks: CloudTrail events Turnstile's rules need that are published in another region than Turnstile's.

IAM's CloudTrail events exist on EventBridge only in us-east-1; console sign-ins, CloudTrail's own API calls, STS
calls on regional endpoints and any other service's calls (root activity, refusals) are published in the region
where they happen. A forwarder stack in such a region forwards them to the default bus of Turnstile's region,
where the same rules match them: `IamEventsForwarderStack` in us-east-1 (IAM's events and the detections'), and
`AlertingEventsForwarderStack` in each region of `alerting.forward_from_regions` (the detections' only).

The forwarded patterns are the detection rules' own (stacks/constructs/alerting.py), so a forwarder sends exactly
what a detection would match. An event matching two patterns is forwarded twice; RaiseAlert alerts once per
CloudTrail event id.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from .constructs.alerting import ALL_MANAGEMENT_EVENTS, rule_groups
from .constructs.iam_events import CLOUDTRAIL

IAM_EVENTS_REGION = "us-east-1"


def detection_patterns(*, iam_events_forwarded: bool) -> list[tuple[str, dict[str, Any], bool]]:
    """(rule id, pattern, needs read-only management events) for each detection pattern to forward; those of
    IAM's events are left out when IAM's events are forwarded whole."""
    found = []
    for group in rule_groups():
        match = group[0].match
        if iam_events_forwarded and match.sources == ("aws.iam",):
            continue
        found.append((f"Forward-{group[0].id}", match.pattern(), match.all_management_events))
    return found


class EventsForwarderStack(Stack):
    """Rules on this region's default bus whose target is the default bus of `target_region`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        target_region: str,
        patterns: list[tuple[str, dict[str, Any], bool]],
        description: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description=description, **kwargs)
        destination = events.EventBus.from_event_bus_arn(
            self,
            "TurnstileRegionDefaultBus",
            f"arn:{self.partition}:events:{target_region}:{self.account}:event-bus/default",
        )
        names = [f"turnstile-{rule_id.lower()}"[:64] for rule_id, _, _ in patterns]
        role = iam.Role(
            self,
            "ForwardRole",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnEquals": {
                        "aws:SourceArn": [
                            self.format_arn(service="events", resource="rule", resource_name=name) for name in names
                        ]
                    },
                },
            ),
            description=f"Turnstile: EventBridge forwards CloudTrail events to {target_region}",
        )
        for (rule_id, pattern, read_only_too), name in zip(patterns, names, strict=True):
            rule = events.Rule(
                self,
                rule_id,
                rule_name=name,
                description=f"Turnstile: CloudTrail events to {target_region}",
                event_pattern=events.EventPattern(detail_type=list(pattern["detail-type"])),
            )
            cfn_rule = rule.node.default_child
            assert isinstance(cfn_rule, events.CfnRule)
            cfn_rule.add_property_override("EventPattern", pattern)
            if read_only_too:
                cfn_rule.state = ALL_MANAGEMENT_EVENTS
            rule.add_target(targets.EventBus(destination, role=role))


class IamEventsForwarderStack(EventsForwarderStack):
    """us-east-1: every IAM CloudTrail event, and the detections' other events published there (root sign-ins)."""

    def __init__(self, scope: Construct, construct_id: str, *, target_region: str, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            target_region=target_region,
            patterns=[
                ("ForwardIamEvents", {"source": ["aws.iam"], "detail-type": [CLOUDTRAIL]}, False),
                *detection_patterns(iam_events_forwarded=True),
            ],
            description="Turnstile: forwards IAM CloudTrail events (and the detections' events) from us-east-1",
            **kwargs,
        )


class AlertingEventsForwarderStack(EventsForwarderStack):
    """Another region (`alerting.forward_from_regions`): the detections' events published there."""

    def __init__(self, scope: Construct, construct_id: str, *, target_region: str, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            target_region=target_region,
            patterns=detection_patterns(iam_events_forwarded=True),
            description="Turnstile: forwards the detections' CloudTrail events (sign-ins, CloudTrail, STS, refusals)",
            **kwargs,
        )

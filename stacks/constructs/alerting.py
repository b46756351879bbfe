"""CloudTrail-driven alerting: one EventBridge rule per detection pattern (domain/detections.py), all targeting
RaiseAlert, which judges, deduplicates and alerts; a dead-letter queue for its failures and alarms on it.

The rules live on the default bus of Turnstile's region. IAM's events reach it from us-east-1 (where they are
published) directly or through IamEventsForwarderStack; console sign-ins, CloudTrail's own and STS events arrive in
the region where they happen, so `alerting.forward_from_regions` lists the regions to forward them from.
"""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from constructs import Construct
from turnstile.domain.detections import DETECTIONS, Detection

from .dead_letters import dead_letter_queue
from .functions import FunctionFactory

# EventBridge delivers read-only management events (Get*, List*, Describe*) only to rules in this state
# (EventBridge User Guide, "Receiving read-only management events from AWS services").
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def rule_groups() -> list[list[Detection]]:
    """Detections that share a pattern share a rule (one invocation per event, not one per detection)."""
    groups: dict[str, list[Detection]] = {}
    for detection in DETECTIONS:
        key = json.dumps([detection.match.pattern(), detection.match.all_management_events], sort_keys=True)
        groups.setdefault(key, []).append(detection)
    return list(groups.values())


class Alerting(Construct):
    """Detection rules → RaiseAlert → alerts topic (and Security Hub); DeadLetters + alarms for its failures."""

    def __init__(self, scope: Construct, construct_id: str, *, functions: FunctionFactory, topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = dead_letter_queue(self, "DeadLetters", queue_name="turnstile-alerts-dead-letters")
        self.function = functions.build("RaiseAlert", on_failure=self.dead_letters)
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
        self.rules: dict[str, events.Rule] = {}
        for group in rule_groups():
            first = group[0]
            rule = events.Rule(
                self,
                f"Detect-{first.id}",
                rule_name=first.rule_name,
                event_bus=default_bus,
                description=f"Turnstile detections: {', '.join(d.id for d in group)}"[:512],
                event_pattern=events.EventPattern(detail_type=list(first.match.detail_types)),
            )
            cfn_rule = rule.node.default_child
            assert isinstance(cfn_rule, events.CfnRule)
            # The pattern as EventBridge JSON (prefix/suffix/exists filters), exactly as the detection declares it.
            cfn_rule.add_property_override("EventPattern", first.match.pattern())
            if first.match.all_management_events:
                cfn_rule.state = ALL_MANAGEMENT_EVENTS
            rule.add_target(
                targets.LambdaFunction(
                    self.function,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=20,
                    max_event_age=Duration.hours(6),
                )
            )
            for detection in group:
                self.rules[detection.id] = rule

        alarm_action = cloudwatch_actions.SnsAction(topic)
        self.failed_alarm = cloudwatch.Alarm(
            self,
            "AlertsFailedAlarm",
            alarm_name="turnstile-alerts-failed",
            alarm_description="Turnstile: CloudTrail events that RaiseAlert could not handle are in the dead-letter "
            "queue turnstile-alerts-dead-letters (an alert may be missing); see its logs, then redrive.",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.failed_alarm.add_alarm_action(alarm_action)
        self.rejected_alarm = cloudwatch.Alarm(
            self,
            "RejectedEventsAlarm",
            alarm_name="turnstile-cloudtrail-events-rejected",
            alarm_description="Turnstile: CloudTrail events failed validation (recorded under pk REJECTED in the "
            "table, with the field and rule); nothing was judged from them.",
            metric=cloudwatch.Metric(
                namespace="Turnstile",
                metric_name="RejectedCloudTrailEvents",
                dimensions_map={"service": "turnstile"},
                statistic="Sum",
                period=Duration.hours(1),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.rejected_alarm.add_alarm_action(alarm_action)

"""HR events in: the `turnstile-hr` bus, who may publish to it, its archive, the workflow rules, and the rule that
records what no workflow handles."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from turnstile.config import HrSource

from .dead_letters import dead_letter_queue


class HrIngestion(Construct):
    """The HR bus (only the configured publishers may put events: an allow for them, a deny for everyone else),
    a replay archive, one rule per event type, and UnroutedHrEventRule for every other event."""

    def __init__(self, scope: Construct, construct_id: str, *, hr: HrSource) -> None:
        super().__init__(scope, construct_id)
        self._hr = hr
        self._routed: list[str] = []
        self.bus = events.EventBus(
            self,
            "Bus",
            event_bus_name=hr.bus_name,
            description="Turnstile: HR lifecycle events (hired, transferred, terminated)",
        )
        accounts = [p for p in hr.publisher_principals if p.isdigit()]
        roles = [p for p in hr.publisher_principals if not p.isdigit()]
        self.bus.add_to_resource_policy(
            iam.PolicyStatement(
                sid="HrPublishers",
                principals=[iam.AccountPrincipal(a) for a in accounts] + [iam.ArnPrincipal(r) for r in roles],
                actions=["events:PutEvents"],
                resources=[self.bus.event_bus_arn],
            )
        )
        # Same-account principals with events:PutEvents in their own policies could otherwise put hires too.
        # AWS services (EventBridge replaying the archive) are not refused.
        refused: dict[str, list[str]] = {}
        if roles:
            refused["aws:PrincipalArn"] = roles
        if accounts:
            refused["aws:PrincipalAccount"] = accounts
        not_publishers = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}, "StringNotEquals": refused}
        self.bus.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyHrPublishers",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["events:PutEvents"],
                resources=[self.bus.event_bus_arn],
                conditions=not_publishers,
            )
        )
        self.archive = self.bus.archive(
            "Archive",
            archive_name=f"{hr.bus_name}-archive",
            description="Every HR event, for replay after an outage or a fix",
            event_pattern=events.EventPattern(source=[hr.event_source]),
            retention=Duration.days(hr.archive_retention_days),
        )
        # CDK synthesizes KmsKeyIdentifier: "" (aws-cdk issue #37847), refused in some regions; an archive
        # without the property uses an AWS owned key.
        self.archive.node.default_child.add_property_deletion_override("KmsKeyIdentifier")  # type: ignore[union-attr]
        self.dead_letters = dead_letter_queue(self, "DeadLetters", queue_name="turnstile-hr-dead-letters")

    def route(self, rule_id: str, detail_type: str, workflow: sfn.IStateMachine) -> events.Rule:
        """A rule sending `detail_type` events from the HR source to `workflow`; undeliverable ones go to the DLQ."""
        self._routed.append(detail_type)
        rule = events.Rule(
            self,
            rule_id,
            rule_name=f"turnstile-{rule_id}",
            event_bus=self.bus,
            description=f"Turnstile: {detail_type} events start {workflow.node.path}",
            event_pattern=events.EventPattern(source=[self._hr.event_source], detail_type=[detail_type]),
        )
        # The role EventBridge starts the workflow with: trusted by EventBridge for this rule only.
        role = iam.Role(
            self,
            f"{rule_id}Role",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                    # by name: the rule's own ARN attribute would make rule and role depend on each other
                    "ArnEquals": {
                        "aws:SourceArn": Stack.of(self).format_arn(
                            service="events", resource="rule", resource_name=f"{self._hr.bus_name}/turnstile-{rule_id}"
                        )
                    },
                },
            ),
            description=f"Turnstile: EventBridge starts {workflow.node.path} for {detail_type} events",
        )
        rule.add_target(
            targets.SfnStateMachine(
                workflow,
                role=role,
                dead_letter_queue=self.dead_letters,
                retry_attempts=20,
                max_event_age=Duration.hours(24),
            )
        )
        return rule

    def record_undeliverable(self, function: lambda_.IFunction) -> None:
        """`function` consumes the HR dead-letter queue: every event EventBridge gave up delivering (or refused at
        once, like one over a workflow's 256 KiB input limit) is audited and alerted, not left unread."""
        function.add_event_source(sources.SqsEventSource(self.dead_letters, batch_size=10))

    def record_unrouted(self, function: lambda_.IFunction) -> events.Rule:
        """Every event on the bus that no `route` matches (another source, or another detail-type) goes to
        `function`, which audits it and alerts (rate-limited). Call after every `route`."""
        rule = events.Rule(
            self,
            "UnroutedHrEventRule",
            rule_name="turnstile-UnroutedHrEventRule",
            event_bus=self.bus,
            description="Turnstile: HR-bus events no workflow handles → RecordUnroutedEvent",
            event_pattern=events.EventPattern(source=events.Match.prefix("")),  # replaced below: EventBridge's $or
        )
        either = [
            {"source": [{"anything-but": [self._hr.event_source]}]},
            {"source": [self._hr.event_source], "detail-type": [{"anything-but": sorted(self._routed)}]},
        ]
        cfn = rule.node.default_child
        cfn.add_property_deletion_override("EventPattern.source")  # type: ignore[union-attr]
        cfn.add_property_override("EventPattern.$or", either)  # type: ignore[union-attr]
        rule.add_target(
            targets.LambdaFunction(
                function, dead_letter_queue=self.dead_letters, retry_attempts=20, max_event_age=Duration.hours(24)
            )
        )
        return rule

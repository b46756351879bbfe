"""The rule that hears of a workflow's executions ending badly, whatever its own failure path managed."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

ENDED = ["FAILED", "TIMED_OUT", "ABORTED"]


def execution_ended_rule(
    scope: Construct,
    rule_id: str,
    *,
    what: str,
    state_machine: sfn.IStateMachine,
    function: lambda_.IFunction,
    dead_letters: sqs.IQueue,
) -> events.Rule:
    """`<rule_id>`: Step Functions' status-change event (default bus) for an execution of `state_machine` that ended
    FAILED, TIMED_OUT or ABORTED → `function`, retried 20 times over up to 6 hours, then `dead_letters`."""
    rule = events.Rule(
        scope,
        rule_id,
        rule_name=f"turnstile-{rule_id}",
        description=f"Turnstile: {what} execution FAILED, TIMED_OUT or ABORTED → {function.node.id}",
        event_pattern=events.EventPattern(
            source=["aws.states"],
            detail_type=["Step Functions Execution Status Change"],
            detail={"status": ENDED, "stateMachineArn": [state_machine.state_machine_arn]},
        ),
    )
    rule.add_target(
        targets.LambdaFunction(
            function, dead_letter_queue=dead_letters, retry_attempts=20, max_event_age=Duration.hours(6)
        )
    )
    return rule

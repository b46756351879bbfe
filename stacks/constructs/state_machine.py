"""How every Turnstile workflow's state machine is built: its own role (trusted by Step Functions for this account
only), a retained log group without execution data, X-Ray, and invoke granted on exactly its functions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


def workflow_state_machine(
    scope: Construct, *, name: str, what: str, asl: dict[str, Any], functions: Mapping[str, lambda_.IFunction]
) -> sfn.StateMachine:
    """State machine `name` running `asl` (statemachines/, via workflow_definition.definition), whose
    `${<Function>FunctionArn}` placeholders are `functions`; built as `scope`'s Role, Logs and StateMachine."""
    role = iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal(
            "states.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}}
        ),
        description=f"Turnstile {what} state machine: invokes its own step functions, logs, traces",
    )
    log_group = logs.LogGroup(scope, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN)
    machine = sfn.StateMachine(
        scope,
        "StateMachine",
        state_machine_name=name,
        role=role,
        definition_body=sfn.DefinitionBody.from_string(json.dumps(asl)),
        definition_substitutions={f"{fn_name}FunctionArn": fn.function_arn for fn_name, fn in functions.items()},
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        tracing_enabled=True,
    )
    for fn in functions.values():
        fn.grant_invoke(machine)
    return machine

"""Gap: moto stores a function's event-invoke configuration (AWS::Lambda::EventInvokeConfig is not even created by
its CloudFormation) but never acts on it: an asynchronous invocation that fails is simply forgotten. Adapter: as
Lambda does for asynchronous invocations (EventBridge, SNS, InvocationType=Event), retry a failed invocation up to
MaximumRetryAttempts (default 2), then send an invocation record to the OnFailure destination (SQS), as the
function's execution role (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.core.common_models import CloudFormationModel
from moto.utilities.arns import parse_arn

from . import lambda_runtime
from .cfn_resources import _Applied

_original_invoke = LambdaFunction.invoke
DEFAULT_RETRIES = 2


class EventInvokeConfig(_Applied, CloudFormationModel):
    """AWS::Lambda::EventInvokeConfig: stored where moto's API stores it."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],  # type: ignore[override]
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> EventInvokeConfig:
        props = cloudformation_json["Properties"]
        config = {k: v for k, v in props.items() if k not in ("FunctionName", "Qualifier")}
        lambda_backends[account_id][region_name].put_function_event_invoke_config(props["FunctionName"], config)
        return cls(resource_name)


def _settings(function: LambdaFunction) -> tuple[int, str | None]:
    config = function.event_invoke_config[-1].config if function.event_invoke_config else {}
    destination = (config.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
    return int(config.get("MaximumRetryAttempts", DEFAULT_RETRIES)), destination


def install(credentials_of: Callable[[LambdaFunction], dict[str, str]]) -> None:
    """`credentials_of(function)`: the environment credentials of the function's execution role."""

    def invoke(self: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        if request_headers.get("x-amz-invocation-type", "RequestResponse") != "Event":
            return _original_invoke(self, body, request_headers, response_headers)
        retries, destination = _settings(self)
        for _attempt in range(retries + 1):
            with lambda_runtime.asynchronous():  # queued by Lambda: waits for a container, never throttled
                result, errored, _logs = self._invoke_lambda(event=body or "{}")  # the runtime parses JSON strings
            if not errored:
                return result
        if destination is not None:
            _send_record(self, destination, body, result, retries, credentials_of(self))
        return result

    setattr(LambdaFunction, "invoke", invoke)  # noqa: B010 - monkeypatching moto, on purpose


def _send_record(
    function: LambdaFunction, destination: str, body: str, result: str, retries: int, creds: dict[str, str]
) -> None:
    record = {
        "version": "1.0",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function.function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": retries + 1,
        },
        "requestPayload": json.loads(body) if body else {},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": json.loads(result) if result else None,
    }
    arn = parse_arn(destination)
    session = boto3.session.Session(
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=creds["AWS_SESSION_TOKEN"],
        region_name=arn.region,
    )
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName=arn.resource_id, QueueOwnerAWSAccountId=arn.account)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))


def uninstall() -> None:
    setattr(LambdaFunction, "invoke", _original_invoke)  # noqa: B010

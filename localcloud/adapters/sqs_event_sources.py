"""Gap: moto's SQS event source mapping invokes the function with `messageAttributes: {}` and fixed timestamps,
whatever the message carried. Lambda passes each message's attributes, in the event's own shape
(`{"stringValue", "binaryValue", "stringListValues", "binaryListValues", "dataType"}`, AWS Lambda Developer Guide,
"Using Lambda with Amazon SQS", example message event): a dead-letter queue's consumer reads EventBridge's
ERROR_CODE and ERROR_MESSAGE there. (moto's poller receives copies filtered to no attribute names; the stored
message still has them.) Adapter: build the record from the stored message as Lambda does. Not emulated: moto
invokes once per message where Lambda sends batches (Turnstile's consumer handles each record alone)."""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.awslambda.models import LambdaBackend
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn

_original_send = LambdaBackend._send_sqs_message


def record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    """The Lambda event record for one SQS message (moto's Message)."""
    stored = _stored(message, queue_arn)
    attributes = {
        "ApproximateReceiveCount": str(max(1, message.approximate_receive_count)),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": message.sender_id,
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp or message.sent_timestamp),
    }
    if queue_arn.endswith(".fifo"):
        attributes |= {
            "SequenceNumber": stored.sequence_number,
            "MessageGroupId": message.group_id,
            "MessageDeduplicationId": message.deduplication_id,
        }
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {name: _attribute(value) for name, value in stored.message_attributes.items()},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _stored(message: Any, queue_arn: str) -> Any:
    """The queue's own copy of a received message (what was sent, every attribute)."""
    arn = parse_arn(queue_arn)
    queue = sqs_backends[arn.account][arn.region].queues[arn.resource_id]
    with queue._messages_lock:
        return next((m for m in queue._messages if m.id == message.id), message)


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        binary = value["BinaryValue"]
        shaped["binaryValue"] = base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary
    return shaped


def _send_sqs_message(self: LambdaBackend, function_arn: str, message: Any, queue_arn: str) -> bool:
    response_headers: dict[str, Any] = {}
    self.invoke(
        function_name=function_arn,
        qualifier=None,
        body=json.dumps({"Records": [record(message, queue_arn, self.region_name)]}),
        headers={},
        response_headers=response_headers,
    )
    return "x-amz-function-error" not in response_headers


def install() -> None:
    setattr(LambdaBackend, "_send_sqs_message", _send_sqs_message)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(LambdaBackend, "_send_sqs_message", _original_send)  # noqa: B010

"""SQS queues tests use as inboxes: with the queue policy AWS requires before a service may deliver to them."""

from __future__ import annotations

import json
from typing import Any


def queue(sqs: Any, name: str, *, service: str | None = None, source_arns: list[str] | None = None) -> tuple[str, str]:
    """A queue (url, arn); with `service`, its policy lets that service principal send from `source_arns`."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if service is not None:
        statement: dict[str, Any] = {
            "Sid": f"{service.split('.')[0]}-delivers",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sqs:SendMessage",
            "Resource": arn,
        }
        if source_arns:
            statement["Condition"] = {"ArnLike": {"aws:SourceArn": source_arns}}
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def inbox(sqs: Any, sns: Any, topic_arn: str, name: str = "inbox") -> str:
    """A queue subscribed to `topic_arn` (raw delivery off: each body is SNS's JSON envelope)."""
    url, arn = queue(sqs, name, service="sns.amazonaws.com", source_arns=[topic_arn])
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "false"})
    return url

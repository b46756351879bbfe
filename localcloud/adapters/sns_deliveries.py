"""Gap: moto's SNS delivers to every subscribed SQS queue, whatever the queue's policy says. Adapter: SNS sends
as `sns.amazonaws.com` with the topic as `aws:SourceArn`, so the queue policy must allow it (Amazon SNS
Developer Guide, "Fanout to Amazon SQS queues": the queue policy grants sqs:SendMessage to the topic); a message
the queue refuses is dropped, as SNS does after its retries.
"""

from __future__ import annotations

from typing import Any

from moto.sns.models import Subscription

from . import authorization

SERVICE = "sns.amazonaws.com"
_original_publish = Subscription.publish


def publish(self: Subscription, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
    authorizer = authorization.active()
    if self.protocol == "sqs" and authorizer.deciding:
        topic = self.topic
        if not authorizer.permits(SERVICE, "sqs:SendMessage", self.endpoint, topic.arn, topic.account_id):
            return
    _original_publish(self, message, message_id, *args, **kwargs)


def install() -> None:
    setattr(Subscription, "publish", publish)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(Subscription, "publish", _original_publish)  # noqa: B010

"""Gap: moto's EventBridge delivers only to Logs, archives, SQS, buses and API destinations; it raises
NotImplementedError for Lambda, Step Functions and SNS targets, and sends to a queue whatever its policy says.
Adapter: deliver those here, SQS targets included.

Delivery goes through the ordinary APIs (StartExecution, Invoke, Publish, SendMessage) as EventBridge would:
as `events.amazonaws.com` acting for the rule (`aws:SourceArn`), so the function, topic or queue policy must allow
it; a state machine is started as the target's RoleArn, which must trust EventBridge. It honours Input /
InputPath / InputTransformer, and sends what cannot be delivered to the target's dead-letter queue (if the
queue's policy lets EventBridge send to it; else, as EventBridge does, the event is dropped).
Also: moto matches every event against a scheduled rule (its empty pattern); on AWS it matches none. And moto
ignores a rule's State: on AWS a DISABLED rule matches nothing, and an ENABLED one every event "except for read-only
AWS management events delivered through CloudTrail", which only rules in state
ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS receive
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from typing import Any

from moto.events.models import Rule
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

from . import authorization
from .cloudtrail import ALL_MANAGEMENT_EVENTS, read_only_management

_original_send = Rule.send_to_targets
HANDLED_SERVICES = {"states", "lambda", "sns", "sqs"}
SERVICE = "events.amazonaws.com"
DENIED = {"AccessDenied", "AccessDeniedException", "AuthorizationError", "KMSAccessDenied"}


def envelope(event: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """The event as targets receive it: ISO time, account and region filled in."""
    when = event.get("time")
    if isinstance(when, (int, float)):
        when = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": event.get("id") or str(uuid.uuid4()),
        "detail-type": event.get("detail-type"),
        "source": event.get("source"),
        "account": event.get("account") or account,
        "time": when,
        "region": event.get("region") or region,
        "resources": event.get("resources", []),
        "detail": event.get("detail", {}),
    }


def target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        value: Any = event
        for part in [p for p in target["InputPath"].lstrip("$").split(".") if p]:
            value = value.get(part) if isinstance(value, dict) else None
        return json.dumps(value)
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        rendered = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]
        )
        return rendered if isinstance(rendered, str) else json.dumps(rendered)
    return json.dumps(event)


def deliver(target: dict[str, Any], payload: str, rule_arn: str, account: str) -> str:
    """Deliver `payload` to `target` as EventBridge does for rule `rule_arn` of `account`."""
    arn = parse_arn(target["Arn"])
    events = authorization.active()
    if arn.service == "states":
        if not target.get("RoleArn") and events.deciding:
            raise PermissionError(f"{rule_arn}: a Step Functions target needs a RoleArn for EventBridge to use")
        credentials = (
            events.assume_role(
                target["RoleArn"], service=SERVICE, source_arn=rule_arn, source_account=account, session_name="events"
            )
            if target.get("RoleArn")
            else {}
        )
        sfn = events.client("stepfunctions", arn.region, credentials)
        return str(
            sfn.start_execution(stateMachineArn=target["Arn"], name=str(uuid.uuid4()), input=payload)["executionArn"]
        )

    def client(api: str) -> Any:
        return events.service_client(api, arn.region, service=SERVICE, source_arn=rule_arn, source_account=account)

    if arn.service == "lambda":
        client("lambda").invoke(FunctionName=target["Arn"], InvocationType="Event", Payload=payload.encode())
        return target["Arn"]
    if arn.service == "sqs":
        group = target.get("SqsParameters", {}).get("MessageGroupId")
        extra = {"MessageGroupId": group} if group else {}
        return str(client("sqs").send_message(QueueUrl=_queue_url(arn), MessageBody=payload, **extra)["MessageId"])
    client("sns").publish(TopicArn=target["Arn"], Message=payload)
    return target["Arn"]


def _queue_url(arn: Any) -> str:
    return f"https://sqs.{arn.region}.amazonaws.com/{arn.account}/{arn.resource_id}"


def _refused(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return isinstance(error, PermissionError) or code in DENIED


def _dead_letter(target: dict[str, Any], payload: str, error: Exception, rule_arn: str, account: str) -> None:
    queue_arn = target.get("DeadLetterConfig", {}).get("Arn")
    if not queue_arn:
        if _refused(error):
            return  # EventBridge drops what it may not deliver and has no dead-letter queue for
        raise error
    arn = parse_arn(queue_arn)
    sqs = authorization.active().service_client(
        "sqs", arn.region, service=SERVICE, source_arn=rule_arn, source_account=account
    )
    try:
        sqs.send_message(
            QueueUrl=_queue_url(arn),
            MessageBody=payload,
            MessageAttributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": type(error).__name__},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": str(error)[:1000]},
                "RULE_ARN": {"DataType": "String", "StringValue": rule_arn},
                "TARGET_ARN": {"DataType": "String", "StringValue": target["Arn"]},
            },
        )
    except Exception as refused:  # the dead-letter queue's policy refuses EventBridge: the event is dropped
        if not _refused(refused):
            raise


def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
    # A scheduled rule has no pattern, which moto's matcher takes as "match everything"; on AWS it matches no event.
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return
    if self.state == "DISABLED":
        return
    if self.state != ALL_MANAGEMENT_EVENTS and read_only_management(original_event):
        return
    if not self.event_pattern.matches_event(original_event):  # type: ignore[arg-type]
        return
    native = [t for t in self.targets if parse_arn(t["Arn"]).service not in HANDLED_SERVICES]
    if native:  # moto delivers these itself; a copy of the rule, so the shared one is never altered
        only_native = copy.copy(self)
        only_native.targets = native
        _original_send(only_native, original_event, transform_input)  # type: ignore[arg-type]
    event = envelope(original_event, self.account_id, self.region_name)
    for target in self.targets:
        if parse_arn(target["Arn"]).service not in HANDLED_SERVICES:
            continue
        payload = target_input(target, event)
        try:
            deliver(target, payload, self.arn, self.account_id)
        except Exception as error:  # EventBridge's behaviour: failed deliveries go to the DLQ
            _dead_letter(target, payload, error, self.arn, self.account_id)


def fire_schedule(rule: Rule, when: dt.datetime) -> list[str]:
    """What EventBridge does when a scheduled rule is due: a "Scheduled Event" stamped with `when`."""
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
    }
    return [deliver(target, target_input(target, event), rule.arn, rule.account_id) for target in rule.targets]


def install() -> None:
    setattr(Rule, "send_to_targets", send_to_targets)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(Rule, "send_to_targets", _original_send)  # noqa: B010

"""Gap: moto's CloudFormation cannot create `AWS::Scheduler::Schedule` (EventBridge Scheduler; moto has the API
but no CloudFormation model), and moto never runs a schedule. Adapter: create it through moto's scheduler backend,
and `fire` it on demand as Scheduler does — as its target's RoleArn, assumed by `scheduler.amazonaws.com` for the
schedule (`aws:SourceArn`, `aws:SourceAccount`), so the role's trust and permissions are evaluated; what cannot be
started goes to the target's dead-letter queue, sent as that role (as Scheduler does).
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.scheduler.models import scheduler_backends
from moto.utilities.arns import parse_arn

from . import authorization

SERVICE = "scheduler.amazonaws.com"


class SchedulerSchedule(CloudFormationModel):
    """AWS::Scheduler::Schedule: Ref gives the name, GetAtt Arn its ARN."""

    def __init__(self, schedule: Any) -> None:
        self.schedule = schedule
        self.physical_resource_id = schedule.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return str(self.schedule.arn)
        raise NotImplementedError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],  # type: ignore[override]
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SchedulerSchedule:
        props = cloudformation_json["Properties"]
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            description=props.get("Description", ""),
            end_date=props.get("EndDate"),
            flexible_time_window=props["FlexibleTimeWindow"],
            group_name=props.get("GroupName", "default"),
            kms_key_arn=props.get("KmsKeyArn"),
            name=props.get("Name", resource_name),
            schedule_expression=props["ScheduleExpression"],
            schedule_expression_timezone=props.get("ScheduleExpressionTimezone"),
            start_date=props.get("StartDate"),
            state=props.get("State", "ENABLED"),
            target=dict(props["Target"]),
            action_after_completion=None,
        )
        return cls(schedule)


def fire(account: str, region: str, name: str, group: str = "default") -> str:
    """What Scheduler does when schedule `name` is due; returns the execution ARN (or raises, after dead-lettering
    what could not be started)."""
    schedule = scheduler_backends[account][region].get_schedule(group, name)
    # moto's UpdateSchedule stores State None when the request omits it; AWS's default is ENABLED.
    if schedule.state not in (None, "ENABLED"):
        raise RuntimeError(f"schedule {name} is {schedule.state}")
    target = schedule.target
    arn = parse_arn(target["Arn"])
    if arn.service != "states":
        raise NotImplementedError(f"schedule targets of {arn.service} are not emulated")
    events = authorization.active()
    credentials = events.assume_role(
        target["RoleArn"], service=SERVICE, source_arn=schedule.arn, source_account=account, session_name="scheduler"
    )
    payload = str(target.get("Input", "{}"))
    try:
        sfn = events.client("stepfunctions", arn.region, credentials)
        return str(
            sfn.start_execution(stateMachineArn=target["Arn"], name=str(uuid.uuid4()), input=payload)["executionArn"]
        )
    except Exception:
        queue_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
        if queue_arn:
            queue = parse_arn(queue_arn)
            events.client("sqs", queue.region, credentials).send_message(
                QueueUrl=f"https://sqs.{queue.region}.amazonaws.com/{queue.account}/{queue.resource_id}",
                MessageBody=payload,
            )
        raise

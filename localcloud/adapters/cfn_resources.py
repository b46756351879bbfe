"""Gap: moto's CloudFormation skips (with only a log warning) resource types it does not implement.
Adapter: implement the ones Turnstile's template uses, through moto's own backends.

Each class registers itself with moto's model registry; `UNSUPPORTED_REPORT` in localcloud.deploy lists
any other type the template holds, by name, so nothing is skipped silently.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.events.models import Archive, EventBus, events_backends
from moto.iam.models import iam_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn


def _as_json(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


class _Applied:
    """A resource whose only effect is applied to another resource; Ref gives its logical name.

    A mixin: moto's registry only sees direct subclasses of CloudFormationModel.
    """

    def __init__(self, physical_id: str) -> None:
        self.physical_resource_id = physical_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False


class IamGroup(CloudFormationModel):
    """AWS::IAM::Group with GroupName, Path, ManagedPolicyArns and inline Policies."""

    def __init__(self, group: Any) -> None:
        self.group = group
        self.physical_resource_id = group.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "GroupName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IAM::Group"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return str(self.group.arn)
        raise NotImplementedError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],  # type: ignore[override]
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> IamGroup:
        props = cloudformation_json.get("Properties", {})
        backend = iam_backends[account_id]["global"]
        group = backend.create_group(props.get("GroupName", resource_name), props.get("Path", "/"))
        for arn in props.get("ManagedPolicyArns", []):
            backend.attach_group_policy(arn, group.name)
        for policy in props.get("Policies", []):
            backend.put_group_policy(group.name, policy["PolicyName"], _as_json(policy["PolicyDocument"]))
        return cls(group)


class SqsQueuePolicy(_Applied, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],  # type: ignore[override]
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SqsQueuePolicy:
        props = cloudformation_json["Properties"]
        for url in props["Queues"]:
            name = url.rstrip("/").rsplit("/", 1)[-1]
            sqs_backends[account_id][region_name].set_queue_attributes(
                name, {"Policy": _as_json(props["PolicyDocument"])}
            )
        return cls(resource_name)


class SnsTopicPolicy(_Applied, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],  # type: ignore[override]
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SnsTopicPolicy:
        props = cloudformation_json["Properties"]
        for topic_arn in props["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(
                topic_arn, "Policy", _as_json(props["PolicyDocument"])
            )
        return cls(resource_name)


class EventBusPolicy(_Applied, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Events::EventBusPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],  # type: ignore[override]
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> EventBusPolicy:
        props = cloudformation_json["Properties"]
        bus = props.get("EventBusName", "default")
        if bus.startswith("arn:"):
            bus = parse_arn(bus).resource_id.split("/")[-1]
        statement = props["Statement"]
        events_backends[account_id][region_name].put_permission(
            event_bus_name=bus,
            action=None,  # type: ignore[arg-type]  # a full policy document is given instead
            principal=None,  # type: ignore[arg-type]
            statement_id=props["StatementId"],
            condition=None,  # type: ignore[arg-type]
            policy=json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Sid": props["StatementId"]}]}),
        )
        return cls(f"{bus}|{props['StatementId']}")


class CdkMetadata(_Applied, CloudFormationModel):
    """AWS::CDK::Metadata (the CDK CLI's version reporting): CloudFormation records it and creates nothing."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CDK::Metadata"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],  # type: ignore[override]
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CdkMetadata:
        return cls(resource_name)


class CloudWatchAlarm(CloudFormationModel):
    """AWS::CloudWatch::Alarm on one metric, stored through moto's PutMetricAlarm (moto stores alarms but never
    evaluates them: an alarm's actions never run in the local cloud)."""

    def __init__(self, name: str) -> None:
        self.physical_resource_id = name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],  # type: ignore[override]
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CloudWatchAlarm:
        from moto.cloudwatch.models import cloudwatch_backends

        props = cloudformation_json["Properties"]
        name = props.get("AlarmName", resource_name)
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=props["Namespace"],
            metric_name=props["MetricName"],
            comparison_operator=props["ComparisonOperator"],
            evaluation_periods=int(props["EvaluationPeriods"]),
            period=int(props["Period"]),
            threshold=float(props["Threshold"]),
            statistic=props.get("Statistic", "Sum"),
            description=props.get("AlarmDescription", ""),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in props.get("Dimensions", [])],
            alarm_actions=list(props.get("AlarmActions", [])),
            treat_missing_data=props.get("TreatMissingData"),
        )
        return cls(name)


ADAPTED_TYPES = [IamGroup, SqsQueuePolicy, SnsTopicPolicy, EventBusPolicy, CdkMetadata, CloudWatchAlarm]

# Gap: moto's AWS::Events::Archive expects EventPattern as a JSON string; CloudFormation (and CDK) give an object.
_original_archive_descriptor = vars(Archive)["create_from_cloudformation_json"]  # put back as it was
_original_archive_create = _original_archive_descriptor.__func__


@classmethod  # type: ignore[misc]
def _archive_create(
    cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
) -> Any:
    props = cloudformation_json.get("Properties", {})
    if isinstance(props.get("EventPattern"), dict):
        cloudformation_json = {
            **cloudformation_json,
            "Properties": {**props, "EventPattern": json.dumps(props["EventPattern"])},
        }
    return _original_archive_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


_BUS_NAME = property(lambda self: self.name)


def install() -> None:
    setattr(Archive, "create_from_cloudformation_json", _archive_create)  # noqa: B010 - monkeypatching moto
    # Gap: AWS::Events::EventBus has no physical id in moto, so `Ref` yields the Python object, not the name.
    if "physical_resource_id" not in EventBus.__dict__:
        EventBus.physical_resource_id = _BUS_NAME  # type: ignore[attr-defined]
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


def supported_types() -> set[str]:
    return set(parsing.get_model_map()) | set(parsing.NULL_MODELS)


def uninstall() -> None:
    setattr(Archive, "create_from_cloudformation_json", _original_archive_descriptor)  # noqa: B010
    if EventBus.__dict__.get("physical_resource_id") is _BUS_NAME:
        del EventBus.physical_resource_id  # type: ignore[attr-defined]

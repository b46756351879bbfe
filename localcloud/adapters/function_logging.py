"""Gap: moto ignores a function's LoggingConfig (in CloudFormation and in CreateFunction): its output always goes
to /aws/lambda/<name>, a group the stack may never have made, while the role may write only the configured one.
Adapter: the configured log group is the function's, as Lambda uses it (AWS Lambda Developer Guide, "Sending
Lambda function logs to CloudWatch Logs": a function may send its logs to a custom log group)."""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction

_original_descriptor = vars(LambdaFunction)["create_from_cloudformation_json"]  # put back as it was, not re-wrapped
_original_cfn = _original_descriptor.__func__
_original_create = LambdaBackend.create_function


def _configured_group(config: Any) -> str | None:
    group = (config or {}).get("LogGroup") if isinstance(config, dict) else None
    return str(group) if group else None


@classmethod  # type: ignore[misc]
def create_from_cloudformation_json(
    cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
) -> LambdaFunction:
    function = _original_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    if group := _configured_group(cloudformation_json.get("Properties", {}).get("LoggingConfig")):
        function.logs_group_name = group
    return function  # type: ignore[no-any-return]


def create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
    function = _original_create(self, spec)
    if group := _configured_group(spec.get("LoggingConfig")):
        function.logs_group_name = group
    return function


def install() -> None:
    setattr(LambdaFunction, "create_from_cloudformation_json", create_from_cloudformation_json)  # noqa: B010
    setattr(LambdaBackend, "create_function", create_function)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(LambdaFunction, "create_from_cloudformation_json", _original_descriptor)  # noqa: B010
    setattr(LambdaBackend, "create_function", _original_create)  # noqa: B010

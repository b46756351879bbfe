"""Gap: moto's CloudFormation creates state machines (1) without reading DefinitionS3Location, (2) without
applying DefinitionSubstitutions, (3) in the backend that does not execute. Adapter: resolve the
definition from the uploaded asset, substitute, and create it where executions run, with its logging
and tracing configuration.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.core.config import default_user_config
from moto.s3.models import s3_backends
from moto.stepfunctions.models import StateMachine, stepfunctions_backends

_original_create = StateMachine.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def definition_of(properties: dict[str, Any], account_id: str) -> str:
    if "DefinitionString" in properties:
        definition = properties["DefinitionString"]
    elif "Definition" in properties:
        definition = json.dumps(properties["Definition"])
    else:
        location = properties["DefinitionS3Location"]
        key = s3_backends[account_id]["aws"].get_object(location["Bucket"], location["Key"])
        if key is None:
            raise ValueError(f"state machine definition s3://{location['Bucket']}/{location['Key']} not found")
        definition = key.value.decode()
    for name, value in properties.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + name + "}", str(value))
    leftover = re.findall(r"\$\{(\w+)\}", definition)
    if leftover:
        raise ValueError(f"state machine definition has unsubstituted placeholders: {sorted(set(leftover))}")
    return str(definition)


def executing_backend(account_id: str, region_name: str) -> Any:
    if default_user_config.get("stepfunctions", {}).get("execute_state_machine", False):
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[account_id][region_name]
    return stepfunctions_backends[account_id][region_name]


@classmethod  # type: ignore[misc]
def create_from_cloudformation_json(
    cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
) -> Any:
    props = cloudformation_json["Properties"]
    return executing_backend(account_id, region_name).create_state_machine(
        name=props.get("StateMachineName", resource_name),
        definition=definition_of(props, account_id),
        roleArn=props.get("RoleArn", ""),
        tags=[{"key": t["Key"], "value": t["Value"]} for t in props.get("Tags", [])],
        loggingConfiguration=props.get("LoggingConfiguration"),
        tracingConfiguration=props.get("TracingConfiguration"),
        sm_type=props.get("StateMachineType", "STANDARD"),
    )


def install() -> None:
    setattr(StateMachine, "create_from_cloudformation_json", create_from_cloudformation_json)  # noqa: B010


def uninstall() -> None:
    setattr(StateMachine, "create_from_cloudformation_json", classmethod(_original_create))  # noqa: B010

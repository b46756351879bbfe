"""Gap: moto names an execution started without a `name` "None" (its ARN ends in `:None`, and a second unnamed
start is taken for the same execution); Step Functions names each with a fresh UUID. Adapter: the UUID, as AWS does
(what the AWS CLI's `stepfunctions start-execution` without `--name` relies on)."""

from __future__ import annotations

import uuid
from typing import Any

from moto.stepfunctions.parser.models import StepFunctionsParserBackend

_original_start = StepFunctionsParserBackend.start_execution


def _start_execution(
    self: StepFunctionsParserBackend, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
) -> Any:
    return _original_start(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)


def install() -> None:
    setattr(StepFunctionsParserBackend, "start_execution", _start_execution)  # noqa: B010 - monkeypatching moto


def uninstall() -> None:
    setattr(StepFunctionsParserBackend, "start_execution", _original_start)  # noqa: B010

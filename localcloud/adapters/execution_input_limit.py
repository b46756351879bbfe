"""Gap: moto starts an execution with an input of any size. Step Functions refuses one over 256 KiB (262,144 bytes
of UTF-8: StartExecution's `input` length constraint), which matters since EventBridge takes entries of up to
1 MiB: an HR event between the two cannot start the workflow, and EventBridge sends it to the rule's dead-letter
queue. Adapter: refuse as Step Functions does (ValidationException)."""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.exceptions import ValidationException
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

MAX_INPUT_BYTES = 262_144
_original_start = StepFunctionsParserBackend.start_execution


def start_execution(self: StepFunctionsParserBackend, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
    execution_input = kwargs.get("execution_input", args[1] if len(args) > 1 else None)
    if execution_input is not None and len(str(execution_input).encode()) > MAX_INPUT_BYTES:
        raise ValidationException(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_INPUT_BYTES}"
        )
    return _original_start(self, state_machine_arn, *args, **kwargs)


def install() -> None:
    setattr(StepFunctionsParserBackend, "start_execution", start_execution)  # noqa: B010 - monkeypatching moto


def uninstall() -> None:
    setattr(StepFunctionsParserBackend, "start_execution", _original_start)  # noqa: B010

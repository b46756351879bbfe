"""Gap: moto names an execution started without a `name` "None" (its ARN ends in `:None`, and a second unnamed
start is taken for the same execution); Step Functions names each with a fresh UUID. Adapter: the UUID, as AWS does
(what the AWS CLI's `stepfunctions start-execution` without `--name` relies on)."""

from __future__ import annotations

import uuid
from typing import Any

from moto.stepfunctions.parser.models import StepFunctionsParserBackend

_installed: list[Any] = []  # what start_execution was before install (another adapter may wrap it too)


def install() -> None:
    """Wraps whatever start_execution is now: install after, and uninstall before, other adapters of it."""
    previous = StepFunctionsParserBackend.start_execution
    _installed.append(previous)

    def start_execution(
        self: StepFunctionsParserBackend, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        return previous(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    setattr(StepFunctionsParserBackend, "start_execution", start_execution)  # noqa: B010 - monkeypatching moto


def uninstall() -> None:
    if _installed:
        setattr(StepFunctionsParserBackend, "start_execution", _installed.pop())  # noqa: B010

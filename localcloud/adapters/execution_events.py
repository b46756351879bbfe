"""Gap: moto's Step Functions emits no "Step Functions Execution Status Change" events. Adapter: when an execution
starts or ends (succeeded, failed, timed out, aborted), put that event on the default bus of its region, as Step
Functions does (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html), asynchronously.
"""

from __future__ import annotations

import json
from typing import Any

from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

from .cloudtrail import Emitter

_original_terminated = BaseExecutionWorkerCommunication.terminated
_original_start = Execution.start
DETAIL_TYPE = "Step Functions Execution Status Change"


def detail_of(execution: Execution) -> dict[str, Any]:
    def millis(when: Any) -> int | None:
        return int(when.timestamp() * 1000) if when is not None else None

    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": execution.exec_status.value if execution.exec_status else "RUNNING",
        "startDate": millis(execution.start_date),
        "stopDate": millis(execution.stop_date),
        "input": json.dumps(execution.input_data),
        "output": json.dumps(execution.output) if execution.output is not None else None,
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if execution.output is not None else None,
        "error": execution.error,
        "cause": execution.cause,
    }


def install(emitter: Emitter) -> None:
    def announce(execution: Execution, detail: dict[str, Any] | None = None) -> None:
        emitter.put(
            execution.account_id,
            execution.region_name,
            {
                "Source": "aws.states",
                "DetailType": DETAIL_TYPE,
                "Resources": [execution.exec_arn],
                "Detail": json.dumps(detail or detail_of(execution), default=str),
            },
        )

    def start(self: Execution) -> None:
        announce(self, {**detail_of(self), "status": "RUNNING"})  # before it runs: its end may come at once
        _original_start(self)

    def terminated(self: BaseExecutionWorkerCommunication) -> None:
        _original_terminated(self)
        announce(self.execution)

    setattr(Execution, "start", start)  # noqa: B010 - monkeypatching moto, on purpose
    setattr(BaseExecutionWorkerCommunication, "terminated", terminated)  # noqa: B010


def uninstall() -> None:
    setattr(Execution, "start", _original_start)  # noqa: B010
    setattr(BaseExecutionWorkerCommunication, "terminated", _original_terminated)  # noqa: B010

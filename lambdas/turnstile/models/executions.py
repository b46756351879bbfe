"""Step Functions "Execution Status Change" events, as EventBridge delivers them to the reconciler."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Arn = Annotated[str, StringConstraints(pattern=r"^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:[A-Za-z]+:[\w.:-]{1,200}$")]
Bounded = Annotated[str, StringConstraints(max_length=32768)]


class ExecutionStatus(BaseModel):
    """`detail` of the event. Input and output are left out on purpose: they are not needed, and may be large."""

    model_config = ConfigDict(extra="ignore")

    executionArn: Arn
    stateMachineArn: Arn
    name: Annotated[str, StringConstraints(max_length=256)]
    status: Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
    error: Bounded | None = None
    cause: Bounded | None = None


class ExecutionStatusChange(EventBridgeModel):  # type: ignore[misc]
    detail_type: Literal["Step Functions Execution Status Change"] = Field(alias="detail-type")
    source: Literal["aws.states"]
    detail: ExecutionStatus

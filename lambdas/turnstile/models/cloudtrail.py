"""CloudTrail "AWS API Call via CloudTrail" events as EventBridge delivers them (IAM: us-east-1 only)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field


class SessionIssuer(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str | None = None
    arn: str | None = None
    userName: str | None = None


class SessionContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    sessionIssuer: SessionIssuer | None = None
    attributes: dict[str, Any] = {}


class UserIdentity(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    principalId: str | None = None
    arn: str | None = None
    accountId: str | None = None
    accessKeyId: str | None = None
    userName: str | None = None
    sessionContext: SessionContext | None = None

    @property
    def principal_arn(self) -> str | None:
        """What `aws:PrincipalArn` would be: the role for an assumed-role session, else the caller's ARN."""
        if self.type == "AssumedRole" and self.sessionContext and self.sessionContext.sessionIssuer:
            return self.sessionContext.sessionIssuer.arn
        return self.arn


class ApiCall(BaseModel):
    """`detail` of a CloudTrail management event. Unknown fields are kept: CloudTrail adds them over time."""

    model_config = ConfigDict(extra="allow")

    eventVersion: str = Field(pattern=r"^1\.\d+$")
    eventSource: str
    eventName: str = Field(pattern=r"^[A-Za-z0-9]+$", max_length=128)
    eventTime: dt.datetime
    eventID: str
    awsRegion: str
    userIdentity: UserIdentity
    sourceIPAddress: str | None = None
    userAgent: str | None = None
    requestParameters: dict[str, Any] | None = None
    responseElements: dict[str, Any] | None = None
    errorCode: str | None = None
    errorMessage: str | None = None


class IamApiCallEvent(EventBridgeModel):  # type: ignore[misc]
    detail_type: Literal["AWS API Call via CloudTrail"] = Field(alias="detail-type")
    source: Literal["aws.iam"]
    detail: ApiCall

    @property
    def succeeded(self) -> bool:
        return self.detail.errorCode is None

"""CloudTrail events as EventBridge delivers them: "AWS API Call via CloudTrail" (IAM's: us-east-1 only) and
"AWS Console Sign In via CloudTrail" (where the sign-in happened).

Strict and bounded where Turnstile reads (the caller, the user name, the error code, the time), so a malformed
event is rejected and recorded rather than half-handled; unknown fields are kept, as CloudTrail adds them over
time. Field names and shapes: CloudTrail User Guide, "CloudTrail record contents" and "userIdentity element".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .aws_formats import IAM_USER_NAME, IsoDateTime, StrictEnvelope, bounded

Text = Annotated[str, bounded(256)]
Arn = Annotated[str, bounded(2048, r"^arn:[\x21-\x7e]+$")]
# requestParameters / responseElements: IAM's are a few levels deep (a list of tags is three).
MAX_PARAMETER_DEPTH = 8
EARLIEST_EVENT_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_EVENT_TIME = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


class SessionIssuer(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    type: Text | None = None
    arn: Arn | None = None
    userName: Text | None = None


class SessionContext(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    sessionIssuer: SessionIssuer | None = None
    # creationDate, mfaAuthenticated: strings in CloudTrail's record.
    attributes: dict[Annotated[str, bounded(64)], Text] = {}


class UserIdentity(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    # Root, IAMUser, AssumedRole, FederatedUser, AWSService, ... (new types appear: any word is accepted).
    type: Annotated[str, bounded(64, r"^[A-Za-z]+$")]
    principalId: Text | None = None
    arn: Arn | None = None
    accountId: Annotated[str, bounded(64)] | None = None
    accessKeyId: Annotated[str, bounded(128)] | None = None
    userName: Text | None = None
    sessionContext: SessionContext | None = None
    # An AWS service that made the call for the principal (e.g. cloudformation.amazonaws.com).
    invokedBy: Text | None = None

    @property
    def principal_arn(self) -> str | None:
        """What `aws:PrincipalArn` would be: the role for an assumed-role session, else the caller's ARN."""
        if self.type == "AssumedRole" and self.sessionContext and self.sessionContext.sessionIssuer:
            return self.sessionContext.sessionIssuer.arn
        return self.arn


def _depth(value: Any, limit: int) -> bool:
    """Whether `value` nests no deeper than `limit` (stops looking past the limit)."""
    if limit < 0:
        return False
    if isinstance(value, dict):
        return all(_depth(v, limit - 1) for v in value.values())
    if isinstance(value, list):
        return all(_depth(v, limit - 1) for v in value)
    return True


class CloudTrailRecord(BaseModel):
    """`detail` of a CloudTrail management event or console sign-in, from any service. Unknown fields are kept:
    CloudTrail adds them over time."""

    model_config = ConfigDict(extra="allow", strict=True)

    eventVersion: Annotated[str, bounded(16, r"^1\.\d+$")]
    eventSource: Annotated[str, bounded(128, r"^[a-z0-9.-]+\.amazonaws\.com$")]
    eventName: Annotated[str, bounded(128, r"^[A-Za-z0-9]+$")]
    eventTime: IsoDateTime
    eventID: Annotated[str, bounded(128, r"^[A-Za-z0-9-]+$")]
    awsRegion: Annotated[str, bounded(32, r"^[a-z0-9-]+$")]
    userIdentity: UserIdentity
    # AwsApiCall, AwsConsoleSignIn, AwsServiceEvent, ...
    eventType: Annotated[str, bounded(64, r"^[A-Za-z]+$")] | None = None
    readOnly: bool | None = None
    sourceIPAddress: Text | None = None
    userAgent: Annotated[str, bounded(8192)] | None = None
    requestParameters: dict[str, Any] | None = None
    responseElements: dict[str, Any] | None = None
    additionalEventData: dict[str, Any] | None = None
    # Quoted in outcomes ("the call failed (AccessDenied)"): a code's shape, nothing else.
    errorCode: Annotated[str, bounded(128, r"^[A-Za-z0-9_.:-]+$")] | None = None
    errorMessage: Annotated[str, bounded(8192)] | None = None
    recipientAccountId: Annotated[str, bounded(12, r"^\d{12}$")] | None = None

    @field_validator("eventTime")
    @classmethod
    def _plausible_time(cls, value: dt.datetime) -> dt.datetime:
        """Windows and expiries are computed from it: a time near datetime's limits would overflow them."""
        if not EARLIEST_EVENT_TIME <= value < LATEST_EVENT_TIME:
            raise ValueError(f"not between {EARLIEST_EVENT_TIME.year} and {LATEST_EVENT_TIME.year}")
        return value

    @field_validator("requestParameters", "responseElements", "additionalEventData")
    @classmethod
    def _shallow(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and not _depth(value, MAX_PARAMETER_DEPTH):
            raise ValueError(f"nested deeper than {MAX_PARAMETER_DEPTH} levels")
        return value

    @field_validator("requestParameters")
    @classmethod
    def _user_name_is_iams(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """`userName` is what the handlers look up in IAM: it must be a user name IAM could have accepted."""
        name = (value or {}).get("userName")
        if name is not None and not (isinstance(name, str) and IAM_USER_NAME.fullmatch(name)):
            raise ValueError("userName is not an IAM user name ([\\w+=,.@-]{1,64})")
        return value


class ApiCall(CloudTrailRecord):
    """An IAM API call (what the MFA and password-policy handlers receive)."""

    eventSource: Literal["iam.amazonaws.com"]


API_CALL = "AWS API Call via CloudTrail"
# The CloudTrail User Guide spells it "Sign In", the EventBridge User Guide "Signin": rules match both.
CONSOLE_SIGN_IN = ("AWS Console Sign In via CloudTrail", "AWS Console Signin via CloudTrail")


class CloudTrailEvent(StrictEnvelope):
    """Any CloudTrail event an alerting rule matches: an API call of any service, or a console sign-in."""

    detail_type: Literal[
        "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", "AWS Console Signin via CloudTrail"
    ] = Field(alias="detail-type")
    source: Annotated[str, bounded(64, r"^aws\.[a-z0-9-]+$")]
    detail: CloudTrailRecord

    @property
    def succeeded(self) -> bool:
        """An API call without an error code; a sign-in whose response says Success."""
        detail = self.detail
        if self.detail_type in CONSOLE_SIGN_IN:
            return (detail.responseElements or {}).get("ConsoleLogin") == "Success" and detail.errorCode is None
        return detail.errorCode is None


class IamApiCallEvent(CloudTrailEvent):
    """An IAM API call (EnableMFADevice, password-policy changes): what the MFA and guard handlers receive."""

    detail_type: Literal["AWS API Call via CloudTrail"] = Field(alias="detail-type")
    source: Literal["aws.iam"]
    detail: ApiCall

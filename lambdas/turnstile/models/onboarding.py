"""Data that flows between onboarding states. None of it is secret: secrets stay in Secrets Manager."""

from __future__ import annotations

import contextlib
import datetime
import enum
import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, computed_field

# Reasons quoted in alerts and audit items are capped: a cause can be a whole stack trace.
MAX_REASON = 1000


class Hire(BaseModel):
    """A validated, normalised hire: everything the later steps need, resolved from configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    employee_id: str
    username: str
    first_name: str
    last_name: str
    email: str
    department: str
    team: str | None
    path: str
    permissions_boundary_arn: str
    groups: list[str]
    console: bool
    programmatic: bool
    event_id: str
    # The HR event's start date (ISO in every dump: a handler's return value must be plain JSON).
    effective_date: Annotated[datetime.date, PlainSerializer(datetime.date.isoformat, return_type=str)] | None = None

    @property
    def tags(self) -> dict[str, str]:
        tags = {
            "turnstile:managed": "true",
            "turnstile:employee-id": self.employee_id,
            "turnstile:department": self.department,
            "turnstile:email": self.email,
        }
        if self.team:
            tags["turnstile:team"] = self.team
        return tags


class StepInput(BaseModel):
    """What every step after validation receives: the hire (and, on failure paths, the error)."""

    model_config = ConfigDict(extra="ignore")

    hire: Hire


class ExecutionStepInput(StepInput):
    """Steps that record ownership also receive the execution's id (`$$.Execution.Id`)."""

    execution_id: str


class AwaitMfaInput(ExecutionStepInput):
    """AwaitMfaEnrolment runs as lambda:invoke.waitForTaskToken: it gets the task token to park."""

    task_token: str
    entered_time: datetime.datetime


class FailureStage(enum.StrEnum):
    """Where a failure happened decides what the failure path may touch (see the ASL's Catch routing)."""

    BEFORE_CLAIM = "before-claim"  # no claim held: touch nothing
    ROLLBACK_FAILED = "rollback-failed"  # the owner's rollback failed: say what is left
    AFTER_ONBOARDING = "after-onboarding"  # the user is onboarded: alert, never delete


class StepError(BaseModel):
    """What a Catch puts under `error`: {Error, Cause}; Cause may be absent (SendTaskFailure without one)."""

    model_config = ConfigDict(extra="ignore")

    Error: str = "Unknown"
    Cause: str | None = None

    @property
    def reason(self) -> str:
        """The error message from the Cause (a Lambda error's Cause is a JSON document), capped."""
        cause = self.Cause or self.Error
        with contextlib.suppress(ValueError, AttributeError):
            cause = str(json.loads(cause).get("errorMessage", cause))
        return cause[:MAX_REASON]


class RollBackInput(ExecutionStepInput):
    error: StepError


class FailedStepInput(BaseModel):
    """Input of RecordFailure and EnforceMfaDeadline."""

    model_config = ConfigDict(extra="ignore")

    hire: Hire | None = None
    error: StepError
    execution_id: str
    stage: FailureStage = FailureStage.AFTER_ONBOARDING

    @property
    def reason(self) -> str:
        return self.error.reason


class Rejection(BaseModel):
    """A refused HR event, summarised: bounded fields only, never the offending values."""

    model_config = ConfigDict(extra="forbid")

    reason: str
    event_id: str | None = None
    detail_type: str | None = None
    employee_id: str | None = None  # only when it is itself valid
    size_bytes: int


class RejectionInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    rejection: Rejection
    execution_id: str


class ClaimOutcome(BaseModel):
    """What ClaimHire tells the workflow (see domain/claims.py)."""

    model_config = ConfigDict(extra="ignore")

    owned: bool
    claimed_by: str
    status: str
    took_over_from: str | None = None  # the execution whose failed claim this one took over
    changed: dict[str, dict[str, Any]] = {}  # a duplicate whose data differs: {field: {"claimed": .., "sent": ..}}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def data_changed(self) -> bool:
        """For the workflow's Choice: a re-send with other data than the claimed hire."""
        return bool(self.changed)


class HireChangeInput(ExecutionStepInput):
    claim: ClaimOutcome


class UserResult(BaseModel):
    user_arn: str
    created: bool


class GroupsResult(BaseModel):
    added: list[str]
    already_member: list[str]


class LoginProfileResult(BaseModel):
    secret_arn: str
    created: bool


class AccessKeyResult(BaseModel):
    access_key_id: str
    secret_arn: str
    created: bool


class OnboardingResults(BaseModel):
    """What the steps before NotifyOnboarded returned (absent when a Choice skipped the step)."""

    model_config = ConfigDict(extra="ignore")

    user: UserResult | None = None
    groups: GroupsResult | None = None
    login_profile: LoginProfileResult | None = None
    access_key: AccessKeyResult | None = None


class OnboardedInput(ExecutionStepInput):
    """The notify step sees every earlier step's (non-secret) result."""

    results: OnboardingResults

"""Data that flows between onboarding states. None of it is secret: secrets stay in Secrets Manager."""

from __future__ import annotations

import datetime
import json

from pydantic import BaseModel, ConfigDict


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


class FailedStepInput(BaseModel):
    """Input of the failure path: the Catch puts {Error, Cause} under `error`."""

    model_config = ConfigDict(extra="ignore")

    hire: Hire | None = None
    error: dict[str, str | None]  # {Error, Cause}; Cause may be absent (e.g. SendTaskFailure without one)
    execution_id: str
    event: dict[str, object] | None = None

    @property
    def reason(self) -> str:
        """The error message from the Catch's Cause (a Lambda error is a JSON document)."""
        cause = self.error.get("Cause") or str(self.error.get("Error") or "")
        try:
            return str(json.loads(cause).get("errorMessage", cause))
        except (ValueError, AttributeError):
            return cause


class Claim(BaseModel):
    duplicate: bool
    claimed_by: str


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

"""What the offboarding (leaver) workflow carries from step to step: the resolved termination, never the event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict


class Termination(BaseModel):
    """An "Employee Terminated" event, validated and resolved to the user Turnstile made for that employee."""

    model_config = ConfigDict(extra="forbid")

    employee_id: str
    username: str
    hire_execution: str  # the onboarding execution that owns the employee's hire claim
    hire_status: str  # the claim's status when the termination was validated (in_progress: still onboarding)
    effective_at: dt.datetime  # when access ends (UTC)
    wait: bool  # effective_at lies ahead: the workflow waits for it
    immediate: bool
    reason: str | None = None
    event_id: str
    user_exists: bool = True


class TerminationStep(BaseModel):
    """Input of every step after validation."""

    model_config = ConfigDict(extra="ignore")

    termination: Termination
    execution_id: str


class FinishInput(TerminationStep):
    # RemoveUser's result: {"removed": [...]} when deleted, {"retained_until": ...} when kept.
    removal: dict[str, Any] = {}


class OffboardingFailure(BaseModel):
    model_config = ConfigDict(extra="ignore")

    termination: Termination | None = None
    execution_id: str
    error: dict[str, str] = {}

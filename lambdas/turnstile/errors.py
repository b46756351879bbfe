"""Typed failures. Their class names are the error names Step Functions sees and matches in Retry/Catch."""

from __future__ import annotations

from pydantic import ValidationError


class TurnstileError(Exception):
    """Base class: a failure Turnstile understands and reports by name."""


class InvalidHireEvent(TurnstileError):
    """The HR event failed validation; nothing was created."""


class UserNameConflict(TurnstileError):
    """The user name is taken by an IAM user Turnstile does not manage; it was left untouched."""


class NotManagedByTurnstile(TurnstileError):
    """A step was asked to act on a user that lacks Turnstile's managed tag or employee id."""


class GroupNotAllowed(TurnstileError):
    """A group outside the configured allow-list was requested."""


class TransientAwsError(TurnstileError):
    """Throttling or a service-side fault that outlived the SDK's own retries; the workflow retries it."""


class SettingsError(TurnstileError):
    """The function's environment does not match what the stack should have set."""


def field_problems(error: ValidationError) -> list[str]:
    """`field.path: message` for each problem. Input values are never included: they would be echoed into
    logs, alerts and execution history."""
    return [f"{'.'.join(str(p) for p in item['loc']) or '(top level)'}: {item['msg']}" for item in error.errors()]

"""Typed failures. Their class names are the error names Step Functions sees and matches in Retry/Catch."""

from __future__ import annotations

import re

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


class InvalidEvent(TurnstileError):
    """An event a function received does not fit its model: the message names each field and rule, never a value."""


class TransientAwsError(TurnstileError):
    """Throttling or a service-side fault that outlived the SDK's own retries; the workflow retries it."""


class SettingsError(TurnstileError):
    """The function's environment does not match what the stack should have set."""


# A path segment is shown only if it reads as a field name: an unexpected key is itself input, and
# "x'; DROP TABLE" or a 100 KB key must not travel into an alert.
_FIELD_NAME = re.compile(r"[\w .:=+@\[\]-]{1,64}")
MAX_PROBLEMS = 10


def field_problems(error: ValidationError, limit: int = MAX_PROBLEMS) -> list[str]:
    """`field.path: message` for each problem (at most `limit`). Input values are never included: they would
    be echoed into logs, alerts and execution history."""
    problems = [
        f"{'.'.join(_segment(p) for p in item['loc']) or '(top level)'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)
    ]
    if len(problems) > limit:
        problems = [*problems[:limit], f"and {len(problems) - limit} more"]
    return problems


def _segment(part: str | int) -> str:
    return str(part) if isinstance(part, int) or _FIELD_NAME.fullmatch(part) else "<field>"

"""Typed failures. Their class names are the error names Step Functions sees and matches in Retry/Catch."""

from __future__ import annotations


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

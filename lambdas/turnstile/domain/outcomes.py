"""How an onboarding ends: onboarded, rejected or failed. Each outcome is audited and announced."""

from __future__ import annotations

from typing import Any

from ..models.onboarding import FailedStepInput, OnboardedInput
from ..settings import Settings
from . import audit, claims, mfa, notifications
from .rollback import roll_back_user


def finish_onboarding(dynamodb: Any, sns: Any, env: Settings, step: OnboardedInput) -> dict[str, Any]:
    hire, login, key = step.hire, step.results.login_profile, step.results.access_key
    console_arn = login.secret_arn if login else None
    key_arn = key.secret_arn if key else None
    body = {
        "username": hire.username,
        "employee_id": hire.employee_id,
        "email": hire.email,
        "groups": hire.groups,
        "console_password_secret_arn": console_arn,
        "access_key_id": key.access_key_id if key else None,
        "access_key_secret_arn": key_arn,
        "instructions": notifications.onboarding_instructions(hire.username, console_arn, key_arn),
    }
    claims.complete_hire(dynamodb, env.table_name, employee_id=hire.employee_id, execution_id=step.execution_id)
    audit.record(
        dynamodb,
        env.table_name,
        subject=f"USER#{hire.username}",
        action="Onboarded",
        details={**body, "execution_id": step.execution_id, "event_id": hire.event_id},
    )
    message_id = notifications.publish(
        sns, env.topic_arn, event="UserOnboarded", subject=f"Turnstile: {hire.username} onboarded", body=body
    )
    return {"message_id": message_id}


def record_rejection(dynamodb: Any, sns: Any, env: Settings, step: FailedStepInput) -> dict[str, Any]:
    """An invalid HR event: nothing was created; say why, where security will see it."""
    event = step.event or {}
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    body = {
        "event_id": event.get("id"),
        "detail_type": event.get("detail-type"),
        "employee_id": detail.get("employee_id") if isinstance(detail, dict) else None,
        "reason": step.reason,
        "execution_id": step.execution_id,
    }
    audit.record(
        dynamodb,
        env.table_name,
        subject="REJECTED",
        action="HireRejected",
        details=body,
        retention=audit.REJECTION_RETENTION,
    )
    notifications.publish(sns, env.topic_arn, event="HireRejected", subject="Turnstile: HR event rejected", body=body)
    return body


def handle_failure(iam: Any, sm: Any, dynamodb: Any, sns: Any, env: Settings, step: FailedStepInput) -> dict[str, Any]:
    """A step failed for good: roll back what this hire made, release the claim, record and alert."""
    undone: list[str] = []
    released = False
    if step.hire is not None:
        undone = roll_back_user(iam, sm, step.hire, env.secret_prefix)
        mfa.forget_pending(dynamodb, env.table_name, step.hire.username)
        released = claims.release_hire(
            dynamodb, env.table_name, employee_id=step.hire.employee_id, execution_id=step.execution_id
        )
    body = {
        "username": step.hire.username if step.hire else None,
        "employee_id": step.hire.employee_id if step.hire else None,
        "error": step.error.get("Error"),
        "reason": step.reason,
        "rolled_back": undone,
        "claim_released": released,
        "execution_id": step.execution_id,
    }
    subject = f"USER#{step.hire.username}" if step.hire else "FAILED"
    audit.record(dynamodb, env.table_name, subject=subject, action="OnboardingFailed", details=body)
    notifications.publish(
        sns,
        env.topic_arn,
        event="OnboardingFailed",
        subject=f"Turnstile: onboarding failed ({body['error']})",
        body=body,
    )
    return body

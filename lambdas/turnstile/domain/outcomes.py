"""How an onboarding ends well or is refused: onboarded, rejected, or a duplicate carrying other data.
Each outcome is audited and announced. (Failures: domain/failures.py.)"""

from __future__ import annotations

from typing import Any

from ..models.onboarding import HireChangeInput, OnboardedInput, RejectionInput
from ..settings import Settings
from . import audit, claims, notifications


def finish_onboarding(dynamodb: Any, sns: Any, env: Settings, step: OnboardedInput) -> dict[str, Any]:
    """Mark the hire onboarded first (from then on no failure deletes the user), then audit and announce."""
    hire, login, key = step.hire, step.results.login_profile, step.results.access_key
    claims.complete_hire(dynamodb, env.table_name, employee_id=hire.employee_id, execution_id=step.execution_id)
    console_arn = login.secret_arn if login else None
    key_arn = key.secret_arn if key else None
    body = {
        "username": hire.username,
        "employee_id": hire.employee_id,
        "email": hire.email,
        "groups": hire.groups,
        "effective_date": hire.effective_date.isoformat() if hire.effective_date else None,
        "console_password_secret_arn": console_arn,
        "access_key_id": key.access_key_id if key else None,
        "access_key_secret_arn": key_arn,
        "instructions": notifications.onboarding_instructions(
            hire.username, console_arn, key_arn, self_service_key=hire.console and hire.programmatic
        ),
    }
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


REJECTION_EVENTS = {"Employee Terminated": "TerminationRejected", "Employee Transferred": "TransferRejected"}


def record_rejection(dynamodb: Any, sns: Any, env: Settings, step: RejectionInput) -> dict[str, Any]:
    """An invalid HR event: nothing was created; say why (field and rule, never the value), where security sees it."""
    body = {**step.rejection.model_dump(), "execution_id": step.execution_id}
    event = REJECTION_EVENTS.get(step.rejection.detail_type or "", "HireRejected")
    audit.record(
        dynamodb,
        env.table_name,
        subject="REJECTED",
        action=event,
        details=body,
        retention=audit.REJECTION_RETENTION,
    )
    notifications.publish(sns, env.topic_arn, event=event, subject="Turnstile: HR event rejected", body=body)
    return {"recorded": True}


def record_hire_change(dynamodb: Any, sns: Any, env: Settings, step: HireChangeInput) -> dict[str, Any]:
    """A re-send of a claimed hire with other data: recorded and alerted, never applied (a transfer is the mover's
    job, not a duplicate hire's)."""
    hire, claim = step.hire, step.claim
    body = {
        "username": hire.username,
        "employee_id": hire.employee_id,
        "event_id": hire.event_id,
        "claimed_by": claim.claimed_by,
        "claim_status": claim.status,
        "changed": claim.changed,
        "execution_id": step.execution_id,
        "action": "none: the hire was already claimed; send an 'Employee Transferred' event to change it",
    }
    audit.record(
        dynamodb, env.table_name, subject=f"EMPLOYEE#{hire.employee_id}", action="HireResentChanged", details=body
    )
    notifications.publish(
        sns,
        env.topic_arn,
        event="HireResentChanged",
        subject=f"Turnstile: hire of {hire.employee_id} re-sent with other data",
        body=body,
    )
    return {"recorded": True}

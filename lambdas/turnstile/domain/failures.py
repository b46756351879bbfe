"""How an onboarding fails, by ownership — never destroying what it does not own.

- Before (or in) ClaimHire, no claim is held: `record_failure` alerts and touches nothing.
- The claim's owner, before NotifyOnboarded: `roll_back_hire` removes what this hire made — only after
  `claims.begin_rollback` proves the execution owns an un-onboarded claim — then marks the claim failed, so a
  replay of the event onboards again.
- After NotifyOnboarded (the user is onboarded): `record_failure` alerts with what is left; nothing is deleted.
- If the execution dies anyway (the failure path itself failed, an abort, a timeout, a data limit),
  `reconcile_execution` runs from the execution's status-change event: it marks its claim failed, removes its own
  pending MFA enrolment, and alerts with what is left — unless the workflow already reported the failure.
Every alert says what actually happened, and what is left (`inventory`).
"""

from __future__ import annotations

from typing import Any

from ..dal.iam_reads import access_keys, find_user, groups_of, has_login_profile, is_managed_for, mfa_serials, user_tags
from ..dal.table import ClaimStatus
from ..models.executions import ExecutionStatus
from ..models.onboarding import FailedStepInput, FailureStage, Hire, RollBackInput
from ..settings import Settings
from . import audit, claims, mfa, notifications, secrets_store
from .rollback import roll_back_user

# Fail states whose failure the workflow itself recorded and alerted: the reconciler stays quiet for them unless
# something was still left to reconcile.
REPORTED_ERRORS = frozenset({"InvalidHireEvent", "UserNameConflict", "OnboardingFailed", "MfaNotEnrolled"})
WHAT_HAPPENED = {
    FailureStage.BEFORE_CLAIM: "failed before this execution held the hire's claim: it changed nothing",
    FailureStage.ROLLBACK_FAILED: "failed, and rolling back what this hire had made failed too: see what is left",
    FailureStage.AFTER_ONBOARDING: "failed after the user was onboarded: nothing was deleted; a person decides",
}


def inventory(iam: Any, sm: Any, secret_prefix: str, username: str, employee_id: str) -> list[str]:
    """What exists of this hire, read-only: the user (if it is Turnstile's for this employee) and its secrets."""
    left: list[str] = []
    user = find_user(iam, username)
    if user is None:
        left.append(f"no IAM user {username}")
    elif not is_managed_for(user_tags(iam, username), employee_id):
        left.append(f"IAM user {username} exists but is not Turnstile's user for employee {employee_id}: not touched")
    else:
        left.append(f"IAM user {user['Arn']}")
        left += [f"group {group}" for group in sorted(groups_of(iam, username))]
        if has_login_profile(iam, username):
            left.append("login profile")
        left += [f"access key {k['AccessKeyId']} ({k['Status']})" for k in access_keys(iam, username)]
        left += [f"MFA device {serial}" for serial in mfa_serials(iam, username)]
    for kind in ("console-password", "access-key"):
        name = secrets_store.secret_name(secret_prefix, username, kind)
        metadata = secrets_store.describe(sm, name)
        if metadata is not None and secrets_store.tags_of(metadata).get("turnstile:employee-id") == employee_id:
            state = "scheduled for deletion" if metadata.get("DeletedDate") else "holds a value"
            if not metadata.get("DeletedDate") and secrets_store.current_version(metadata) is None:
                state = "has no value"
            left.append(f"secret {name} ({state})")
    return left


def roll_back_hire(iam: Any, sm: Any, dynamodb: Any, sns: Any, env: Settings, step: RollBackInput) -> dict[str, Any]:
    """The owner's rollback. Without ownership of an un-onboarded claim it touches nothing and says so."""
    hire = step.hire
    body: dict[str, Any] = {
        "username": hire.username,
        "employee_id": hire.employee_id,
        "error": step.error.Error,
        "reason": step.error.reason,
        "execution_id": step.execution_id,
    }
    if not claims.begin_rollback(
        dynamodb, env.table_name, employee_id=hire.employee_id, execution_id=step.execution_id
    ):
        claim = claims.get(dynamodb, env.table_name, hire.employee_id)
        held = f"{claim.status.value} by {claim.execution_id}" if claim else "absent"
        body |= {
            "what_happened": f"failed; nothing was rolled back: this execution does not own the hire (claim {held})",
            "rolled_back": [],
            "left": inventory(iam, sm, env.secret_prefix, hire.username, hire.employee_id),
        }
    else:
        undone = roll_back_user(iam, sm, hire, env.secret_prefix)
        left = inventory(iam, sm, env.secret_prefix, hire.username, hire.employee_id)
        claims.mark_failed(
            dynamodb,
            env.table_name,
            employee_id=hire.employee_id,
            execution_id=step.execution_id,
            failure=f"{step.error.Error}: {step.error.reason}",
            left=left,
        )
        body |= {
            "what_happened": "failed; what this hire had made was rolled back, and a replay of the event tries again"
            if undone
            else "failed before anything was made; a replay of the event tries again",
            "rolled_back": undone,
            "left": left,
        }
    _report(dynamodb, sns, env, subject=f"USER#{hire.username}", event="OnboardingFailed", body=body)
    return {k: body[k] for k in ("what_happened", "rolled_back")}


def record_failure(iam: Any, sm: Any, dynamodb: Any, sns: Any, env: Settings, step: FailedStepInput) -> dict[str, Any]:
    """Alert a failure the workflow may not undo (no claim held, onboarded already, or the rollback failed)."""
    hire: Hire | None = step.hire
    body: dict[str, Any] = {
        "username": hire.username if hire else None,
        "employee_id": hire.employee_id if hire else None,
        "error": step.error.Error,
        "reason": step.error.reason,
        "stage": step.stage.value,
        "what_happened": WHAT_HAPPENED[step.stage],
        "left": inventory(iam, sm, env.secret_prefix, hire.username, hire.employee_id) if hire else [],
        "execution_id": step.execution_id,
    }
    _report(
        dynamodb, sns, env, subject=f"USER#{hire.username}" if hire else "FAILED", event="OnboardingFailed", body=body
    )
    return {"what_happened": body["what_happened"]}


def reconcile_execution(
    iam: Any, sm: Any, dynamodb: Any, sns: Any, env: Settings, run: ExecutionStatus
) -> dict[str, Any]:
    """A FAILED, TIMED_OUT or ABORTED onboarding execution: make its claim and pending enrolment honest, alert."""
    pointer = claims.pointer(dynamodb, env.table_name, run.executionArn)
    done: list[str] = []
    left: list[str] = []
    if pointer is None:
        what = "ended before it claimed a hire: it created nothing"
    else:
        claim = claims.get(dynamodb, env.table_name, pointer.employee_id)
        owned = claim is not None and claim.execution_id == run.executionArn
        left = inventory(iam, sm, env.secret_prefix, pointer.username, pointer.employee_id)
        if owned and claims.mark_failed(
            dynamodb,
            env.table_name,
            employee_id=pointer.employee_id,
            execution_id=run.executionArn,
            failure=f"execution {run.status}: {run.error or ''}",
            left=left,
        ):
            done.append("the hire's claim was marked failed: a replay of the event onboards again")
        if mfa.forget_execution(dynamodb, env.table_name, pointer.username, run.executionArn):
            done.append("its pending MFA enrolment was removed (the MFA hold stays until a person decides)")
        if owned and claim is not None and claim.status == ClaimStatus.ONBOARDED:
            what = "ended after the user was onboarded: nothing was deleted"
        elif owned:
            what = "ended before the user was onboarded; nothing was rolled back by the reconciler"
        else:
            what = "ended without owning the hire (a duplicate): it changed nothing"
    if run.status == "FAILED" and run.error in REPORTED_ERRORS and not done:
        return {"outcome": "already-reported"}
    body = {
        "execution_id": run.executionArn,
        "status": run.status,
        "error": run.error,
        "username": pointer.username if pointer else None,
        "employee_id": pointer.employee_id if pointer else None,
        "what_happened": f"onboarding execution {run.status.lower()}; it {what}",
        "reconciled": done,
        "left": left,
    }
    subject = f"USER#{pointer.username}" if pointer else "FAILED"
    _report(dynamodb, sns, env, subject=subject, event="OnboardingExecutionEnded", body=body)
    return {"outcome": "reconciled", "reconciled": done}


def _report(dynamodb: Any, sns: Any, env: Settings, *, subject: str, event: str, body: dict[str, Any]) -> None:
    audit.record(dynamodb, env.table_name, subject=subject, action=event, details=body)
    who = body.get("username") or body.get("execution_id")
    notifications.publish(sns, env.topic_arn, event=event, subject=f"Turnstile: onboarding of {who} failed", body=body)

"""Reactions to IAM API calls that CloudTrail reports: MFA enrolment and password-policy changes.

Every event is validated first; one that does not parse is recorded (pk "REJECTED") and changes nothing.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..dal.iam_reads import MANAGED_TAG, user_tags
from ..models.cloudtrail import IamApiCallEvent
from ..settings import Settings
from . import alerts, audit, mfa, secrets_store
from .detections import PASSWORD_POLICY_CHANGED, Verdict
from .password_policy import ensure_password_policy

# The user chose a new password: the stored temporary one is dead. Seven days (Secrets Manager's shortest window)
# to restore it if the event was wrong.
HANDOVER_RECOVERY_DAYS = 7


def parse(dynamodb: Any, env: Settings, raw: dict[str, Any]) -> IamApiCallEvent | None:
    """The event, or None after recording why it was rejected (alerts.parse: one rejection format)."""
    return alerts.parse(dynamodb, env.table_name, raw, IamApiCallEvent, "IamEventRejected")


def _why_not_managed(iam: Any, username: str) -> str | None:
    """Why a reaction ignores `username` (gone, or not Turnstile's), or None if Turnstile manages it."""
    try:
        managed = user_tags(iam, username).get(MANAGED_TAG) == "true"
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        return f"user {username} no longer exists"
    return None if managed else f"user {username} is not managed by Turnstile"


def on_mfa_enabled(iam: Any, sfn: Any, dynamodb: Any, env: Settings, event: IamApiCallEvent) -> dict[str, Any]:
    """EnableMFADevice: resume the user's waiting onboarding, if the user is managed and IAM confirms a device."""
    detail = event.detail
    if not event.succeeded:
        return {"outcome": "ignored", "why": f"the call failed ({detail.errorCode})"}
    username = (detail.requestParameters or {}).get("userName") or detail.userIdentity.userName
    if not username:
        return {"outcome": "ignored", "why": "no user name in the event"}
    if why := _why_not_managed(iam, username):
        return {"outcome": "ignored", "why": why}
    outcome = mfa.confirm(iam, sfn, dynamodb, env.table_name, username, via=f"cloudtrail:{detail.eventID}")
    return {"outcome": outcome, "username": username}


def on_password_policy_changed(
    iam: Any,
    dynamodb: Any,
    sns: Any,
    env: Settings,
    event: IamApiCallEvent,
    securityhub: Any = None,
    *,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Update/DeleteAccountPasswordPolicy by anyone but Turnstile: put the configured policy back, and raise the
    password-policy-changed detection's alert with the revert (one alert, not two: no rule of RaiseAlert's
    matches these calls)."""
    detail = event.detail
    caller = detail.userIdentity.principal_arn
    if not event.succeeded:
        return {"outcome": "ignored", "why": f"the call failed ({detail.errorCode})"}
    if detail.userIdentity.type == "AssumedRole" and caller in env.own_role_arns:
        return {"outcome": "ignored", "why": "Turnstile's own change"}
    reverted = ensure_password_policy(iam, env.password_policy)
    changes = {field: {"was": was, "now": now} for field, (was, now) in reverted.items()}
    body = {
        "changed_by": caller,
        "caller_type": detail.userIdentity.type,
        "action": detail.eventName,
        "at": detail.eventTime.isoformat(),
        "event_id": detail.eventID,
        "reverted": changes,
    }
    audit.record(
        dynamodb, env.table_name, subject="ACCOUNT#password-policy", action="PasswordPolicyDrift", details=body
    )
    shown = ", ".join(f"{field} {change['was']} -> {change['now']}" for field, change in sorted(changes.items()))
    verdict = Verdict(
        f"{detail.eventName}: the account password policy was changed outside Turnstile",
        facts={"reverted": shown or "nothing (already back to the configured policy)"},
    )
    finding = alerts.describe(event, PASSWORD_POLICY_CHANGED, verdict)
    alerting = env.alerting
    destination = alerts.Destination(
        env.table_name, env.topic_arn, sns.meta.region_name, security_hub=bool(alerting and alerting.security_hub)
    )
    sent = alerts.send_once(finding, alerts.Clients(iam, dynamodb, sns, securityhub), destination, deadline=deadline)
    return {"outcome": "reverted" if reverted else "already-compliant", "alerted": sent, **body}


def on_password_changed(iam: Any, sm: Any, dynamodb: Any, env: Settings, event: IamApiCallEvent) -> dict[str, Any]:
    """ChangePassword by a managed user (the first sign-in's forced change): the temporary password in Secrets
    Manager is useless from now on, so its secret is scheduled for deletion — the handover is over."""
    detail, who = event.detail, event.detail.userIdentity
    if not event.succeeded:
        return {"outcome": "ignored", "why": f"the call failed ({detail.errorCode})"}
    username = who.userName if who.type == "IAMUser" else None
    if not username:
        return {"outcome": "ignored", "why": "not an IAM user changing its own password"}
    if why := _why_not_managed(iam, username):
        return {"outcome": "ignored", "why": why}
    name = secrets_store.secret_name(env.secret_prefix, username, "console-password")
    metadata = secrets_store.describe(sm, name)
    if metadata is None or metadata.get("DeletedDate"):
        return {"outcome": "nothing-to-do", "why": "no temporary password is stored any more"}
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=HANDOVER_RECOVERY_DAYS)
    audit.record(
        dynamodb,
        env.table_name,
        subject=f"USER#{username}",
        action="ConsolePasswordHandedOver",
        details={"secret": name, "event_id": detail.eventID, "recovery_days": HANDOVER_RECOVERY_DAYS},
    )
    return {"outcome": "secret-scheduled-for-deletion", "secret": name}

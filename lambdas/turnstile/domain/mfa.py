"""MFA enrolment: the hold that blocks everything but MFA self-service, the wait for enrolment, its confirmation
(from CloudTrail or the sweeper), and what happens when the deadline passes.

A pending enrolment is one item in the table (dal.table.PendingEnrolment) holding the workflow's task token and
the deadline. Whoever confirms enrolment **resumes first and forgets after**: SendTaskSuccess, then delete the item
conditionally on the token. A throttled resume leaves the item for the retry or the sweeper; a resume that finds
the workflow already resumed (TaskTimedOut/InvalidToken) is an outcome, not an error. Only the item's own token
(or, for the reconciler, its own execution) ever removes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..dal import callbacks, table
from ..dal.iam_reads import find_user, groups_of, has_login_profile, key_ids, mfa_serials
from ..dal.table import PendingEnrolment
from ..errors import TurnstileError
from ..models.onboarding import Hire
from ..observability import logger
from ..settings import Settings
from . import audit, notifications, secrets_store

REMIND_EVERY = dt.timedelta(hours=24)


class SweepIncomplete(TurnstileError):
    """Some pending enrolments could not be handled this sweep; the others were (see the summary in the log)."""


def apply_hold(iam: Any, username: str, hold_group: str) -> bool:
    """Put the user in the MFA-hold group (deny all but MFA self-service until MFA is present)."""
    if hold_group in groups_of(iam, username):
        return False
    iam.add_user_to_group(GroupName=hold_group, UserName=username)
    return True


def release_hold(iam: Any, username: str, hold_group: str) -> bool:
    if hold_group not in groups_of(iam, username):
        return False
    iam.remove_user_from_group(GroupName=hold_group, UserName=username)
    return True


def deadline(entered: dt.datetime, effective_date: dt.date | None, days: int) -> dt.datetime:
    """The enrolment deadline counts from the later of the wait's start and the employee's first day: a hire sent
    months ahead keeps its access until `days` after it starts."""
    start = entered
    if effective_date is not None:
        start = max(start, dt.datetime.combine(effective_date, dt.time.min, dt.UTC))
    return start + dt.timedelta(days=days)


def register_wait(
    iam: Any, sfn: Any, dynamodb: Any, env: Settings, *, hire: Hire, token: str, execution_id: str, entered: dt.datetime
) -> dict[str, Any]:
    """Store the task token until enrolment is confirmed; if the user already has MFA, resume at once."""
    serials = mfa_serials(iam, hire.username)
    if serials:
        outcome = callbacks.resume(
            sfn, token, {"enrolled": True, "confirmed_by": "already-enrolled", "serials": serials}
        )
        return {"status": "already-enrolled", "serials": serials, "resume": outcome}
    item = PendingEnrolment(
        username=hire.username,
        task_token=token,
        execution_id=execution_id,
        employee_id=hire.employee_id,
        email=hire.email,
        deadline=deadline(entered, hire.effective_date, env.mfa_deadline_days),
        registered_at=entered,
        effective_date=hire.effective_date,
    )
    dynamodb.put_item(TableName=env.table_name, Item=item.to_item())
    return {"status": "waiting", "deadline": item.deadline.isoformat()}


def pending_of(dynamodb: Any, table_name: str, username: str) -> PendingEnrolment | None:
    """The user's pending enrolment, if any."""
    item = dynamodb.get_item(TableName=table_name, Key=table.pending_key(username), ConsistentRead=True).get("Item")
    return PendingEnrolment.from_item(item) if item else None


def pending(dynamodb: Any, table_name: str) -> list[PendingEnrolment]:
    """Every pending enrolment."""
    found = []
    for page in dynamodb.get_paginator("query").paginate(
        TableName=table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": table.PENDING}},
        ConsistentRead=True,
    ):
        found += [PendingEnrolment.from_item(item) for item in page["Items"]]
    return found


def forget(dynamodb: Any, table_name: str, item: PendingEnrolment) -> bool:
    """Delete the pending item if it still holds this token (never another execution's)."""
    return _delete_if(dynamodb, table_name, item.username, "task_token", item.task_token)


def forget_execution(dynamodb: Any, table_name: str, username: str, execution_id: str) -> bool:
    """Delete the user's pending item if `execution_id` registered it (the reconciler, for a dead execution)."""
    return _delete_if(dynamodb, table_name, username, "execution_id", execution_id)


def confirm(iam: Any, sfn: Any, dynamodb: Any, table_name: str, username: str, *, via: str) -> str:
    """Resume the user's waiting workflow if IAM shows an MFA device. Returns what happened.

    Never trusts the caller's word: ListMFADevices decides. With no pending enrolment (an unmanaged user, or
    one whose deadline already passed) nothing is resumed and nothing is re-enabled.
    """
    item = pending_of(dynamodb, table_name, username)
    return _resume_if_enrolled(iam, sfn, dynamodb, table_name, item, via=via) if item else "no-pending-enrolment"


def _resume_if_enrolled(iam: Any, sfn: Any, dynamodb: Any, table_name: str, item: PendingEnrolment, *, via: str) -> str:
    serials = mfa_serials(iam, item.username)
    if not serials:
        return "no-mfa-device"
    outcome = callbacks.resume(sfn, item.task_token, {"enrolled": True, "confirmed_by": via, "serials": serials})
    forget(dynamodb, table_name, item)
    if outcome == "resumed":
        audit.record(
            dynamodb,
            table_name,
            subject=f"USER#{item.username}",
            action="MfaEnrolled",
            details={"serials": serials, "confirmed_by": via, "execution_id": item.execution_id},
        )
    return outcome


def sweep(iam: Any, sfn: Any, dynamodb: Any, sns: Any, env: Settings, *, now: dt.datetime) -> dict[str, list[str]]:
    """For every pending enrolment: resume it if enrolled (a lost CloudTrail event), fail it at the deadline,
    otherwise remind (at most once a day). One enrolment's failure does not stop the others: it is listed under
    "failed" and the sweep raises SweepIncomplete at the end, so the invocation is retried and alarmed."""
    summary: dict[str, list[str]] = {
        "resumed": [],
        "deadline_passed": [],
        "reminded": [],
        "waiting": [],
        "gone": [],
        "failed": [],
    }
    for item in pending(dynamodb, env.table_name):
        try:
            summary[_sweep_one(iam, sfn, dynamodb, sns, env, item, now)].append(item.username)
        except ClientError as error:
            logger.exception("sweeping one enrolment failed", extra={"username": item.username})
            summary["failed"].append(f"{item.username}: {error_code(error)}")
    if summary["failed"]:
        raise SweepIncomplete(f"{len(summary['failed'])} pending enrolments not handled: {summary['failed']}")
    return summary


def _sweep_one(
    iam: Any, sfn: Any, dynamodb: Any, sns: Any, env: Settings, item: PendingEnrolment, now: dt.datetime
) -> str:
    username = item.username
    if find_user(iam, username) is None:  # removed meanwhile (rolled back, offboarded): nothing to wait for
        callbacks.fail(sfn, item.task_token, "UserGone", f"{username} no longer exists")
        forget(dynamodb, env.table_name, item)
        return "gone"
    if _resume_if_enrolled(iam, sfn, dynamodb, env.table_name, item, via="sweeper") != "no-mfa-device":
        return "resumed"
    if now >= item.deadline:
        callbacks.fail(sfn, item.task_token, "MfaDeadlinePassed", f"{username} did not enrol MFA by {item.deadline}")
        forget(dynamodb, env.table_name, item)
        return "deadline_passed"
    if item.last_reminded is not None and now - item.last_reminded < REMIND_EVERY:
        return "waiting"
    notifications.publish(
        sns,
        env.topic_arn,
        event="MfaEnrolmentReminder",
        subject=f"Turnstile: {username}, enrol MFA",
        body={
            "username": username,
            "email": item.email,
            "deadline": item.deadline.isoformat(),
            "instructions": "Sign in with your temporary password and assign a virtual MFA device "
            "(IAM > Security credentials) before the deadline, or console access is removed.",
        },
    )
    dynamodb.update_item(
        TableName=env.table_name,
        Key=table.pending_key(username),
        UpdateExpression="SET last_reminded = :now",
        ConditionExpression="task_token = :t",
        ExpressionAttributeValues={":now": {"S": now.isoformat()}, ":t": {"S": item.task_token}},
    )
    return "reminded"


def enforce_deadline(
    iam: Any, sm: Any, dynamodb: Any, sns: Any, env: Settings, *, hire: Hire, reason: str
) -> dict[str, Any]:
    """No MFA in time: remove console access (login profile and its secret), deactivate every access key.
    The user stays held; a later enrolment re-enables nothing."""
    done: list[str] = []
    if has_login_profile(iam, hire.username):
        iam.delete_login_profile(UserName=hire.username)
        done.append("login profile deleted")
    if secrets_store.delete(sm, secrets_store.secret_name(env.secret_prefix, hire.username, "console-password")):
        done.append("console-password secret deleted")
    for key_id in key_ids(iam, hire.username):
        iam.update_access_key(UserName=hire.username, AccessKeyId=key_id, Status="Inactive")
        done.append(f"access key {key_id} deactivated")
    body = {"username": hire.username, "employee_id": hire.employee_id, "reason": reason, "actions": done}
    audit.record(dynamodb, env.table_name, subject=f"USER#{hire.username}", action="MfaDeadlinePassed", details=body)
    notifications.publish(
        sns,
        env.topic_arn,
        event="MfaDeadlinePassed",
        subject=f"Turnstile: {hire.username} missed the MFA deadline",
        body=body,
    )
    return body


def _delete_if(dynamodb: Any, table_name: str, username: str, attribute: str, value: str) -> bool:
    try:
        dynamodb.delete_item(
            TableName=table_name,
            Key=table.pending_key(username),
            ConditionExpression="#a = :v",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":v": {"S": value}},
        )
        return True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise

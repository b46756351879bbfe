"""MFA enrolment: the hold that blocks everything but MFA self-service, the wait for enrolment, its confirmation
(from CloudTrail or the sweeper), and what happens when the deadline passes.

A pending enrolment is one item in the table: pk "MFA_PENDING", sk the user name, holding the workflow's task
token and the deadline. Whoever resumes the workflow deletes the item (conditionally on the token), so a
workflow is resumed once, by the first of CloudTrail, the sweeper or the wait itself.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..models.onboarding import Hire
from ..settings import Settings
from . import audit, notifications, secrets_store
from .access_keys import key_ids
from .groups import groups_of
from .login_profile import has_login_profile
from .users import find_user

PENDING = "MFA_PENDING"
REMIND_EVERY = dt.timedelta(hours=24)
# The workflow is gone (finished, stopped, timed out): its token can never be used again.
GONE = frozenset({"TaskDoesNotExist", "TaskTimedOut", "InvalidToken", "ExecutionDoesNotExist"})


def mfa_serials(iam: Any, username: str) -> list[str]:
    serials: list[str] = []
    for page in iam.get_paginator("list_mfa_devices").paginate(UserName=username):
        serials += [d["SerialNumber"] for d in page["MFADevices"]]
    return serials


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


def register_wait(
    iam: Any, sfn: Any, dynamodb: Any, env: Settings, *, hire: Hire, token: str, execution_id: str, entered: dt.datetime
) -> dict[str, Any]:
    """Store the task token until enrolment is confirmed; if the user already has MFA, resume at once."""
    serials = mfa_serials(iam, hire.username)
    if serials:
        _resume(sfn, token, {"enrolled": True, "confirmed_by": "already-enrolled", "serials": serials})
        return {"status": "already-enrolled", "serials": serials}
    deadline = entered + dt.timedelta(days=env.mfa_deadline_days)
    dynamodb.put_item(
        TableName=env.table_name,
        Item={
            "pk": {"S": PENDING},
            "sk": {"S": hire.username},
            "task_token": {"S": token},
            "execution_id": {"S": execution_id},
            "employee_id": {"S": hire.employee_id},
            "email": {"S": hire.email},
            "deadline": {"S": deadline.isoformat()},
            "registered_at": {"S": entered.isoformat()},
            "expires_at": {"N": str(int((deadline + dt.timedelta(days=30)).timestamp()))},
        },
    )
    return {"status": "waiting", "deadline": deadline.isoformat()}


def pending(dynamodb: Any, table: str, username: str | None = None) -> list[dict[str, str]]:
    """Pending enrolments (of one user, or all), as plain dicts."""
    if username is not None:
        item = dynamodb.get_item(TableName=table, Key=_key(username), ConsistentRead=True).get("Item")
        return [_plain(item)] if item else []
    found = []
    for page in dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": PENDING}},
        ConsistentRead=True,
    ):
        found += [_plain(item) for item in page["Items"]]
    return found


def forget_pending(dynamodb: Any, table: str, username: str) -> None:
    dynamodb.delete_item(TableName=table, Key=_key(username))


def confirm(iam: Any, sfn: Any, dynamodb: Any, table: str, username: str, *, via: str) -> str:
    """Resume the user's waiting workflow if IAM shows an MFA device. Returns what happened.

    Never trusts the caller's word: ListMFADevices decides. With no pending enrolment (an unmanaged user, or
    one whose deadline already passed) nothing is resumed and nothing is re-enabled.
    """
    items = pending(dynamodb, table, username)
    return _resume_if_enrolled(iam, sfn, dynamodb, table, items[0], via=via) if items else "no-pending-enrolment"


def _resume_if_enrolled(iam: Any, sfn: Any, dynamodb: Any, table: str, item: dict[str, str], *, via: str) -> str:
    username = item["sk"]
    serials = mfa_serials(iam, username)
    if not serials:
        return "no-mfa-device"
    if not _take(dynamodb, table, item):
        return "already-resumed"
    outcome = _resume(sfn, item["task_token"], {"enrolled": True, "confirmed_by": via, "serials": serials})
    audit.record(
        dynamodb,
        table,
        subject=f"USER#{username}",
        action="MfaEnrolled",
        details={"serials": serials, "confirmed_by": via, "resumed": outcome},
    )
    return outcome


def sweep(iam: Any, sfn: Any, dynamodb: Any, sns: Any, env: Settings, *, now: dt.datetime) -> dict[str, list[str]]:
    """For every pending enrolment: resume it if enrolled (a lost CloudTrail event), fail it at the deadline,
    otherwise remind (at most once a day)."""
    summary: dict[str, list[str]] = {"resumed": [], "deadline_passed": [], "reminded": [], "waiting": [], "gone": []}
    for item in pending(dynamodb, env.table_name):
        username = item["sk"]
        if find_user(iam, username) is None:  # removed meanwhile (rolled back, offboarded): nothing to wait for
            _take(dynamodb, env.table_name, item)
            _fail(sfn, item["task_token"], "UserGone", f"{username} no longer exists")
            summary["gone"].append(username)
        elif _resume_if_enrolled(iam, sfn, dynamodb, env.table_name, item, via="sweeper") != "no-mfa-device":
            summary["resumed"].append(username)
        elif now >= dt.datetime.fromisoformat(item["deadline"]):
            if _take(dynamodb, env.table_name, item):
                _fail(
                    sfn, item["task_token"], "MfaDeadlinePassed", f"{username} did not enrol MFA by {item['deadline']}"
                )
            summary["deadline_passed"].append(username)
        elif _due_for_reminder(item, now):
            notifications.publish(
                sns,
                env.topic_arn,
                event="MfaEnrolmentReminder",
                subject=f"Turnstile: {username}, enrol MFA",
                body={
                    "username": username,
                    "email": item["email"],
                    "deadline": item["deadline"],
                    "instructions": "Sign in with your temporary password and assign a virtual MFA device "
                    "(IAM > Security credentials) before the deadline, or console access is removed.",
                },
            )
            dynamodb.update_item(
                TableName=env.table_name,
                Key=_key(username),
                UpdateExpression="SET last_reminded = :now",
                ExpressionAttributeValues={":now": {"S": now.isoformat()}},
            )
            summary["reminded"].append(username)
        else:
            summary["waiting"].append(username)
    return summary


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


def _key(username: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": PENDING}, "sk": {"S": username}}


def _plain(item: dict[str, dict[str, str]]) -> dict[str, str]:
    return {k: next(iter(v.values())) for k, v in item.items()}


def _take(dynamodb: Any, table: str, item: dict[str, str]) -> bool:
    """Delete the pending item if it still holds this token: exactly one resumer wins."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key=_key(item["sk"]),
            ConditionExpression="task_token = :t",
            ExpressionAttributeValues={":t": {"S": item["task_token"]}},
        )
        return True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise


def _resume(sfn: Any, token: str, output: dict[str, Any]) -> str:
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps(output))
        return "resumed"
    except ClientError as error:
        if error_code(error) in GONE:
            return f"workflow gone ({error_code(error)})"
        raise


def _fail(sfn: Any, token: str, error: str, cause: str) -> str:
    try:
        sfn.send_task_failure(taskToken=token, error=error, cause=cause)
        return "failed"
    except ClientError as failure:
        if error_code(failure) in GONE:
            return f"workflow gone ({error_code(failure)})"
        raise


def _due_for_reminder(item: dict[str, str], now: dt.datetime) -> bool:
    last = item.get("last_reminded")
    return last is None or now - dt.datetime.fromisoformat(last) >= REMIND_EVERY

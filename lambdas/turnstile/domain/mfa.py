"""MFA enrolment: the hold that blocks everything but MFA self-service, the wait for enrolment, its confirmation
(from CloudTrail or the sweeper), and what happens when the deadline passes.

A pending enrolment is one item in the table (dal.table.PendingEnrolment) holding the workflow's task token and
the deadline. Whoever confirms enrolment **resumes first and forgets after**: SendTaskSuccess, then delete the item
conditionally on the token. A throttled resume leaves the item for the retry or the sweeper; a resume that finds
the workflow already resumed (TaskTimedOut/InvalidToken) is an outcome, not an error. Only the item's own token
(or, for the reconciler, its own execution) ever removes it.

The sweeper reads the account, not each user: the IAM credential report (two or three calls whatever the number
of users; its `mfa_active` covers every kind of MFA device) says who has MFA. It asks IAM about one user only
before acting on that user (resuming, failing the wait), so its IAM calls grow with the enrolments that need
something done, never with those that are merely waiting. A failure of one enrolment does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..dal import callbacks, credential_report, table
from ..dal.iam_reads import find_user, groups_of, has_login_profile, key_ids, mfa_serials
from ..dal.table import PendingEnrolment
from ..errors import TurnstileError
from ..models.onboarding import Hire
from ..models.rotation import CredentialReport, ReportRow
from ..observability import logger
from ..settings import Settings
from . import audit, notifications, secrets_store

REMIND_EVERY = dt.timedelta(hours=24)
# The waits (seconds) between GenerateCredentialReport calls while IAM generates the report: 30 s in all, a tenth
# of the sweeper's timeout. Not complete by then: the invocation fails, and Lambda retries it 1 and 2 minutes later.
REPORT_POLL_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)
# A SweepIncomplete message names at most this many enrolments (the log has them all).
NAMED_IN_ERROR = 20


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
    return _resume(sfn, dynamodb, table_name, item, serials, via=via)


def _resume(sfn: Any, dynamodb: Any, table_name: str, item: PendingEnrolment, serials: list[str], *, via: str) -> str:
    """Resume the waiting workflow with the devices IAM listed, then forget the item (resume first, forget after)."""
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


def current_report(
    iam: Any, *, delays: tuple[float, ...] = REPORT_POLL_DELAYS, sleep: Callable[[float], None] = time.sleep
) -> CredentialReport:
    """The account's credential report, waiting a bounded time while IAM generates it.

    GenerateCredentialReport until IAM says COMPLETE (it starts a report only if its current one is missing or over
    four hours old, so most sweeps find it complete at once), then GetCredentialReport: two calls, three when a new
    report is started, whatever the number of users. Still in progress after the last of `delays`: ReportInProgress
    is raised, the invocation fails, and Lambda retries it (an asynchronous invocation is retried twice).
    """
    for wait in delays:
        try:
            return credential_report.fetch(iam)
        except credential_report.ReportInProgress:
            sleep(wait)
    return credential_report.fetch(iam)


class Due(enum.IntEnum):
    """What a pending enrolment needs this sweep, in the order the sweep does it (then the most overdue first)."""

    RESUME = 1  # the report shows MFA: confirm with ListMFADevices, resume
    DEADLINE = 2  # the deadline passed: confirm (GetUser: gone? ListMFADevices: enrolled after all?), fail the wait
    MISSING = 3  # absent from a report generated after the wait began: confirm with GetUser that the user is gone
    REMIND = 4  # the report shows no MFA and the last reminder is a day old: remind (no IAM call)


def due(item: PendingEnrolment, row: ReportRow | None, report: CredentialReport, now: dt.datetime) -> Due | None:
    """What `item` needs, judged from the report alone (no IAM call); None: nothing, it keeps waiting."""
    if now >= item.deadline:
        return Due.DEADLINE
    if row is None:
        # Registered after the report was generated: the user may simply be newer than the report (the next one,
        # at most four hours later, lists it). Registered before: the user existed then, so it has gone since.
        return None if item.registered_at >= report.generated else Due.MISSING
    if row.mfa_active:
        return Due.RESUME
    return Due.REMIND if _reminder_due(item, now) else None


def _overdue_since(need: Due, item: PendingEnrolment) -> dt.datetime:
    if need is Due.DEADLINE:
        return item.deadline
    if need is Due.REMIND and item.last_reminded is not None:
        return item.last_reminded
    return item.registered_at


def sweep(
    iam: Any,
    sfn: Any,
    dynamodb: Any,
    sns: Any,
    env: Settings,
    *,
    now: dt.datetime,
    report: CredentialReport,
    stop_by: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, list[str]]:
    """For every pending enrolment: resume it if enrolled (a lost CloudTrail event), fail it at the deadline or
    once its user is gone, otherwise remind (at most once a day).

    `report` (current_report) decides who needs anything; IAM is asked about a user only before acting on it:
    - the report shows MFA: ListMFADevices confirms, and the workflow is resumed;
    - the deadline passed: GetUser (gone?) and ListMFADevices (enrolled after the report after all?) confirm before
      the wait is failed;
    - the user is not in the report: registered after the report was generated, it keeps waiting (no call);
      registered before, GetUser confirms that it is gone before the wait is failed as such;
    - a reminder is due and the report shows no MFA: the reminder goes out with no IAM call at all. The report can
      be up to four hours old (IAM makes a new one at most every four hours), so a user who enrolled since, and
      whose CloudTrail event was lost, may get one reminder too many; the next report resumes it.
    Enrolments that need nothing cost no IAM call.

    The work is done resumes first, then deadlines, users gone, reminders; within each, the most overdue first.
    Once `stop_by` (a `clock()` reading) has passed, no further enrolment is started: the rest are listed under
    "deferred", and being the most overdue they come first next sweep, so no enrolment is starved by the others.
    One enrolment's failure does not stop the others: it is listed under "failed" and the sweep raises
    SweepIncomplete at the end, so the invocation is retried and alarmed."""
    summary: dict[str, list[str]] = {
        "resumed": [],
        "deadline_passed": [],
        "reminded": [],
        "waiting": [],
        "gone": [],
        "deferred": [],
        "failed": [],
    }
    rows = {row.user: row for row in report.rows}
    work: list[tuple[Due, dt.datetime, PendingEnrolment]] = []
    for item in pending(dynamodb, env.table_name):
        need = due(item, rows.get(item.username), report, now)
        if need is None:
            summary["waiting"].append(item.username)
        else:
            work.append((need, _overdue_since(need, item), item))
    work.sort(key=lambda entry: (entry[0], entry[1], entry[2].username))
    for need, _since, item in work:
        if stop_by is not None and clock() >= stop_by:
            summary["deferred"].append(item.username)
            continue
        try:
            summary[_act(need, iam, sfn, dynamodb, sns, env, item, now)].append(item.username)
        except ClientError as error:
            logger.exception("sweeping one enrolment failed", extra={"username": item.username})
            summary["failed"].append(f"{item.username}: {error_code(error)}")
    if summary["deferred"]:
        logger.warning(
            "MFA sweep out of time: the rest are swept first next time",
            extra={"deferred": len(summary["deferred"]), "usernames": summary["deferred"]},
        )
    if failed := summary["failed"]:
        more = [f"and {len(failed) - NAMED_IN_ERROR} more"] if len(failed) > NAMED_IN_ERROR else []
        named = failed[:NAMED_IN_ERROR] + more
        raise SweepIncomplete(f"{len(failed)} pending enrolments not handled: {named}")
    return summary


def _act(
    need: Due, iam: Any, sfn: Any, dynamodb: Any, sns: Any, env: Settings, item: PendingEnrolment, now: dt.datetime
) -> str:
    """Do what `item` needs; returns the summary's heading for it. (Plain calls, not a dispatch table: the
    declarations test follows calls to tell which actions the code makes.)"""
    if need is Due.RESUME:
        return _confirm_reported_mfa(iam, sfn, dynamodb, sns, env, item, now)
    if need is Due.DEADLINE:
        return _confirm_deadline(iam, sfn, dynamodb, env, item)
    if need is Due.MISSING:
        return _confirm_missing(iam, sfn, dynamodb, sns, env, item, now)
    return _remind_if_due(dynamodb, sns, env, item, now)


def _reminder_due(item: PendingEnrolment, now: dt.datetime) -> bool:
    return item.last_reminded is None or now - item.last_reminded >= REMIND_EVERY


def _confirm_reported_mfa(
    iam: Any, sfn: Any, dynamodb: Any, sns: Any, env: Settings, item: PendingEnrolment, now: dt.datetime
) -> str:
    """The report shows MFA: ListMFADevices confirms (the report may be four hours old) before resuming."""
    try:
        serials = mfa_serials(iam, item.username)
    except ClientError:
        # Deleted since the report: IAM authorizes a missing user as user/<name>, without the managed path, so the
        # read is refused rather than answered NoSuchEntity. GetUser (granted on any user) tells.
        if find_user(iam, item.username) is None:
            return _fail_gone(sfn, dynamodb, env, item)
        raise
    if serials:
        _resume(sfn, dynamodb, env.table_name, item, serials, via="sweeper")
        return "resumed"
    return _remind_if_due(dynamodb, sns, env, item, now)  # the device listed in the report is gone since


def _confirm_deadline(iam: Any, sfn: Any, dynamodb: Any, env: Settings, item: PendingEnrolment) -> str:
    """The deadline passed: the user must still exist and still have no MFA device before the wait is failed."""
    if find_user(iam, item.username) is None:
        return _fail_gone(sfn, dynamodb, env, item)
    if serials := mfa_serials(iam, item.username):  # enrolled after the report was generated
        _resume(sfn, dynamodb, env.table_name, item, serials, via="sweeper")
        return "resumed"
    callbacks.fail(sfn, item.task_token, "MfaDeadlinePassed", f"{item.username} did not enrol MFA by {item.deadline}")
    forget(dynamodb, env.table_name, item)
    return "deadline_passed"


def _confirm_missing(
    iam: Any, sfn: Any, dynamodb: Any, sns: Any, env: Settings, item: PendingEnrolment, now: dt.datetime
) -> str:
    """Absent from a report generated after the wait began: gone, once GetUser agrees."""
    if find_user(iam, item.username) is None:
        return _fail_gone(sfn, dynamodb, env, item)
    # There after all (re-created since the report, or the report and the table disagree): ask IAM about MFA.
    if serials := mfa_serials(iam, item.username):
        _resume(sfn, dynamodb, env.table_name, item, serials, via="sweeper")
        return "resumed"
    return _remind_if_due(dynamodb, sns, env, item, now)


def _fail_gone(sfn: Any, dynamodb: Any, env: Settings, item: PendingEnrolment) -> str:
    """Removed meanwhile (rolled back, offboarded): nothing to wait for."""
    callbacks.fail(sfn, item.task_token, "UserGone", f"{item.username} no longer exists")
    forget(dynamodb, env.table_name, item)
    return "gone"


def _remind_if_due(dynamodb: Any, sns: Any, env: Settings, item: PendingEnrolment, now: dt.datetime) -> str:
    if not _reminder_due(item, now):
        return "waiting"
    notifications.publish(
        sns,
        env.topic_arn,
        event="MfaEnrolmentReminder",
        subject=f"Turnstile: {item.username}, enrol MFA",
        body={
            "username": item.username,
            "email": item.email,
            "deadline": item.deadline.isoformat(),
            "instructions": "Sign in with your temporary password and assign a virtual MFA device "
            "(IAM > Security credentials) before the deadline, or console access is removed.",
        },
    )
    dynamodb.update_item(
        TableName=env.table_name,
        Key=table.pending_key(item.username),
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
    return table.unless_condition_fails(
        lambda: dynamodb.delete_item(
            TableName=table_name,
            Key=table.pending_key(username),
            ConditionExpression="#a = :v",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":v": {"S": value}},
        )
    )

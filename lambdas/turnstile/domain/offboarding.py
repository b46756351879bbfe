"""The leaver: an "Employee Terminated" event ends the employee's access at once (or at the effective date), then
removes the user in the order IAM requires, then its secrets, its pending enrolment and the hire's claim.

Only the user Turnstile made for that very employee is touched: the employee's hire claim names the user, and
IAM must agree (under Turnstile's path, tagged managed, with the same employee id). Every step re-reads IAM and
is safe to run twice or at once with another termination of the same employee.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from ..aws import error_code
from ..dal import table
from ..dal.iam_reads import (
    EMPLOYEE_TAG,
    MANAGED_TAG,
    absent_ok,
    find_user,
    groups_of,
    has_login_profile,
    key_ids,
    mfa_serials,
    user_tags,
)
from ..errors import field_problems
from ..models.hr_events import TerminationEvent
from ..models.offboarding import OffboardingFailure, Termination, TerminationStep
from ..models.onboarding import Rejection
from ..settings import Settings
from . import audit, claims, failures, mfa, notifications, secrets_store
from .rejections import summarize

TERMINATION_TAGS = ("turnstile:terminated-on", "turnstile:termination-reason")
RETAINED = "RETAINED"  # table pk of users kept disabled until their retention ends


class Rejected(Exception):
    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.reason)
        self.rejection = rejection


def resolve(dynamodb: Any, iam: Any, env: Settings, raw: Any, *, now: dt.datetime) -> Termination:
    """The termination, resolved to Turnstile's user for the employee; `Rejected` (touching nothing) otherwise."""
    try:
        event = TerminationEvent.model_validate(raw)
    except ValidationError as error:
        raise Rejected(summarize(raw, "; ".join(field_problems(error)))) from None
    detail = event.detail

    def refuse(reason: str) -> Rejected:
        return Rejected(summarize(raw, reason))

    if event.source != env.hr_source:
        raise refuse(f"source: not the configured HR source ({env.hr_source})")
    directory = env.require_directory()
    # Judged against now: PutEvents lets the sender set the event's `time`, so it cannot open the window.
    if detail.effective_date and (detail.effective_date - now.date()).days > directory.max_effective_date_days:
        raise refuse(f"effective_date: more than {directory.max_effective_date_days} days ahead")
    claim = claims.get(dynamodb, env.table_name, detail.employee_id)
    if claim is None:
        raise refuse(f"employee_id: employee {detail.employee_id} was never onboarded by Turnstile")
    if detail.username is not None and detail.username != claim.username:
        raise refuse("username: not the user Turnstile made for this employee")
    user = find_user(iam, claim.username)
    if user is not None and (problem := _not_ours(iam, user, directory.user_path, detail.employee_id)):
        raise refuse(problem)
    starts = dt.datetime.combine(detail.effective_date, dt.time(0), tzinfo=dt.UTC) if detail.effective_date else now
    effective_at = now if detail.immediate or starts <= now else starts
    return Termination(
        employee_id=detail.employee_id,
        username=claim.username,
        hire_execution=claim.execution_id,
        hire_status=claim.status.value,
        effective_at=effective_at,
        wait=effective_at > now,
        immediate=detail.immediate,
        reason=detail.reason,
        event_id=event.id,
        user_exists=user is not None,
    )


def _not_ours(iam: Any, user: dict[str, Any], user_path: str, employee_id: str) -> str | None:
    """Why Turnstile must not touch this user for this employee, or None."""
    name = user["UserName"]
    tags = user_tags(iam, name)
    if not str(user.get("Path", "/")).startswith(user_path):
        return f"username: user {name} is outside Turnstile's path; not touched"
    if tags.get(MANAGED_TAG) != "true":
        return f"username: user {name} is not managed by Turnstile; not touched"
    if tags.get(EMPLOYEE_TAG) != employee_id:
        return f"employee_id: user {name} belongs to another employee; not touched"
    return None


def _termination_key(termination: Termination) -> table.Key:
    # One termination per hire: a re-hire (a new onboarding execution) can be terminated again later.
    return {
        "pk": {"S": f"EMPLOYEE#{termination.employee_id}"},
        "sk": {"S": f"TERMINATION#{termination.hire_execution}"},
    }


def claim_termination(dynamodb: Any, table_name: str, step: TerminationStep) -> dict[str, Any]:
    """The first execution for this hire's termination owns it; a duplicate (or one arriving while it runs) stops;
    one whose owner failed takes over."""
    key = _termination_key(step.termination)
    owned = table.unless_condition_fails(
        lambda: dynamodb.put_item(
            TableName=table_name,
            Item=table.to_item(
                key,
                {
                    "execution_id": step.execution_id,
                    "status": "in_progress",
                    "username": step.termination.username,
                    "at": dt.datetime.now(dt.UTC).isoformat(),
                },
            ),
            ConditionExpression="attribute_not_exists(pk) OR execution_id = :me OR #s = :failed",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":me": {"S": step.execution_id}, ":failed": {"S": "failed"}},
        )
    )
    if owned:
        return {"owned": True}
    current = table.from_item(dynamodb.get_item(TableName=table_name, Key=key, ConsistentRead=True).get("Item", {}))
    return {"owned": False, "owner": current.get("execution_id"), "status": current.get("status")}


def _set_termination_status(dynamodb: Any, table_name: str, step: TerminationStep, status: str) -> None:
    dynamodb.update_item(
        TableName=table_name,
        Key=_termination_key(step.termination),
        UpdateExpression="SET #s = :s",
        ConditionExpression="execution_id = :me",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": status}, ":me": {"S": step.execution_id}},
    )


def revoke(iam: Any, sfn: Any, step: TerminationStep) -> list[str]:
    """Access ends now: an onboarding still running is stopped (so it adds nothing back), then the console
    password goes, every access key is deactivated and every group membership removed. Returns what was done."""
    termination, done = step.termination, []
    try:
        # Still onboarding (typically waiting for MFA, with the hire already marked onboarded): stop it first.
        running = sfn.describe_execution(executionArn=termination.hire_execution)["status"] == "RUNNING"
        if running:
            sfn.stop_execution(
                executionArn=termination.hire_execution, error="EmployeeTerminated", cause="offboarding started"
            )
            done.append("onboarding stopped")
    except ClientError as error:
        if error_code(error) != "ExecutionDoesNotExist":
            raise
    username = termination.username
    if find_user(iam, username) is None:
        return done
    if has_login_profile(iam, username):
        with absent_ok():
            iam.delete_login_profile(UserName=username)
        done.append("console password removed")
    for key_id in key_ids(iam, username):
        with absent_ok():
            iam.update_access_key(UserName=username, AccessKeyId=key_id, Status="Inactive")
        done.append(f"access key {key_id} deactivated")
    done += _deactivate_other_credentials(iam, username)
    for group in sorted(groups_of(iam, username)):
        with absent_ok():
            iam.remove_user_from_group(GroupName=group, UserName=username)
        done.append(f"removed from group {group}")
    return done


def _deactivate_other_credentials(iam: Any, username: str) -> list[str]:
    """Every other credential a user signs in or calls with (CodeCommit over SSH or HTTPS, Keyspaces, SOAP
    signing), made inactive now: a slower teardown that fails, or a retention, leaves no access."""
    done: list[str] = []
    for ssh in _pages(iam.get_paginator("list_ssh_public_keys"), "SSHPublicKeys", username):
        with absent_ok():
            iam.update_ssh_public_key(UserName=username, SSHPublicKeyId=ssh["SSHPublicKeyId"], Status="Inactive")
        done.append(f"SSH public key {ssh['SSHPublicKeyId']} deactivated")
    for credential in iam.list_service_specific_credentials(UserName=username).get("ServiceSpecificCredentials", []):
        credential_id = credential["ServiceSpecificCredentialId"]
        with absent_ok():
            iam.update_service_specific_credential(
                UserName=username, ServiceSpecificCredentialId=credential_id, Status="Inactive"
            )
        done.append(f"service-specific credential {credential_id} deactivated")
    for cert in _pages(iam.get_paginator("list_signing_certificates"), "Certificates", username):
        with absent_ok():
            iam.update_signing_certificate(UserName=username, CertificateId=cert["CertificateId"], Status="Inactive")
        done.append(f"signing certificate {cert['CertificateId']} deactivated")
    return done


def _signing_certificates(iam: Any, username: str) -> list[str]:
    done = []
    for cert in _pages(iam.get_paginator("list_signing_certificates"), "Certificates", username):
        with absent_ok():
            iam.delete_signing_certificate(UserName=username, CertificateId=cert["CertificateId"])
        done.append(f"signing certificate {cert['CertificateId']}")
    return done


def _ssh_public_keys(iam: Any, username: str) -> list[str]:
    done = []
    for key in _pages(iam.get_paginator("list_ssh_public_keys"), "SSHPublicKeys", username):
        with absent_ok():
            iam.delete_ssh_public_key(UserName=username, SSHPublicKeyId=key["SSHPublicKeyId"])
        done.append(f"SSH public key {key['SSHPublicKeyId']}")
    return done


def _service_specific_credentials(iam: Any, username: str) -> list[str]:
    done = []
    for credential in iam.list_service_specific_credentials(UserName=username).get("ServiceSpecificCredentials", []):
        credential_id = credential["ServiceSpecificCredentialId"]
        with absent_ok():
            iam.delete_service_specific_credential(UserName=username, ServiceSpecificCredentialId=credential_id)
        done.append(f"service-specific credential {credential_id}")
    return done


def _mfa_devices(iam: Any, username: str) -> list[str]:
    done = []
    for serial in mfa_serials(iam, username):
        with absent_ok():
            iam.deactivate_mfa_device(UserName=username, SerialNumber=serial)
        if ":mfa/" in serial:  # a virtual device: delete it too (hardware and FIDO devices are only deactivated)
            with absent_ok():
                iam.delete_virtual_mfa_device(SerialNumber=serial)
        done.append(f"MFA device {serial}")
    return done


def _groups(iam: Any, username: str) -> list[str]:
    done = []
    for group in sorted(groups_of(iam, username)):
        with absent_ok():
            iam.remove_user_from_group(GroupName=group, UserName=username)
        done.append(f"group {group}")
    return done


def _managed_policies(iam: Any, username: str) -> list[str]:
    done = []
    for policy in _pages(iam.get_paginator("list_attached_user_policies"), "AttachedPolicies", username):
        with absent_ok():
            iam.detach_user_policy(UserName=username, PolicyArn=policy["PolicyArn"])
        done.append(f"managed policy {policy['PolicyArn']}")
    return done


def _inline_policies(iam: Any, username: str) -> list[str]:
    done = []
    for name in _pages(iam.get_paginator("list_user_policies"), "PolicyNames", username):
        with absent_ok():
            iam.delete_user_policy(UserName=username, PolicyName=name)
        done.append(f"inline policy {name}")
    return done


def _permissions_boundary(iam: Any, username: str) -> list[str]:
    if not (find_user(iam, username) or {}).get("PermissionsBoundary"):
        return []
    with absent_ok():
        iam.delete_user_permissions_boundary(UserName=username)
    return ["permissions boundary"]


def _access_keys(iam: Any, username: str) -> list[str]:
    done = []
    for key_id in key_ids(iam, username):
        with absent_ok():
            iam.delete_access_key(UserName=username, AccessKeyId=key_id)
        done.append(f"access key {key_id}")
    return done


def _login_profile(iam: Any, username: str) -> list[str]:
    if not has_login_profile(iam, username):
        return []
    with absent_ok():
        iam.delete_login_profile(UserName=username)
    return ["login profile"]


def tear_down(iam: Any, username: str) -> list[str]:
    """Everything DeleteUser refuses over, in the order the IAM User Guide ("Deleting an IAM user", AWS CLI)
    removes it, then the user. Every list is read again, so a credential added meanwhile (an onboarding step
    finishing late) goes too."""
    if find_user(iam, username) is None:
        return []
    done = [
        *_signing_certificates(iam, username),
        *_ssh_public_keys(iam, username),
        *_service_specific_credentials(iam, username),
        *_mfa_devices(iam, username),
        *_groups(iam, username),
        *_managed_policies(iam, username),
        *_inline_policies(iam, username),
        *_permissions_boundary(iam, username),
        *_access_keys(iam, username),
        *_login_profile(iam, username),
    ]
    with absent_ok():
        iam.delete_user(UserName=username)
    return [*done, f"user {username}"]


def _pages(paginator: Any, field: str, username: str) -> list[Any]:
    found: list[Any] = []
    for page in paginator.paginate(UserName=username):
        found += page[field]
    return found


def retain(iam: Any, dynamodb: Any, env: Settings, step: TerminationStep, days: int) -> dict[str, Any]:
    """Keep the disabled user `days` more days, tagged with the termination's date and reason; the daily sweep
    deletes it then."""
    termination = step.termination
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    tags = [{"Key": TERMINATION_TAGS[0], "Value": termination.effective_at.date().isoformat()}]
    if termination.reason:
        tags.append({"Key": TERMINATION_TAGS[1], "Value": termination.reason})
    iam.tag_user(UserName=termination.username, Tags=tags)
    dynamodb.put_item(
        TableName=env.table_name,
        Item=table.to_item(
            {"pk": {"S": RETAINED}, "sk": {"S": termination.username}},
            {
                "employee_id": termination.employee_id,
                "hire_execution": termination.hire_execution,
                "delete_after": until.isoformat(),
                "expires_at": table.expires(until + dt.timedelta(days=30)),
            },
        ),
    )
    return {"retained_until": until.isoformat()}


def finish(
    sm: Any, dynamodb: Any, sns: Any, env: Settings, step: TerminationStep, *, removal: dict[str, Any]
) -> dict[str, Any]:
    """After the user is gone (or retained): its secrets scheduled for deletion, its pending enrolment forgotten,
    the hire's claim marked offboarded (a re-hire onboards again), audit and notify."""
    termination = step.termination
    scheduled = []
    for kind in ("console-password", "access-key"):
        name = secrets_store.secret_name(env.secret_prefix, termination.username, kind)
        metadata = secrets_store.describe(sm, name)
        if metadata is None or metadata.get("DeletedDate"):
            continue
        if secrets_store.tags_of(metadata).get("turnstile:employee-id") not in (None, termination.employee_id):
            continue
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=env.require_offboarding().secret_recovery_days)
        scheduled.append(name)
    pending = mfa.pending_of(dynamodb, env.table_name, termination.username)
    if pending is not None:
        mfa.forget(dynamodb, env.table_name, pending)
    claims.mark_offboarded(
        dynamodb, env.table_name, employee_id=termination.employee_id, hire_execution=termination.hire_execution
    )
    _set_termination_status(dynamodb, env.table_name, step, "done")
    body = {
        "username": termination.username,
        "employee_id": termination.employee_id,
        "effective_at": termination.effective_at.isoformat(),
        "immediate": termination.immediate,
        "reason": termination.reason,
        "removed": removal.get("removed", []),
        "retained_until": removal.get("retained_until"),
        "secrets_scheduled_for_deletion": scheduled,
        "execution_id": step.execution_id,
    }
    audit.record(dynamodb, env.table_name, subject=f"USER#{termination.username}", action="Offboarded", details=body)
    notifications.publish(
        sns, env.topic_arn, event="Offboarded", subject=f"Turnstile: {termination.username} offboarded", body=body
    )
    return {"secrets_scheduled_for_deletion": scheduled}


def record_failure(
    iam: Any, sm: Any, dynamodb: Any, sns: Any, env: Settings, step: OffboardingFailure
) -> dict[str, Any]:
    """An offboarding step failed: what is left of the user, audited and alerted; the termination may be replayed
    (its claim is marked failed). Nothing is given back: revoked access stays revoked."""
    termination = step.termination
    left: list[str] = []
    if termination is not None:
        try:
            left = failures.inventory(iam, sm, env.secret_prefix, termination.username, termination.employee_id)
        except ClientError as error:  # the alert matters more than its inventory: it goes out without one
            left = [f"what is left could not be read ({error_code(error)}): check user {termination.username}"]
    if termination is not None:
        with contextlib.suppress(ClientError):  # not this execution's claim: nothing to mark
            _set_termination_status(
                dynamodb,
                env.table_name,
                TerminationStep(termination=termination, execution_id=step.execution_id),
                "failed",
            )
    body = {
        "username": termination.username if termination else None,
        "employee_id": termination.employee_id if termination else None,
        "error": step.error.get("Error", "")[:200],
        "left": left,
        "execution_id": step.execution_id,
        "what_to_do": "re-send the termination (it takes over), or remove what is left by hand",
    }
    subject = f"USER#{termination.username}" if termination else "FAILED"
    audit.record(dynamodb, env.table_name, subject=subject, action="OffboardingFailed", details=body)
    notifications.publish(
        sns, env.topic_arn, event="OffboardingFailed", subject="Turnstile: an offboarding failed", body=body
    )
    return {"recorded": True, "left": left}


def sweep_retained(iam: Any, dynamodb: Any, sns: Any, env: Settings, *, now: dt.datetime) -> dict[str, Any]:
    """Delete the retained users whose retention has ended (still Turnstile's, for the same employee)."""
    deleted, skipped = [], []
    for page in dynamodb.get_paginator("query").paginate(
        TableName=env.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": RETAINED}},
    ):
        for item in map(table.from_item, page["Items"]):
            if dt.datetime.fromisoformat(item["delete_after"]) > now:
                continue
            username = item["sk"]
            tags = user_tags(iam, username) if find_user(iam, username) else {}
            if tags and (tags.get(MANAGED_TAG) != "true" or tags.get(EMPLOYEE_TAG) != item["employee_id"]):
                skipped.append(username)  # not the user retained any more: never touched
            else:
                removed = tear_down(iam, username)
                audit.record(
                    dynamodb,
                    env.table_name,
                    subject=f"USER#{username}",
                    action="RetentionEnded",
                    details={"removed": removed},
                )
                deleted.append(username)
            dynamodb.delete_item(TableName=env.table_name, Key={"pk": {"S": RETAINED}, "sk": {"S": username}})
    if deleted or skipped:
        notifications.publish(
            sns,
            env.topic_arn,
            event="RetainedUsersDeleted",
            subject="Turnstile: retained leavers deleted",
            body={"deleted": deleted, "skipped_not_turnstiles_any_more": skipped},
        )
    return {"deleted": deleted, "skipped": skipped}

"""The leaver workflow, deployed, under IAM evaluation: an "Employee Terminated" event on the HR bus ends access at
once (or at the effective date), removes the user in IAM's order without a DeleteConflict, schedules its secrets
for deletion and lets a re-hire onboard again; unknown, unmanaged and mismatched users are refused untouched."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from turnstile.domain import audit, claims

from tests.workflows.scenarios import Deployed, person

DAY = 86400


def offboarding(deployed: Deployed) -> str:
    return deployed.deployment.outputs["OffboardingStateMachineArn"]


def terminate(deployed: Deployed, employee_id: str, **extra: Any) -> dict[str, Any]:
    """Put an "Employee Terminated" event; return its execution once ended."""
    known = {r["executionArn"] for r in deployed.cloud.executions(offboarding(deployed))}
    deployed.put_hr_event("Employee Terminated", {"employee_id": employee_id, **extra})
    deadline = time.monotonic() + 60
    while not (new := [r for r in deployed.cloud.executions(offboarding(deployed)) if r["executionArn"] not in known]):
        if time.monotonic() > deadline:
            raise TimeoutError("no offboarding execution started")
        time.sleep(0.1)
    return deployed.cloud.wait_for_execution(new[0]["executionArn"], timeout=120)


def onboarded(deployed: Deployed, employee_id: str, first: str, last: str, **access: Any) -> str:
    """A hire taken through MFA enrolment to the end; returns the user name."""
    [run] = deployed.hire(person(employee_id, first, last, **access))
    username = f"{first}.{last}".lower()
    deployed.enrol_mfa(username)
    assert deployed.finish(run)["status"] == "SUCCEEDED"
    return username


def states(deployed: Deployed, execution: dict[str, Any]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in deployed.cloud.history(execution["executionArn"])
        if e["type"].endswith("StateEntered")
    ]


def gone(deployed: Deployed, username: str) -> bool:
    try:
        deployed.client("iam").get_user(UserName=username)
        return False
    except ClientError as error:
        return error.response["Error"]["Code"] == "NoSuchEntity"


def give_everything(deployed: Deployed, username: str) -> None:
    """As an administrator: every kind of credential and attachment IAM's DeleteUser refuses over."""
    from localcloud.fixtures import user_with_everything

    deployed.client("iam").create_group(GroupName=f"hand-made-{username}")
    user_with_everything(deployed.cloud, username, groups=[f"hand-made-{username}"])


def test_a_leaver_carrying_everything_is_revoked_first_then_deleted_without_a_conflict(deployed: Deployed) -> None:
    cloud = deployed.cloud
    username = onboarded(deployed, "E8001", "Lee", "Ver", programmatic=True)
    give_everything(deployed, username)
    cloud.settle()
    mark = deployed.mark()
    emitted = len(cloud.cloudtrail.emitted)
    with cloud.faults.recording() as calls:
        run = terminate(deployed, "E8001", immediate=True, reason="resigned")
    assert run["status"] == "SUCCEEDED", deployed.history_text(run)
    assert states(deployed, run) == [
        "ValidateTermination",
        "IsValidTermination",
        "ClaimTermination",
        "OwnsTermination",
        "IsFutureDated",
        "RevokeAccess",
        "RemoveUser",
        "FinishOffboarding",
        "Offboarded",
    ]
    assert gone(deployed, username)
    # revoke before teardown: every revoking call precedes the first removal of the slower kinds
    iam_calls = [(c.caller, c.action) for c in calls if c.service == "iam"]
    revoking = [i for i, (who, _) in enumerate(iam_calls) if who == "turnstile-RevokeAccess"]
    removing = [i for i, (who, _) in enumerate(iam_calls) if who == "turnstile-RemoveUser"]
    assert revoking and removing and max(revoking) < min(removing)
    revoked = {a for who, a in iam_calls if who == "turnstile-RevokeAccess"}
    assert {"DeleteLoginProfile", "UpdateAccessKey", "RemoveUserFromGroup"} <= revoked
    # the order IAM requires, and never a refusal
    removals = [a for who, a in iam_calls if who == "turnstile-RemoveUser" and not a.startswith(("List", "Get"))]
    order = [
        "DeleteSigningCertificate",
        "DeleteSSHPublicKey",
        "DeleteServiceSpecificCredential",
        "DeactivateMFADevice",
        "DetachUserPolicy",
        "DeleteUserPolicy",
        "DeleteUserPermissionsBoundary",
        "DeleteAccessKey",
        "DeleteUser",
    ]
    positions = [removals.index(a) for a in order]
    assert positions == sorted(positions), removals
    errors = {d.get("errorCode") for d in cloud.cloudtrail.emitted[emitted:] if d["eventSource"] == "iam.amazonaws.com"}
    assert "DeleteConflict" not in errors and "AccessDenied" not in errors
    # secrets on their way out (recovery window), claim offboarded, notified
    sm = deployed.client("secretsmanager")
    secrets = [s for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] if f"/{username}/" in s["Name"]]
    assert secrets and all(s.get("DeletedDate") for s in secrets)
    claim = claims.get(deployed.client("dynamodb"), deployed.table, "E8001")
    assert claim is not None and claim.status.value == "offboarded"
    [note] = [m for m in deployed.notifications(after=mark) if m["event"] == "Offboarded"]
    assert note["username"] == username and note["reason"] == "resigned" and "user " + username in note["removed"]


def test_a_future_dated_termination_waits_and_an_immediate_one_does_not(deployed: Deployed) -> None:
    username = onboarded(deployed, "E8002", "Fu", "Ture")
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).date()
    run = terminate(deployed, "E8002", effective_date=ahead.isoformat())
    assert run["status"] == "SUCCEEDED"
    assert "WaitForEffectiveDate" in states(deployed, run)
    waited = [e for e in deployed.cloud.history(run["executionArn"]) if e["type"] == "WaitStateEntered"]
    assert json.loads(waited[0]["stateEnteredEventDetails"]["input"])["termination"]["effective_at"].startswith(
        ahead.isoformat()
    )
    assert gone(deployed, username)
    username = onboarded(deployed, "E8003", "Im", "Mediate")
    run = terminate(deployed, "E8003", effective_date=ahead.isoformat(), immediate=True)
    assert run["status"] == "SUCCEEDED" and "WaitForEffectiveDate" not in states(deployed, run)
    assert gone(deployed, username)


def test_unknown_unmanaged_and_mismatched_users_are_refused_untouched(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    mark = deployed.mark()
    # an employee Turnstile never onboarded
    run = terminate(deployed, "E8999")
    assert run["status"] == "FAILED" and run.get("error") == "InvalidTerminationEvent"
    # a user name that is not the employee's
    username = onboarded(deployed, "E8004", "Mis", "Match")
    run = terminate(deployed, "E8004", username="somebody.else")
    assert run["status"] == "FAILED" and not gone(deployed, username)
    # the user is no longer tagged as Turnstile's (a person took it over): refused, untouched
    iam.untag_user(UserName=username, TagKeys=["turnstile:managed"])
    keys = iam.list_access_keys(UserName=username)["AccessKeyMetadata"]
    run = terminate(deployed, "E8004")
    assert run["status"] == "FAILED" and not gone(deployed, username)
    assert iam.list_access_keys(UserName=username)["AccessKeyMetadata"] == keys
    assert iam.get_login_profile(UserName=username)
    rejected = [m for m in deployed.notifications(after=mark) if m["event"] == "TerminationRejected"]
    reasons = " | ".join(m["reason"] for m in rejected)
    assert len(rejected) == 3 and "never onboarded" in reasons and "not managed by Turnstile" in reasons
    assert "somebody.else" not in reasons  # the offending value is never repeated
    iam.tag_user(UserName=username, Tags=[{"Key": "turnstile:managed", "Value": "true"}])


def test_duplicate_terminations_at_once_offboard_once_and_later_ones_change_nothing(deployed: Deployed) -> None:
    username = onboarded(deployed, "E8005", "Du", "Plicate")
    mark = deployed.mark()
    known = {r["executionArn"] for r in deployed.cloud.executions(offboarding(deployed))}
    for _ in range(2):
        deployed.put_hr_event("Employee Terminated", {"employee_id": "E8005", "immediate": True})
    deadline = time.monotonic() + 60
    while (
        len(new := [r for r in deployed.cloud.executions(offboarding(deployed)) if r["executionArn"] not in known]) < 2
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    runs = [deployed.cloud.wait_for_execution(r["executionArn"], timeout=120) for r in new]
    assert sorted(r["status"] for r in runs) == ["SUCCEEDED", "SUCCEEDED"]
    assert gone(deployed, username)
    later = terminate(deployed, "E8005", immediate=True)
    assert later["status"] == "SUCCEEDED" and "DuplicateTermination" in states(deployed, later)
    assert len([m for m in deployed.notifications(after=mark) if m["event"] == "Offboarded"]) == 1


def test_a_termination_during_onboarding_stops_it_and_removes_the_half_made_user(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E8006", "Half", "Way"))
    assert deployed.parked(run)
    leaver = terminate(deployed, "E8006", immediate=True)
    assert leaver["status"] == "SUCCEEDED"
    assert deployed.cloud.wait_for_execution(run["executionArn"])["status"] == "ABORTED"
    assert gone(deployed, "half.way")
    pending = deployed.client("dynamodb").get_item(
        TableName=deployed.table, Key={"pk": {"S": "MFA_PENDING"}, "sk": {"S": "half.way"}}
    )
    assert "Item" not in pending


def test_a_rehire_after_the_leaver_onboards_again(deployed: Deployed) -> None:
    username = onboarded(deployed, "E8007", "Come", "Back")
    assert terminate(deployed, "E8007", immediate=True)["status"] == "SUCCEEDED" and gone(deployed, username)
    [run] = deployed.hire(person("E8007", "Come", "Back"))
    assert deployed.parked(run) and not gone(deployed, username)


def test_the_leaver_roles_are_refused_on_users_turnstile_does_not_manage(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    iam.create_user(UserName="not.ours")
    iam.create_login_profile(UserName="not.ours", Password="Not-Ours-Password-1!")
    for function, call in (
        ("turnstile-RemoveUser", lambda c: c.delete_user(UserName="not.ours")),
        ("turnstile-RemoveUser", lambda c: c.delete_login_profile(UserName="not.ours")),
        ("turnstile-RevokeAccess", lambda c: c.delete_login_profile(UserName="not.ours")),
        ("turnstile-RemoveUser", lambda c: c.tag_user(UserName="not.ours", Tags=[{"Key": "x", "Value": "y"}])),
    ):
        client = deployed.cloud.function_session(function).client("iam")
        with pytest.raises(ClientError, match="AccessDenied"):
            call(client)
    assert iam.get_login_profile(UserName="not.ours")


def test_no_secret_travels_through_an_offboarding(deployed: Deployed) -> None:
    username = onboarded(deployed, "E8008", "No", "Leak", programmatic=True)
    sm = deployed.client("secretsmanager")
    values = []
    for secret in sm.list_secrets()["SecretList"]:
        if f"/{username}/" in secret["Name"]:
            value = deployed.read_secret(secret["ARN"])
            values.append(value.get("password") or value["secret_access_key"])
    run = terminate(deployed, "E8008", immediate=True)
    assert values and run["status"] == "SUCCEEDED"
    recorded = (
        deployed.history_text(run) + json.dumps(deployed.notifications()) + "\n".join(deployed.cloud.log_messages())
    )
    recorded += json.dumps(audit.entries(deployed.client("dynamodb"), deployed.table, f"USER#{username}"))
    assert not [v for v in values if v in recorded]


def test_the_leavers_own_iam_calls_raise_no_alert(deployed: Deployed) -> None:
    """DetachUserPolicy, DeleteUserPolicy, DeactivateMFADevice... are watched; made by the leaver's own roles, as
    declared, they are Turnstile's job."""
    username = onboarded(deployed, "E8009", "Quiet", "Leaver")
    give_everything(deployed, username)
    deployed.cloud.settle()
    mark = deployed.mark()
    assert terminate(deployed, "E8009", immediate=True)["status"] == "SUCCEEDED"
    deployed.cloud.settle()
    assert [m for m in deployed.notifications(after=mark) if m["event"] == "Finding"] == []

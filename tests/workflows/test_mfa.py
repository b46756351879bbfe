"""MFA enrolment and the password policy, driven by CloudTrail events the local cloud emits for IAM calls."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError
from turnstile.domain import audit, mfa

from tests.workflows.scenarios import Deployed, person

HOLD = "turnstile-mfa-required"
DAY = 24 * 3600
# IAM answers GenerateCredentialReport with its last report until it is four hours old: a sweep this long after the
# last one reads a new report (the world as it is); one sooner reads the same report as the last sweep.
NEW_REPORT = 4 * 3600 + 60
SWEEPER = "turnstile-SweepMfaEnrolments"


def groups(deployed: Deployed, username: str) -> list[str]:
    return sorted(g["GroupName"] for g in deployed.client("iam").list_groups_for_user(UserName=username)["Groups"])


def actions(deployed: Deployed, subject: str) -> list[str]:
    return [e["action"] for e in audit.entries(deployed.client("dynamodb"), deployed.table, subject)]


def entered_states(deployed: Deployed, execution: dict[str, Any]) -> list[str]:
    history = deployed.cloud.history(execution["executionArn"])
    return [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]


def sweep(deployed: Deployed, *, after: float = 0) -> None:
    deployed.cloud.clock.advance(after)
    deployed.cloud.fire_schedule("turnstile-MfaSweeperSchedule")


def sweeper_iam_calls(calls: list[Any]) -> Counter[tuple[str, str]]:
    """(action, user) of each IAM call the sweeper made; "" for the account-wide ones (the credential report)."""
    return Counter(
        (c.action, c.params.get("UserName", "")) for c in calls if c.service == "iam" and c.caller == SWEEPER
    )


def remove_user(deployed: Deployed, username: str) -> None:
    """What an administrator does out of band: delete the user and everything IAM requires gone first."""
    iam = deployed.client("iam")
    for key in iam.list_access_keys(UserName=username)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=username, AccessKeyId=key["AccessKeyId"])
    for group in iam.list_groups_for_user(UserName=username)["Groups"]:
        iam.remove_user_from_group(UserName=username, GroupName=group["GroupName"])
    iam.delete_user(UserName=username)


def test_the_hold_is_applied_before_the_login_profile_exists(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E4001", "Hold", "First"))
    assert deployed.parked(run) and HOLD in groups(deployed, "hold.first")
    calls = [(e["eventName"], (e["requestParameters"] or {})) for e in deployed.cloud.cloudtrail.emitted]
    ours = [name for name, params in calls if params.get("userName") == "hold.first"]
    assert ours.index("AddUserToGroup") < ours.index("CreateLoginProfile")
    [first_group_add] = [p for n, p in calls if n == "AddUserToGroup" and p.get("userName") == "hold.first"][:1]
    assert first_group_add["groupName"] == HOLD


def test_enrolment_through_cloudtrail_resumes_the_workflow_and_releases_the_hold(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E4002", "Grace", "Enrolled", programmatic=True))
    # the helpdesk hands over the temporary password; nobody else can read it
    password = deployed.read_secret("turnstile/users/grace.enrolled/console-password")["password"]
    assert len(password) >= 14
    with pytest.raises(ClientError, match="AccessDenied"):
        deployed.client("secretsmanager").get_secret_value(SecretId="turnstile/users/grace.enrolled/console-password")
    serial = deployed.enrol_mfa("grace.enrolled")
    done = deployed.finish(run)
    assert done["status"] == "SUCCEEDED"
    assert entered_states(deployed, done)[-3:] == ["AwaitMfaEnrolment", "ReleaseMfaHold", "Onboarded"]
    assert HOLD not in groups(deployed, "grace.enrolled")
    mfa_result = json.loads(done["output"])["results"]["mfa"]
    assert mfa_result["serials"] == [serial] and mfa_result["confirmed_by"].startswith("cloudtrail:")
    assert mfa.pending_of(deployed.client("dynamodb"), deployed.table, "grace.enrolled") is None
    assert "MfaEnrolled" in actions(deployed, "USER#grace.enrolled")


def test_wrong_codes_are_rejected_and_the_failed_call_resumes_nothing(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E4003", "Wrong", "Codes"))
    with pytest.raises(ClientError, match="InvalidAuthenticationCode"):
        deployed.enrol_mfa("wrong.codes", valid_codes=False)
    deployed.cloud.settle()
    failed_calls = [
        e
        for e in deployed.cloud.cloudtrail.emitted
        if e["eventName"] == "EnableMFADevice" and e.get("errorCode") == "InvalidAuthenticationCode"
    ]
    assert failed_calls and failed_calls[-1]["userIdentity"]["userName"] == "wrong.codes"
    assert "authenticationCode1" not in json.dumps(failed_calls[-1])
    assert deployed.parked(deployed.client("stepfunctions").describe_execution(executionArn=run["executionArn"]))
    assert deployed.client("iam").list_mfa_devices(UserName="wrong.codes")["MFADevices"] == []


def test_enable_mfa_for_an_unmanaged_user_resumes_nothing(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E4004", "Still", "Waiting"))
    iam = deployed.client("iam")
    iam.create_user(UserName="contractor")
    iam.put_user_policy(  # someone else's user, allowed MFA self-service by its own administrators
        UserName="contractor",
        PolicyName="own-mfa",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"],
                        "Resource": ["arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}"],
                    }
                ],
            }
        ),
    )
    deployed.enrol_mfa("contractor")
    deployed.cloud.settle()
    assert any("contractor is not managed by Turnstile" in m for m in deployed.cloud.log_messages())
    assert deployed.parked(deployed.client("stepfunctions").describe_execution(executionArn=run["executionArn"]))


def test_a_lost_cloudtrail_event_is_caught_by_the_sweeper(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E4005", "Lost", "Event"))
    with deployed.cloud.cloudtrail.losing():
        deployed.enrol_mfa("lost.event")
    assert [e["eventName"] for e in deployed.cloud.cloudtrail.lost][-1] == "EnableMFADevice"
    assert deployed.parked(deployed.client("stepfunctions").describe_execution(executionArn=run["executionArn"]))
    with deployed.cloud.faults.recording() as calls:
        sweep(deployed, after=NEW_REPORT)  # the first report made since the enrolment shows the device
    done = deployed.finish(run)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["results"]["mfa"]["confirmed_by"] == "sweeper"
    # the report said so; ListMFADevices confirmed it before the workflow was resumed
    assert sweeper_iam_calls(calls)[("ListMFADevices", "lost.event")] == 1


def test_the_deadline_is_confirmed_per_user_and_spares_who_enrolled_after_the_report(deployed: Deployed) -> None:
    runs = deployed.hire(person("E4011", "Never", "Enrolled"), person("E4012", "Last", "Minute"))
    ddb = deployed.client("dynamodb")
    deadlines = [mfa.pending_of(ddb, deployed.table, name) for name in ("never.enrolled", "last.minute")]
    deadline = max(item.deadline for item in deadlines if item is not None)
    # an hour before the deadline the sweeper reads a new report: neither has MFA
    sweep(deployed, after=(deadline - deployed.cloud.clock.now()).total_seconds() - 3600)
    with deployed.cloud.cloudtrail.losing():  # only the sweeper can tell
        deployed.enrol_mfa("last.minute")
    with deployed.cloud.faults.recording() as calls:
        sweep(deployed, after=2 * 3600)  # past the deadline, on the same report (two hours old)
    never, last = (deployed.finish(run) for run in runs)
    assert never["status"] == "FAILED" and never["error"] == "MfaNotEnrolled"
    assert last["status"] == "SUCCEEDED"
    assert json.loads(last["output"])["results"]["mfa"]["confirmed_by"] == "sweeper"
    made = sweeper_iam_calls(calls)
    assert made[("GenerateCredentialReport", "")] == 1  # IAM answered with the report of two hours ago
    for name in ("never.enrolled", "last.minute"):
        assert made[("GetUser", name)] == made[("ListMFADevices", name)] == 1


def test_a_user_created_after_the_report_is_not_taken_for_gone(deployed: Deployed) -> None:
    sweep(deployed, after=NEW_REPORT)  # IAM makes a report, before the hire
    [run] = deployed.hire(person("E4013", "Newer", "Than-Report"))
    with deployed.cloud.faults.recording() as calls:
        sweep(deployed, after=60)  # the same report: the user is not in it
    assert deployed.parked(deployed.client("stepfunctions").describe_execution(executionArn=run["executionArn"]))
    assert mfa.pending_of(deployed.client("dynamodb"), deployed.table, "newer.than-report") is not None
    assert [call for call in sweeper_iam_calls(calls) if call[1] == "newer.than-report"] == []
    mark = deployed.mark()
    sweep(deployed, after=NEW_REPORT)  # the next report lists it: reminded
    reminders = [m for m in deployed.notifications(after=mark) if m["event"] == "MfaEnrolmentReminder"]
    assert "newer.than-report" in [m["username"] for m in reminders]


def test_a_deleted_user_is_failed_as_gone_once_getuser_confirms(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E4014", "Gone", "Meanwhile", console=False, programmatic=True))
    remove_user(deployed, "gone.meanwhile")
    with deployed.cloud.faults.recording() as calls:
        sweep(deployed, after=NEW_REPORT)  # a report made since the wait began, without the user
    done = deployed.finish(run)
    assert done["status"] == "FAILED" and "EnforceMfaDeadline" not in entered_states(deployed, done)
    assert "UserGone" in deployed.history_text(done)
    assert sweeper_iam_calls(calls)[("GetUser", "gone.meanwhile")] == 1
    assert mfa.pending_of(deployed.client("dynamodb"), deployed.table, "gone.meanwhile") is None


def test_a_sweep_asks_iam_about_no_one_who_needs_nothing(deployed: Deployed) -> None:
    deployed.hire(person("E4015", "Quiet", "One"), person("E4016", "Quiet", "Two"), person("E4017", "Quiet", "Three"))
    sweep(deployed, after=NEW_REPORT)  # whatever was due is done: reminders, resumes, deadlines
    waiting = mfa.pending(deployed.client("dynamodb"), deployed.table)
    with deployed.cloud.faults.recording() as calls:
        sweep(deployed, after=60)
    assert len(waiting) >= 3
    assert sweeper_iam_calls(calls) == Counter({("GenerateCredentialReport", ""): 1, ("GetCredentialReport", ""): 1})


def test_enrolment_before_the_wait_begins_completes_at_once(deployed: Deployed) -> None:
    deployed.cloud.runtime.before_invoke(
        "turnstile-AwaitMfaEnrolment", lambda event: deployed.enrol_mfa(event["hire"]["username"])
    )
    [run] = deployed.hire(person("E4006", "Early", "Bird"))
    done = deployed.finish(run)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["results"]["mfa"]["confirmed_by"] == "already-enrolled"
    assert HOLD not in groups(deployed, "early.bird")


def test_reminders_go_out_at_most_daily_while_pending(deployed: Deployed) -> None:
    deployed.hire(person("E4007", "Slow", "Coach"))
    mark = deployed.mark()
    with deployed.cloud.faults.recording() as calls:
        sweep(deployed, after=DAY + 60)
        sweep(deployed, after=60)
    reminders = [
        m
        for m in deployed.notifications(after=mark)
        if m["event"] == "MfaEnrolmentReminder" and m["username"] == "slow.coach"
    ]
    assert len(reminders) == 1 and reminders[0]["email"] == "slow.coach@example.com"
    # the report says no MFA: the reminder needs no IAM call about the user
    assert [call for call in sweeper_iam_calls(calls) if call[1] == "slow.coach"] == []


def test_the_deadline_disables_console_access_and_keys_and_a_late_enrolment_re_enables_nothing(
    deployed: Deployed,
) -> None:
    [run] = deployed.hire(person("E4008", "Missed", "Deadline", console=False, programmatic=True))
    mark = deployed.mark()
    sweep(deployed, after=7 * DAY + 3600)
    done = deployed.finish(run)
    assert done["status"] == "FAILED" and done["error"] == "MfaNotEnrolled"
    iam, sm = deployed.client("iam"), deployed.client("secretsmanager")
    assert [k["Status"] for k in iam.list_access_keys(UserName="missed.deadline")["AccessKeyMetadata"]] == ["Inactive"]
    names = [s["Name"] for s in sm.list_secrets()["SecretList"] if "missed.deadline" in s["Name"]]
    assert names == ["turnstile/users/missed.deadline/access-key"]
    assert HOLD in groups(deployed, "missed.deadline")
    [alert] = [
        m
        for m in deployed.notifications(after=mark)
        if m["event"] == "MfaDeadlinePassed" and m["username"] == "missed.deadline"
    ]
    assert any(a.startswith("access key") and a.endswith("deactivated") for a in alert["actions"])
    assert "MfaDeadlinePassed" in actions(deployed, "USER#missed.deadline")

    deployed.enrol_mfa("missed.deadline")
    deployed.cloud.settle()
    assert [k["Status"] for k in iam.list_access_keys(UserName="missed.deadline")["AccessKeyMetadata"]] == ["Inactive"]
    assert HOLD in groups(deployed, "missed.deadline")


def test_the_deadline_removes_a_console_users_login_profile_and_its_password(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E4010", "Missed", "Console"))
    mark = deployed.mark()
    sweep(deployed, after=7 * DAY + 3600)
    assert deployed.finish(run)["error"] == "MfaNotEnrolled"
    with pytest.raises(ClientError, match="NoSuchEntity"):
        deployed.client("iam").get_login_profile(UserName="missed.console")
    sm = deployed.client("secretsmanager")
    assert [s["Name"] for s in sm.list_secrets()["SecretList"] if "missed.console" in s["Name"]] == []
    [alert] = [m for m in deployed.notifications(after=mark) if m.get("username") == "missed.console"]
    assert "login profile deleted" in alert["actions"] and "console-password secret deleted" in alert["actions"]


def _policy_alerts(deployed: Deployed, mark: int) -> list[dict[str, Any]]:
    return [m for m in deployed.notifications(after=mark) if m.get("detection") == "password-policy-changed"]


def test_password_policy_drift_by_someone_else_is_reverted_and_alerted(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    mark = deployed.mark()
    deployed.hire(person("E4009", "Policy", "Setter"))  # Turnstile applies the policy itself: no alert
    deployed.cloud.settle()
    assert not _policy_alerts(deployed, mark)
    mark = deployed.mark()
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireSymbols=False)
    deployed.cloud.settle()
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14
    [alert] = _policy_alerts(deployed, mark)
    assert alert["principal"]["arn"] == "arn:aws:iam::123456789012:root"
    assert alert["action"] == "iam:UpdateAccountPasswordPolicy" and alert["severity"] == "MEDIUM"
    assert "MinimumPasswordLength 8 -> 14" in alert["why"] and "RequireSymbols False -> True" in alert["why"]
    # the re-application is Turnstile's own change: it does not alert again (no loop), nor does RaiseAlert
    deployed.cloud.settle()
    assert len([m for m in deployed.notifications(after=mark) if m.get("event") == "Finding"]) == 1


def test_deleting_the_password_policy_is_reverted(deployed: Deployed) -> None:
    deployed.cloud.fire_schedule("turnstile-PasswordPolicySchedule")  # whatever ran before, the policy is set
    mark = deployed.mark()
    deployed.client("iam").delete_account_password_policy()
    deployed.cloud.settle()
    assert deployed.client("iam").get_account_password_policy()["PasswordPolicy"]["PasswordReusePrevention"] == 24
    [alert] = _policy_alerts(deployed, mark)
    assert alert["action"] == "iam:DeleteAccountPasswordPolicy"


def test_the_daily_schedule_reapplies_the_password_policy(deployed: Deployed) -> None:
    """The PasswordPolicySchedule backstop (a drift CloudTrail never delivered) restores the policy on its own."""
    iam = deployed.client("iam")
    with deployed.cloud.cloudtrail.losing():
        iam.update_account_password_policy(MinimumPasswordLength=9)
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 9
    deployed.cloud.fire_schedule("turnstile-PasswordPolicySchedule")
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14


def test_turnstiles_own_calls_carry_its_role_identity(deployed: Deployed) -> None:
    deployed.hire(person("E4090", "Own", "Identity"))
    [created] = [
        e
        for e in deployed.cloud.cloudtrail.emitted
        if e["eventName"] == "CreateUser" and e["requestParameters"]["userName"] == "own.identity"
    ]
    identity = created["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert ":role/Turnstile-FunctionsCreateUserRole" in identity["sessionContext"]["sessionIssuer"]["arn"]
    profiles = [e for e in deployed.cloud.cloudtrail.emitted if e["eventName"] == "CreateLoginProfile"]
    assert profiles and all("password" not in e["requestParameters"] for e in profiles)  # omitted, as AWS does
    assert all(e["requestParameters"]["passwordResetRequired"] is True for e in profiles)


def test_a_malformed_cloudtrail_event_is_recorded_and_changes_nothing(deployed: Deployed) -> None:
    event = {
        "id": "bad-1",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.iam",
        "account": "123456789012",
        "time": dt.datetime.now(dt.UTC).isoformat(),
        "region": "us-east-1",
        "resources": [],
        "version": "0",
        "detail": {"eventName": "EnableMFADevice; drop table"},
    }
    response = deployed.client("lambda").invoke(
        FunctionName="turnstile-ConfirmMfaEnrolment", Payload=json.dumps(event).encode()
    )
    assert json.loads(response["Payload"].read()) == {"outcome": "rejected"}
    [entry] = [
        e
        for e in audit.entries(deployed.client("dynamodb"), deployed.table, "REJECTED")
        if e["details"]["event_id"] == "bad-1"
    ]
    assert "detail.eventVersion: Field required" in entry["details"]["reason"]

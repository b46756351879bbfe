"""Failure paths of the deployed onboarding workflow, attacked through the real path (events on the bus) with faults
injected at the emulated account's API boundary. Issue #6: a failure never destroys what it does not own."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from turnstile.dal.table import ClaimStatus
from turnstile.domain import audit, claims, mfa

from tests.factories import hire_detail
from tests.workflows.scenarios import Deployed, person

HOLD = "turnstile-mfa-required"
DAY = 24 * 3600


def groups(deployed: Deployed, username: str) -> list[str]:
    return sorted(g["GroupName"] for g in deployed.client("iam").list_groups_for_user(UserName=username)["Groups"])


def entered(deployed: Deployed, execution: dict[str, Any]) -> list[str]:
    history = deployed.cloud.history(execution["executionArn"])
    return [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]


def alerts(deployed: Deployed, after: int, **where: Any) -> list[dict[str, Any]]:
    deployed.cloud.settle()
    return [m for m in deployed.notifications(after=after) if all(m.get(k) == v for k, v in where.items())]


def onboard_and_enrol(deployed: Deployed, detail: dict[str, Any]) -> dict[str, Any]:
    [run] = deployed.hire(detail)
    assert deployed.parked(run)
    deployed.enrol_mfa(f"{detail['first_name'].lower()}.{detail['last_name'].lower()}")
    done = deployed.finish(run)
    assert done["status"] == "SUCCEEDED"
    return done


def user_state(deployed: Deployed, username: str) -> dict[str, Any]:
    iam = deployed.client("iam")
    return {
        "user": iam.get_user(UserName=username)["User"]["Arn"],
        "groups": groups(deployed, username),
        "mfa": [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=username)["MFADevices"]],
        "profile": iam.get_login_profile(UserName=username)["LoginProfile"]["UserName"],
        "keys": iam.list_access_keys(UserName=username)["AccessKeyMetadata"],
    }


# item 1 ---------------------------------------------------------------------------------------------------------
def test_a_resent_hire_whose_claim_is_throttled_never_touches_the_live_user(deployed: Deployed) -> None:
    detail = person("E5012", "Ezra", "Live", console=True, programmatic=True)
    onboard_and_enrol(deployed, detail)
    before = user_state(deployed, "ezra.live")
    mark = deployed.mark()
    with deployed.cloud.faults.injected(
        "dynamodb",
        "PutItem",
        "ProvisionedThroughputExceededException",
        caller="turnstile-ClaimHire",
        when=lambda call: call.params.get("Item", {}).get("pk", {}).get("S") == "EMPLOYEE#E5012",
    ):
        [again] = deployed.hire(detail)
    assert again["status"] == "FAILED" and again["error"] == "OnboardingFailed"
    assert "RollBackHire" not in entered(deployed, again)  # before the claim: the failure path touches nothing
    assert user_state(deployed, "ezra.live") == before
    [alert] = alerts(deployed, mark, event="OnboardingFailed", employee_id="E5012")
    assert alert["stage"] == "before-claim" and "changed nothing" in alert["what_happened"]
    claim = claims.get(deployed.client("dynamodb"), deployed.table, "E5012")
    assert claim is not None and claim.status == ClaimStatus.ONBOARDED
    # once the throttle clears, the same event is a duplicate again: nothing changes
    [replayed] = deployed.hire(detail)
    assert replayed["status"] == "SUCCEEDED" and user_state(deployed, "ezra.live") == before


# item 2 ---------------------------------------------------------------------------------------------------------
def test_a_conflicting_hire_never_removes_another_users_pending_enrolment(deployed: Deployed) -> None:
    [first] = deployed.hire(person("E5021", "Dana", "Park"))
    ddb = deployed.client("dynamodb")
    pending = mfa.pending_of(ddb, deployed.table, "dana.park")
    [conflict] = deployed.hire(person("E5022", "Dana", "Park"))
    assert conflict["status"] == "FAILED" and conflict["error"] == "UserNameConflict"
    assert mfa.pending_of(ddb, deployed.table, "dana.park") == pending
    deployed.enrol_mfa("dana.park")
    assert deployed.finish(first)["status"] == "SUCCEEDED"
    assert HOLD not in groups(deployed, "dana.park")


# item 4 ---------------------------------------------------------------------------------------------------------
def test_a_rollback_that_fails_is_alerted_reconciled_and_a_replay_onboards(deployed: Deployed) -> None:
    detail = person("E5041", "Rollo", "Stuck", console=False, programmatic=True)
    mark = deployed.mark()
    faults = deployed.cloud.faults
    with (
        faults.injected("iam", "AddUserToGroup", "ServiceFailure", caller="turnstile-AddToGroups"),
        faults.injected("iam", "DeleteUser", "ServiceFailure", caller="turnstile-RollBackHire"),
    ):
        [failed] = deployed.hire(detail)
    assert failed["status"] == "FAILED"
    assert entered(deployed, failed)[-5:] == [
        "RollBackHire",
        "FailedInRollback",
        "RecordFailure",
        "WasNameConflict",
        "OnboardingFailed",
    ]
    [alert] = alerts(deployed, mark, event="OnboardingFailed", stage="rollback-failed")
    assert any(item.startswith("IAM user arn:aws:iam::") for item in alert["left"])
    claim = claims.get(deployed.client("dynamodb"), deployed.table, "E5041")
    assert claim is not None and claim.status == ClaimStatus.FAILED  # the reconciler marked it
    [replayed] = deployed.hire(detail)
    assert deployed.parked(replayed)
    assert "engineering" in groups(deployed, "rollo.stuck")


def test_when_the_failure_path_itself_fails_the_reconciler_still_alerts(deployed: Deployed) -> None:
    mark = deployed.mark()
    faults = deployed.cloud.faults
    with (
        faults.injected("iam", "AddUserToGroup", "AccessDenied", caller="turnstile-AddToGroups"),
        faults.injected("iam", "DeleteUser", "AccessDenied", caller="turnstile-RollBackHire"),
        faults.injected("sns", "Publish", "AuthorizationError", caller="turnstile-RecordFailure"),
    ):
        [failed] = deployed.hire(person("E5042", "Fay", "Lure"))
    assert failed["status"] == "FAILED" and failed["error"] == "FailureNotRecorded"
    [alert] = alerts(deployed, mark, event="OnboardingExecutionEnded", employee_id="E5042")
    assert alert["status"] == "FAILED" and "claim was marked failed" in " ".join(alert["reconciled"])
    assert any(item.startswith("IAM user") for item in alert["left"])


def test_an_aborted_execution_is_reconciled_without_deleting_the_onboarded_user(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E5043", "Abby", "Orted"))
    mark = deployed.mark()
    deployed.client("stepfunctions").stop_execution(executionArn=run["executionArn"], error="Operator")
    assert deployed.finish(run)["status"] == "ABORTED"
    [alert] = alerts(deployed, mark, event="OnboardingExecutionEnded", username="abby.orted")
    assert alert["status"] == "ABORTED" and "nothing was deleted" in alert["what_happened"]
    assert any("pending MFA enrolment was removed" in item for item in alert["reconciled"])
    assert mfa.pending_of(deployed.client("dynamodb"), deployed.table, "abby.orted") is None
    assert HOLD in groups(deployed, "abby.orted")  # still held: a person decides


# item 4b ---------------------------------------------------------------------------------------------------------
def test_a_confirmation_whose_resume_is_throttled_is_resumed_by_the_sweeper(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E5044", "Theo", "Throttled"))
    with deployed.cloud.faults.injected(
        "stepfunctions", "SendTaskSuccess", "ThrottlingException", caller="turnstile-ConfirmMfaEnrolment"
    ):
        deployed.enrol_mfa("theo.throttled")
        deployed.cloud.settle()
    assert mfa.pending_of(deployed.client("dynamodb"), deployed.table, "theo.throttled")  # not forgotten
    deployed.sweep_mfa()
    done = deployed.finish(run)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"])["results"]["mfa"]["confirmed_by"] == "sweeper"
    assert HOLD not in groups(deployed, "theo.throttled")


# items 4c, 4d ----------------------------------------------------------------------------------------------------
def test_a_throttled_notification_is_retried_not_rolled_back(deployed: Deployed) -> None:
    with deployed.cloud.faults.injected("sns", "Publish", "Throttled", caller="turnstile-NotifyOnboarded", times=7):
        [run] = deployed.hire(person("E5045", "Nora", "Notified"))
    assert deployed.parked(run) and "RollBackHire" not in entered(deployed, run)


def test_a_failure_after_onboarding_alerts_and_never_deletes(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E5046", "Rhea", "Released"))
    mark = deployed.mark()
    with deployed.cloud.faults.injected(
        "iam", "RemoveUserFromGroup", "AccessDenied", caller="turnstile-ReleaseMfaHold"
    ):
        deployed.enrol_mfa("rhea.released")
        done = deployed.finish(run)
    assert done["status"] == "FAILED" and "RollBackHire" not in entered(deployed, done)
    assert user_state(deployed, "rhea.released")["mfa"]  # the user, enrolled, is still there
    [alert] = alerts(deployed, mark, event="OnboardingFailed", username="rhea.released")
    assert alert["stage"] == "after-onboarding" and "nothing was deleted" in alert["what_happened"]


# items 5-8 ---------------------------------------------------------------------------------------------------------
def test_a_future_start_keeps_access_until_the_deadline_after_the_first_day(deployed: Deployed) -> None:
    start = (deployed.cloud.clock.now() + dt.timedelta(days=30)).date()
    [run] = deployed.hire(person("E5051", "Fran", "Future", effective_date=start.isoformat()))
    item = mfa.pending_of(deployed.client("dynamodb"), deployed.table, "fran.future")
    assert item is not None
    assert item.effective_date == start
    deployed.cloud.clock.advance(8 * DAY)
    deployed.sweep_mfa()
    deployed.cloud.settle()
    assert deployed.parked(deployed.client("stepfunctions").describe_execution(executionArn=run["executionArn"]))
    entries = audit.entries(deployed.client("dynamodb"), deployed.table, "USER#fran.future")
    assert [e["details"]["effective_date"] for e in entries if e["action"] == "Onboarded"] == [start.isoformat()]


def test_events_no_workflow_handles_are_recorded_and_alerted_once_an_hour(deployed: Deployed) -> None:
    mark = deployed.mark()
    iam = deployed.client("iam")
    users = len(iam.list_users()["Users"])
    deployed.put_hr_event("Employee Hired", person("E5061", "Wrong", "Source"), source="payroll.system")
    deployed.put_hr_event("Employee Hired", person("E5062", "Wrong", "Source"), source="payroll.system")
    deployed.put_hr_event("Employee Promoted", person("E5063", "Odd", "Type"))
    unrouted = alerts(deployed, mark, event="HrEventUnrouted")
    assert sorted((a["source"], a["detail_type"]) for a in unrouted) == [
        ("hr.system", "Employee Promoted"),
        ("payroll.system", "Employee Hired"),
    ]
    recorded = audit.entries(deployed.client("dynamodb"), deployed.table, "UNHANDLED")
    assert len([e for e in recorded if e["details"]["source"] == "payroll.system"]) >= 2
    assert len(iam.list_users()["Users"]) == users


def test_an_oversized_event_is_rejected_with_a_record_not_a_data_limit(deployed: Deployed) -> None:
    mark = deployed.mark()
    detail = person("E5071", "Big", "Event", notes="x" * 200_000)
    [run] = deployed.hire(detail)
    assert run["status"] == "FAILED" and run["error"] == "InvalidHireEvent"
    [alert] = alerts(deployed, mark, event="HireRejected", employee_id="E5071")
    assert alert["size_bytes"] > 200_000 and "xxxx" not in json.dumps(alert)


def test_an_event_too_large_for_the_workflow_is_recorded_from_the_dead_letter_queue(deployed: Deployed) -> None:
    """EventBridge takes 1 MiB; a workflow's input is limited to 256 KiB: StartExecution refuses the event,
    EventBridge sends it to the HR dead-letter queue, and RecordUndeliverableEvent audits and alerts it."""
    mark = deployed.mark()
    deployed.put_hr_event("Employee Hired", person("E5072", "Huge", "Event", notes="x" * 400_000))
    [alert] = alerts(deployed, mark, event="HrEventUndeliverable")
    assert alert["detail_type"] == "Employee Hired" and alert["size_bytes"] > 400_000
    assert "ValidationException" in alert["why"] and "xxxx" not in json.dumps(alert)


def test_a_resent_hire_with_other_data_is_recorded_and_alerted(deployed: Deployed) -> None:
    deployed.hire(person("E5081", "Cass", "Changed"))
    mark = deployed.mark()
    [again] = deployed.hire(person("E5081", "Cass", "Changed", department="Finance", team=...))
    assert again["status"] == "SUCCEEDED" and "RecordHireChange" in entered(deployed, again)
    [alert] = alerts(deployed, mark, event="HireResentChanged", employee_id="E5081")
    assert alert["changed"]["department"] == {"claimed": "Engineering", "sent": "Finance"}
    assert deployed.client("iam").get_user(UserName="cass.changed")["User"]["Path"] == "/turnstile/engineering/"


@pytest.mark.parametrize("bad", ["yes", 1])
def test_loose_booleans_are_rejected_at_the_edge(deployed: Deployed, bad: object) -> None:
    [run] = deployed.hire(hire_detail(employee_id="E5101", access={"console": bad}))
    assert run["status"] == "FAILED" and run["error"] == "InvalidHireEvent"


# item 16 ---------------------------------------------------------------------------------------------------------
def remove_user(deployed: Deployed, username: str) -> None:
    """What an administrator does out of band: delete the user and everything IAM requires gone first."""
    iam = deployed.client("iam")
    for key in iam.list_access_keys(UserName=username)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=username, AccessKeyId=key["AccessKeyId"])
    for group in iam.list_groups_for_user(UserName=username)["Groups"]:
        iam.remove_user_from_group(UserName=username, GroupName=group["GroupName"])
    iam.delete_user(UserName=username)


def test_a_user_deleted_while_waiting_for_mfa_ends_the_wait_and_is_alerted(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E5091", "Gwen", "Gone", console=False, programmatic=True))
    mark = deployed.mark()
    remove_user(deployed, "gwen.gone")
    deployed.sweep_mfa()
    done = deployed.finish(run)
    assert done["status"] == "FAILED" and "EnforceMfaDeadline" not in entered(deployed, done)
    [alert] = alerts(deployed, mark, event="OnboardingFailed", username="gwen.gone")
    assert alert["error"] == "UserGone" and alert["stage"] == "after-onboarding"
    assert mfa.pending_of(deployed.client("dynamodb"), deployed.table, "gwen.gone") is None


def test_a_failure_enforcing_the_deadline_alerts_and_deletes_nothing(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E5092", "Dee", "Dline"))
    mark = deployed.mark()
    with deployed.cloud.faults.injected(
        "iam", "DeleteLoginProfile", "AccessDenied", caller="turnstile-EnforceMfaDeadline"
    ):
        deployed.cloud.clock.advance(7 * DAY + 3600)
        deployed.sweep_mfa()
        done = deployed.finish(run)
    assert done["status"] == "FAILED" and "RollBackHire" not in entered(deployed, done)
    assert deployed.client("iam").get_user(UserName="dee.dline")["User"]["UserName"] == "dee.dline"
    [alert] = alerts(deployed, mark, event="OnboardingFailed", username="dee.dline")
    assert alert["stage"] == "after-onboarding" and "nothing was deleted" in alert["what_happened"]
    assert any("login profile" in item for item in alert["left"])  # still there, and said so


def test_a_failure_inside_a_duplicate_execution_touches_nothing(deployed: Deployed) -> None:
    detail = person("E5093", "Dupe", "Failing")
    onboard_and_enrol(deployed, detail)
    before = user_state(deployed, "dupe.failing")
    mark = deployed.mark()
    with deployed.cloud.faults.injected("sns", "Publish", "AuthorizationError", caller="turnstile-RecordHireChange"):
        [again] = deployed.hire(person("E5093", "Dupe", "Failing", department="Finance", team=...))
    assert again["status"] == "FAILED" and "RecordHireChange" in entered(deployed, again)
    assert "RollBackHire" not in entered(deployed, again) and user_state(deployed, "dupe.failing") == before
    claim = claims.get(deployed.client("dynamodb"), deployed.table, "E5093")
    assert claim is not None and claim.status == ClaimStatus.ONBOARDED
    [alert] = alerts(deployed, mark, event="OnboardingFailed", employee_id="E5093")
    assert "changed nothing" in alert["what_happened"]

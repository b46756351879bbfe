"""The key-rotation workflow as deployed, in the local cloud: started by its EventBridge Scheduler schedule (or an
operator), every role authorized by the local cloud's IAM evaluation, credentials aged on the local clock.

The module shares one account: each test makes its own users and looks only at them (a run acts on every managed
user, so other tests' users may be acted on too). The credential report is reused for four hours, as IAM does:
a test that needs its users in the report moves the clock past that first.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from localcloud import account
from tests.workflows.scenarios import Deployed, person
from tests.workflows.test_secrets import everything_recorded, leaks

DAY = 86400
REPORT_REUSED_FOR = 4 * 3600
SCHEDULE = "turnstile-key-rotation"


# --- driving it ----------------------------------------------------------------------------------------------
def machine(deployed: Deployed) -> str:
    return deployed.deployment.outputs["KeyRotationStateMachineArn"]


def run(deployed: Deployed, *, dry_run: bool | None) -> dict[str, Any]:
    """An operator starts a run (input `{"dry_run": ...}`) and waits for it; returns the execution."""
    payload = {} if dry_run is None else {"dry_run": dry_run}
    started = deployed.client("stepfunctions").start_execution(
        stateMachineArn=machine(deployed), name=f"operator-{uuid.uuid4()}", input=json.dumps(payload)
    )
    return deployed.cloud.wait_for_execution(started["executionArn"], timeout=180)


def output(execution: dict[str, Any]) -> dict[str, Any]:
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    return dict(json.loads(execution["output"]))


def outcome_of(execution: dict[str, Any], username: str) -> dict[str, Any]:
    [found] = [u for u in output(execution)["plan"]["users"] if u["username"] == username]
    return dict(found)


def advance(deployed: Deployed, days: float) -> None:
    deployed.cloud.clock.advance(days * DAY + REPORT_REUSED_FOR)


def programmatic_user(deployed: Deployed, first: str) -> str:
    """A programmatic-only hire: Turnstile issues its key into the access-key secret."""
    employee = f"R{uuid.uuid4().int % 10**8:08d}"
    deployed.hire(person(employee, first, "Rot", console=False, programmatic=True))
    return f"{first.lower()}.rot"


def keys(deployed: Deployed, username: str) -> dict[str, str]:
    found = deployed.client("iam").list_access_keys(UserName=username)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in found}


def stages(deployed: Deployed, username: str) -> dict[str, list[str]]:
    secret = deployed.client("secretsmanager").describe_secret(SecretId=f"turnstile/users/{username}/access-key")
    return {version: sorted(labels) for version, labels in secret["VersionIdsToStages"].items() if labels}


def read_key(deployed: Deployed, username: str, stage: str = "AWSCURRENT") -> dict[str, str]:
    """As the helpdesk role (the only reader): the access-key secret at `stage`."""
    sm = account.helpdesk(deployed.cloud).client("secretsmanager")
    value = sm.get_secret_value(SecretId=f"turnstile/users/{username}/access-key", VersionStage=stage)
    return dict(json.loads(value["SecretString"]))


def use_key(deployed: Deployed, username: str) -> str:
    """The program that holds the user's current key makes a call with it (recorded as the key's last use)."""
    stored = read_key(deployed, username)
    session = boto3.session.Session(
        aws_access_key_id=stored["access_key_id"],
        aws_secret_access_key=stored["secret_access_key"],
        region_name=deployed.cloud.region,
    )
    session.client("sts").get_caller_identity()
    return stored["access_key_id"]


def creations_by_turnstile(deployed: Deployed, username: str) -> int:
    assert deployed.cloud.cloudtrail is not None
    return sum(
        1
        for e in deployed.cloud.cloudtrail.emitted
        if e["eventName"] == "CreateAccessKey"
        and (e.get("requestParameters") or {}).get("userName") == username
        and "RotateUserKeys" in json.dumps(e["userIdentity"])
    )


def eventually(read: Any, timeout: float = 60) -> Any:
    """`read()` once it returns something truthy (the status-change event is delivered asynchronously)."""
    deadline = time.monotonic() + timeout
    while not (found := read()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def set_schedule_input(deployed: Deployed, payload: dict[str, Any]) -> None:
    """What an operator does to make scheduled runs real: `aws scheduler update-schedule ... --target Input=`."""
    scheduler = deployed.client("scheduler")
    schedule = scheduler.get_schedule(Name=SCHEDULE)
    target = {**schedule["Target"], "Input": json.dumps(payload)}
    scheduler.update_schedule(
        Name=SCHEDULE,
        ScheduleExpression=schedule["ScheduleExpression"],
        FlexibleTimeWindow=schedule["FlexibleTimeWindow"],
        Target=target,
    )


# --- the whole cycle -----------------------------------------------------------------------------------------
def test_rotation_through_the_schedule_dry_run_then_rotate_deactivate_delete(deployed: Deployed) -> None:
    username = programmatic_user(deployed, "Cycle")
    [old] = keys(deployed, username)
    advance(deployed, 60)
    use_key(deployed, username)
    advance(deployed, 35)  # 95 days old, last used 35 days ago
    cloud = deployed.cloud

    # the schedule as deployed: a dry run (the configuration's default) — planned, nothing changes
    before = (keys(deployed, username), stages(deployed, username))
    dry = cloud.wait_for_execution(cloud.fire_scheduler_schedule(SCHEDULE), timeout=180)
    assert outcome_of(dry, username) == {
        "username": username,
        "outcome": "planned",
        "actions": [f"rotate {old}"],
        "note": None,
    }
    assert (keys(deployed, username), stages(deployed, username)) == before

    set_schedule_input(deployed, {"dry_run": False})
    try:
        mark = deployed.mark()
        real = cloud.wait_for_execution(cloud.fire_scheduler_schedule(SCHEDULE), timeout=180)
        assert outcome_of(real, username)["outcome"] == "acted"
        [new] = set(keys(deployed, username)) - {old}
        assert keys(deployed, username) == {old: "Active", new: "Active"}
        # the new key is the secret's current version, the old one readable as the previous until deleted
        assert read_key(deployed, username)["access_key_id"] == new
        assert read_key(deployed, username, "AWSPREVIOUS")["access_key_id"] == old
        [notice] = [
            n
            for n in deployed.notifications(after=mark)
            if n["event"] == "CredentialsRotated" and n["username"] == username
        ]
        assert notice["access_key_secret_arn"].startswith("arn:aws:secretsmanager:")
        assert any(f"new key {new} stored as secret version" in d for d in notice["done"])

        advance(deployed, 7)
        use_key(deployed, username)  # the program switched to the new key
        cloud.wait_for_execution(cloud.fire_scheduler_schedule(SCHEDULE), timeout=180)
        assert keys(deployed, username) == {old: "Inactive", new: "Active"}

        advance(deployed, 6)
        cloud.wait_for_execution(cloud.fire_scheduler_schedule(SCHEDULE), timeout=180)
        assert keys(deployed, username) == {old: "Inactive", new: "Active"}  # deleted 7 days after, not 6

        advance(deployed, 1)
        cloud.wait_for_execution(cloud.fire_scheduler_schedule(SCHEDULE), timeout=180)
        assert keys(deployed, username) == {new: "Active"}
        assert list(stages(deployed, username).values()) == [["AWSCURRENT"]]  # AWSPREVIOUS left with the key
    finally:
        set_schedule_input(deployed, {})
    secrets = [read_key(deployed, username)["secret_access_key"]]
    assert leaks(everything_recorded(deployed), secrets) == []


def test_an_unused_replacement_keeps_the_old_key_until_the_grace_runs_out(deployed: Deployed) -> None:
    username = programmatic_user(deployed, "Grace")
    advance(deployed, 50)
    use_key(deployed, username)
    advance(deployed, 41)
    [old] = keys(deployed, username)
    output(run(deployed, dry_run=False))
    advance(deployed, 8)  # the replacement is 8 days old but unused: the old key stays on
    output(run(deployed, dry_run=False))
    assert keys(deployed, username)[old] == "Active"
    mark = deployed.mark()
    advance(deployed, 6)  # 14 days: the grace has run out
    output(run(deployed, dry_run=False))
    assert keys(deployed, username)[old] == "Inactive"
    [notice] = [n for n in deployed.notifications(after=mark) if n.get("username") == username]
    assert any("grace ran out" in d for d in notice["done"])


# --- dry run, duplicates, staleness ---------------------------------------------------------------------------
def test_a_dry_run_plans_publishes_and_audits_but_changes_nothing(deployed: Deployed) -> None:
    username = programmatic_user(deployed, "Dry")
    advance(deployed, 100)  # never used: due for deactivation
    before = (keys(deployed, username), stages(deployed, username))
    mark = deployed.mark()
    execution = run(deployed, dry_run=True)
    assert outcome_of(execution, username)["outcome"] == "planned"
    assert (keys(deployed, username), stages(deployed, username)) == before
    summary = [n for n in deployed.notifications(after=mark) if n["event"] == "KeyRotationDryRun"]
    assert summary and any(u["username"] == username for u in summary[0]["planned"])
    items = deployed.client("dynamodb").query(
        TableName=deployed.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"USER#{username}"}},
    )["Items"]
    assert any(i["action"]["S"] == "KeyRotationPlanned" for i in items)


def test_two_runs_on_the_same_report_rotate_once(deployed: Deployed) -> None:
    """The second run's report still says the key is old (IAM reuses a report for four hours): the per-user
    re-read sees the rotation already done."""
    username = programmatic_user(deployed, "Twice")
    advance(deployed, 80)
    use_key(deployed, username)
    advance(deployed, 11)
    first, second = run(deployed, dry_run=False), run(deployed, dry_run=False)
    assert output(first)["plan"]["report_generated"] == output(second)["plan"]["report_generated"]
    assert outcome_of(first, username)["outcome"] == "acted"
    assert outcome_of(second, username)["outcome"] in {"nothing-due", "planned"}
    assert len(keys(deployed, username)) == 2 and creations_by_turnstile(deployed, username) == 1


def test_a_run_started_while_another_is_in_progress_exits_as_a_duplicate(deployed: Deployed) -> None:
    sfn, cloud = deployed.client("stepfunctions"), deployed.cloud
    with cloud.faults.held("iam", "GenerateCredentialReport") as planning:
        first = sfn.start_execution(stateMachineArn=machine(deployed), name=f"first-{uuid.uuid4()}", input="{}")
        assert planning.wait(60)
        second = run(deployed, dry_run=False)
        assert output(second)["run"]["duplicate_of"] == first["executionArn"]
        history = cloud.history(second["executionArn"])
        assert "DuplicateRun" in json.dumps(history, default=str)
        assert "PlanKeyRotation" not in json.dumps(history, default=str)
    assert output(cloud.wait_for_execution(first["executionArn"], timeout=180))["summary"]["failed"] is False


def test_an_aborted_run_releases_its_lease_and_alerts(deployed: Deployed) -> None:
    sfn, cloud = deployed.client("stepfunctions"), deployed.cloud
    mark = deployed.mark()
    with cloud.faults.held("iam", "GenerateCredentialReport") as planning:
        stuck = sfn.start_execution(stateMachineArn=machine(deployed), name=f"stuck-{uuid.uuid4()}", input="{}")
        assert planning.wait(60)
        sfn.stop_execution(executionArn=stuck["executionArn"], error="OperatorAborted")
    ended = eventually(lambda: [n for n in deployed.notifications(after=mark) if n["event"] == "KeyRotationRunEnded"])
    assert ended and ended[0]["status"] == "ABORTED" and ended[0]["run_id"] == stuck["executionArn"]
    assert output(run(deployed, dry_run=True))["run"]["duplicate_of"] is None


def test_a_lease_left_by_a_run_that_no_longer_runs_is_taken_over(deployed: Deployed) -> None:
    """Even when the ended-run alert was lost: the next run asks Step Functions about the holder."""
    gone = machine(deployed).replace(":stateMachine:", ":execution:") + ":vanished-run"
    deployed.client("dynamodb").put_item(
        TableName=deployed.table,
        Item={
            "pk": {"S": "RUN#key-rotation"},
            "sk": {"S": "LEASE"},
            "execution_id": {"S": gone},
            "started_at": {"S": "2026-01-01T00:00:00+00:00"},
            "expires_at": {"N": str(2**40)},
        },
    )
    execution = run(deployed, dry_run=True)
    assert output(execution)["run"]["duplicate_of"] is None


# --- failures and refusals ------------------------------------------------------------------------------------
def test_throttling_on_some_users_still_processes_every_user_with_a_correct_summary(deployed: Deployed) -> None:
    users = [programmatic_user(deployed, name) for name in ("Thra", "Thrb", "Thrc")]
    advance(deployed, 100)  # never used: each key is due for deactivation
    blocked, flaky = users[0], users[1]
    faults = deployed.cloud.faults
    with (
        faults.injected(
            "iam",
            "UpdateAccessKey",
            "Throttling",
            caller="turnstile-RotateUserKeys",
            when=lambda call: call.params.get("UserName") == blocked,
        ),
        faults.injected(
            "iam",
            "UpdateAccessKey",
            "Throttling",
            caller="turnstile-RotateUserKeys",
            times=3,
            when=lambda call: call.params.get("UserName") == flaky,
        ),
    ):
        execution = run(deployed, dry_run=False)
    assert outcome_of(execution, blocked)["outcome"] == "failed"
    assert outcome_of(execution, blocked)["note"] == "TransientAwsError"
    assert {outcome_of(execution, u)["outcome"] for u in users[1:]} == {"acted"}
    assert set(keys(deployed, blocked).values()) == {"Active"}
    assert all(set(keys(deployed, u).values()) == {"Inactive"} for u in users[1:])
    summary = output(execution)["summary"]
    assert summary["counts"]["failed"] >= 1 and summary["failed"] is False


def test_a_user_deleted_between_the_report_and_the_action_is_skipped(deployed: Deployed) -> None:
    username = programmatic_user(deployed, "Gone")
    advance(deployed, 100)
    output(run(deployed, dry_run=True))  # the report now lists the user
    iam = deployed.client("iam")
    for key_id in keys(deployed, username):
        iam.delete_access_key(UserName=username, AccessKeyId=key_id)
    for group in iam.list_groups_for_user(UserName=username)["Groups"]:
        iam.remove_user_from_group(UserName=username, GroupName=group["GroupName"])
    iam.delete_user(UserName=username)
    found = outcome_of(run(deployed, dry_run=False), username)
    assert found == {"username": username, "outcome": "skipped", "actions": [], "note": "the user no longer exists"}


def test_users_turnstile_does_not_manage_are_never_touched(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    iam.create_user(UserName="untagged.under.path", Path="/turnstile/")
    iam.create_user(UserName="outside.path", Tags=[{"Key": "turnstile:managed", "Value": "true"}])
    made = {
        name: iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        for name in ("untagged.under.path", "outside.path")
    }
    advance(deployed, 200)
    execution = run(deployed, dry_run=False)
    assert outcome_of(execution, "untagged.under.path")["note"] == "not managed by Turnstile (no tag)"
    assert "outside.path" not in {u["username"] for u in output(execution)["plan"]["users"]}
    assert {name: keys(deployed, name)[key] for name, key in made.items()} == {
        "untagged.under.path": "Active",
        "outside.path": "Active",
    }


@pytest.mark.parametrize(("expiry_days", "touched"), [(30, False), (-1, True)])
def test_an_exempt_user_is_reported_until_the_exemption_expires(
    deployed: Deployed, expiry_days: int, touched: bool
) -> None:
    username = programmatic_user(deployed, f"Exempt{'x' if touched else 'y'}")
    advance(deployed, 100)
    today = deployed.cloud.clock.now().date()
    until = today.fromordinal(today.toordinal() + expiry_days).isoformat()
    deployed.client("iam").tag_user(
        UserName=username, Tags=[{"Key": "turnstile:rotation-exempt", "Value": f"{until} vendor batch job INC-7"}]
    )
    found = outcome_of(run(deployed, dry_run=False), username)
    assert (found["outcome"] == "acted") is touched
    assert set(keys(deployed, username).values()) == ({"Inactive"} if touched else {"Active"})
    if not touched:
        assert found["note"] == f"exempt until {until}: vendor batch job INC-7"


def test_a_console_password_unused_for_45_days_is_removed_with_its_secret(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    username = "idle.console"
    iam.create_user(UserName=username, Path="/turnstile/", Tags=[{"Key": "turnstile:managed", "Value": "true"}])
    iam.create_login_profile(UserName=username, Password="Temporary-Passw0rd!-long", PasswordResetRequired=True)
    advance(deployed, 46)
    found = outcome_of(run(deployed, dry_run=False), username)
    assert found["actions"] == ["remove-unused-password"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName=username)


def test_the_rotation_roles_are_refused_what_they_do_not_declare(deployed: Deployed) -> None:
    """The local cloud evaluates each role's policies: RotateUserKeys may not touch a user outside Turnstile's
    path or without its tag, nor read any secret value; the planner may change nothing."""
    iam = deployed.client("iam")
    iam.create_user(UserName="someone.else")
    outsider = iam.create_access_key(UserName="someone.else")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="untagged.insider", Path="/turnstile/")
    insider = iam.create_access_key(UserName="untagged.insider")["AccessKey"]["AccessKeyId"]
    rotate = deployed.cloud.function_session("turnstile-RotateUserKeys")
    planner = deployed.cloud.function_session("turnstile-PlanKeyRotation")
    for session, user, key in (
        (rotate, "someone.else", outsider),
        (rotate, "untagged.insider", insider),
        (planner, "untagged.insider", insider),
    ):
        with pytest.raises(Exception, match="AccessDenied"):
            session.client("iam").update_access_key(UserName=user, AccessKeyId=key, Status="Inactive")
    with pytest.raises(Exception, match="AccessDenied"):
        rotate.client("iam").create_access_key(UserName="untagged.insider")
    username = programmatic_user(deployed, "Guarded")
    with pytest.raises(Exception, match="AccessDenied"):
        rotate.client("secretsmanager").get_secret_value(SecretId=f"turnstile/users/{username}/access-key")

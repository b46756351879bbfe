"""The onboarding workflow, deployed from the template into the local cloud and started by HR events."""

from __future__ import annotations

import json
from typing import Any

from turnstile.domain import audit

from tests.factories import hire_detail
from tests.workflows.scenarios import Deployed, person


def secret_names(deployed: Deployed, username: str) -> list[str]:
    sm = deployed.client("secretsmanager")
    return sorted(
        s["Name"] for s in sm.list_secrets()["SecretList"] if s["Name"].startswith(f"turnstile/users/{username}/")
    )


def output(execution: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(execution["output"]))


def test_console_only_user(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E2001", "Ada", "Lovelace", console=True, programmatic=False))
    assert deployed.parked(run)  # everything is made; the workflow waits for MFA enrolment
    iam = deployed.client("iam")
    user = iam.get_user(UserName="ada.lovelace")["User"]
    assert user["Path"] == "/turnstile/engineering/"
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(":policy/turnstile/TurnstileUserBoundary")
    tags = {t["Key"]: t["Value"] for t in user["Tags"]}
    assert tags["turnstile:managed"] == "true" and tags["turnstile:employee-id"] == "E2001"
    assert tags["turnstile:department"] == "Engineering" and tags["turnstile:team"] == "Backend"
    groups = sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="ada.lovelace")["Groups"])
    assert groups == ["backend", "engineering", "turnstile-mfa-required"]
    assert iam.get_login_profile(UserName="ada.lovelace")["LoginProfile"]["PasswordResetRequired"] is True
    assert iam.list_access_keys(UserName="ada.lovelace")["AccessKeyMetadata"] == []
    assert secret_names(deployed, "ada.lovelace") == ["turnstile/users/ada.lovelace/console-password"]
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14


def test_programmatic_only_user(deployed: Deployed) -> None:
    [run] = deployed.hire(
        person("E2002", "Grace", "Hopper", console=False, programmatic=True, department="Finance", team=...)
    )
    assert deployed.parked(run)
    iam = deployed.client("iam")
    assert iam.get_user(UserName="grace.hopper")["User"]["Path"] == "/turnstile/finance/"
    assert len(iam.list_access_keys(UserName="grace.hopper")["AccessKeyMetadata"]) == 1
    assert secret_names(deployed, "grace.hopper") == ["turnstile/users/grace.hopper/access-key"]
    assert "login_profile" not in deployed.state_output(run, "NotifyOnboarded")["results"]


def test_a_console_user_who_needs_keys_makes_their_own_and_is_announced_with_secret_arns_only(
    deployed: Deployed,
) -> None:
    mark = deployed.mark()
    [run] = deployed.hire(person("E2003", "Alan", "Turing", console=True, programmatic=True, username="aturing"))
    assert deployed.parked(run)
    # CIS 1.11: no access key at creation for a console user; the self-service group lets them make one with MFA
    assert secret_names(deployed, "aturing") == ["turnstile/users/aturing/console-password"]
    assert deployed.client("iam").list_access_keys(UserName="aturing")["AccessKeyMetadata"] == []
    assert "turnstile-self-service-keys" in [
        g["GroupName"] for g in deployed.client("iam").list_groups_for_user(UserName="aturing")["Groups"]
    ]
    [message] = [m for m in deployed.notifications(after=mark) if m.get("username") == "aturing"]
    assert message["event"] == "UserOnboarded" and message["access_key_secret_arn"] is None
    assert (
        message["console_password_secret_arn"]
        .split(":secret:")[1]
        .startswith("turnstile/users/aturing/console-password")
    )
    assert "creates their own access key" in message["instructions"]
    entries = audit.entries(deployed.client("dynamodb"), deployed.table, "USER#aturing")
    assert [e["action"] for e in entries] == ["Onboarded"]


def test_invalid_event_is_rejected_with_a_reason_and_creates_nothing(deployed: Deployed) -> None:
    iam, sm = deployed.client("iam"), deployed.client("secretsmanager")
    users, secrets = len(iam.list_users()["Users"]), len(sm.list_secrets()["SecretList"])
    mark = deployed.mark()
    [run] = deployed.hire(hire_detail(employee_id="E2004", email="nope", department="Marketing"))
    assert run["status"] == "FAILED" and run["error"] == "InvalidHireEvent"
    assert (len(iam.list_users()["Users"]), len(sm.list_secrets()["SecretList"])) == (users, secrets)
    reasons = [
        e["details"]["reason"]
        for e in audit.entries(deployed.client("dynamodb"), deployed.table, "REJECTED")
        if e["details"]["employee_id"] == "E2004"
    ]
    assert reasons == ["detail.email: String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'"]
    [alert] = [m for m in deployed.notifications(after=mark) if m["event"] == "HireRejected"]
    assert alert["employee_id"] == "E2004" and "detail.email" in alert["reason"]
    # nothing but the validator and the recorder ran
    history = deployed.cloud.history(run["executionArn"])
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if e["type"] == "TaskStateEntered"]
    assert entered == ["ValidateHire", "RecordRejection"]


def test_same_event_twice_makes_one_user_one_key_one_secret(deployed: Deployed) -> None:
    detail = person("E2005", "Katherine", "Johnson", console=False, programmatic=True)
    first, second = deployed.hire(detail, detail)
    assert sorted([deployed.parked(first), deployed.parked(second)]) == [False, True]
    iam, sm = deployed.client("iam"), deployed.client("secretsmanager")
    assert [u["UserName"] for u in iam.list_users()["Users"]].count("katherine.johnson") == 1
    assert len(iam.list_access_keys(UserName="katherine.johnson")["AccessKeyMetadata"]) == 1
    assert secret_names(deployed, "katherine.johnson") == ["turnstile/users/katherine.johnson/access-key"]
    for name in secret_names(deployed, "katherine.johnson"):
        assert len(sm.list_secret_version_ids(SecretId=name)["Versions"]) == 1
    owners = sorted(deployed.state_output(run, "ClaimHire")["claim"]["owned"] for run in (first, second))
    assert owners == [False, True]


def test_replaying_an_onboarded_hire_changes_nothing(deployed: Deployed) -> None:
    detail = person("E2006", "Dorothy", "Vaughan")
    deployed.hire(detail)
    name = "turnstile/users/dorothy.vaughan/console-password"
    sm = deployed.client("secretsmanager")
    versions = [v["VersionId"] for v in sm.list_secret_version_ids(SecretId=name)["Versions"]]
    [again] = deployed.hire(detail)
    assert again["status"] == "SUCCEEDED" and output(again)["claim"]["owned"] is False
    assert [v["VersionId"] for v in sm.list_secret_version_ids(SecretId=name)["Versions"]] == versions


def test_name_conflict_with_an_unmanaged_user_fails_and_leaves_that_user_untouched(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    iam.create_user(UserName="mary.jackson", Path="/contractors/", Tags=[{"Key": "team", "Value": "wind-tunnel"}])
    iam.create_login_profile(UserName="mary.jackson", Password="Her-own-Password-123!")
    iam.create_access_key(UserName="mary.jackson")
    before = (
        iam.get_user(UserName="mary.jackson")["User"],
        iam.list_access_keys(UserName="mary.jackson"),
        iam.list_groups_for_user(UserName="mary.jackson")["Groups"],
    )
    [run] = deployed.hire(person("E2007", "Mary", "Jackson", programmatic=True))
    assert run["status"] == "FAILED" and run["error"] == "UserNameConflict"
    after = (
        iam.get_user(UserName="mary.jackson")["User"],
        iam.list_access_keys(UserName="mary.jackson"),
        iam.list_groups_for_user(UserName="mary.jackson")["Groups"],
    )
    assert after[0] == before[0] and after[2] == before[2] == []
    assert after[1]["AccessKeyMetadata"] == before[1]["AccessKeyMetadata"]
    assert iam.get_login_profile(UserName="mary.jackson")["LoginProfile"]["PasswordResetRequired"] is False
    assert secret_names(deployed, "mary.jackson") == []
    [failure] = [e for e in audit.entries(deployed.client("dynamodb"), deployed.table, "USER#mary.jackson")]
    assert failure["action"] == "OnboardingFailed" and failure["details"]["rolled_back"] == []
    assert "not managed by Turnstile" in failure["details"]["reason"]


def test_a_failing_step_rolls_back_and_a_replay_after_the_fix_succeeds(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    iam.delete_group(GroupName="data")  # someone removed an allow-listed group out of band
    detail = person("E2008", "Annie", "Easley", team="Data", console=False, programmatic=True)
    [failed] = deployed.hire(detail)
    assert failed["status"] == "FAILED" and failed["error"] == "OnboardingFailed"
    assert "annie.easley" not in [u["UserName"] for u in iam.list_users()["Users"]]
    assert secret_names(deployed, "annie.easley") == []
    iam.create_group(GroupName="data", Path="/turnstile/")
    [replayed] = deployed.hire(detail)
    assert deployed.parked(replayed)
    assert deployed.state_output(replayed, "ClaimHire")["claim"]["took_over_from"] == failed["executionArn"]
    groups = sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="annie.easley")["Groups"])
    assert groups == ["data", "engineering", "turnstile-mfa-required"]

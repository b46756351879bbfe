"""Credential handover, deployed: the temporary console password is useless once its user changed it, so
CloudTrail's ChangePassword by that user schedules its secret for deletion; nothing else does."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from turnstile.domain import audit

from tests.workflows.scenarios import Deployed, person

NEW_PASSWORD = "Chosen-By-Me-2026!x"


def secret_of(deployed: Deployed, username: str) -> dict:
    sm = deployed.client("secretsmanager")
    [secret] = [
        s
        for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]
        if s["Name"] == f"turnstile/users/{username}/console-password"
    ]
    return secret


def test_changing_the_temporary_password_schedules_its_secret_for_deletion(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E9101", "Hand", "Over"))
    assert deployed.parked(run)
    temporary = deployed.read_secret(secret_of(deployed, "hand.over")["ARN"])["password"]
    iam = deployed.cloud.console_session("hand.over").client("iam")  # first sign-in: still held, no MFA yet
    with pytest.raises(ClientError):  # near miss: the wrong old password changes nothing
        iam.change_password(OldPassword="not-it", NewPassword=NEW_PASSWORD)
    deployed.cloud.settle()
    assert not secret_of(deployed, "hand.over").get("DeletedDate")
    iam.change_password(OldPassword=temporary, NewPassword=NEW_PASSWORD)
    deployed.cloud.settle()
    assert secret_of(deployed, "hand.over").get("DeletedDate")
    assert (
        deployed.client("iam").get_login_profile(UserName="hand.over")["LoginProfile"]["PasswordResetRequired"] is False
    )
    [entry] = [
        e
        for e in audit.entries(deployed.client("dynamodb"), deployed.table, "USER#hand.over")
        if e["action"] == "ConsolePasswordHandedOver"
    ]
    assert entry["details"]["recovery_days"] == 7 and temporary not in str(entry)


def test_an_unmanaged_users_password_change_touches_no_secret(deployed: Deployed) -> None:
    admin = deployed.client("iam")
    admin.create_user(UserName="hand.made")
    admin.create_login_profile(UserName="hand.made", Password="Hand-Made-Password-1!")
    admin.put_user_policy(
        UserName="hand.made",
        PolicyName="own-password",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ChangePassword",'
        '"Resource":"arn:aws:iam::123456789012:user/hand.made"}]}',
    )
    before = deployed.client("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    session = deployed.cloud.console_session("hand.made").client("iam")
    session.change_password(OldPassword="Hand-Made-Password-1!", NewPassword=NEW_PASSWORD)
    deployed.cloud.settle()
    after = deployed.client("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [s.get("DeletedDate") for s in after] == [s.get("DeletedDate") for s in before]

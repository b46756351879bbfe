"""CreateLoginProfile and IssueAccessKey: credentials exist only in Secrets Manager, once."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from turnstile.domain.access_keys import AccessKeyLimitReached, ensure_access_key
from turnstile.domain.login_profile import ensure_login_profile
from turnstile.domain.password_policy import ensure_password_policy
from turnstile.domain.passwords import satisfies
from turnstile.domain.users import ensure_user

from tests.unit.conftest import Account


@pytest.fixture
def user(account: Account) -> Account:
    ensure_password_policy(account.client("iam"), account.env.password_policy)
    ensure_user(account.client("iam"), account.hire(programmatic=True))
    return account


def secret_value(account: Account, name: str) -> dict:
    return account.read_secret(name)


def test_login_profile_requires_reset_and_its_password_is_only_in_secrets_manager(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    result = ensure_login_profile(iam, sm, user.hire(), user.env.password_policy, user.env)
    assert iam.get_login_profile(UserName="jane.smith")["LoginProfile"]["PasswordResetRequired"] is True
    secret = sm.describe_secret(SecretId="turnstile/users/jane.smith/console-password")
    assert secret["ARN"] == result.secret_arn and secret["KmsKeyId"] == user.env.kms_key_id
    stored = secret_value(user, "turnstile/users/jane.smith/console-password")
    assert satisfies(user.env.password_policy, stored["password"])
    assert stored["password"] not in result.model_dump_json()


def test_second_run_keeps_the_password(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    ensure_login_profile(iam, sm, user.hire(), user.env.password_policy, user.env)
    before = secret_value(user, "turnstile/users/jane.smith/console-password")
    again = ensure_login_profile(iam, sm, user.hire(), user.env.password_policy, user.env)
    assert not again.created
    assert secret_value(user, "turnstile/users/jane.smith/console-password") == before
    versions = sm.list_secret_version_ids(SecretId="turnstile/users/jane.smith/console-password")["Versions"]
    assert len(versions) == 1


def test_profile_without_its_secret_gets_a_fresh_stored_password(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    iam.create_login_profile(UserName="jane.smith", Password="Unknown-to-anyone-1!", PasswordResetRequired=True)
    result = ensure_login_profile(iam, sm, user.hire(), user.env.password_policy, user.env)
    assert result.created
    assert secret_value(user, "turnstile/users/jane.smith/console-password")["password"] != "Unknown-to-anyone-1!"


def test_access_key_is_stored_and_issued_once(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    first = ensure_access_key(iam, sm, user.hire(programmatic=True), user.env)
    second = ensure_access_key(iam, sm, user.hire(programmatic=True), user.env)
    keys = iam.list_access_keys(UserName="jane.smith")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [first.access_key_id]
    assert not second.created and second.access_key_id == first.access_key_id
    stored = secret_value(user, "turnstile/users/jane.smith/access-key")
    assert stored["access_key_id"] == first.access_key_id and len(stored["secret_access_key"]) >= 40
    assert stored["secret_access_key"] not in first.model_dump_json()


def test_a_key_that_cannot_be_stored_is_deleted_again(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    with Stubber(sm) as stub:
        stub.add_client_error("describe_secret", "ResourceNotFoundException")
        stub.add_client_error("create_secret", "InternalServiceError", http_status_code=500)
        with pytest.raises(ClientError):
            ensure_access_key(iam, sm, user.hire(programmatic=True), user.env)
    assert iam.list_access_keys(UserName="jane.smith")["AccessKeyMetadata"] == []


def test_two_unrecorded_keys_stop_issuance(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    iam.create_access_key(UserName="jane.smith")
    iam.create_access_key(UserName="jane.smith")
    with pytest.raises(AccessKeyLimitReached):
        ensure_access_key(iam, sm, user.hire(programmatic=True), user.env)


def test_a_secret_scheduled_for_deletion_is_restored_and_holds_the_new_password(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    name = "turnstile/users/jane.smith/console-password"
    ensure_login_profile(iam, sm, user.hire(), user.env.password_policy, user.env)
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    result = ensure_login_profile(iam, sm, user.hire(), user.env.password_policy, user.env)
    assert result.created and "DeletedDate" not in sm.describe_secret(SecretId=name)
    assert satisfies(user.env.password_policy, secret_value(user, name)["password"])

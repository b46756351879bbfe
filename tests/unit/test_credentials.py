"""CreateLoginProfile and IssueAccessKey: credentials exist only in Secrets Manager, once."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from turnstile.domain import secrets_store
from turnstile.domain.access_keys import UnstoredKeyLeftActive, ensure_access_key, stored_key
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


def current_key(account: Account) -> str | None:
    """The access key id the secret's current version was written for (from metadata, never the value)."""
    metadata = secrets_store.describe(account.client("secretsmanager"), "turnstile/users/jane.smith/access-key")
    live = [
        k["AccessKeyId"] for k in account.client("iam").list_access_keys(UserName="jane.smith")["AccessKeyMetadata"]
    ]
    return stored_key(metadata, live)


def test_a_key_that_cannot_be_stored_is_deleted_again(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    with (
        user.cloud.faults.injected("secretsmanager", "PutSecretValue", "InternalServiceError"),
        pytest.raises(ClientError, match="InternalServiceError"),
    ):
        ensure_access_key(iam, sm, user.hire(programmatic=True), user.env)
    assert iam.list_access_keys(UserName="jane.smith")["AccessKeyMetadata"] == []


def test_a_live_key_without_a_stored_value_is_never_taken_for_stored(user: Account) -> None:
    """Storing fails and so does deleting the key: it is deactivated; the next run deletes it and issues one
    whose secret's current version holds it (the earlier design trusted a tag written before the value)."""
    iam, sm = user.client("iam"), user.client("secretsmanager")
    hire = user.hire(programmatic=True)
    with (
        user.cloud.faults.injected("secretsmanager", "PutSecretValue", "InternalServiceError"),
        user.cloud.faults.injected("iam", "DeleteAccessKey", "ServiceFailure"),
        pytest.raises(ClientError, match="InternalServiceError"),
    ):
        ensure_access_key(iam, sm, hire, user.env)
    [stranded] = iam.list_access_keys(UserName="jane.smith")["AccessKeyMetadata"]
    assert stranded["Status"] == "Inactive" and current_key(user) is None

    result = ensure_access_key(iam, sm, hire, user.env)
    assert result.created and result.access_key_id != stranded["AccessKeyId"]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="jane.smith")["AccessKeyMetadata"]] == [
        result.access_key_id
    ]
    assert current_key(user) == result.access_key_id
    assert user.read_secret("turnstile/users/jane.smith/access-key")["access_key_id"] == result.access_key_id


def test_keys_nobody_can_retrieve_are_replaced_not_counted(user: Account) -> None:
    """On a user being onboarded, keys with no stored secret are leftovers of failed attempts: they are deleted
    before one is issued, so IAM's limit of two cannot stop issuance."""
    iam, sm = user.client("iam"), user.client("secretsmanager")
    leftovers = {iam.create_access_key(UserName="jane.smith")["AccessKey"]["AccessKeyId"] for _ in range(2)}
    result = ensure_access_key(iam, sm, user.hire(programmatic=True), user.env)
    live = {k["AccessKeyId"] for k in iam.list_access_keys(UserName="jane.smith")["AccessKeyMetadata"]}
    assert live == {result.access_key_id} and not live & leftovers


def test_an_undeletable_undeactivatable_key_stops_issuance_with_a_clear_error(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    iam.create_access_key(UserName="jane.smith")
    with (
        user.cloud.faults.injected("iam", "DeleteAccessKey", "AccessDenied"),
        user.cloud.faults.injected("iam", "UpdateAccessKey", "AccessDenied"),
        pytest.raises(UnstoredKeyLeftActive),
    ):
        ensure_access_key(iam, sm, user.hire(programmatic=True), user.env)


def test_a_password_set_on_the_profile_is_the_stored_one_even_after_a_failed_update(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    hire = user.hire()
    iam.create_login_profile(UserName="jane.smith", Password="Someone-elses-Password-1!", PasswordResetRequired=True)
    with user.cloud.faults.injected("iam", "UpdateLoginProfile", "ServiceFailure"), pytest.raises(ClientError):
        ensure_login_profile(iam, sm, hire, user.env.password_policy, user.env)
    # the secret now holds a password the profile never got: the next run must not call that done
    result = ensure_login_profile(iam, sm, hire, user.env.password_policy, user.env)
    assert result.created
    again = ensure_login_profile(iam, sm, hire, user.env.password_policy, user.env)
    assert not again.created


def test_a_secret_scheduled_for_deletion_is_restored_and_holds_the_new_password(user: Account) -> None:
    iam, sm = user.client("iam"), user.client("secretsmanager")
    name = "turnstile/users/jane.smith/console-password"
    ensure_login_profile(iam, sm, user.hire(), user.env.password_policy, user.env)
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    result = ensure_login_profile(iam, sm, user.hire(), user.env.password_policy, user.env)
    assert result.created and "DeletedDate" not in sm.describe_secret(SecretId=name)
    assert satisfies(user.env.password_policy, secret_value(user, name)["password"])

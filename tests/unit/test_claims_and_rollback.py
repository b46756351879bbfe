"""ClaimHire, ownership, and the owner's rollback."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from turnstile.domain.access_keys import ensure_access_key
from turnstile.domain.claims import ClaimLost, begin_rollback, claim_hire, complete_hire, mark_failed
from turnstile.domain.groups import ensure_groups
from turnstile.domain.login_profile import ensure_login_profile
from turnstile.domain.rollback import roll_back_user
from turnstile.domain.users import ensure_user
from turnstile.models.onboarding import ClaimOutcome

from tests.unit.conftest import Account


def claim(account: Account, execution: str, **changes: object) -> ClaimOutcome:
    return claim_hire(
        account.client("dynamodb"),
        account.env.table_name,
        hire=account.hire(**changes),
        execution_id=execution,
    )


def transition(account: Account, step: object, execution: str) -> bool:
    return bool(
        step(account.client("dynamodb"), account.env.table_name, employee_id="E1001", execution_id=execution)  # type: ignore[operator]
    )


def test_first_execution_owns_the_hire_and_others_are_duplicates(account: Account) -> None:
    assert claim(account, "exec-1").owned
    second = claim(account, "exec-2")
    assert not second.owned and second.claimed_by == "exec-1" and not second.data_changed


def test_the_owner_can_claim_again_on_retry(account: Account) -> None:
    claim(account, "exec-1")
    assert claim(account, "exec-1").owned


def test_a_duplicate_with_other_data_says_what_differs(account: Account) -> None:
    claim(account, "exec-1")
    second = claim(account, "exec-2", department="Finance", groups=["finance"])
    assert not second.owned and second.data_changed
    assert second.changed == {"department": {"claimed": "Engineering", "sent": "Finance"}}


def test_only_the_owner_may_roll_back_and_never_once_onboarded(account: Account) -> None:
    claim(account, "exec-1")
    assert not transition(account, begin_rollback, "exec-2")
    complete_hire(account.client("dynamodb"), account.env.table_name, employee_id="E1001", execution_id="exec-1")
    assert not transition(account, begin_rollback, "exec-1")
    with pytest.raises(ClaimLost):
        complete_hire(account.client("dynamodb"), account.env.table_name, employee_id="E1001", execution_id="exec-2")


def test_a_failed_claim_is_taken_over_by_a_replay_and_an_onboarded_one_is_not(account: Account) -> None:
    ddb, table = account.client("dynamodb"), account.env.table_name
    claim(account, "exec-1")
    assert transition(account, begin_rollback, "exec-1")
    assert mark_failed(ddb, table, employee_id="E1001", execution_id="exec-1", failure="boom", left=[])
    replay = claim(account, "exec-2")
    assert replay.owned and replay.took_over_from == "exec-1"
    assert not claim(account, "exec-3").owned  # the replay now owns it
    complete_hire(ddb, table, employee_id="E1001", execution_id="exec-2")
    assert not mark_failed(ddb, table, employee_id="E1001", execution_id="exec-2", failure="late", left=[])
    assert not claim(account, "exec-4").owned


def test_concurrent_claims_have_exactly_one_owner(account: Account) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda n: claim(account, f"exec-{n}"), range(8)))
    assert sum(o.owned for o in outcomes) == 1


def test_rollback_removes_a_half_made_managed_user_and_its_secrets(account: Account) -> None:
    iam, sm = account.client("iam"), account.client("secretsmanager")
    hire = account.hire(programmatic=True)
    ensure_user(iam, hire)
    ensure_groups(iam, hire, account.env.require_directory().allowed_groups)
    ensure_login_profile(iam, sm, hire, account.env.password_policy, account.env)
    ensure_access_key(iam, sm, hire, account.env)
    undone = roll_back_user(iam, sm, hire, account.env.secret_prefix)
    assert "user jane.smith" in undone and "login profile" in undone
    assert iam.list_users()["Users"] == []
    assert sm.list_secrets()["SecretList"] == []


def test_rollback_leaves_an_unmanaged_user_alone(account: Account) -> None:
    iam, sm = account.client("iam"), account.client("secretsmanager")
    iam.create_user(UserName="jane.smith")
    iam.create_login_profile(UserName="jane.smith", Password="Their-own-password-1!")
    assert roll_back_user(iam, sm, account.hire(), account.env.secret_prefix) == []
    assert iam.get_login_profile(UserName="jane.smith")["LoginProfile"]["UserName"] == "jane.smith"


def test_rollback_removes_an_enrolled_mfa_device_first(account: Account) -> None:
    iam, sm = account.client("iam"), account.client("secretsmanager")
    ensure_user(iam, account.hire())
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="jane.smith")["VirtualMFADevice"]
    iam.enable_mfa_device(
        UserName="jane.smith",
        SerialNumber=device["SerialNumber"],
        **dict(zip(("AuthenticationCode1", "AuthenticationCode2"), totp_codes(device), strict=True)),
    )
    undone = roll_back_user(iam, sm, account.hire(), account.env.secret_prefix)
    assert undone[0] == f"MFA device {device['SerialNumber']}" and undone[-1] == "user jane.smith"
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def totp_codes(device: dict) -> tuple[str, str]:
    import time

    import pyotp

    seed = device["Base32StringSeed"]
    totp, now = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed), time.time()
    return totp.at(now - 30), totp.at(now)

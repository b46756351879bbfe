"""EnsurePasswordPolicy: applies the CIS policy, detects drift, and changes nothing when in line."""

from __future__ import annotations

from turnstile.config import PasswordPolicy
from turnstile.domain.password_policy import ensure_password_policy

from tests.unit.conftest import Account


def test_missing_policy_is_created_with_cis_values(account: Account, policy: PasswordPolicy) -> None:
    iam = account.client("iam")
    changes = ensure_password_policy(iam, policy)
    assert changes
    live = iam.get_account_password_policy()["PasswordPolicy"]
    assert live["MinimumPasswordLength"] == 14 and live["MaxPasswordAge"] == 90
    assert live["PasswordReusePrevention"] == 24 and live["RequireSymbols"] and live["RequireNumbers"]
    assert live["RequireUppercaseCharacters"] and live["RequireLowercaseCharacters"]


def test_second_run_changes_nothing(account: Account, policy: PasswordPolicy) -> None:
    iam = account.client("iam")
    ensure_password_policy(iam, policy)
    assert ensure_password_policy(iam, policy) == {}


def test_drift_is_detected_and_reverted(account: Account, policy: PasswordPolicy) -> None:
    iam = account.client("iam")
    ensure_password_policy(iam, policy)
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireSymbols=False,
        MaxPasswordAge=90,
        PasswordReusePrevention=24,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
    )
    changes = ensure_password_policy(iam, policy)
    assert changes["MinimumPasswordLength"] == (8, 14) and changes["RequireSymbols"] == (False, True)
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14

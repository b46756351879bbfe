"""Temporary passwords: always within the configured policy, from a CSPRNG, never repeated."""

from __future__ import annotations

import pytest
from turnstile.config import PasswordPolicy
from turnstile.domain.passwords import MIN_GENERATED_LENGTH, generate_password, satisfies


@pytest.mark.parametrize(
    "policy",
    [
        PasswordPolicy(),
        PasswordPolicy(minimum_password_length=32),
        PasswordPolicy(require_symbols=False, require_numbers=False),
    ],
)
def test_generated_passwords_always_satisfy_the_policy(policy: PasswordPolicy) -> None:
    for _ in range(300):
        password = generate_password(policy)
        assert satisfies(policy, password)
        assert len(password) == max(policy.minimum_password_length, MIN_GENERATED_LENGTH)


def test_generated_passwords_do_not_repeat() -> None:
    assert len({generate_password(PasswordPolicy()) for _ in range(500)}) == 500


@pytest.mark.parametrize(
    "password",
    [
        "Short1!",
        "alllowercase-and-1-number!!",
        "ALLUPPER-AND-1-NUMBER!!!",
        "NoDigitsHere!!!!!!!!",
        "NoSymbols1234567890ab",
    ],
)
def test_passwords_missing_a_required_class_or_length_do_not_satisfy(password: str) -> None:
    assert not satisfies(PasswordPolicy(), password)

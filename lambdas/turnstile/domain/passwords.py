"""Temporary console passwords that satisfy the configured policy, from the `secrets` CSPRNG."""

from __future__ import annotations

import secrets
import string

from ..config import PasswordPolicy

# Symbols IAM accepts in passwords, minus characters that are easy to mistype when handed over.
SYMBOLS = "!@#$%^&*()_+-=[]{}"
MIN_GENERATED_LENGTH = 20


def generate_password(policy: PasswordPolicy) -> str:
    """A random password with every character class the policy requires, at least 20 characters long."""
    length = max(policy.minimum_password_length, MIN_GENERATED_LENGTH)
    required = _required_classes(policy)
    alphabet = string.ascii_letters + string.digits + SYMBOLS
    chars = [secrets.choice(cls) for cls in required]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    password = "".join(chars)
    assert satisfies(policy, password)  # by construction; guards future edits of this function
    return password


def satisfies(policy: PasswordPolicy, password: str) -> bool:
    """Whether the password meets the policy's length and character-class rules."""
    return len(password) >= policy.minimum_password_length and all(
        any(c in cls for c in password) for cls in _required_classes(policy)
    )


def _required_classes(policy: PasswordPolicy) -> list[str]:
    classes = []
    if policy.require_uppercase_characters:
        classes.append(string.ascii_uppercase)
    if policy.require_lowercase_characters:
        classes.append(string.ascii_lowercase)
    if policy.require_numbers:
        classes.append(string.digits)
    if policy.require_symbols:
        classes.append(SYMBOLS)
    return classes

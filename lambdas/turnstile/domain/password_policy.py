"""Keep the account password policy equal to the configured one."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..config import PasswordPolicy


def current_policy(iam: Any) -> dict[str, Any] | None:
    try:
        return dict(iam.get_account_password_policy()["PasswordPolicy"])
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise


def drift(policy: PasswordPolicy, current: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    """Fields whose live value differs from the configured one: {field: (live, wanted)}."""
    wanted = policy.to_iam()
    if current is None:
        return {field: (None, value) for field, value in wanted.items()}
    # IAM omits MaxPasswordAge / PasswordReusePrevention when they are unset.
    return {f: (current.get(f), v) for f, v in wanted.items() if current.get(f, False) != v}


def ensure_password_policy(iam: Any, policy: PasswordPolicy) -> dict[str, tuple[Any, Any]]:
    """Apply the policy if it drifted; returns what changed (empty when nothing did)."""
    changes = drift(policy, current_policy(iam))
    if changes:
        iam.update_account_password_policy(**policy.to_iam())
    return changes

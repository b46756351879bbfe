"""Undo a half-made onboarding, touching only a user that is Turnstile's for this very employee.

Only the execution that owns the hire's claim calls this, and only before the hire is onboarded
(domain/failures.py checks both first).
"""

from __future__ import annotations

from typing import Any

from ..dal.iam_reads import (
    absent_ok,
    find_user,
    groups_of,
    has_login_profile,
    is_managed_for,
    key_ids,
    mfa_serials,
    user_tags,
)
from ..models.onboarding import Hire
from . import secrets_store


def roll_back_user(iam: Any, sm: Any, hire: Hire, secret_prefix: str) -> list[str]:
    """Remove what onboarding made, in the order IAM requires; returns what was removed. Safe to run again.

    Onboarding makes no signing certificates, SSH keys, service credentials or policies, so MFA devices (the
    user may have enrolled), keys, login profile and group memberships are all that stand before DeleteUser.
    A user that is not tagged as Turnstile's for `hire.employee_id` (for instance the other user in a name
    conflict) is left exactly as it is, and so are secrets tagged for another employee.
    """
    undone: list[str] = []
    username = hire.username
    if find_user(iam, username) is not None and is_managed_for(user_tags(iam, username), hire.employee_id):
        for serial in mfa_serials(iam, username):
            with absent_ok():
                iam.deactivate_mfa_device(UserName=username, SerialNumber=serial)
            if ":mfa/" in serial:  # a virtual device: delete it too
                with absent_ok():
                    iam.delete_virtual_mfa_device(SerialNumber=serial)
            undone.append(f"MFA device {serial}")
        for key_id in key_ids(iam, username):
            with absent_ok():
                iam.delete_access_key(UserName=username, AccessKeyId=key_id)
            undone.append(f"access key {key_id}")
        if has_login_profile(iam, username):
            with absent_ok():
                iam.delete_login_profile(UserName=username)
            undone.append("login profile")
        for group in sorted(groups_of(iam, username)):
            with absent_ok():
                iam.remove_user_from_group(GroupName=group, UserName=username)
            undone.append(f"group {group}")
        with absent_ok():
            iam.delete_user(UserName=username)
        undone.append(f"user {username}")
    for kind in ("console-password", "access-key"):
        name = secrets_store.secret_name(secret_prefix, username, kind)
        metadata = secrets_store.describe(sm, name)
        if (
            metadata is not None
            and not metadata.get("DeletedDate")  # already on its way out
            and secrets_store.tags_of(metadata).get("turnstile:employee-id") == hire.employee_id
        ):
            secrets_store.delete(sm, name)
            undone.append(f"secret {name}")
    return undone

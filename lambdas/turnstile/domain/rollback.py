"""Undo a half-made onboarding, touching only a user that is Turnstile's for this very employee."""

from __future__ import annotations

from typing import Any

from ..models.onboarding import Hire
from . import secrets_store
from .access_keys import key_ids
from .groups import groups_of
from .login_profile import has_login_profile
from .mfa import mfa_serials
from .users import find_user, is_managed_for, user_tags


def roll_back_user(iam: Any, sm: Any, hire: Hire, secret_prefix: str) -> list[str]:
    """Remove what onboarding made, in the order IAM requires; returns what was removed.

    Onboarding makes no signing certificates, SSH keys, service credentials or policies, so MFA devices (the
    user may have enrolled), keys, login profile and group memberships are all that stand before DeleteUser.

    A user that is not tagged as Turnstile's for `hire.employee_id` (for instance the other user in
    a name conflict) is left exactly as it is.
    """
    undone: list[str] = []
    if find_user(iam, hire.username) is not None:
        if not is_managed_for(user_tags(iam, hire.username), hire.employee_id):
            return undone
        for serial in mfa_serials(iam, hire.username):
            iam.deactivate_mfa_device(UserName=hire.username, SerialNumber=serial)
            if ":mfa/" in serial:  # a virtual device: delete it too
                iam.delete_virtual_mfa_device(SerialNumber=serial)
            undone.append(f"MFA device {serial}")
        for key_id in key_ids(iam, hire.username):
            iam.delete_access_key(UserName=hire.username, AccessKeyId=key_id)
            undone.append(f"access key {key_id}")
        if has_login_profile(iam, hire.username):
            iam.delete_login_profile(UserName=hire.username)
            undone.append("login profile")
        for group in sorted(groups_of(iam, hire.username)):
            iam.remove_user_from_group(GroupName=group, UserName=hire.username)
            undone.append(f"group {group}")
        iam.delete_user(UserName=hire.username)
        undone.append(f"user {hire.username}")
    for kind in ("console-password", "access-key"):
        name = secrets_store.secret_name(secret_prefix, hire.username, kind)
        metadata = secrets_store.describe(sm, name)
        if (
            metadata is not None
            and not metadata.get("DeletedDate")  # already on its way out
            and secrets_store.tags_of(metadata).get("turnstile:employee-id") == hire.employee_id
        ):
            secrets_store.delete(sm, name)
            undone.append(f"secret {name}")
    return undone

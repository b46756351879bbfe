"""Console access: a login profile whose temporary password exists only in Secrets Manager."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..config import PasswordPolicy
from ..models.onboarding import Hire, LoginProfileResult
from ..settings import Settings
from . import secrets_store
from .passwords import generate_password


def has_login_profile(iam: Any, username: str) -> bool:
    try:
        iam.get_login_profile(UserName=username)
        return True
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return False
        raise


def ensure_login_profile(iam: Any, sm: Any, hire: Hire, policy: PasswordPolicy, env: Settings) -> LoginProfileResult:
    """Give the user a console password that must be changed at first sign-in.

    Idempotent: when both the profile and its secret exist nothing changes. If only one of them
    exists (a crash between the two writes), a fresh password is stored first and then set, so
    the stored secret always opens the console.
    """
    name = secrets_store.secret_name(env.secret_prefix, hire.username, "console-password")
    existing = secrets_store.describe(sm, name)
    profile_exists = has_login_profile(iam, hire.username)
    if existing is not None and profile_exists and not existing.get("DeletedDate"):
        return LoginProfileResult(secret_arn=existing["ARN"], created=False)

    password = generate_password(policy)
    arn = secrets_store.store(
        sm,
        name=name,
        value={"username": hire.username, "password": password, "password_reset_required": True},
        kms_key_id=env.kms_key_id,
        readers=env.secret_readers,
        existing=existing,
        tags={
            "turnstile:managed": "true",
            "turnstile:username": hire.username,
            "turnstile:employee-id": hire.employee_id,
        },
        description=f"Temporary console password of IAM user {hire.username} (must be changed at first sign-in)",
    )
    try:
        iam.create_login_profile(UserName=hire.username, Password=password, PasswordResetRequired=True)
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
        iam.update_login_profile(UserName=hire.username, Password=password, PasswordResetRequired=True)
    return LoginProfileResult(secret_arn=arn, created=True)

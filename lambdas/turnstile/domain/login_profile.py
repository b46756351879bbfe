"""Console access: a login profile whose temporary password exists only in Secrets Manager."""

from __future__ import annotations

import uuid
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..config import PasswordPolicy
from ..dal.iam_reads import has_login_profile
from ..models.onboarding import Hire, LoginProfileResult
from ..settings import Settings
from . import secrets_store
from .passwords import generate_password

# Staging label on the password version that the login profile was set to (Secrets Manager keeps labels unique).
APPLIED = "TURNSTILE_APPLIED"


def ensure_login_profile(iam: Any, sm: Any, hire: Hire, policy: PasswordPolicy, env: Settings) -> LoginProfileResult:
    """Give the user a console password that must be changed at first sign-in.

    Idempotent: when the profile exists and the secret's current version is the password that was set on it
    (staged APPLIED once set) nothing changes. Otherwise (a crash between the two writes, a value never written,
    a profile that failed to update) a fresh password is stored first and then set, so the stored secret always
    opens the console.
    """
    name = secrets_store.secret_name(env.secret_prefix, hire.username, "console-password")
    existing = secrets_store.describe(sm, name)
    current = secrets_store.current_version(existing)
    if (
        existing is not None
        and current is not None
        and APPLIED in existing["VersionIdsToStages"][current]
        and has_login_profile(iam, hire.username)
    ):
        return LoginProfileResult(secret_arn=existing["ARN"], created=False)

    password = generate_password(policy)
    version = str(uuid.uuid4())
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
        version_id=version,
    )
    try:
        iam.create_login_profile(UserName=hire.username, Password=password, PasswordResetRequired=True)
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
        iam.update_login_profile(UserName=hire.username, Password=password, PasswordResetRequired=True)
    # AWS requires naming the version a label leaves when it is attached elsewhere (read now: writing the new
    # version may have moved labels).
    now = secrets_store.describe(sm, name) or {}
    previous = [v for v, labels in (now.get("VersionIdsToStages") or {}).items() if APPLIED in labels and v != version]
    moved_from = {"RemoveFromVersionId": previous[0]} if previous else {}
    sm.update_secret_version_stage(SecretId=name, VersionStage=APPLIED, MoveToVersionId=version, **moved_from)
    return LoginProfileResult(secret_arn=arn, created=True)

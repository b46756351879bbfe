"""What a function reads from its environment, validated once per container."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, Json, ValidationError

from .config import Alerting, Directory, Offboarding, PasswordPolicy, Rotation
from .errors import SettingsError


class Settings(BaseModel):
    """Environment of every Turnstile function; the stack sets all of it (see stacks/constructs/functions.py)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    table_name: str = Field(alias="TURNSTILE_TABLE")
    topic_arn: str = Field(alias="TURNSTILE_TOPIC_ARN")
    kms_key_id: str = Field(alias="TURNSTILE_KMS_KEY_ID")
    hr_source: str = Field(alias="TURNSTILE_HR_SOURCE")
    secret_prefix: str = Field("turnstile/users", alias="TURNSTILE_SECRET_PREFIX")
    password_policy: Json[PasswordPolicy] = Field(alias="TURNSTILE_PASSWORD_POLICY")
    directory: Json[Directory] | None = Field(None, alias="TURNSTILE_DIRECTORY")
    mfa_hold_group: str = Field(alias="TURNSTILE_MFA_HOLD_GROUP")
    mfa_deadline_days: int = Field(alias="TURNSTILE_MFA_DEADLINE_DAYS")
    # Principals allowed to read new users' credentials (e.g. a helpdesk role); nobody else can.
    secret_readers: Json[list[str]] = Field(alias="TURNSTILE_SECRET_READERS")
    # Roles whose IAM calls are Turnstile's own (not drift): only the password-policy guard reads it.
    own_role_arns: Json[list[str]] = Field([], alias="TURNSTILE_OWN_ROLE_ARNS")
    # Key rotation's settings and the IAM path of managed users: only the rotation functions get them.
    rotation: Json[Rotation] | None = Field(None, alias="TURNSTILE_ROTATION")
    user_path: str | None = Field(None, alias="TURNSTILE_USER_PATH")
    # The alert function's: detection settings, and each Turnstile role's ARN with the watched IAM actions it is
    # declared to make (its own such calls raise no alert).
    alerting: Json[Alerting] | None = Field(None, alias="TURNSTILE_ALERTING")
    own_calls: Json[list[tuple[str, list[str]]]] = Field([], alias="TURNSTILE_OWN_CALLS")
    # The leaver workflow's functions: retention and the secrets' recovery window.
    offboarding: Json[Offboarding] | None = Field(None, alias="TURNSTILE_OFFBOARDING")

    def require_directory(self) -> Directory:
        if self.directory is None:
            raise SettingsError("TURNSTILE_DIRECTORY is not set for this function")
        return self.directory

    def require_offboarding(self) -> Offboarding:
        if self.offboarding is None:
            raise SettingsError("TURNSTILE_OFFBOARDING is not set for this function")
        return self.offboarding

    def require_alerting(self) -> Alerting:
        if self.alerting is None:
            raise SettingsError("TURNSTILE_ALERTING is not set for this function")
        return self.alerting

    def require_rotation(self) -> tuple[Rotation, str]:
        if self.rotation is None or self.user_path is None:
            raise SettingsError("TURNSTILE_ROTATION / TURNSTILE_USER_PATH are not set for this function")
        return self.rotation, self.user_path


@cache
def settings() -> Settings:
    try:
        return Settings.model_validate({k: v for k, v in os.environ.items() if k.startswith("TURNSTILE_")})
    except ValidationError as error:
        raise SettingsError(f"invalid function environment: {error}") from error

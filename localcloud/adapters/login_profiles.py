"""Gap: moto's CreateLoginProfile ignores PasswordResetRequired (always False) and, like UpdateLoginProfile,
accepts passwords that violate the account password policy. Adapter: honour the flag and enforce the
policy's length and character classes with IAM's PasswordPolicyViolation error, as AWS does.
"""

from __future__ import annotations

import string
from typing import Any

from moto.core.responses import ActionResult
from moto.iam.exceptions import IAMException
from moto.iam.models import IAMBackend
from moto.iam.responses import IamResponse

_original_create = IAMBackend.create_login_profile
_original_update = IAMBackend.update_login_profile
_original_response_create = IamResponse.create_login_profile
SYMBOLS = "!@#$%^&*()_+-=[]{}|'"


class PasswordPolicyViolation(IAMException):
    code = "PasswordPolicyViolation"


def violations(policy: Any, password: str) -> list[str]:
    """What the password lacks under moto's AccountPasswordPolicy object (None: IAM's default minimum of 8)."""
    if policy is None:
        return [] if len(password) >= 8 else ["at least 8 characters"]
    rules = [
        (len(password) >= policy.minimum_password_length, f"at least {policy.minimum_password_length} characters"),
        (
            not policy.require_uppercase_characters or any(c in string.ascii_uppercase for c in password),
            "an uppercase letter",
        ),
        (
            not policy.require_lowercase_characters or any(c in string.ascii_lowercase for c in password),
            "a lowercase letter",
        ),
        (not policy.require_numbers or any(c in string.digits for c in password), "a number"),
        (not policy.require_symbols or any(c in SYMBOLS for c in password), "a symbol"),
    ]
    return [text for ok, text in rules if not ok]


def _check(backend: IAMBackend, password: str | None) -> None:
    if password is None:
        return
    missing = violations(backend.account_password_policy, password)
    if missing:
        raise PasswordPolicyViolation(
            "Password does not conform to the account password policy: needs " + ", ".join(missing)
        )


def create_login_profile(self: IAMBackend, user_name: str, password: str, password_reset_required: bool = False) -> Any:
    _check(self, password)
    user = _original_create(self, user_name, password)
    user.password_reset_required = bool(password_reset_required)
    return user


def update_login_profile(self: IAMBackend, user_name: str, password: str | None, password_reset_required: Any) -> Any:
    _check(self, password)
    user = self.get_login_profile(user_name)
    if password is not None:
        user.password = password
    if password_reset_required is not None:
        user.password_reset_required = str(password_reset_required).lower() == "true"
    return user


def response_create_login_profile(self: IamResponse) -> ActionResult:
    """moto's response drops PasswordResetRequired; this one passes it to the backend."""
    reset = str(self._get_param("PasswordResetRequired", "false")).lower() == "true"
    user = create_login_profile(self.backend, self._get_param("UserName"), self._get_param("Password"), reset)
    return ActionResult(
        {
            "LoginProfile": {
                "UserName": user.name,
                "CreateDate": user.create_date,
                "PasswordResetRequired": user.password_reset_required,
            }
        }
    )


def install() -> None:
    IAMBackend.create_login_profile = create_login_profile  # type: ignore[method-assign]
    IAMBackend.update_login_profile = update_login_profile  # type: ignore[method-assign]
    IamResponse.create_login_profile = response_create_login_profile  # type: ignore[method-assign]


def uninstall() -> None:
    IAMBackend.create_login_profile = _original_create  # type: ignore[method-assign]
    IAMBackend.update_login_profile = _original_update  # type: ignore[method-assign]
    IamResponse.create_login_profile = _original_response_create  # type: ignore[method-assign]

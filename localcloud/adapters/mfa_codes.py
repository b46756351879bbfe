"""Gap: moto's EnableMFADevice accepts any two codes. Adapter: check them against the virtual device's seed as
AWS does (RFC 6238 TOTP, two consecutive codes, recent time steps), refusing with InvalidAuthenticationCode."""

from __future__ import annotations

import time

import pyotp
from moto.iam.exceptions import IAMException
from moto.iam.models import IAMBackend

_original_enable = IAMBackend.enable_mfa_device
# How many 30-second steps back a first code may be (AWS tolerates some clock skew and typing time).
STEPS_BACK = 10


class InvalidAuthenticationCode(IAMException):
    code = "InvalidAuthenticationCode"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = "InvalidAuthenticationCode"


def consecutive_codes_match(seed: str, code_1: str, code_2: str, now: float | None = None) -> bool:
    totp = pyotp.TOTP(seed)
    now = time.time() if now is None else now
    return any(
        totp.at(now - step * 30) == code_1 and totp.at(now - (step - 1) * 30) == code_2
        for step in range(1, STEPS_BACK + 1)
    ) or (totp.at(now) == code_1 and totp.at(now + 30) == code_2)


def code_matches(seed: str, code: str, now: float | None = None) -> bool:
    """One code, as a sign-in checks it: the current 30-second step or its neighbours (clock skew)."""
    totp = pyotp.TOTP(seed)
    now = time.time() if now is None else now
    return any(totp.at(now + step * 30) == str(code) for step in (-1, 0, 1))


def enable_mfa_device(
    self: IAMBackend, user_name: str, serial_number: str, authentication_code_1: str, authentication_code_2: str
) -> None:
    device = self.virtual_mfa_devices.get(serial_number)
    if device is not None and not consecutive_codes_match(
        device.base32_string_seed, str(authentication_code_1), str(authentication_code_2)
    ):
        raise InvalidAuthenticationCode("Authentication code for device is not valid.")
    _original_enable(self, user_name, serial_number, authentication_code_1, authentication_code_2)


def install() -> None:
    setattr(IAMBackend, "enable_mfa_device", enable_mfa_device)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(IAMBackend, "enable_mfa_device", _original_enable)  # noqa: B010

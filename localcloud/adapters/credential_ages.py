"""Gap: moto dates every IAM credential by the host's clock, so `cloud.clock.advance()` ages nothing: a key made
before a 95-day advance is still minutes old in ListAccessKeys and the credential report. Key use is recorded
(moto's `mark_account_as_visited`, called from every request's `BaseResponse.setup_class`, in-process and in
server mode), but by the host's clock, under moto's module name rather than the service namespace AWS reports
(`awslambda`, `stepfunctions` for `lambda`, `states`), for an inactive key too (AWS refuses its requests), and
on every request. The credential report's `password_last_changed`, and GetLoginProfile's CreateDate, are the
user's creation date, and a simulated console sign-in marks no password as used.

Adapter, on the local clock: every IAM creation date (users, access keys, MFA enable dates, signing
certificates, roles, policies: moto's `utcnow` in its IAM module); a user's password-set time, whatever sets the
password (CreateLoginProfile, UpdateLoginProfile, CloudFormation; moto has no ChangePassword) and the login
profile's creation (GetLoginProfile's CreateDate); an access key's
last use, as the credential report documents it (IAM User Guide, "Getting credential reports":
"When an access key is used more than once in a 15-minute span, only the first use is recorded"), with the
service's namespace and the request's region; `password_last_used` when `LocalCloud.console_session` signs a
user with a password in ("When a password is used more than once in a 5-minute span, only the first use is
recorded").
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from moto.iam import models as iam_models
from moto.iam.models import AccessKeyLastUsed, User, iam_backends
from moto.iam.responses import IamResponse
from moto.utilities.utils import get_partition

from .. import identity
from .clock import Clock

KEY_USE_SPAN = dt.timedelta(minutes=15)
PASSWORD_USE_SPAN = dt.timedelta(minutes=5)
# moto's module names that differ from the service namespace AWS reports (GetAccessKeyLastUsed ServiceName).
NAMESPACES = {"awslambda": "lambda", "stepfunctions": "states", "cognitoidp": "cognito-idp"}
SET_AT = "_localcloud_password_set"  # in a moto User's __dict__: when its password was last set
PROFILE_AT = "_localcloud_profile_created"  # ...and when its login profile was created (GetLoginProfile CreateDate)

_original_utcnow = iam_models.utcnow
_original_mark = iam_models.mark_account_as_visited
_original_register = identity.register_console_session
_original_get_login_profile = IamResponse.get_login_profile


def password_set(user: User) -> dt.datetime | None:
    """When the user's password was last set (naive UTC, as moto keeps dates); None: no password."""
    when = vars(user).get(SET_AT)
    return when if user.password and isinstance(when, dt.datetime) else None


def _password_property(now: Callable[[], dt.datetime]) -> property:
    """`User.password` as a property that notes when it is set: one place that sees every path that sets it.
    The value stays in the instance's `password` slot, so moto's code, copies and uninstall see no change."""

    def get(self: User) -> str | None:
        return vars(self).get("password")

    def set_(self: User, value: str | None) -> None:
        if value and not vars(self).get("password"):
            vars(self)[PROFILE_AT] = now()  # a login profile is created (UpdateLoginProfile keeps its date)
        vars(self)["password"] = value
        vars(self)[SET_AT] = now() if value else None

    return property(get, set_)


def install(clock: Clock) -> None:
    def now() -> dt.datetime:
        return clock.now().replace(tzinfo=None)  # moto's IAM keeps naive UTC

    def mark_account_as_visited(account_id: str, access_key: str, service: str, region: str) -> None:
        key = iam_backends[account_id][get_partition(region)].access_keys.get(access_key)
        if key is None or key.user_name is None:  # the emulator's own credentials, or an STS session's key
            _original_mark(account_id, access_key, service, region)  # (a role's last use: on the clock too)
            return
        if key.status != "Active":
            return  # AWS refuses a request signed with an inactive key: nothing was used
        last = key.last_used
        if isinstance(last, AccessKeyLastUsed) and now() - last.timestamp < KEY_USE_SPAN:
            return
        key.last_used = AccessKeyLastUsed(timestamp=now(), service=NAMESPACES.get(service, service), region=region)

    @functools.wraps(_original_register)
    def register_console_session(
        account: str, username: str, *, mfa: bool = False, source_ip: str | None = None
    ) -> tuple[str, str]:
        credentials = _original_register(account, username, mfa=mfa, source_ip=source_ip)
        user = iam_backends[account]["global"].get_user(username)
        last = user.password_last_used
        if user.password and (last is None or now() - last >= PASSWORD_USE_SPAN):
            user.password_last_used = now()  # type: ignore[assignment]  # moto types it None only
        return credentials

    def get_login_profile(self: IamResponse) -> Any:
        """CreateDate is the login profile's creation (moto answers the user's)."""
        result = _original_get_login_profile(self)
        user = self.backend.get_user(self._get_param("UserName"))
        created = vars(user).get(PROFILE_AT)
        if isinstance(created, dt.datetime) and isinstance(result.result, dict):
            result.result["LoginProfile"]["CreateDate"] = created
        return result

    iam_models.utcnow = now
    iam_models.mark_account_as_visited = mark_account_as_visited
    IamResponse.get_login_profile = get_login_profile  # type: ignore[method-assign]
    User.password = _password_property(now)  # type: ignore[assignment]
    identity.register_console_session = register_console_session


def uninstall() -> None:
    iam_models.utcnow = _original_utcnow
    iam_models.mark_account_as_visited = _original_mark
    if isinstance(vars(User).get("password"), property):
        delattr(User, "password")
    identity.register_console_session = _original_register
    IamResponse.get_login_profile = _original_get_login_profile  # type: ignore[method-assign]

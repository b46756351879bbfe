"""Gap: moto has no ChangePassword (an IAM user changing its own console password: the call every new user makes
at first sign-in, PasswordResetRequired being set). Adapter, as IAM does (IAM API Reference, ChangePassword):
only an IAM user may call it, for itself (root: `InvalidUserType`); the user must have a login profile
(`NoSuchEntity`); the old password must be the current one; the new one must satisfy the account password policy
(`PasswordPolicyViolation`, through the login_profiles adapter's check); success clears PasswordResetRequired.
The API reference documents no error for a wrong old password: the local cloud answers `AccessDenied` ("The old
password is incorrect"), and tests rely only on the call failing. CloudTrail records the call without either
password (`oldPassword`/`newPassword` are in the cloudtrail adapter's SECRET_FIELDS).
"""

from __future__ import annotations

from moto.core.responses import ActionResult, EmptyResult
from moto.iam.exceptions import IAMException
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse

from .. import identity
from . import login_profiles


class InvalidUserType(IAMException):
    code = "InvalidUserType"


class WrongPassword(IAMException):
    code = "AccessDenied"
    status = 403


def change_password(self: IamResponse) -> ActionResult:
    who = identity.user_identity(self.get_access_key(), self.current_account)
    if who["type"] != "IAMUser":
        raise InvalidUserType("Only IAM users can change their own password with ChangePassword")
    backend = iam_backends[self.current_account]["global"]
    user = backend.get_login_profile(who["userName"])  # NoSuchEntity without a login profile
    if self._get_param("OldPassword") != user.password:
        raise WrongPassword("The old password is incorrect")
    new = self._get_param("NewPassword")
    login_profiles._check(backend, new)
    user.password = new
    user.password_reset_required = False
    return EmptyResult()


def install() -> None:
    setattr(IamResponse, "change_password", change_password)  # noqa: B010 - moto has none


def uninstall() -> None:
    if "change_password" in IamResponse.__dict__:
        delattr(IamResponse, "change_password")

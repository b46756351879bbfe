"""Gap: moto cannot create an access key for the account root: CreateAccessKey without a UserName looks the
caller up among IAM users' keys and fails with NoSuchEntity. In AWS the root user may create its own access key
("If you do not specify a user name, IAM determines the user name implicitly based on the Amazon Web Services
access key ID signing the request. This operation works for access keys under the Amazon Web Services account.",
IAM API Reference, CreateAccessKey) — which is exactly what root-key detection must see.
Adapter: root's CreateAccessKey without UserName makes a key owned by the root user, kept here (`root_keys`), and
answered as IAM does; every other call is moto's.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.iam.models import AccessKey
from moto.iam.responses import IamResponse

from .. import identity

_original = IamResponse.create_access_key
root_keys: dict[str, list[AccessKey]] = {}  # account -> the root user's access keys


def create_access_key(self: IamResponse) -> ActionResult:
    if self._get_param("UserName"):
        return _original(self)
    who = identity.user_identity(self.get_access_key(), self.current_account)
    if who["type"] != "Root":
        return _original(self)
    key = AccessKey("root", prefix="AKIA", status="Active", account_id=self.current_account)  # type: ignore[abstract]
    root_keys.setdefault(self.current_account, []).append(key)
    return ActionResult({"AccessKey": key})


def install() -> None:
    setattr(IamResponse, "create_access_key", create_access_key)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(IamResponse, "create_access_key", _original)  # noqa: B010
    root_keys.clear()


def keys_of_root(account: str) -> list[Any]:
    return list(root_keys.get(account, []))

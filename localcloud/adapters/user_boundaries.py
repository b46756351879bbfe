"""Gap: moto has no permissions boundaries for IAM users: CreateUser ignores PermissionsBoundary, GetUser never
returns one, and Put/DeleteUserPermissionsBoundary are not implemented. Adapter: all of that, as AWS does it
(the boundary must be an existing managed policy; ListUsers omits it).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.serialize import never_return, return_if_not_empty
from moto.iam.models import IAMBackend, User
from moto.iam.responses import IamResponse

_original_create_user = IamResponse.create_user
TRANSFORMERS = {
    "CreateUserResponse.User.PermissionsBoundary": return_if_not_empty,
    "GetUserResponse.User.PermissionsBoundary": return_if_not_empty,
    "ListUsersResponse.Users.User.PermissionsBoundary": never_return,
}


def _boundary(self: User) -> dict[str, str] | None:
    arn = getattr(self, "permissions_boundary_arn", None)
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn} if arn else None


def _set_boundary(backend: IAMBackend, user_name: str, arn: str | None) -> None:
    user = backend.get_user(user_name)
    if arn:
        backend.get_policy(arn)  # NoSuchEntity if the boundary policy does not exist, as on AWS
    user.permissions_boundary_arn = arn  # type: ignore[attr-defined]


def create_user(self: IamResponse) -> ActionResult:
    boundary = self._get_param("PermissionsBoundary")
    if boundary:
        self.backend.get_policy(boundary)  # refuse before creating anything
    user = self.backend.create_user(
        self.region,
        user_name=self._get_param("UserName"),
        path=self._get_param("Path"),
        tags=self._get_param("Tags", []),
    )
    _set_boundary(self.backend, user.name, boundary)
    return ActionResult({"User": user})


def put_user_permissions_boundary(self: IamResponse) -> Any:
    _set_boundary(self.backend, self._get_param("UserName"), self._get_param("PermissionsBoundary"))
    return EmptyResult()


def delete_user_permissions_boundary(self: IamResponse) -> Any:
    _set_boundary(self.backend, self._get_param("UserName"), None)
    return EmptyResult()


def install() -> None:
    User.permissions_boundary = property(_boundary)  # type: ignore[attr-defined]
    IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.update(TRANSFORMERS)
    IamResponse.create_user = create_user  # type: ignore[method-assign]
    IamResponse.put_user_permissions_boundary = put_user_permissions_boundary  # type: ignore[attr-defined]
    IamResponse.delete_user_permissions_boundary = delete_user_permissions_boundary  # type: ignore[attr-defined]


def uninstall() -> None:
    IamResponse.create_user = _original_create_user  # type: ignore[method-assign]
    for name in ("put_user_permissions_boundary", "delete_user_permissions_boundary"):
        if name in IamResponse.__dict__:
            delattr(IamResponse, name)
    for key in TRANSFORMERS:
        IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.pop(key, None)
    if "permissions_boundary" in User.__dict__:
        del User.permissions_boundary  # type: ignore[attr-defined]

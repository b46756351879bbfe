"""Gap: moto keeps IAM user, group and role names case-sensitively: `case.victim` and `Case.Victim` are two
users. AWS: "IAM user, group, role, and policy names must be unique within the account. Names are not
distinguished by case. For example, you cannot create resources named both "MyResource" and "myresource""
(IAM API Reference: CreateUser, CreateGroup, CreateRole, UpdateUser). Adapter: CreateUser, CreateGroup,
CreateRole and the renames of UpdateUser / UpdateGroup refuse a name that an existing one equals ignoring case,
with EntityAlreadyExists (HTTP 409) and AWS's message ("User with name Case.Victim already exists.").

Lookups by name (GetUser, ListUserTags, ...) stay exact, as in moto: the IAM documentation does not say whether
AWS resolves a name given in another case, so this adapter does not guess.

Wraps IAMBackend methods, so the API (in-process and server mode) and CloudFormation are both covered. The
`iam_tags` adapter wraps `create_user` and `create_role` too and must be installed after this one (AWS validates
a request's shape before it looks for a conflict) and uninstalled before it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from moto.iam.exceptions import EntityAlreadyExists
from moto.iam.models import IAMBackend

from .wrapping import Wrappers


def refuse_taken(kind: str, name: str, existing: Iterable[str]) -> None:
    """EntityAlreadyExists if `name` equals any of `existing` ignoring case (IAM names are ASCII)."""
    folded = name.lower()
    if any(other.lower() == folded for other in existing):
        raise EntityAlreadyExists(f"{kind} with name {name} already exists.")


def _create_user(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_user(self: IAMBackend, region_name: str, user_name: str, *args: Any, **kwargs: Any) -> Any:
        refuse_taken("User", user_name, self.users)
        return original(self, region_name, user_name, *args, **kwargs)

    return create_user


def _create_group(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_group(self: IAMBackend, group_name: str, *args: Any, **kwargs: Any) -> Any:
        refuse_taken("Group", group_name, self.groups)
        return original(self, group_name, *args, **kwargs)

    return create_group


def _create_role(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_role(self: IAMBackend, role_name: str, *args: Any, **kwargs: Any) -> Any:
        refuse_taken("Role", role_name, (role.name for role in self.get_roles()))
        return original(self, role_name, *args, **kwargs)

    return create_role


def _update_user(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_user(
        self: IAMBackend, user_name: str, new_path: str | None = None, new_user_name: str | None = None
    ) -> Any:
        if new_user_name:
            self.get_user(user_name)  # NoSuchEntity first, as AWS
            refuse_taken("User", new_user_name, self.users)
        return original(self, user_name, new_path, new_user_name)

    return update_user


def _update_group(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_group(self: IAMBackend, group_name: str, new_group_name: str | None, new_path: str | None) -> Any:
        if new_group_name:
            self.get_group(group_name)
            refuse_taken("Group", new_group_name, self.groups)
        return original(self, group_name, new_group_name, new_path)

    return update_group


_WRAPPERS = Wrappers(
    IAMBackend,
    {
        "create_user": _create_user,
        "create_group": _create_group,
        "create_role": _create_role,
        "update_user": _update_user,
        "update_group": _update_group,
    },
)


install = _WRAPPERS.install
uninstall = _WRAPPERS.uninstall

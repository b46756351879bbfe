"""IAM reads Turnstile makes, with one rule for absence: NoSuchEntity means "not there", anything else raises."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from ..aws import error_code

T = TypeVar("T")

MANAGED_TAG = "turnstile:managed"
EMPLOYEE_TAG = "turnstile:employee-id"


def or_none(read: Callable[[], T]) -> T | None:
    """`read()`, or None if IAM answers NoSuchEntity."""
    try:
        return read()
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise


@contextmanager
def absent_ok() -> Iterator[None]:
    """Swallow NoSuchEntity (the thing to remove is already gone): removals are idempotent."""
    try:
        yield
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise


def find_user(iam: Any, username: str) -> dict[str, Any] | None:
    return or_none(lambda: dict(iam.get_user(UserName=username)["User"]))


def user_tags(iam: Any, username: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in iam.get_paginator("list_user_tags").paginate(UserName=username):
        tags.update({t["Key"]: t["Value"] for t in page["Tags"]})
    return tags


def is_managed_for(tags: dict[str, str], employee_id: str) -> bool:
    return tags.get(MANAGED_TAG) == "true" and tags.get(EMPLOYEE_TAG) == employee_id


def groups_of(iam: Any, username: str) -> set[str]:
    names: set[str] = set()
    for page in iam.get_paginator("list_groups_for_user").paginate(UserName=username):
        names.update(g["GroupName"] for g in page["Groups"])
    return names


def access_keys(iam: Any, username: str) -> list[dict[str, Any]]:
    """Metadata (id, status, create date) of the user's access keys."""
    keys: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_access_keys").paginate(UserName=username):
        keys += page["AccessKeyMetadata"]
    return keys


def key_ids(iam: Any, username: str) -> list[str]:
    return [k["AccessKeyId"] for k in access_keys(iam, username)]


def mfa_serials(iam: Any, username: str) -> list[str]:
    serials: list[str] = []
    for page in iam.get_paginator("list_mfa_devices").paginate(UserName=username):
        serials += [d["SerialNumber"] for d in page["MFADevices"]]
    return serials


def has_login_profile(iam: Any, username: str) -> bool:
    return or_none(lambda: iam.get_login_profile(UserName=username)) is not None

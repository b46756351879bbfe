"""Create the IAM user, or confirm that the existing one is Turnstile's for this employee."""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..dal.iam_reads import EMPLOYEE_TAG, MANAGED_TAG, find_user, is_managed_for, user_tags
from ..errors import UserNameConflict
from ..models.onboarding import Hire, UserResult


def _whose(tags: dict[str, str]) -> str:
    """Which of the three conflicts this is. The owner's id comes from IAM, not the event; it is quoted only
    if it has an employee id's shape (anyone with IAM rights could have written the tag)."""
    if tags.get(MANAGED_TAG) != "true":
        return f"is not managed by Turnstile (no {MANAGED_TAG}=true tag)"
    owner = tags.get(EMPLOYEE_TAG)
    if not owner:
        return f"is tagged {MANAGED_TAG}=true but has no {EMPLOYEE_TAG} tag, so which employee owns it is unknown"
    shown = owner if re.fullmatch(r"[A-Za-z0-9_-]{1,32}", owner) else "(an id of unexpected form)"
    return f"is Turnstile's user for another employee: employee {shown}"


def ensure_user(iam: Any, hire: Hire) -> UserResult:
    """Create the user under its path, tagged and bounded; a second run finds it and changes nothing.

    A name taken by a user Turnstile does not manage (or manages for another employee) raises
    UserNameConflict before anything is modified.
    """
    try:
        user = iam.create_user(
            UserName=hire.username,
            Path=hire.path,
            PermissionsBoundary=hire.permissions_boundary_arn,
            Tags=[{"Key": k, "Value": v} for k, v in hire.tags.items()],
        )["User"]
        return UserResult(user_arn=user["Arn"], created=True)
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
    existing = find_user(iam, hire.username)
    if existing is None:  # IAM names are unique ignoring case: the holder may be spelled otherwise (or just deleted)
        raise UserNameConflict(
            f"IAM user name {hire.username!r} is taken by a user whose name differs at most in letter case "
            "(or was deleted meanwhile); it was not modified"
        )
    tags = user_tags(iam, hire.username)
    if not is_managed_for(tags, hire.employee_id):
        raise UserNameConflict(f"IAM user {hire.username!r} already exists and {_whose(tags)}; it was not modified")
    boundary = existing.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    if boundary != hire.permissions_boundary_arn:
        iam.put_user_permissions_boundary(UserName=hire.username, PermissionsBoundary=hire.permissions_boundary_arn)
    return UserResult(user_arn=existing["Arn"], created=False)

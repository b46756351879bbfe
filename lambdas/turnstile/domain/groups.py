"""Put the user in its groups, and only in groups on the allow-list."""

from __future__ import annotations

from typing import Any

from ..dal.iam_reads import groups_of
from ..errors import GroupNotAllowed
from ..models.onboarding import GroupsResult, Hire


def ensure_groups(iam: Any, hire: Hire, allowed: list[str]) -> GroupsResult:
    refused = sorted(set(hire.groups) - set(allowed))
    if refused:
        raise GroupNotAllowed(f"groups {refused} are not on the allow-list")
    current = groups_of(iam, hire.username)
    added = []
    for group in hire.groups:
        if group not in current:
            iam.add_user_to_group(GroupName=group, UserName=hire.username)
            added.append(group)
    return GroupsResult(added=added, already_member=sorted(set(hire.groups) & current))

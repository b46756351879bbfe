"""CreateUser and AddToGroups: idempotent, and never touching a user Turnstile does not manage."""

from __future__ import annotations

import pytest
from turnstile.domain.groups import ensure_groups
from turnstile.domain.users import ensure_user
from turnstile.errors import GroupNotAllowed, UserNameConflict

from tests.unit.conftest import Account


def test_user_is_created_under_its_path_tagged_and_bounded(account: Account) -> None:
    iam = account.client("iam")
    result = ensure_user(iam, account.hire())
    user = iam.get_user(UserName="jane.smith")["User"]
    assert result.created and result.user_arn.endswith(":user/turnstile/engineering/jane.smith")
    assert user["Path"] == "/turnstile/engineering/"
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == account.boundary_arn
    tags = {t["Key"]: t["Value"] for t in user["Tags"]}
    assert tags["turnstile:managed"] == "true" and tags["turnstile:employee-id"] == "E1001"


def test_second_run_finds_the_user_and_changes_nothing(account: Account) -> None:
    iam = account.client("iam")
    first = ensure_user(iam, account.hire())
    second = ensure_user(iam, account.hire())
    assert not second.created and second.user_arn == first.user_arn
    assert len(iam.list_users()["Users"]) == 1


def test_name_taken_by_an_unmanaged_user_is_a_conflict_and_that_user_is_untouched(account: Account) -> None:
    iam = account.client("iam")
    iam.create_user(UserName="jane.smith", Path="/humans/", Tags=[{"Key": "owner", "Value": "it"}])
    before = iam.get_user(UserName="jane.smith")["User"]
    with pytest.raises(UserNameConflict, match="not managed by Turnstile"):
        ensure_user(iam, account.hire())
    after = iam.get_user(UserName="jane.smith")["User"]
    assert after == before and "PermissionsBoundary" not in after


def test_name_taken_by_another_employees_managed_user_is_a_conflict(account: Account) -> None:
    iam = account.client("iam")
    ensure_user(iam, account.hire(employee_id="E0999"))
    with pytest.raises(UserNameConflict, match="employee E0999"):
        ensure_user(iam, account.hire())


def test_groups_are_added_once(account: Account) -> None:
    iam = account.client("iam")
    ensure_user(iam, account.hire())
    allowed = account.env.require_directory().allowed_groups
    first = ensure_groups(iam, account.hire(), allowed)
    second = ensure_groups(iam, account.hire(), allowed)
    assert first.added == ["engineering", "backend"] and second.added == []
    assert sorted(second.already_member) == ["backend", "engineering"]


def test_groups_outside_the_allow_list_are_refused_before_any_change(account: Account) -> None:
    iam = account.client("iam")
    ensure_user(iam, account.hire())
    iam.create_group(GroupName="admins")
    with pytest.raises(GroupNotAllowed):
        ensure_groups(iam, account.hire(groups=["engineering", "admins"]), ["engineering", "backend"])
    assert iam.list_groups_for_user(UserName="jane.smith")["Groups"] == []

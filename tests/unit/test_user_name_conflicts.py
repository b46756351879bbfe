"""A user name already taken: the conflict says which of the three cases it is, and touches nothing."""

from __future__ import annotations

import pytest
from turnstile.domain.users import ensure_user
from turnstile.errors import UserNameConflict

from tests.unit.conftest import Account


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (
            [{"Key": "owner", "Value": "it"}],
            "IAM user 'jane.smith' already exists and is not managed by Turnstile (no turnstile:managed=true tag); "
            "it was not modified",
        ),
        (
            [{"Key": "turnstile:managed", "Value": "false"}, {"Key": "turnstile:employee-id", "Value": "E1001"}],
            "IAM user 'jane.smith' already exists and is not managed by Turnstile (no turnstile:managed=true tag); "
            "it was not modified",
        ),
        (
            [{"Key": "turnstile:managed", "Value": "true"}, {"Key": "turnstile:employee-id", "Value": "E0999"}],
            "IAM user 'jane.smith' already exists and is Turnstile's user for another employee: employee E0999; "
            "it was not modified",
        ),
        (
            [{"Key": "turnstile:managed", "Value": "true"}],
            "IAM user 'jane.smith' already exists and is tagged turnstile:managed=true but has no "
            "turnstile:employee-id tag, so which employee owns it is unknown; it was not modified",
        ),
        (
            # someone hand-wrote the tag: its value is not quoted
            [
                {"Key": "turnstile:managed", "Value": "true"},
                {"Key": "turnstile:employee-id", "Value": "ask jane@example.com"},
            ],
            "IAM user 'jane.smith' already exists and is Turnstile's user for another employee: employee (an id of "
            "unexpected form); it was not modified",
        ),
    ],
)
def test_each_conflict_says_whose_user_it_is_and_leaves_it_alone(
    account: Account, tags: list[dict[str, str]], expected: str
) -> None:
    iam = account.client("iam")
    iam.create_user(UserName="jane.smith", Path="/humans/", Tags=tags)
    before = iam.get_user(UserName="jane.smith")["User"]
    with pytest.raises(UserNameConflict) as caught:
        ensure_user(iam, account.hire())
    assert str(caught.value) == expected
    assert iam.get_user(UserName="jane.smith")["User"] == before

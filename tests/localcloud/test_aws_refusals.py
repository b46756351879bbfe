"""What AWS refuses and moto accepts (issue #7 §2): for each rule a test that raw moto still accepts it (it fails
the day moto changes, so the adapter can be revised or dropped), and tests at the limits that the local cloud
refuses it as AWS does (error code, HTTP status, message), both in-process and through the server
(`cloud.serve()`, what the AWS CLI talks to).

The gap tests come first: the proof classes share one local cloud per class, alive until the class ends.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud import LocalCloud

REGION = "us-east-1"
ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
KEY_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
VALUE_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
ONE_MIB = 1024 * 1024
OVER_THE_LIMIT = "Total size of the entries in the request is over the limit."
MALFORMED = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
Clients = Callable[[str], Any]


# fixtures and helpers -------------------------------------------------------------------------------------
@pytest.fixture
def raw_moto() -> Iterator[None]:
    """moto as shipped: no Turnstile adapter installed."""
    with mock_aws():
        yield


def raw(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@pytest.fixture(scope="class")
def served() -> Iterator[LocalCloud]:
    """One local cloud per test class, also served on 127.0.0.1; cases use names of their own."""
    with LocalCloud(aws_managed_policies=False) as cloud:
        cloud.serve()
        yield cloud


@pytest.fixture(params=["in-process", "server"])
def aws(request: pytest.FixtureRequest, served: LocalCloud) -> Clients:
    """Clients of the local cloud: through moto's in-process mock, or over HTTP to its server."""
    endpoint = served.endpoint_url if request.param == "server" else None
    return lambda service: boto3.client(service, region_name=REGION, endpoint_url=endpoint)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


def refused(call: Callable[[], Any], code: str, status: int) -> str:
    """Call, expect AWS's error `code` with HTTP `status`; return the message."""
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    return str(response["Error"]["Message"])


def errors(*violations: str) -> str:
    """AWS's message for broken model constraints, e.g. "2 validation errors detected: A; B"."""
    count = len(violations)
    return f"{count} validation error{'' if count == 1 else 's'} detected: " + "; ".join(violations)


def too_long(path: str, limit: int) -> str:
    return f"Value at '{path}' failed to satisfy constraint: Member must have length less than or equal to {limit}"


def pattern(path: str, regex: str) -> str:
    return f"Value at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {regex}"


def tag(key: str, value: str = "v") -> dict[str, str]:
    return {"Key": key, "Value": value}


# IAM names: gap -------------------------------------------------------------------------------------------
IAM_KINDS: dict[str, tuple[Callable[[Any, str], Any], Callable[[Any], list[str]]]] = {
    "User": (
        lambda iam, name: iam.create_user(UserName=name),
        lambda iam: [u["UserName"] for u in iam.list_users()["Users"]],
    ),
    "Group": (
        lambda iam, name: iam.create_group(GroupName=name),
        lambda iam: [g["GroupName"] for g in iam.list_groups()["Groups"]],
    ),
    "Role": (
        lambda iam, name: iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY),
        lambda iam: [r["RoleName"] for r in iam.list_roles()["Roles"]],
    ),
}


@pytest.mark.parametrize("kind", IAM_KINDS)
def test_gap_moto_iam_names_are_case_sensitive(raw_moto: None, kind: str) -> None:
    create, names = IAM_KINDS[kind]
    iam = raw("iam")
    create(iam, "case.victim")
    create(iam, "Case.Victim")
    assert sorted(names(iam)) == ["Case.Victim", "case.victim"]


# IAM tags: gap --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "tags",
    [
        [tag("k", "O'Brien & Co!#")],
        [tag("k" * 129)],
        [tag("k", "v" * 257)],
        [tag(f"k{i}") for i in range(51)],
    ],
    ids=["value characters", "key of 129", "value of 257", "51 tags"],
)
def test_gap_moto_accepts_any_iam_user_tags(raw_moto: None, tags: list[dict[str, str]]) -> None:
    raw("iam").create_user(UserName="u", Tags=tags)
    assert raw("iam").list_user_tags(UserName="u")["Tags"] == tags


@pytest.mark.parametrize("bad", [tag("k", "a&b"), tag("a\tb")], ids=["value characters", "tab in key"])
def test_gap_moto_checks_role_tags_loosely(raw_moto: None, bad: dict[str, str]) -> None:
    raw("iam").create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY, Tags=[bad])
    assert raw("iam").list_role_tags(RoleName="r")["Tags"] == [bad]


# Secrets Manager: gap -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "tags"),
    [("a,b", []), ("n" * 513, []), ("s", [tag("k" * 129)]), ("s", [tag("k", "v" * 257)])],
    ids=["comma in name", "name of 513", "tag key of 129", "tag value of 257"],
)
def test_gap_moto_accepts_any_secret_name_and_tag_length(raw_moto: None, name: str, tags: list[dict[str, str]]) -> None:
    assert raw("secretsmanager").create_secret(Name=name, Tags=tags)["Name"] == name


# EventBridge: gap -----------------------------------------------------------------------------------------
def entry_of(size: int, *, time: bool = False, resources: tuple[str, ...] = (), char: str = "x") -> dict[str, Any]:
    """A PutEvents entry of `size` bytes as EventBridge counts them (Time 14, Source "s", DetailType "d", Detail,
    each resource); the Detail pads with `char` (its UTF-8 length must divide the padding)."""
    padding = size - 2 - (14 if time else 0) - sum(len(r.encode()) for r in resources) - len(json.dumps({"p": ""}))
    width = len(char.encode())
    assert padding >= 0 and padding % width == 0, "size not reachable with this padding character"
    entry: dict[str, Any] = {
        "Source": "s",
        "DetailType": "d",
        "Detail": json.dumps({"p": char * (padding // width)}, ensure_ascii=False),
    }
    if time:
        entry["Time"] = 1_800_000_000
    if resources:
        entry["Resources"] = list(resources)
    return entry


def test_gap_moto_accepts_a_request_over_the_size_limit(raw_moto: None) -> None:
    response = raw("events").put_events(Entries=[entry_of(ONE_MIB + 1)])
    assert response["FailedEntryCount"] == 0


@pytest.mark.parametrize("detail", ['"a string"', "[1, 2]", "3", "null"])
def test_gap_moto_puts_a_detail_that_is_not_an_object(raw_moto: None, detail: str) -> None:
    with pytest.warns(UserWarning, match="EventDetail should be of type dict"):
        response = raw("events").put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": detail}])
    assert response["FailedEntryCount"] == 0 and "EventId" in response["Entries"][0]


# IAM names: with the adapter ------------------------------------------------------------------------------
class TestIamNamesAreUniqueIgnoringCase:
    @pytest.mark.parametrize("kind", IAM_KINDS)
    @pytest.mark.parametrize("variant", ["Case.Victim", "CASE.VICTIM", "case.victim"])
    def test_a_name_taken_in_any_case_is_refused(self, aws: Clients, kind: str, variant: str, unique: str) -> None:
        create, names = IAM_KINDS[kind]
        iam = aws("iam")
        taken, attempt = f"case.victim-{unique}", f"{variant}-{unique}"
        create(iam, taken)
        message = refused(lambda: create(iam, attempt), "EntityAlreadyExists", 409)
        assert message == f"{kind} with name {attempt} already exists."
        assert [n for n in names(iam) if n.lower() == taken] == [taken]
        create(iam, f"{taken}-2")  # a name differing otherwise is free

    def test_renames_onto_a_name_taken_in_another_case_are_refused(self, aws: Clients, unique: str) -> None:
        iam = aws("iam")
        for user in (f"a-{unique}", f"b-{unique}"):
            iam.create_user(UserName=user)
        message = refused(
            lambda: iam.update_user(UserName=f"b-{unique}", NewUserName=f"A-{unique}"), "EntityAlreadyExists", 409
        )
        assert message == f"User with name A-{unique} already exists."
        refused(lambda: iam.update_user(UserName=f"nobody-{unique}", NewUserName=f"A-{unique}"), "NoSuchEntity", 404)
        iam.update_user(UserName=f"b-{unique}", NewUserName=f"c-{unique}")
        assert iam.get_user(UserName=f"c-{unique}")["User"]["UserName"] == f"c-{unique}"

        for group in (f"ga-{unique}", f"gb-{unique}"):
            iam.create_group(GroupName=group)
        message = refused(
            lambda: iam.update_group(GroupName=f"gb-{unique}", NewGroupName=f"GA-{unique}"), "EntityAlreadyExists", 409
        )
        assert message == f"Group with name GA-{unique} already exists."
        iam.update_group(GroupName=f"gb-{unique}", NewGroupName=f"gc-{unique}")
        assert iam.get_group(GroupName=f"gc-{unique}")["Group"]["GroupName"] == f"gc-{unique}"


# IAM tags: with the adapter -------------------------------------------------------------------------------
IAM_TAG_LIMITS: list[tuple[str, list[dict[str, str]], list[str]]] = [
    ("key of 128", [tag("k" * 128)], []),
    ("key of 129", [tag("k" * 129)], [too_long("tags.1.member.key", 128)]),
    ("value of 256", [tag("k", "v" * 256)], []),
    ("value of 257", [tag("k", "v" * 257)], [too_long("tags.1.member.value", 256)]),
    ("empty value", [tag("k", "")], []),
    ("50 tags", [tag(f"k{i}") for i in range(50)], []),
    ("51 tags", [tag(f"k{i}") for i in range(51)], [too_long("tags", 50)]),
    ("second tag named", [tag("a", "ok"), tag("b", "x&y")], [pattern("tags.2.member.value", VALUE_PATTERN)]),
    ("every violation", [tag("k!" + "k" * 128, "v!")], [
        too_long("tags.1.member.key", 128),
        pattern("tags.1.member.key", KEY_PATTERN),
        pattern("tags.1.member.value", VALUE_PATTERN),
    ]),
    ("letters, numbers, spaces", [tag("Département Zoë", "Ünïcödé ٣ 四\u00a0x\u2003y")], []),
    ("every allowed symbol", [tag("_.:/=+-@", "_.:/=+-@")], []),
]  # fmt: skip
# Characters outside [\p{L}\p{Z}\p{N}_.:/=+\-@]: ASCII punctuation, control characters (a tab is not a space
# separator), a currency symbol, an emoji.
NOT_IN_TAGS = [*"'!#&*%$,;?~^`|\\\"<>()[]{}", "\t", "\n", "€", "😀"]


class TestIamTagRules:
    @pytest.mark.parametrize(
        ("tags", "violations"), [c[1:] for c in IAM_TAG_LIMITS], ids=[c[0] for c in IAM_TAG_LIMITS]
    )
    def test_limits_on_create_user(
        self, aws: Clients, unique: str, tags: list[dict[str, str]], violations: list[str]
    ) -> None:
        iam, user = aws("iam"), f"tagged-{unique}"
        if not violations:
            iam.create_user(UserName=user, Tags=tags)
            assert iam.list_user_tags(UserName=user, MaxItems=100)["Tags"] == tags
            return
        assert refused(lambda: iam.create_user(UserName=user, Tags=tags), "ValidationError", 400) == errors(*violations)
        refused(lambda: iam.get_user(UserName=user), "NoSuchEntity", 404)  # the whole request failed

    @pytest.mark.parametrize("char", NOT_IN_TAGS, ids=[f"U+{ord(c):04X}" for c in NOT_IN_TAGS])
    def test_each_character_outside_the_pattern_is_refused_in_keys_and_values(
        self, aws: Clients, unique: str, char: str
    ) -> None:
        iam = aws("iam")
        message = refused(
            lambda: iam.create_user(UserName=f"c-{unique}", Tags=[tag(f"k{char}", f"v{char}")]), "ValidationError", 400
        )
        assert message == errors(
            pattern("tags.1.member.key", KEY_PATTERN), pattern("tags.1.member.value", VALUE_PATTERN)
        )

    @pytest.mark.parametrize(
        "operation",
        [
            lambda iam, name, tags: iam.tag_user(UserName=name, Tags=tags),
            lambda iam, name, tags: iam.create_role(
                RoleName=f"{name}-new", AssumeRolePolicyDocument=ROLE_POLICY, Tags=tags
            ),
            lambda iam, name, tags: iam.tag_role(RoleName=name, Tags=tags),
            lambda iam, name, tags: iam.create_policy(PolicyName=f"{name}-new", PolicyDocument=POLICY, Tags=tags),
            # AWS checks the request's shape before it looks for a conflict: 400, not 409
            lambda iam, name, tags: iam.create_user(UserName=name.upper(), Tags=tags),
            lambda iam, name, tags: iam.create_role(
                RoleName=name.upper(), AssumeRolePolicyDocument=ROLE_POLICY, Tags=tags
            ),
        ],
        ids=["TagUser", "CreateRole", "TagRole", "CreatePolicy", "CreateUser, name taken", "CreateRole, name taken"],
    )
    def test_other_operations_refuse_the_same_tags(self, aws: Clients, unique: str, operation: Any) -> None:
        iam, name = aws("iam"), f"o-{unique}"
        iam.create_user(UserName=name)
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)
        message = refused(lambda: operation(iam, name, [tag("k", "O'Brien & Co")]), "ValidationError", 400)
        assert message == errors(pattern("tags.1.member.value", VALUE_PATTERN))
        assert iam.list_user_tags(UserName=name)["Tags"] == iam.list_role_tags(RoleName=name)["Tags"] == []
        refused(lambda: iam.get_role(RoleName=f"{name}-new"), "NoSuchEntity", 404)
        assert not [p for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == f"{name}-new"]


# Secrets Manager: with the adapter ------------------------------------------------------------------------
INVALID_NAME = (
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
)
NOT_IN_SECRET_NAMES = [*",# %&*'\"():;<>?[]{}|\\^`~$", "\t", "é"]


def secret_name(unique: str, length: int) -> str:
    return unique + "n" * (length - len(unique))


class TestSecretRules:
    @pytest.mark.parametrize(
        ("length", "violations"), [(512, []), (513, [too_long("name", 512)])], ids=["512 characters", "513"]
    )
    def test_name_length(self, aws: Clients, unique: str, length: int, violations: list[str]) -> None:
        sm, name = aws("secretsmanager"), secret_name(unique, length)
        if not violations:
            assert sm.create_secret(Name=name)["Name"] == name
            return
        assert refused(lambda: sm.create_secret(Name=name), "ValidationException", 400) == errors(*violations)
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            sm.describe_secret(SecretId=name)

    @pytest.mark.parametrize("char", NOT_IN_SECRET_NAMES, ids=[f"U+{ord(c):04X}" for c in NOT_IN_SECRET_NAMES])
    def test_each_character_outside_the_name_set_is_refused(self, aws: Clients, unique: str, char: str) -> None:
        sm = aws("secretsmanager")
        assert refused(lambda: sm.create_secret(Name=f"a{char}{unique}"), "ValidationException", 400) == INVALID_NAME

    @pytest.mark.parametrize(
        "name", ["turnstile/users/jane.smith/console-password", "Az09/_+=.@-"], ids=["Turnstile's", "every allowed"]
    )
    def test_names_in_the_set_are_accepted(self, aws: Clients, unique: str, name: str) -> None:
        assert aws("secretsmanager").create_secret(Name=f"{name}{unique}")["Name"] == f"{name}{unique}"

    @pytest.mark.parametrize(
        ("tags", "violations"),
        [
            ([tag("k" * 128, "v" * 256)], []),
            ([tag("k" * 129)], [too_long("tags.1.member.key", 128)]),
            ([tag("a"), tag("k", "v" * 257)], [too_long("tags.2.member.value", 256)]),
        ],
        ids=["key of 128, value of 256", "key of 129", "value of 257"],
    )
    @pytest.mark.parametrize("operation", ["CreateSecret", "TagResource"])
    def test_tag_lengths(
        self, aws: Clients, unique: str, operation: str, tags: list[dict[str, str]], violations: list[str]
    ) -> None:
        sm, name = aws("secretsmanager"), f"tagged-{unique}"
        if operation == "TagResource":
            sm.create_secret(Name=name)
            call: Callable[[], Any] = lambda: sm.tag_resource(SecretId=name, Tags=tags)  # noqa: E731
        else:
            call = lambda: sm.create_secret(Name=name, Tags=tags)  # noqa: E731
        if not violations:
            call()
            assert sm.describe_secret(SecretId=name)["Tags"] == tags
            return
        assert refused(call, "ValidationException", 400) == errors(*violations)
        if operation == "TagResource":
            assert "Tags" not in sm.describe_secret(SecretId=name)


# EventBridge: with the adapter ----------------------------------------------------------------------------
SIZES: list[tuple[str, list[dict[str, Any]], bool]] = [
    ("exactly 1 MiB", [entry_of(ONE_MIB)], True),
    ("one byte over", [entry_of(ONE_MIB + 1)], False),
    ("two halves", [entry_of(ONE_MIB // 2), entry_of(ONE_MIB // 2)], True),
    ("two halves, one byte over", [entry_of(ONE_MIB // 2), entry_of(ONE_MIB // 2 + 1)], False),
    ("UTF-8 bytes, two per é", [entry_of(ONE_MIB - 1, char="é")], True),
    ("UTF-8 bytes over, half as many characters", [entry_of(ONE_MIB + 1, char="é")], False),
    ("Time counts 14 bytes", [entry_of(ONE_MIB, time=True)], True),
    ("Time, one byte over", [entry_of(ONE_MIB + 1, time=True)], False),
    ("resources count", [entry_of(ONE_MIB, resources=("arn:aws:iam::123456789012:user/jane",))], True),
    ("resources, one byte over", [entry_of(ONE_MIB + 1, resources=("arn:aws:iam::123456789012:user/jane",))], False),
]
DETAILS = [
    ('"a string"', False),
    ("[1, 2]", False),
    ("3", False),
    ("true", False),
    ("null", False),
    ("{}", True),
    ('{"a": [1]}', True),
]


def queue_for(events: Any, sqs: Any, unique: str, source: str) -> str:
    """A queue receiving every event of `source` on the default bus (its policy lets EventBridge send for the rule,
    as AWS requires)."""
    url = sqs.create_queue(QueueName=f"q-{unique}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name=f"r-{unique}", EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
    }
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}
    )
    events.put_targets(Rule=f"r-{unique}", Targets=[{"Id": "q", "Arn": arn}])
    return str(url)


class TestEventBridgeEntries:
    @pytest.mark.parametrize(("entries", "accepted"), [c[1:] for c in SIZES], ids=[c[0] for c in SIZES])
    def test_request_size_limit(self, aws: Clients, entries: list[dict[str, Any]], accepted: bool) -> None:
        events = aws("events")
        if accepted:
            response = events.put_events(Entries=entries)
            assert response["FailedEntryCount"] == 0 and all("EventId" in e for e in response["Entries"])
            return
        assert refused(lambda: events.put_events(Entries=entries), "ValidationException", 400) == OVER_THE_LIMIT

    @pytest.mark.parametrize(("detail", "is_object"), DETAILS, ids=[d for d, _ in DETAILS])
    def test_detail_must_be_an_object(self, aws: Clients, detail: str, is_object: bool) -> None:
        response = aws("events").put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": detail}])
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        if is_object:
            assert response["FailedEntryCount"] == 0 and "EventId" in response["Entries"][0]
        else:
            assert response["FailedEntryCount"] == 1 and response["Entries"] == [MALFORMED]

    def test_a_malformed_entry_fails_alone_and_is_not_delivered(self, aws: Clients, unique: str) -> None:
        events, sqs = aws("events"), aws("sqs")
        url = queue_for(events, sqs, unique, source=f"src-{unique}")
        entry = {"Source": f"src-{unique}", "DetailType": "d"}
        response = events.put_events(
            Entries=[
                {**entry, "Detail": json.dumps({"n": 1})},
                {**entry, "Detail": "[1]"},
                {"DetailType": "d", "Detail": "[2]"},  # no Source: moto's InvalidArgument comes first, as on AWS
                {**entry, "Detail": json.dumps({"n": 3})},
            ]
        )
        assert response["FailedEntryCount"] == 2
        first, second, third, fourth = response["Entries"]
        assert "EventId" in first and "EventId" in fourth and second == MALFORMED
        assert third["ErrorCode"] == "InvalidArgument"
        delivered = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
        assert sorted(json.loads(m["Body"])["detail"]["n"] for m in delivered) == [1, 3]

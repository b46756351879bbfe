"""CloudTrail beyond IAM, as AWS delivers it to EventBridge: console sign-ins (aws.signin), root activity, STS and
CloudTrail calls, refused calls of any service, read-only events only for rules in state
ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, and the caller's source IP (localcloud/adapters/cloudtrail.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud import LocalCloud

REGION = "us-east-1"
PASSWORD = "Pass-word-123456!"


def client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)


@pytest.fixture
def raw_moto() -> Iterator[None]:
    with mock_aws():
        yield


def recorder(pattern: dict[str, Any], *, region: str = REGION, state: str = "ENABLED", name: str = "trail") -> str:
    """A queue receiving what a default-bus rule with `pattern` (and `state`) matches."""
    sqs, events = client("sqs", region), client("events", region)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name=name, EventPattern=json.dumps(pattern), State=state)["RuleArn"]
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    return str(url)


def received(cloud: LocalCloud | None, url: str, region: str = REGION) -> list[dict[str, Any]]:
    if cloud is not None:
        cloud.settle()
    messages = client("sqs", region).receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def user_with_password(name: str = "ann", *, mfa: bool = False) -> str | None:
    iam = client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD)
    if not mfa:
        return None
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    totp, now = pyotp.TOTP(seed), time.time()
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at(now - 30),
        AuthenticationCode2=totp.at(now),
    )
    return str(seed)


# Console sign-ins ---------------------------------------------------------------------------------------------
SIGN_IN = {"source": ["aws.signin"], "detail-type": ["AWS Console Sign In via CloudTrail"]}


def test_gap_moto_has_no_console_sign_in(raw_moto: None) -> None:
    url = recorder(SIGN_IN)
    user_with_password()
    assert not hasattr(mock_aws, "console_sign_in") and received(None, url) == []


def test_a_sign_in_with_the_password_succeeds_and_is_recorded(cloud: LocalCloud) -> None:
    url = recorder(SIGN_IN)
    user_with_password()
    session = cloud.console_sign_in("ann", PASSWORD, source_ip="203.0.113.9")
    assert session is not None
    session.client("sts").get_caller_identity()  # its calls are the user's (a read-only one: not delivered)
    assert cloud.cloudtrail is not None and cloud.cloudtrail.emitted[-1]["userIdentity"]["userName"] == "ann"
    [event] = received(cloud, url)
    detail = event["detail"]
    assert event["source"] == "aws.signin" and event["region"] == REGION
    assert detail["eventSource"] == "signin.amazonaws.com" and detail["eventName"] == "ConsoleLogin"
    assert detail["eventType"] == "AwsConsoleSignIn" and detail["sourceIPAddress"] == "203.0.113.9"
    assert detail["responseElements"] == {"ConsoleLogin": "Success"} and "errorMessage" not in detail
    assert detail["additionalEventData"]["MFAUsed"] == "No" and detail["additionalEventData"]["MobileVersion"] == "No"
    assert detail["userIdentity"]["type"] == "IAMUser" and detail["userIdentity"]["userName"] == "ann"


def test_a_wrong_password_or_an_unknown_name_fails_without_naming_what_was_typed(cloud: LocalCloud) -> None:
    url = recorder(SIGN_IN)
    user_with_password()
    assert cloud.console_sign_in("ann", "wrong") is None
    assert cloud.console_sign_in("my-bank-password", PASSWORD) is None
    wrong, unknown = [e["detail"] for e in received(cloud, url)]
    assert wrong["responseElements"] == {"ConsoleLogin": "Failure"} and wrong["errorMessage"] == "Failed authentication"
    assert wrong["userIdentity"]["userName"] == "ann" and wrong["userIdentity"]["accessKeyId"] == ""
    assert unknown["userIdentity"] == {
        "type": "IAMUser",
        "accountId": cloud.account,
        "accessKeyId": "",
        "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
    }
    assert unknown["errorMessage"] == "No username found in supplied account"
    assert "my-bank-password" not in json.dumps(unknown)


def test_a_user_with_mfa_needs_a_current_code_and_the_session_carries_it(cloud: LocalCloud) -> None:
    url = recorder(SIGN_IN)
    seed = user_with_password(mfa=True)
    assert seed is not None
    assert cloud.console_sign_in("ann", PASSWORD) is None
    assert (
        cloud.console_sign_in("ann", PASSWORD, mfa_code="000000" if pyotp.TOTP(seed).now() != "000000" else "1") is None
    )
    session = cloud.console_sign_in("ann", PASSWORD, mfa_code=pyotp.TOTP(seed).now())
    assert session is not None
    no_code, bad_code, ok = [e["detail"] for e in received(cloud, url)]
    assert no_code["responseElements"]["ConsoleLogin"] == "Failure"
    assert bad_code["additionalEventData"]["MFAUsed"] == "Yes" and bad_code["errorMessage"] == "Failed authentication"
    assert ok["responseElements"]["ConsoleLogin"] == "Success" and ok["additionalEventData"]["MFAUsed"] == "Yes"
    from localcloud import identity

    key = session.get_credentials().access_key
    assert identity.session_context(key)["aws:MultiFactorAuthPresent"] is True


def test_an_iam_users_sign_in_is_recorded_in_the_sign_in_region_roots_in_us_east_1(cloud: LocalCloud) -> None:
    here = recorder(SIGN_IN, region="eu-west-1", name="eu")
    home = recorder(SIGN_IN, name="home")
    user_with_password()
    assert cloud.console_sign_in("ann", PASSWORD, region="eu-west-1") is not None
    assert cloud.root_console_sign_in(success=False, mfa=False) is None
    [user_event] = received(cloud, here, "eu-west-1")
    [root_event] = received(cloud, home)
    assert user_event["region"] == "eu-west-1" and user_event["detail"]["awsRegion"] == "eu-west-1"
    root = root_event["detail"]
    assert root["awsRegion"] == "us-east-1" and root["userIdentity"]["type"] == "Root"
    assert (
        root["userIdentity"]["arn"] == f"arn:aws:iam::{cloud.account}:root" and "invokedBy" not in root["userIdentity"]
    )
    assert root["responseElements"] == {"ConsoleLogin": "Failure"} and root["additionalEventData"]["MFAUsed"] == "No"


# Root activity ----------------------------------------------------------------------------------------------
IAM_CALLS = {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}


def test_the_harness_is_root_invoked_by_localcloud_a_root_session_is_a_person(cloud: LocalCloud) -> None:
    url = recorder(IAM_CALLS)
    client("iam").create_user(UserName="by-harness")
    root = cloud.root_console_sign_in(source_ip="192.0.2.44")
    assert root is not None
    root.client("iam").create_user(UserName="by-root")
    harness, person = [e["detail"] for e in received(cloud, url)]
    assert harness["userIdentity"]["type"] == "Root" and harness["userIdentity"]["invokedBy"] == "localcloud"
    assert person["userIdentity"]["type"] == "Root" and "invokedBy" not in person["userIdentity"]
    assert person["userIdentity"]["arn"] == f"arn:aws:iam::{cloud.account}:root"
    assert person["sourceIPAddress"] == "192.0.2.44" and harness["sourceIPAddress"] == "127.0.0.1"
    # authorized as root, as the default credentials are
    assert all(r.request.principal.type == "Root" for r in cloud.authorization.decisions if "by-root" in str(r))


def test_from_ip_sets_where_a_sessions_calls_come_from(cloud: LocalCloud) -> None:
    url = recorder(IAM_CALLS)
    root = cloud.from_ip(cloud.root_session(), "198.51.100.200")
    root.client("iam").create_group(GroupName="g")
    [event] = received(cloud, url)
    assert event["detail"]["sourceIPAddress"] == "198.51.100.200"
    with pytest.raises(ValueError):
        cloud.from_ip(boto3.session.Session(region_name=REGION), "192.0.2.1")  # the harness's own credentials


# STS ----------------------------------------------------------------------------------------------------------
def test_gap_moto_emits_no_sts_events(raw_moto: None) -> None:
    url = recorder({"source": ["aws.sts"]})
    client("sts").get_session_token()
    assert received(None, url) == []


def test_sts_calls_are_recorded_regionally_with_the_caller_and_without_the_secret_key(cloud: LocalCloud) -> None:
    url = recorder({"source": ["aws.sts"]}, region="eu-west-1", name="sts")
    root = cloud.root_session()
    token = root.client("sts", region_name="eu-west-1").get_session_token(DurationSeconds=900)["Credentials"]
    [event] = received(cloud, url, "eu-west-1")
    detail = event["detail"]
    assert event["detail-type"] == "AWS API Call via CloudTrail" and detail["eventSource"] == "sts.amazonaws.com"
    assert detail["eventName"] == "GetSessionToken" and detail["awsRegion"] == "eu-west-1"
    assert detail["readOnly"] is False  # a change event, "even though it starts with Get"
    assert detail["userIdentity"]["type"] == "Root" and "invokedBy" not in detail["userIdentity"]
    assert detail["requestParameters"] == {"durationSeconds": 900}
    credentials = detail["responseElements"]["credentials"]
    assert credentials["accessKeyId"] == token["AccessKeyId"] and "secretAccessKey" not in credentials
    assert token["SecretAccessKey"] not in json.dumps(event)


def test_assume_role_is_read_only_and_reaches_only_rules_receiving_all_management_events(cloud: LocalCloud) -> None:
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{cloud.account}:root"}, "Action": "sts:AssumeRole"}
    doc = json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    arn = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=doc)["Role"]["Arn"]
    enabled = recorder({"source": ["aws.sts"]}, name="enabled")
    everything = recorder({"source": ["aws.sts"]}, name="all", state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    cloud.role_session(arn, "sess")
    assert received(cloud, enabled) == []
    [event] = received(cloud, everything)
    assert event["detail"]["eventName"] == "AssumeRole" and event["detail"]["readOnly"] is True
    assert event["detail"]["userIdentity"]["invokedBy"] == "localcloud"
    assert any(e["eventName"] == "AssumeRole" for e in cloud.cloudtrail.emitted)  # type: ignore[union-attr]


# Read-only management events ----------------------------------------------------------------------------------
def test_gap_moto_delivers_to_every_rule_whatever_its_state(raw_moto: None) -> None:
    url = recorder({"source": ["x"]}, state="DISABLED")
    client("events").put_events(Entries=[{"Source": "x", "DetailType": "d", "Detail": "{}"}])
    assert len(received(None, url)) == 1


def test_read_only_iam_calls_reach_only_rules_in_the_all_management_events_state(cloud: LocalCloud) -> None:
    enabled = recorder(IAM_CALLS, name="enabled")
    everything = recorder(IAM_CALLS, name="all", state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    disabled = recorder(IAM_CALLS, name="off", state="DISABLED")
    client("iam").list_users()
    client("iam").create_group(GroupName="g")
    assert [e["detail"]["eventName"] for e in received(cloud, enabled)] == ["CreateGroup"]
    listed, created = [e["detail"] for e in received(cloud, everything)]
    assert listed["eventName"] == "ListUsers" and listed["readOnly"] is True and listed["responseElements"] is None
    assert created["readOnly"] is False
    assert received(cloud, disabled) == []


def test_cloudformation_creates_a_rule_receiving_all_management_events(cloud: LocalCloud) -> None:
    template = {
        "Resources": {
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Name": "cfn-all",
                    "State": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
                    "EventPattern": {"source": ["aws.iam"]},
                },
            }
        }
    }
    client("cloudformation").create_stack(StackName="s", TemplateBody=json.dumps(template))
    assert client("events").describe_rule(Name="cfn-all")["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


# CloudTrail's own calls -----------------------------------------------------------------------------------------
def test_cloudtrail_calls_are_recorded_in_their_region_with_their_selectors(cloud: LocalCloud) -> None:
    region = "us-west-2"
    url = recorder({"source": ["aws.cloudtrail"]}, region=region, name="ct")
    client("s3").create_bucket(Bucket="trail-logs-bucket")
    trail = client("cloudtrail", region)
    trail.create_trail(Name="trail-one", S3BucketName="trail-logs-bucket")
    trail.put_event_selectors(
        TrailName="trail-one", EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    )
    trail.stop_logging(Name="trail-one")
    trail.describe_trails()  # read-only: not for an ENABLED rule
    events = [e["detail"] for e in received(cloud, url, region)]
    assert [d["eventName"] for d in events] == ["CreateTrail", "PutEventSelectors", "StopLogging"]
    assert {d["eventSource"] for d in events} == {"cloudtrail.amazonaws.com"}
    assert {d["awsRegion"] for d in events} == {region}
    selectors = events[1]["requestParameters"]
    assert selectors["trailName"] == "trail-one"
    assert selectors["eventSelectors"] == [{"readWriteType": "WriteOnly", "includeManagementEvents": True}]
    assert events[2]["requestParameters"] == {"name": "trail-one"} and events[2]["readOnly"] is False


# Refused calls of any service -----------------------------------------------------------------------------------
def test_a_refused_call_of_any_service_is_recorded_as_failed_in_its_region(cloud: LocalCloud) -> None:
    region = "eu-central-1"
    url = recorder({"source": ["aws.sqs", "aws.secretsmanager"]}, region=region, name="denied")
    client("iam").create_user(UserName="nobody")
    key = client("iam").create_access_key(UserName="nobody")["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=region
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        session.client("secretsmanager").create_secret(Name="s", SecretString="v")
    client("secretsmanager", region).create_secret(Name="allowed", SecretString="v")  # not refused: not recorded
    [event] = received(cloud, url, region)
    detail = event["detail"]
    assert event["source"] == "aws.secretsmanager" and detail["awsRegion"] == region
    assert detail["errorCode"] == "AccessDeniedException" and "not authorized" in detail["errorMessage"]
    assert detail["userIdentity"]["userName"] == "nobody" and detail["responseElements"] is None
    assert "secretString" not in json.dumps(detail)

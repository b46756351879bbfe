"""CloudTrail alerting, through the deployed rules: for every detection a positive event and near misses (the
same action by Turnstile's own role, a failed call, a look-alike principal, another event name), all made by
real calls against the local cloud (or its simulated console sign-ins), so the CloudTrail events, the EventBridge
rules and RaiseAlert are the deployed ones. Then deduplication, bursts and their windows, malformed events and
secrets."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError
from turnstile.domain import audit
from turnstile.domain.detections import BY_ID, DETECTIONS

from tests.workflows.scenarios import Deployed, person, snapshot
from tests.workflows.test_secrets import leaks

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
PASSWORD = "Correct-Horse-9-Battery!"  # a test user's console password in the emulated account
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}


@dataclass
class Actors:
    deployed: Deployed
    admin: boto3.session.Session  # an IAM user with AdministratorAccess (a person at a terminal)
    intern: boto3.session.Session  # an IAM user with no permissions at all
    lookalike: boto3.session.Session  # a role named like Turnstile's IssueAccessKey role, with admin rights
    managed: str  # a user Turnstile onboarded
    mfa_seed: str  # bob's virtual MFA device

    def client(self, who: str, service: str) -> Any:
        session = getattr(self, who)
        return session.client(service, region_name="us-east-1")


def user_with_key(deployed: Deployed, name: str, *policies: str) -> boto3.session.Session:
    iam = deployed.client("iam")
    iam.create_user(UserName=name)
    for arn in policies:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1"
    )


@pytest.fixture(scope="module")
def actors(deployed: Deployed) -> Actors:
    cloud, iam = deployed.cloud, deployed.client("iam")
    admin = user_with_key(deployed, "ops-admin", ADMIN_POLICY)
    intern = user_with_key(deployed, "intern")
    for name in ("bob", "carol", "dave", "erin", "frank", "grace"):
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password=PASSWORD)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    totp = pyotp.TOTP(seed)
    now = cloud.clock.now().timestamp()
    iam.enable_mfa_device(
        UserName="bob",
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at(now - 30),
        AuthenticationCode2=totp.at(now),
    )
    real_role = deployed.client("lambda").get_function_configuration(FunctionName="turnstile-IssueAccessKey")["Role"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": cloud.account}, "Action": "sts:AssumeRole"}],
    }
    lookalike = iam.create_role(
        RoleName=real_role.rsplit("/", 1)[1][:60] + "-x", AssumeRolePolicyDocument=json.dumps(trust)
    )
    iam.attach_role_policy(RoleName=lookalike["Role"]["RoleName"], PolicyArn=ADMIN_POLICY)
    deployed.hire(person("E7001", "Alert", "Watcher", console=False, programmatic=True))
    deployed.cloud.settle()
    return Actors(
        deployed=deployed,
        admin=admin,
        intern=intern,
        lookalike=cloud.role_session(lookalike["Role"]["Arn"], "lookalike"),
        managed="alert.watcher",
        mfa_seed=seed,
    )


def findings(deployed: Deployed, after: int) -> list[dict[str, Any]]:
    return [m for m in deployed.notifications(after=after) if m.get("event") == "Finding"]


def alerts_for(actors: Actors, act: Callable[[], Any]) -> list[dict[str, Any]]:
    """The findings `act()` raises (after CloudTrail and EventBridge have delivered everything)."""
    deployed = actors.deployed
    deployed.cloud.settle()
    mark = deployed.mark()
    act()
    deployed.cloud.settle()
    return findings(deployed, mark)


def detections(found: list[dict[str, Any]]) -> list[str]:
    return [f["detection"] for f in found]


def failing(call: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        with pytest.raises(ClientError):
            call()

    return run


# --- root ---------------------------------------------------------------------------------------------------


def test_root_activity_alerts_for_a_person_using_root_but_not_for_services_or_lookalikes(actors: Actors) -> None:
    cloud, iam = actors.deployed.cloud, actors.deployed.client("iam")
    root = cloud.root_session(source_ip="203.0.113.9").client("iam")
    [found] = alerts_for(actors, lambda: root.create_group(GroupName="root-made"))
    assert found["detection"] == "root-activity" and found["severity"] == "HIGH"
    assert found["principal"] == {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}
    assert found["source_ip"] == "203.0.113.9" and found["control"] == "CloudWatch.1 (CIS 1.7, 4.3)"
    # near misses: the emulator's operator (root invoked by a service, as CIS's filter excludes); a failed root
    # call; an IAM user named "root"
    assert alerts_for(actors, lambda: iam.create_group(GroupName="operator-made")) == []
    assert alerts_for(actors, failing(lambda: root.delete_group(GroupName="no-such-group"))) == []
    named_root = user_with_key(actors.deployed, "root", "arn:aws:iam::aws:policy/IAMFullAccess")
    assert (
        alerts_for(actors, lambda: named_root.client("iam").create_group(GroupName="made-by-a-user-named-root")) == []
    )


def test_root_console_sign_ins_alert_failed_or_not(actors: Actors) -> None:
    cloud = actors.deployed.cloud
    [signed_in] = alerts_for(actors, lambda: cloud.root_console_sign_in(mfa=True))
    assert signed_in["detection"] == "root-activity" and "signed in" in signed_in["why"]
    [failed] = alerts_for(actors, lambda: cloud.root_console_sign_in(success=False))
    assert failed["detection"] == "root-activity" and "failed to sign in" in failed["why"]


def test_a_root_access_key_is_critical(actors: Actors) -> None:
    root = actors.deployed.cloud.root_session().client("iam")
    found = alerts_for(actors, lambda: root.create_access_key())
    assert found and found[0]["detection"] == "root-access-key-created" and found[0]["severity"] == "CRITICAL"
    assert "root-activity" in found[0]["also"]
    # near misses: root making a key for a user is a backdoor key by root, not a root key; a user (named like
    # root) making its own key, no user name given, is nothing
    [other] = alerts_for(actors, lambda: root.create_access_key(UserName="carol"))
    assert other["detection"] == "backdoor-access-key" and "root-access-key-created" not in other["also"]
    rootish = user_with_key(actors.deployed, "root-account", "arn:aws:iam::aws:policy/IAMFullAccess")
    assert alerts_for(actors, lambda: rootish.client("iam").create_access_key()) == []


# --- keys, users, passwords made for others ------------------------------------------------------------------


def test_a_key_for_another_user_alerts_unless_turnstile_makes_it(actors: Actors) -> None:
    deployed = actors.deployed
    admin = actors.client("admin", "iam")
    [found] = alerts_for(actors, lambda: admin.create_access_key(UserName=actors.managed))
    assert found["detection"] == "backdoor-access-key" and found["severity"] == "HIGH"
    assert found["principal"]["arn"] == "arn:aws:iam::123456789012:user/ops-admin"
    target = found["target"]
    assert target["user_name"] == actors.managed and target["managed"] is True
    assert target["employee_id"] == "E7001" and target["department"] == "Engineering"
    assert "SecretAccessKey" not in json.dumps(found) and "secret" not in json.dumps(found["target"]).lower()
    # near misses: Turnstile's own key issuer, doing its declared job on a managed user
    issuer = deployed.cloud.function_session("turnstile-IssueAccessKey").client("iam")
    keys = issuer.list_access_keys(UserName=actors.managed)["AccessKeyMetadata"]
    for key in keys[1:]:
        deployed.client("iam").delete_access_key(UserName=actors.managed, AccessKeyId=key["AccessKeyId"])
    assert alerts_for(actors, lambda: issuer.create_access_key(UserName=actors.managed)) == []
    # ... a failed call
    assert alerts_for(actors, failing(lambda: admin.create_access_key(UserName="nobody-here"))) == []
    # a look-alike of Turnstile's role (same name, a suffix more) is not Turnstile
    lookalike = actors.client("lookalike", "iam")
    [imposter] = alerts_for(actors, lambda: lookalike.create_access_key(UserName="dave"))
    assert imposter["detection"] == "backdoor-access-key" and imposter["principal"]["session_issuer"].endswith("-x")


def test_an_own_key_made_by_a_user_alerts_nothing(actors: Actors) -> None:
    self_service = user_with_key(actors.deployed, "self.service", "arn:aws:iam::aws:policy/IAMUserChangePassword")
    iam = actors.deployed.client("iam")
    iam.put_user_policy(
        UserName="self.service",
        PolicyName="own-keys",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:CreateAccessKey",
                        "Resource": "arn:aws:iam::123456789012:user/self.service",
                    }
                ],
            }
        ),
    )
    assert alerts_for(actors, lambda: self_service.client("iam").create_access_key()) == []


def test_users_and_console_passwords_made_outside_turnstile_alert(actors: Actors) -> None:
    admin = actors.client("admin", "iam")
    [created] = alerts_for(actors, lambda: admin.create_user(UserName="shadow"))
    assert created["detection"] == "user-created-outside-turnstile" and created["target"]["managed"] is False
    [profile] = alerts_for(actors, lambda: admin.create_login_profile(UserName="shadow", Password=PASSWORD))
    assert profile["detection"] == "login-profile-for-another-user"
    [update] = alerts_for(actors, lambda: admin.update_login_profile(UserName="bob", Password=PASSWORD + "x"))
    assert update["detection"] == "login-profile-for-another-user"
    # near misses: failed calls (the name is taken; no such user)
    assert alerts_for(actors, failing(lambda: admin.create_user(UserName="shadow"))) == []
    assert alerts_for(actors, failing(lambda: admin.update_login_profile(UserName="ghost", Password=PASSWORD))) == []


def test_turnstiles_own_onboarding_raises_nothing(actors: Actors) -> None:
    deployed = actors.deployed
    mark = len(deployed.cloud.cloudtrail.emitted)

    def hire() -> None:
        deployed.hire(
            person("E7002", "Quiet", "Hire"), person("E7003", "Quiet", "Keys", console=False, programmatic=True)
        )

    assert alerts_for(actors, hire) == []
    # the onboarding's own watched calls did happen and were judged: CreateUser, CreateLoginProfile, CreateAccessKey
    made = {d["eventName"] for d in deployed.cloud.cloudtrail.emitted[mark:] if not d.get("errorCode")}
    assert {"CreateUser", "CreateLoginProfile", "CreateAccessKey"} <= made


# --- policies --------------------------------------------------------------------------------------------------


def test_policies_on_users_alert_and_group_policies_are_only_a_change(actors: Actors) -> None:
    admin = actors.client("admin", "iam")
    [direct] = alerts_for(actors, lambda: admin.attach_user_policy(UserName="carol", PolicyArn=READ_ONLY))
    assert direct["detection"] == "policy-on-user" and direct["also"] == ["iam-policy-change"]
    assert direct["control"] == "IAM.2 (CIS 1.15)"
    [inline] = alerts_for(
        actors,
        lambda: admin.put_user_policy(UserName="carol", PolicyName="s3", PolicyDocument=json.dumps(READ_S3)),
    )
    assert inline["detection"] == "policy-on-user"
    # near misses: to a group (a policy change, low); detaching; a failed attach
    admin.create_group(GroupName="auditors")
    [group] = alerts_for(actors, lambda: admin.attach_group_policy(GroupName="auditors", PolicyArn=READ_ONLY))
    assert group["detection"] == "iam-policy-change" and group["severity"] == "LOW" and group["also"] == []
    [detach] = alerts_for(actors, lambda: admin.detach_user_policy(UserName="carol", PolicyArn=READ_ONLY))
    assert detach["detection"] == "iam-policy-change"
    # near misses of iam-policy-change: another IAM change (a group made, a user added to it)
    assert alerts_for(actors, lambda: admin.create_group(GroupName="readers")) == []
    assert alerts_for(actors, lambda: admin.add_user_to_group(GroupName="readers", UserName="carol")) == []
    denied = actors.client("intern", "iam")
    assert "policy-on-user" not in detections(
        alerts_for(actors, failing(lambda: denied.attach_user_policy(UserName="carol", PolicyArn=READ_ONLY)))
    )


@pytest.mark.parametrize(
    "document",
    [
        ALLOW_ALL,
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}},
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                }
            ],
        },
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::x"}]},
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Reads", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
                {"Sid": "Everything", "Effect": "Allow", "Action": ["iam:Get*", "*"], "Resource": "*"},
            ],
        },
    ],
    ids=["plain", "object-and-lists", "with-a-condition", "not-resource", "second-statement"],
)
def test_every_form_of_allow_all_put_on_a_role_is_critical(actors: Actors, document: dict[str, Any]) -> None:
    admin = actors.client("admin", "iam")
    name = f"admin-{uuid.uuid4().hex[:6]}"
    admin.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(_trust(actors)))
    [found] = alerts_for(
        actors, lambda: admin.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    )
    assert found["detection"] == "administrator-grant" and found["severity"] == "CRITICAL"
    assert "iam-policy-change" in found["also"]


def _trust(actors: Actors) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": actors.deployed.cloud.account}, "Action": "sts:AssumeRole"}
        ],
    }


def test_administrator_access_attached_or_made_default_anywhere_is_critical(actors: Actors) -> None:
    admin = actors.client("admin", "iam")
    admin.create_group(GroupName="admins-by-hand")
    [attached] = alerts_for(
        actors, lambda: admin.attach_group_policy(GroupName="admins-by-hand", PolicyArn=ADMIN_POLICY)
    )
    assert attached["detection"] == "administrator-grant" and "AdministratorAccess" in attached["why"]
    arn = admin.create_policy(PolicyName="innocent", PolicyDocument=json.dumps(READ_S3))["Policy"]["Arn"]
    # near miss: a new version that allows everything, not made default, is only a change...
    [kept] = alerts_for(
        actors, lambda: admin.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL))
    )
    assert kept["detection"] == "iam-policy-change"
    # ...until it is made the default
    [made_default] = alerts_for(actors, lambda: admin.set_default_policy_version(PolicyArn=arn, VersionId="v2"))
    assert made_default["detection"] == "administrator-grant" and "made default" in made_default["why"]
    # attaching a customer managed policy whose default version allows everything
    [customer] = alerts_for(actors, lambda: admin.attach_group_policy(GroupName="admins-by-hand", PolicyArn=arn))
    assert customer["detection"] == "administrator-grant" and "default version" in customer["why"]
    [as_default] = alerts_for(
        actors,
        lambda: admin.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL), SetAsDefault=True),
    )
    assert as_default["detection"] == "administrator-grant"
    # near misses: a read-only policy attached to a group; a deny-all; a failed attach
    [read_only] = alerts_for(actors, lambda: admin.attach_group_policy(GroupName="admins-by-hand", PolicyArn=READ_ONLY))
    assert read_only["detection"] == "iam-policy-change"
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    [denying] = alerts_for(
        actors,
        lambda: admin.put_group_policy(GroupName="admins-by-hand", PolicyName="d", PolicyDocument=json.dumps(deny)),
    )
    assert denying["detection"] == "iam-policy-change"
    intern = actors.client("intern", "iam")
    assert "administrator-grant" not in detections(
        alerts_for(actors, failing(lambda: intern.attach_group_policy(GroupName="auditors", PolicyArn=ADMIN_POLICY)))
    )


# --- MFA, CloudTrail, sessions ---------------------------------------------------------------------------------


def test_an_mfa_device_removed_outside_turnstile_alerts(actors: Actors) -> None:
    admin = actors.client("admin", "iam")
    [device] = admin.list_mfa_devices(UserName="bob")["MFADevices"]
    # near miss first: a failed call
    assert (
        alerts_for(
            actors,
            failing(
                lambda: admin.deactivate_mfa_device(UserName="bob", SerialNumber="arn:aws:iam::123456789012:mfa/none")
            ),
        )
        == []
    )
    [found] = alerts_for(
        actors, lambda: admin.deactivate_mfa_device(UserName="bob", SerialNumber=device["SerialNumber"])
    )
    assert found["detection"] == "mfa-device-removed" and found["target"]["user_name"] == "bob"
    [deleted] = alerts_for(actors, lambda: admin.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"]))
    assert deleted["detection"] == "mfa-device-removed"


def test_turnstiles_rollback_may_remove_a_managed_users_device_without_an_alert(actors: Actors) -> None:
    deployed = actors.deployed
    serial = deployed.enrol_mfa(actors.managed)
    deployed.cloud.settle()
    rollback = deployed.cloud.function_session("turnstile-RollBackHire").client("iam")
    assert (
        alerts_for(actors, lambda: rollback.deactivate_mfa_device(UserName=actors.managed, SerialNumber=serial)) == []
    )
    # the next step of the same clean-up, by anyone else, alerts
    admin = actors.client("admin", "iam")
    [found] = alerts_for(actors, lambda: admin.delete_virtual_mfa_device(SerialNumber=serial))
    assert found["detection"] == "mfa-device-removed"


def test_cloudtrail_stopped_or_narrowed_alerts(actors: Actors) -> None:
    deployed = actors.deployed
    s3 = deployed.client("s3")
    s3.create_bucket(Bucket="org-trail-logs")
    trail = actors.client("admin", "cloudtrail")
    trail.create_trail(Name="org-trail", S3BucketName="org-trail-logs", IsMultiRegionTrail=True)
    trail.start_logging(Name="org-trail")
    deployed.cloud.settle()
    # near misses: selectors that keep management write events; another event name; a failed call
    keeps = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    assert alerts_for(actors, lambda: trail.put_event_selectors(TrailName="org-trail", EventSelectors=keeps)) == []
    assert alerts_for(actors, lambda: trail.get_trail_status(Name="org-trail")) == []
    assert alerts_for(actors, failing(lambda: trail.stop_logging(Name="no-such-trail"))) == []
    for selectors in (
        [{"ReadWriteType": "All", "IncludeManagementEvents": False}],
        [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}],
    ):
        [narrowed] = alerts_for(
            actors, lambda s=selectors: trail.put_event_selectors(TrailName="org-trail", EventSelectors=s)
        )
        assert narrowed["detection"] == "cloudtrail-logging-stopped" and narrowed["severity"] == "HIGH"
    [changed] = alerts_for(actors, lambda: trail.update_trail(Name="org-trail", IsMultiRegionTrail=False))
    assert changed["detection"] == "cloudtrail-changed"
    # near misses of cloudtrail-changed: a failed update; starting logging (another event name)
    assert alerts_for(actors, failing(lambda: trail.update_trail(Name="no-such-trail", IsMultiRegionTrail=True))) == []
    assert alerts_for(actors, lambda: trail.start_logging(Name="org-trail")) == []
    [stopped] = alerts_for(actors, lambda: trail.stop_logging(Name="org-trail"))
    assert stopped["detection"] == "cloudtrail-logging-stopped" and stopped["control"] == "CloudWatch.5 (CIS 3.5, 4.5)"
    [deleted] = alerts_for(actors, lambda: trail.delete_trail(Name="org-trail"))
    assert deleted["detection"] == "cloudtrail-logging-stopped"


def test_a_session_token_from_a_users_key_is_low(actors: Actors) -> None:
    [found] = alerts_for(actors, lambda: actors.client("intern", "sts").get_session_token())
    assert found["detection"] == "session-token-issued" and found["severity"] == "LOW"
    # near misses: another STS call by the same user; root asking for one is root activity, not this
    assert alerts_for(actors, lambda: actors.client("intern", "sts").get_caller_identity()) == []
    root = actors.deployed.cloud.root_session().client("sts", region_name="us-east-1")
    assert detections(alerts_for(actors, lambda: root.get_session_token())) == ["root-activity"]


# --- sign-ins --------------------------------------------------------------------------------------------------


def test_a_console_sign_in_without_mfa_alerts_and_with_mfa_does_not(actors: Actors) -> None:
    cloud = actors.deployed.cloud
    [found] = alerts_for(actors, lambda: cloud.console_sign_in("carol", PASSWORD))
    assert found["detection"] == "console-signin-without-mfa" and found["target"]["user_name"] == "carol"
    assert found["control"] == "CloudWatch.3 (CIS 3.2)"
    code = pyotp.TOTP(actors.mfa_seed).at(cloud.clock.now().timestamp())
    if actors.deployed.client("iam").list_mfa_devices(UserName="bob")["MFADevices"]:
        assert alerts_for(actors, lambda: cloud.console_sign_in("bob", PASSWORD, mfa_code=code)) == []
    # near misses: a failed sign-in (one is not a burst); root without MFA is root activity only
    assert alerts_for(actors, lambda: cloud.console_sign_in("carol", "wrong")) == []
    [root] = alerts_for(actors, lambda: cloud.root_console_sign_in(mfa=False))
    assert root["detection"] == "root-activity"


def test_failed_sign_ins_for_one_user_alert_once_per_window(actors: Actors) -> None:
    cloud = actors.deployed.cloud
    cloud.clock.advance(3600)  # a window of its own

    def fail(times: int, user: str = "dave", ip: str = "198.51.100.20") -> Callable[[], None]:
        return lambda: [cloud.console_sign_in(user, "guess", source_ip=ip) for _ in range(times)]

    assert alerts_for(actors, fail(4)) == []  # one short of the threshold
    [burst] = alerts_for(actors, fail(1))
    assert burst["detection"] == "signin-failures-for-one-user" and burst["burst"]["count"] == 5
    assert burst["burst"]["window_minutes"] == 15 and burst["control"] == "CloudWatch.6 (CIS 3.6, 4.6)"
    assert alerts_for(actors, fail(5)) == []  # the same window: one alert per window
    cloud.clock.advance(16 * 60)
    assert alerts_for(actors, fail(4)) == []  # a new window counts from zero...
    assert detections(alerts_for(actors, fail(1))) == ["signin-failures-for-one-user"]  # ...and alerts again


def test_failures_spread_wider_than_the_window_never_alert(actors: Actors) -> None:
    cloud = actors.deployed.cloud
    cloud.clock.advance(3600)
    for _ in range(8):
        assert alerts_for(actors, lambda: cloud.console_sign_in("erin", "guess", source_ip="198.51.100.30")) == []
        cloud.clock.advance(4 * 60)  # 4 failures in any 15 minutes: never 5


def test_one_address_failing_against_many_users_is_password_spraying(actors: Actors) -> None:
    cloud = actors.deployed.cloud
    cloud.clock.advance(3600)
    users = ["bob", "carol", "dave", "erin", "frank", "grace"]
    # near misses: many users from different addresses; four users from one address
    assert (
        alerts_for(
            actors,
            lambda: [cloud.console_sign_in(u, "Spring2026!", source_ip=f"192.0.2.{i}") for i, u in enumerate(users)],
        )
        == []
    )
    assert (
        alerts_for(
            actors, lambda: [cloud.console_sign_in(u, "Spring2026!", source_ip="203.0.113.66") for u in users[:4]]
        )
        == []
    )
    # an unknown user name counts as one more user
    [spray] = alerts_for(
        actors, lambda: cloud.console_sign_in("no-such-person", "Spring2026!", source_ip="203.0.113.66")
    )
    assert spray["detection"] == "signin-failures-from-one-address" and spray["severity"] == "HIGH"
    assert spray["source_ip"] == "203.0.113.66" and spray["burst"]["counts"] == "users"


# --- unauthorized calls -----------------------------------------------------------------------------------------


def test_unauthorized_calls_alert_above_the_threshold_per_principal_per_window(actors: Actors) -> None:
    cloud = actors.deployed.cloud
    cloud.clock.advance(3600)
    iam = actors.client("intern", "iam")
    sm = actors.client("intern", "secretsmanager")

    def denied(times: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(times):
                with pytest.raises(ClientError, match="AccessDenied"):
                    iam.list_users() if i % 2 else sm.list_secrets()

        return run

    assert alerts_for(actors, denied(9)) == []
    # near miss: failures that are not refusals do not count
    assert alerts_for(actors, failing(lambda: actors.client("admin", "iam").get_user(UserName="nobody"))) == []
    [burst] = alerts_for(actors, denied(1))
    assert burst["detection"] == "unauthorized-calls" and burst["burst"]["count"] == 10
    assert burst["principal"]["arn"] == "arn:aws:iam::123456789012:user/intern"
    assert alerts_for(actors, denied(5)) == []  # one alert per window
    cloud.clock.advance(6 * 60)
    assert alerts_for(actors, denied(9)) == []


# --- the pipeline ------------------------------------------------------------------------------------------------


def test_every_detection_has_a_rule_and_a_row(deployed: Deployed) -> None:
    events = deployed.client("events")
    names = {r["Name"]: r for r in events.list_rules(NamePrefix="turnstile-detect-")["Rules"]}
    for detection in DETECTIONS:
        rules = [r for r in names.values() if detection.id in (r.get("Description") or "")]
        assert len(rules) == 1, detection.id
    assert names["turnstile-detect-unauthorized-calls"]["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    readme = Path("README.md").read_text()
    for detection in (*DETECTIONS, BY_ID["password-policy-changed"]):
        assert f"`{detection.id}`" in readme, detection.id


def test_the_same_cloudtrail_event_delivered_twice_or_at_once_alerts_once(actors: Actors) -> None:
    deployed = actors.deployed
    cloud = deployed.cloud
    admin = actors.client("admin", "iam")
    [first] = alerts_for(actors, lambda: admin.create_user(UserName="twice"))
    [detail] = [d for d in cloud.cloudtrail.emitted if d.get("eventID") == first["event_id"]]
    assert alerts_for(actors, lambda: cloud.cloudtrail.emit(cloud.account, detail)) == []
    # a new event, delivered four times at once straight to the function
    admin.create_user(UserName="at-once")
    cloud.settle()
    [fresh] = [
        d
        for d in cloud.cloudtrail.emitted
        if d["eventName"] == "CreateUser" and (d.get("requestParameters") or {}).get("userName") == "at-once"
    ]
    copy = dict(detail, eventID=str(uuid.uuid4()), requestParameters={"userName": "at-once-2"})
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.iam",
        "account": cloud.account,
        "time": copy["eventTime"],
        "region": "us-east-1",
        "resources": [],
        "detail": copy,
    }
    lam = deployed.client("lambda")
    mark = deployed.mark()
    results: list[dict[str, Any]] = []

    def invoke() -> None:
        response = lam.invoke(FunctionName="turnstile-RaiseAlert", Payload=json.dumps(event))
        results.append(json.loads(response["Payload"].read()))

    threads = [threading.Thread(target=invoke) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["outcome"] for r in results) == ["alerted", "already-alerted", "already-alerted", "already-alerted"]
    assert len(findings(deployed, mark)) == 1
    assert fresh  # the real event of at-once alerted on its own
    dead = deployed.client("sqs").get_queue_url(QueueName="turnstile-alerts-dead-letters")["QueueUrl"]
    assert snapshot(cloud, dead) == []


MALFORMED: dict[str, Callable[[dict[str, Any]], None]] = {
    "user identity not an object": lambda d: d.update(userIdentity="root"),
    "event id missing": lambda d: d.pop("eventID"),
    "event time a number": lambda d: d.update(eventTime=1795890000),
    "user agent 20 KB": lambda d: d.update(userAgent="A" * 20_000),
    "parameters nested 40 deep": lambda d: d.update(requestParameters=_nested(40)),
    "user name not an IAM name": lambda d: d.update(requestParameters={"userName": "x'; DROP TABLE users;--"}),
    "identity type with spaces": lambda d: d["userIdentity"].update(type="IAM User"),
    "event name huge": lambda d: d.update(eventName="CreateUser" * 100),
}


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"userName": "deep"}
    for _ in range(depth):
        value = {"n": value}
    return value


def test_malformed_events_are_recorded_and_counted_never_judged(actors: Actors) -> None:
    deployed = actors.deployed
    cloud = deployed.cloud
    admin = actors.client("admin", "iam")
    [first] = alerts_for(actors, lambda: admin.create_user(UserName="template-user"))
    [template] = [d for d in cloud.cloudtrail.emitted if d.get("eventID") == first["event_id"]]
    before = len(audit.entries(deployed.client("dynamodb"), deployed.table, "REJECTED"))
    for name, corrupt in MALFORMED.items():
        detail = json.loads(json.dumps(template))
        detail["eventID"] = str(uuid.uuid4())
        corrupt(detail)
        assert alerts_for(actors, lambda d=detail: cloud.cloudtrail.emit(cloud.account, d)) == [], name
    rejected = audit.entries(deployed.client("dynamodb"), deployed.table, "REJECTED")[before:]
    cloudtrail_rejections = [r for r in rejected if r["action"] == "CloudTrailEventRejected"]
    # "event name huge" matches no rule (EventBridge never delivers it); every other one is rejected by RaiseAlert
    assert len(cloudtrail_rejections) == len(MALFORMED) - 1
    reasons = " ".join(r["details"]["reason"] for r in cloudtrail_rejections)
    assert "detail.userIdentity" in reasons and "detail.eventTime" in reasons and "detail.userAgent" in reasons
    assert "DROP TABLE" not in json.dumps(rejected) and "AAAAAAAAAA" not in json.dumps(rejected)
    metrics = [line for line in cloud.log_messages() if '"RejectedCloudTrailEvents"' in line]
    assert len(metrics) >= len(MALFORMED) - 1
    # the pipeline still works
    [after] = alerts_for(actors, lambda: admin.create_user(UserName="after-the-garbage"))
    assert after["detection"] == "user-created-outside-turnstile"


def test_no_secret_ever_appears_in_an_alert(actors: Actors) -> None:
    deployed = actors.deployed
    admin = actors.client("admin", "iam")
    made: list[str] = []

    def make_secrets() -> None:
        made.append(admin.create_access_key(UserName="frank")["AccessKey"]["SecretAccessKey"])
        admin.update_login_profile(UserName="frank", Password="Planted-Pass-77!")
        made.append("Planted-Pass-77!")
        made.append(actors.client("intern", "sts").get_session_token()["Credentials"]["SecretAccessKey"])

    found = alerts_for(actors, make_secrets)
    assert {"backdoor-access-key", "login-profile-for-another-user", "session-token-issued"} <= set(detections(found))
    recorded = {
        "notifications": json.dumps(snapshot(deployed.cloud, deployed.inbox_url)),
        "events": json.dumps(snapshot(deployed.cloud, deployed.events_url)),
        "logs": "\n".join(deployed.cloud.log_messages()),
        "table": json.dumps(deployed.client("dynamodb").scan(TableName=deployed.table)["Items"]),
    }
    assert leaks(recorded, made) == []
    # the scan would see one: plant a secret in an alert-shaped message
    deployed.client("sns").publish(
        TopicArn=deployed.deployment.outputs["NotificationsTopicArn"],
        Message=json.dumps({"event": "Finding", "why": made[0]}),
    )
    deployed.cloud.settle()
    time.sleep(0.2)
    assert leaks({"notifications": json.dumps(snapshot(deployed.cloud, deployed.inbox_url))}, made) != []

"""Credential ages, credential use and the credential report (`credential_ages`, `credential_report` adapters):
each gap as raw moto shows it (these fail when moto changes), and the local cloud behaving as AWS documents it
(IAM User Guide, "Getting credential reports"; API Reference, GenerateCredentialReport / GetCredentialReport)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud import LocalCloud, identity
from localcloud.adapters import credential_report

REGION = "us-east-1"
ACCOUNT = "123456789012"
DAYS_95 = dt.timedelta(days=95)
# The columns, in order, as the IAM User Guide lists them.
AWS_COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
    "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
    "cert_2_active", "cert_2_last_rotated",
]  # fmt: skip
PASSWORD = "Correct-Horse-42-battery"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture
def raw_moto() -> Iterator[None]:
    """moto as shipped: no Turnstile adapter installed."""
    with mock_aws():
        yield


def iam() -> Any:
    return boto3.client("iam", region_name=REGION)


def utc(value: dt.datetime) -> dt.datetime:
    """A timestamp botocore parsed (moto's are UTC, sometimes without a zone) as an aware UTC datetime."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def report_date(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S+00:00").replace(tzinfo=dt.UTC)


def user_with_key(name: str = "jane", path: str = "/turnstile/engineering/") -> tuple[str, boto3.session.Session]:
    """An IAM user allowed everything, with one access key; returns (key id, a session signing with it)."""
    iam().create_user(UserName=name, Path=path)
    iam().put_user_policy(UserName=name, PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam().create_access_key(UserName=name)["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION
    )
    return str(key["AccessKeyId"]), session


def last_used(key_id: str) -> dict[str, Any]:
    return dict(iam().get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"])


def report_rows() -> tuple[list[str], list[dict[str, str]], dt.datetime]:
    """(header, rows, GeneratedTime) of the current credential report."""
    response = iam().get_credential_report()
    lines = response["Content"].decode().splitlines()
    return lines[0].split(","), list(csv.DictReader(io.StringIO("\n".join(lines)))), utc(response["GeneratedTime"])


def generate_until_complete() -> list[str]:
    states = [iam().generate_credential_report()["State"]]
    while states[-1] != "COMPLETE" and len(states) < 10:
        states.append(iam().generate_credential_report()["State"])
    return states


def error_of(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


# 1. Creation times ---------------------------------------------------------------------------------------
def test_gap_moto_dates_credentials_by_the_host_clock_and_the_password_by_the_users_creation(raw_moto: None) -> None:
    from moto.iam.models import iam_backends

    user_with_key()
    created = utc(iam().list_access_keys(UserName="jane")["AccessKeyMetadata"][0]["CreateDate"])
    assert abs(created - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)  # the host's clock, no other
    iam_backends[ACCOUNT]["global"].users["jane"].create_date = dt.datetime(2020, 1, 1)
    iam().create_login_profile(UserName="jane", Password=PASSWORD)  # the password is set now, not in 2020
    iam().generate_credential_report()
    [row] = report_rows()[1]
    assert row["password_last_changed"] == "2020-01-01T00:00:00+00:00"
    profile = iam().get_login_profile(UserName="jane")["LoginProfile"]
    assert utc(profile["CreateDate"]) == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # the user's, not the profile's


def test_adapter_dates_a_login_profile_from_its_creation_not_the_users_or_its_updates(cloud: LocalCloud) -> None:
    iam().create_user(UserName="late.console")
    cloud.clock.advance(30 * 86400)
    iam().create_login_profile(UserName="late.console", Password=PASSWORD)
    made = cloud.clock.now()
    cloud.clock.advance(5 * 86400)
    iam().update_login_profile(UserName="late.console", Password=PASSWORD + "x")
    created = utc(iam().get_login_profile(UserName="late.console")["LoginProfile"]["CreateDate"])
    assert abs(created - made) < dt.timedelta(seconds=5)


def test_adapter_dates_credentials_on_the_local_clock(cloud: LocalCloud) -> None:
    before = cloud.clock.now()
    key_1, _ = user_with_key()
    iam().create_login_profile(UserName="jane", Password=PASSWORD)
    after = cloud.clock.now()
    cloud.clock.advance(DAYS_95.total_seconds())

    moved = cloud.clock.now()
    key_2 = iam().create_access_key(UserName="jane")["AccessKey"]["AccessKeyId"]
    iam().update_account_password_policy(MaxPasswordAge=90, MinimumPasswordLength=8)
    iam().update_login_profile(UserName="jane", Password=PASSWORD + "!")
    device = iam().create_virtual_mfa_device(VirtualMFADeviceName="jane")["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    totp = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed)
    now = time.time()  # AWS checks codes against real time; the enable date is the account's (local) time
    iam().enable_mfa_device(
        UserName="jane", SerialNumber=device["SerialNumber"], AuthenticationCode1=totp.at(now - 30),
        AuthenticationCode2=totp.at(now),
    )  # fmt: skip
    moved_after = cloud.clock.now()

    listed = iam().list_access_keys(UserName="jane")["AccessKeyMetadata"]
    keys = {k["AccessKeyId"]: utc(k["CreateDate"]) for k in listed}
    assert before <= keys[key_1] <= after
    assert moved <= keys[key_2] <= moved_after and keys[key_2] - keys[key_1] >= DAYS_95
    enabled = utc(iam().list_mfa_devices(UserName="jane")["MFADevices"][0]["EnableDate"])
    assert moved <= enabled <= moved_after

    assert generate_until_complete() == ["STARTED", "COMPLETE"]
    _, rows, generated = report_rows()
    jane = next(row for row in rows if row["user"] == "jane")
    assert DAYS_95 <= generated - report_date(jane["access_key_1_last_rotated"]) < DAYS_95 + dt.timedelta(minutes=1)
    assert moved - dt.timedelta(seconds=1) <= report_date(jane["access_key_2_last_rotated"]) <= moved_after
    assert before - dt.timedelta(seconds=1) <= report_date(jane["user_creation_time"]) <= after
    changed = report_date(jane["password_last_changed"])  # UpdateLoginProfile, after the advance
    assert moved - dt.timedelta(seconds=1) <= changed <= moved_after
    assert report_date(jane["password_next_rotation"]) == changed + dt.timedelta(days=90)
    assert jane["mfa_active"] == "true" and jane["password_last_used"] == "no_information"


# 2. Key and password use ---------------------------------------------------------------------------------
def test_gap_moto_records_key_use_by_module_name_host_time_every_time_and_for_inactive_keys(raw_moto: None) -> None:
    key_id, session = user_with_key()
    session.client("lambda").list_functions()
    used = last_used(key_id)
    assert used["ServiceName"] == "awslambda" and used["Region"] == REGION  # AWS: the namespace, "lambda"
    assert abs(utc(used["LastUsedDate"]) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    session.client("sts").get_caller_identity()  # within 15 minutes: AWS keeps the first use
    assert last_used(key_id)["ServiceName"] == "sts"
    iam().update_access_key(UserName="jane", AccessKeyId=key_id, Status="Inactive")
    session.client("iam").list_users()  # AWS refuses an inactive key's request: no use
    assert last_used(key_id)["ServiceName"] == "iam"
    iam().generate_credential_report()
    [row] = report_rows()[1]
    assert (row["access_key_1_last_used_region"], row["access_key_1_last_used_service"]) == ("not_supported",) * 2
    iam().create_login_profile(UserName="jane", Password=PASSWORD)
    identity.register_console_session(ACCOUNT, "jane")  # a console sign-in marks no password as used
    identity.forget_sessions()
    assert "PasswordLastUsed" not in iam().get_user(UserName="jane")["User"]


def test_adapter_records_key_use_as_aws_reports_it(cloud: LocalCloud) -> None:
    key_id, session = user_with_key()
    unused_id = iam().create_access_key(UserName="jane")["AccessKey"]["AccessKeyId"]
    assert last_used(key_id) == {"Region": "N/A", "ServiceName": "N/A"}
    cloud.clock.advance(DAYS_95.total_seconds())

    before = cloud.clock.now()
    session.client("sts").get_caller_identity()
    after = cloud.clock.now()
    first = last_used(key_id)
    assert (first["ServiceName"], first["Region"]) == ("sts", REGION)
    assert before <= utc(first["LastUsedDate"]) <= after
    session.client("lambda").list_functions()  # within 15 minutes of the recorded use: not recorded
    assert last_used(key_id) == first

    for service, call in (("lambda", "list_functions"), ("states", "list_state_machines"), ("iam", "list_users")):
        cloud.clock.advance(16 * 60)
        client = session.client({"states": "stepfunctions"}.get(service, service))  # type: ignore[call-overload]
        getattr(client, call)()
        assert (last_used(key_id)["ServiceName"], last_used(key_id)["Region"]) == (service, REGION)

    cloud.clock.advance(16 * 60)
    iam().update_access_key(UserName="jane", AccessKeyId=key_id, Status="Inactive")
    recorded = last_used(key_id)
    session.client("sts").get_caller_identity()  # AWS refuses it: an inactive key is not used
    cloud.role_session(  # a role session's key and the account root's calls are no user key's use
        iam().create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                           "Action": "sts:AssumeRole"}],
        }))["Role"]["Arn"]
    ).client("sts").get_caller_identity()  # fmt: skip
    assert last_used(key_id) == recorded and last_used(unused_id) == {"Region": "N/A", "ServiceName": "N/A"}

    generate_until_complete()
    jane = next(row for row in report_rows()[1] if row["user"] == "jane")
    assert report_date(jane["access_key_1_last_used_date"]) == utc(recorded["LastUsedDate"]).replace(microsecond=0)
    assert (jane["access_key_1_last_used_region"], jane["access_key_1_last_used_service"]) == (REGION, "iam")
    assert (jane["access_key_1_active"], jane["access_key_2_active"]) == ("false", "true")
    assert [jane[f"access_key_2_last_used_{c}"] for c in ("date", "region", "service")] == ["N/A"] * 3
    assert jane["password_enabled"] == "false" and jane["password_last_used"] == "N/A"


def test_adapter_records_a_console_sign_in_as_the_passwords_use(cloud: LocalCloud) -> None:
    iam().create_user(UserName="jane")
    cloud.console_session("jane")  # no password: nothing to record (AWS: N/A)
    assert "PasswordLastUsed" not in iam().get_user(UserName="jane")["User"]
    iam().create_login_profile(UserName="jane", Password=PASSWORD)
    cloud.clock.advance(DAYS_95.total_seconds())
    before = cloud.clock.now()
    cloud.console_session("jane")
    signed_in = utc(iam().get_user(UserName="jane")["User"]["PasswordLastUsed"])
    assert before <= signed_in <= cloud.clock.now()
    cloud.clock.advance(4 * 60)
    cloud.console_session("jane")  # within 5 minutes: AWS records the first use only
    assert utc(iam().get_user(UserName="jane")["User"]["PasswordLastUsed"]) == signed_in
    generate_until_complete()
    jane = next(row for row in report_rows()[1] if row["user"] == "jane")
    assert report_date(jane["password_last_used"]) == signed_in.replace(microsecond=0)


# 3. The report --------------------------------------------------------------------------------------------
def test_gap_moto_reports_at_once_live_dated_2015_without_the_root_row(raw_moto: None) -> None:
    assert iam().generate_credential_report()["State"] == "STARTED"
    header, rows, generated = report_rows()  # AWS: ReportInProgress until it completes
    assert generated == dt.datetime(2015, 2, 2, 20, 2, 2, tzinfo=dt.UTC)
    assert header == AWS_COLUMNS and rows == []  # AWS: "<root_account>" first
    iam().create_user(UserName="late", Path="/turnstile/")
    assert iam().generate_credential_report()["State"] == "COMPLETE"
    [late] = report_rows()[1]  # AWS: the report is the snapshot taken when generation started
    assert late["arn"] == f"arn:aws:iam::{ACCOUNT}:user/turnstile/late"


def test_adapter_generates_reuses_and_expires_the_report_as_aws_does(cloud: LocalCloud) -> None:
    assert error_of(iam().get_credential_report) == ("ReportNotPresent", 410)
    iam().create_user(UserName="jane", Path="/turnstile/engineering/")
    started = cloud.clock.now()
    response = iam().generate_credential_report()
    assert (response["State"], response["Description"]) == (
        "STARTED", "No report exists. Starting a new report generation task"
    )  # fmt: skip
    assert error_of(iam().get_credential_report) == ("ReportInProgress", 404)
    iam().create_user(UserName="late")  # after the snapshot
    assert iam().generate_credential_report()["State"] == "COMPLETE"

    header, rows, generated = report_rows()
    assert header == AWS_COLUMNS and started <= generated <= cloud.clock.now()
    assert [row["user"] for row in rows] == ["<root_account>", "jane"]
    root, jane = rows
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert [root[c] for c in ("password_enabled", "password_last_changed", "password_next_rotation")] == [
        "not_supported"
    ] * 3
    assert jane["arn"] == f"arn:aws:iam::{ACCOUNT}:user/turnstile/engineering/jane"

    cloud.clock.advance(4 * 3600 - 60)  # under four hours: reused, stale
    assert iam().generate_credential_report()["State"] == "COMPLETE"
    assert [row["user"] for row in report_rows()[1]] == ["<root_account>", "jane"] and report_rows()[2] == generated
    cloud.clock.advance(60)
    assert error_of(iam().get_credential_report) == ("ReportExpired", 410)
    assert generate_until_complete() == ["STARTED", "COMPLETE"]
    _, rows, regenerated = report_rows()
    assert [row["user"] for row in rows] == ["<root_account>", "jane", "late"]
    assert regenerated - generated >= dt.timedelta(hours=4)


def test_adapter_report_takes_as_many_polls_as_set(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credential_report, "GENERATION_POLLS", 3)
    assert generate_until_complete() == ["STARTED", "INPROGRESS", "INPROGRESS", "COMPLETE"]
    monkeypatch.setattr(credential_report, "GENERATION_POLLS", 0)
    cloud.clock.advance(4 * 3600)
    assert iam().generate_credential_report()["State"] == "STARTED"
    assert [row["user"] for row in report_rows()[1]] == ["<root_account>"]

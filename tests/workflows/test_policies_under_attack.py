"""The deployed stack's policies, attacked in the local cloud, which authorizes every call as AWS does (issue #7 §3).
Each test is a principal who should be refused, trying what the review found possible."""

from __future__ import annotations

import json
import time
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.workflows.scenarios import Deployed, person, snapshot

HOLD = "turnstile-mfa-required"


def denied(call: Any, *args: Any, **kwargs: Any) -> str:
    """The AccessDenied message of a refused call (any other outcome fails the test)."""
    with pytest.raises(ClientError) as refused:
        call(*args, **kwargs)
    error = refused.value.response["Error"]
    assert error["Code"] in ("AccessDenied", "AccessDeniedException", "AuthorizationError"), error
    return str(error["Message"])


def codes(device: dict[str, Any]) -> dict[str, str]:
    seed = device["Base32StringSeed"]
    totp, now = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed), time.time()
    return {"AuthenticationCode1": totp.at(now - 30), "AuthenticationCode2": totp.at(now)}


def test_a_held_user_cannot_enrol_a_device_on_a_user_whose_name_ends_like_theirs(deployed: Deployed) -> None:
    """`user/*${aws:username}` let `n.doe` act on `ann.doe`; CloudTrail would then have released the victim."""
    [victim] = deployed.hire(person("E6001", "Ann", "Doe"))
    deployed.hire(person("E6002", "Nat", "Doe", username="n.doe"))
    attacker = deployed.cloud.console_session("n.doe").client("iam")
    device = attacker.create_virtual_mfa_device(VirtualMFADeviceName="n.doe")["VirtualMFADevice"]
    message = denied(
        attacker.enable_mfa_device, UserName="ann.doe", SerialNumber=device["SerialNumber"], **codes(device)
    )
    assert "iam:EnableMFADevice on resource: arn:aws:iam::123456789012:user/turnstile/engineering/ann.doe" in message
    deployed.cloud.settle()
    assert deployed.parked(deployed.client("stepfunctions").describe_execution(executionArn=victim["executionArn"]))
    # on their own user, the same call is what the hold is for
    attacker.enable_mfa_device(UserName="n.doe", SerialNumber=device["SerialNumber"], **codes(device))


def test_a_credential_writer_cannot_read_a_secret_even_after_rewriting_its_policy(deployed: Deployed) -> None:
    [run] = deployed.hire(person("E6003", "Kay", "Writer", console=False, programmatic=True))
    assert deployed.parked(run)
    writer = deployed.cloud.function_session("turnstile-IssueAccessKey").client("secretsmanager")
    name = "turnstile/users/kay.writer/access-key"
    me = deployed.cloud.function_session("turnstile-IssueAccessKey").client("sts").get_caller_identity()["Arn"]
    role = "arn:aws:iam::123456789012:role/" + me.split("/")[1]
    opened = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": role}, "Action": "secretsmanager:*", "Resource": "*"}],
    }
    writer.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(opened))  # it may: it writes policies
    assert "explicit deny in an identity-based policy" in denied(writer.get_secret_value, SecretId=name)


def test_only_the_hr_integration_may_put_events_on_the_bus(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="intruder", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="intruder",
        PolicyName="put-anywhere",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*"}]}
        ),
    )
    intruder = deployed.cloud.role_session("arn:aws:iam::123456789012:role/intruder").client("events")
    entry = {
        "EventBusName": deployed.deployment.outputs["HrBusName"],
        "Source": "hr.system",
        "DetailType": "Employee Hired",
        "Detail": json.dumps(person("E6004", "Mal", "Lory")),
    }
    message = denied(intruder.put_events, Entries=[entry])
    assert "explicit deny in a resource-based policy" in message
    assert "mal.lory" not in [u["UserName"] for u in iam.list_users()["Users"]]
    # the root too: administrators do not put hires either
    denied(deployed.client("events").put_events, Entries=[entry])


def test_a_replay_from_the_archive_still_reaches_the_workflow(deployed: Deployed) -> None:
    """The bus's deny exempts AWS services: EventBridge replaying its archive is not a publisher."""
    events = deployed.client("events")
    start = deployed.cloud.clock.now()
    [first] = deployed.hire(person("E6005", "Rita", "Replay"))
    time.sleep(1)
    known = {r["executionArn"] for r in deployed.cloud.executions(deployed.state_machine)}
    bus = deployed.deployment.outputs["HrBusName"]
    archive = events.describe_archive(ArchiveName=f"{bus}-archive")["ArchiveArn"]
    events.start_replay(
        ReplayName="rita",
        EventSourceArn=archive,
        EventStartTime=start,
        EventEndTime=deployed.cloud.clock.now(),
        Destination={"Arn": events.describe_event_bus(Name=bus)["Arn"]},
    )
    deadline = time.monotonic() + 30
    while not (new := [r for r in deployed.cloud.executions(deployed.state_machine) if r["executionArn"] not in known]):
        assert time.monotonic() < deadline, "the replay started no execution"
        time.sleep(0.1)
    replayed = [deployed.cloud.wait_for_execution(r["executionArn"]) for r in new]
    assert any(deployed.state_output(r, "ClaimHire")["claim"]["claimed_by"] == first["executionArn"] for r in replayed)


def test_the_boundary_holds_against_a_managed_user_with_every_permission(deployed: Deployed) -> None:
    """Even given Action "*" on "*" directly (by an administrator), a managed user signed in with MFA cannot touch
    Turnstile's machinery, leave the MFA hold, mint credentials for others, rename users or blind CloudTrail."""
    [run] = deployed.hire(person("E6006", "Bo", "Undary"))
    deployed.client("iam").put_user_policy(
        UserName="bo.undary",
        PolicyName="everything",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    session = deployed.cloud.console_session("bo.undary", mfa=True)
    iam, lambda_, events = session.client("iam"), session.client("lambda"), session.client("events")
    in_boundary = "explicit deny in a permissions boundary"
    assert in_boundary in denied(lambda_.update_function_configuration, FunctionName="turnstile-ClaimHire", Timeout=1)
    assert in_boundary in denied(events.disable_rule, Name="turnstile-MfaEnrolledRule")
    assert in_boundary in denied(iam.remove_user_from_group, GroupName=HOLD, UserName="bo.undary")
    assert in_boundary in denied(iam.update_user, UserName="bo.undary", NewPath="/elsewhere/")
    assert in_boundary in denied(iam.create_access_key, UserName="ezra.other")
    assert in_boundary in denied(
        iam.create_service_specific_credential, UserName="ezra.other", ServiceName="codecommit.amazonaws.com"
    )
    [key] = [r["physical_id"] for r in deployed.deployment.resources.values() if r["type"] == "AWS::KMS::Key"]
    assert in_boundary in denied(session.client("kms").schedule_key_deletion, KeyId=key)
    assert "bo.undary" in iam.get_user(UserName="bo.undary")["User"]["UserName"]  # the ceiling still lets it work
    assert deployed.parked(run)


def test_createuser_cannot_retag_an_existing_managed_user(deployed: Deployed) -> None:
    deployed.hire(person("E6007", "Tag", "Guard"))
    creator = deployed.cloud.function_session("turnstile-CreateUser").client("iam")
    message = denied(creator.tag_user, UserName="tag.guard", Tags=[{"Key": "turnstile:employee-id", "Value": "E9999"}])
    assert "iam:TagUser" in message
    tags = {t["Key"]: t["Value"] for t in deployed.client("iam").list_user_tags(UserName="tag.guard")["Tags"]}
    assert tags["turnstile:employee-id"] == "E6007"


def test_a_failing_eventbridge_invoked_function_lands_in_its_dead_letter_queue(deployed: Deployed) -> None:
    """Errors inside ConfirmMfaEnrolment (not only failed deliveries) are retried twice, then recorded."""
    [run] = deployed.hire(person("E6008", "Dee", "Lq"))
    sqs = deployed.client("sqs")
    url = sqs.get_queue_url(QueueName="turnstile-iam-events-dead-letters")["QueueUrl"]
    with deployed.cloud.faults.injected("iam", "ListUserTags", "AccessDenied", caller="turnstile-ConfirmMfaEnrolment"):
        deployed.enrol_mfa("dee.lq")
        deployed.cloud.settle()
    records = [json.loads(body) for body in snapshot(deployed.cloud, url)]
    confirm = "turnstile-ConfirmMfaEnrolment:$LATEST"
    failed = [r for r in records if r.get("requestContext", {}).get("functionArn", "").endswith(confirm)]
    assert failed and failed[-1]["requestContext"]["condition"] == "RetriesExhausted"
    assert failed[-1]["requestContext"]["approximateInvokeCount"] == 3
    # the sweeper is the backstop: the enrolment still completes
    deployed.sweep_mfa()
    assert deployed.finish(run)["status"] == "SUCCEEDED"

"""Authorization in the local cloud: every call made under a role session, an IAM user or a service principal is
decided as AWS decides it, and refused with the error the service returns (IAM User Guide, "Troubleshoot access
denied error messages"). The matching gap tests (raw moto allows all of it) are in test_moto_gaps.py."""

from __future__ import annotations

import functools
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, fixtures
from localcloud.iam import catalogue
from localcloud.iam.catalogue import Call, Entity, Secret
from localcloud.iam.model import Principal

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
HANDLER = 'def handler(event, context):\n    print("seen", event)\n    return event\n'


# helpers ------------------------------------------------------------------------------------------------------
def statement(effect: str, action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal: dict[str, str] | None = None) -> str:
    """A trust policy: the account (delegating to identity policies) by default, or a service."""
    return document({"Effect": "Allow", "Principal": principal or {"AWS": ROOT}, "Action": "sts:AssumeRole"})


def role(cloud: LocalCloud, name: str, *statements: dict[str, Any], principal: dict[str, str] | None = None) -> str:
    iam = cloud.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(principal))["Role"]["Arn"])
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=document(*statements))
    return arn


def session(cloud: LocalCloud, name: str, *statements: dict[str, Any]) -> boto3.session.Session:
    """A session of a new role `name` allowed (or denied) what `statements` say, and nothing else."""
    return cloud.role_session(role(cloud, name, *statements), name)


def session_arn(name: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{name}"


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    return dict(caught.value.response)


LOGS = statement("Allow", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])


def make_function(
    cloud: LocalCloud, name: str = "f", principal: str = "lambda.amazonaws.com", *, logs: bool = True
) -> str:
    """A function whose execution role trusts `principal` and (with `logs`) may write the function's logs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/__init__.py", "")
        archive.writestr("app/main.py", HANDLER)
    execution_role = role(cloud, f"{name}-role", *([LOGS] if logs else []), principal={"Service": principal})
    return str(
        cloud.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=execution_role,
            Handler="app.main.handler",
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
    )


def queue_for(cloud: LocalCloud, name: str, service: str | None = None, source: str | None = None) -> tuple[str, str]:
    """A queue; with `service`, its policy lets that service send for `source` (aws:SourceArn)."""
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    if service:
        grant = statement("Allow", "sqs:SendMessage", arn, Principal={"Service": service})
        grant["Condition"] = {"ArnEquals": {"aws:SourceArn": source}}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": document(grant)})
    return url, arn


def messages(cloud: LocalCloud, url: str) -> list[dict[str, Any]]:
    found = cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return list(found.get("Messages", []))


def denial(cloud: LocalCloud, action: str) -> Any:
    """The latest recorded denial of `action`."""
    return [r for r in cloud.authorization.denied() if r.request.action == action][-1]


# each service: allowed by the identity policy, refused without it, refused by an explicit deny ----------------
@dataclass(frozen=True)
class Case:
    action: str
    service: str
    setup: Callable[[LocalCloud], str]  # creates the resource as root; returns the ARN AWS authorizes
    call: Callable[[Any, str], Any]  # (client, resource ARN)
    code: str  # the error code the service answers with (its API reference)
    status: int


def _table(cloud: LocalCloud) -> str:
    created = cloud.client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return str(created["TableDescription"]["TableArn"])


def _state_machine(cloud: LocalCloud) -> str:
    machine_role = role(cloud, "machine-role", principal={"Service": "states.amazonaws.com"})
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    created = cloud.client("stepfunctions").create_state_machine(name="m", definition=definition, roleArn=machine_role)
    return str(created["stateMachineArn"])


def _object(cloud: LocalCloud) -> str:
    cloud.client("s3").create_bucket(Bucket="bucket-b")
    cloud.client("s3").put_object(Bucket="bucket-b", Key="k", Body=b"v")
    return "arn:aws:s3:::bucket-b/k"


CASES = [
    Case(
        "iam:GetUser",
        "iam",
        lambda c: str(c.client("iam").create_user(UserName="u", Path="/staff/")["User"]["Arn"]),
        lambda client, arn: client.get_user(UserName="u"),
        "AccessDenied",
        403,
    ),
    Case(
        "sts:AssumeRole",
        "sts",
        lambda c: role(c, "target"),
        lambda client, arn: client.assume_role(RoleArn=arn, RoleSessionName="session"),
        "AccessDenied",
        403,
    ),
    Case(
        "secretsmanager:DescribeSecret",
        "secretsmanager",
        lambda c: str(c.client("secretsmanager").create_secret(Name="s", SecretString="v")["ARN"]),
        lambda client, arn: client.describe_secret(SecretId="s"),
        "AccessDeniedException",
        400,
    ),
    Case(
        "dynamodb:DescribeTable",
        "dynamodb",
        _table,
        lambda client, arn: client.describe_table(TableName="t"),
        "AccessDeniedException",
        400,
    ),
    Case(
        "kms:DescribeKey",
        "kms",
        lambda c: str(c.client("kms").create_key()["KeyMetadata"]["Arn"]),
        lambda client, arn: client.describe_key(KeyId=arn),
        "AccessDeniedException",
        400,
    ),
    Case(
        "sns:Publish",
        "sns",
        lambda c: str(c.client("sns").create_topic(Name="t")["TopicArn"]),
        lambda client, arn: client.publish(TopicArn=arn, Message="m"),
        "AuthorizationError",
        403,
    ),
    Case(
        "sqs:SendMessage",
        "sqs",
        lambda c: queue_for(c, "q")[1],
        lambda client, arn: client.send_message(
            QueueUrl=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q", MessageBody="m"
        ),
        "AccessDenied",
        403,
    ),
    Case(
        "states:DescribeStateMachine",
        "stepfunctions",
        _state_machine,
        lambda client, arn: client.describe_state_machine(stateMachineArn=arn),
        "AccessDeniedException",
        400,
    ),
    Case(
        "events:PutEvents",
        "events",
        lambda c: str(c.client("events").create_event_bus(Name="b")["EventBusArn"]),
        lambda client, arn: client.put_events(
            Entries=[{"EventBusName": "b", "Source": "s", "DetailType": "d", "Detail": "{}"}]
        ),
        "AccessDeniedException",
        400,
    ),
    Case(
        "lambda:GetFunction",
        "lambda",
        make_function,
        lambda client, arn: client.get_function(FunctionName="f"),
        "AccessDeniedException",
        403,
    ),
    Case(
        "logs:FilterLogEvents",
        "logs",
        lambda c: (
            c.client("logs").create_log_group(logGroupName="g") and f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:g"
        ),
        lambda client, arn: client.filter_log_events(logGroupName="g"),
        "AccessDeniedException",
        400,
    ),
    Case(
        "ssm:GetParameter",
        "ssm",
        lambda c: (
            c.client("ssm").put_parameter(Name="/p", Value="v", Type="String")
            and f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/p"
        ),
        lambda client, arn: client.get_parameter(Name="/p"),
        "AccessDeniedException",
        400,
    ),
    Case(
        "s3:GetObject",
        "s3",
        _object,
        lambda client, arn: client.get_object(Bucket="bucket-b", Key="k"),
        "AccessDenied",
        403,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.action for c in CASES])
def test_identity_policies_allow_and_the_service_refuses_as_aws_does(cloud: LocalCloud, case: Case) -> None:
    arn = case.setup(cloud)
    allowed = session(cloud, "allowed", statement("Allow", case.action, arn)).client(case.service)
    case.call(allowed, arn)

    bare = session(cloud, "bare").client(case.service)
    error = refused(lambda: case.call(bare, arn))
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (case.code, case.status)
    assert error["Error"]["Message"] == (
        f"User: {session_arn('bare')} is not authorized to perform: {case.action} on resource: {arn} "
        f"because no identity-based policy allows the {case.action} action"
    )

    denied = session(cloud, "denied", statement("Allow", "*"), statement("Deny", case.action, arn)).client(case.service)
    error = refused(lambda: case.call(denied, arn))
    assert error["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")
    assert denial(cloud, case.action).decision.denied_by.source == "role/denied inline inline"


# boundaries, groups, MFA ------------------------------------------------------------------------------------
def user_session(cloud: LocalCloud, name: str) -> boto3.session.Session:
    key = cloud.client("iam").create_access_key(UserName=name)["AccessKey"]
    return boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION
    )


def test_an_iam_user_gets_what_its_identity_policies_and_its_boundary_both_allow(cloud: LocalCloud) -> None:
    iam = cloud.client("iam")
    boundary = iam.create_policy(
        PolicyName="boundary", PolicyDocument=document(statement("Allow", ["iam:GetUser", "iam:ListGroups"]))
    )["Policy"]["Arn"]
    iam.create_user(UserName="u", PermissionsBoundary=boundary)
    iam.put_user_policy(
        UserName="u", PolicyName="own", PolicyDocument=document(statement("Allow", ["iam:GetUser", "iam:ListUsers"]))
    )
    iam.create_group(GroupName="readers")
    iam.put_group_policy(
        GroupName="readers", PolicyName="g", PolicyDocument=document(statement("Allow", "iam:ListGroups"))
    )
    iam.add_user_to_group(GroupName="readers", UserName="u")
    client = user_session(cloud, "u").client("iam")

    client.get_user(UserName="u")  # identity and boundary allow it
    client.list_groups()  # its group's policy, within the boundary
    error = refused(client.list_users)  # identity allows it, the boundary does not
    assert error["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/u is not authorized to perform: iam:ListUsers "
        "because no permissions boundary allows the iam:ListUsers action"
    )


MFA_HOLD = document(
    statement("Allow", "iam:GetUser"),
    statement("Deny", "*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
)


@pytest.mark.parametrize(("mfa", "allowed"), [(False, False), (True, True)])
def test_a_console_session_says_whether_mfa_was_used(cloud: LocalCloud, mfa: bool, allowed: bool) -> None:
    cloud.client("iam").create_user(UserName="u")
    cloud.client("iam").put_user_policy(UserName="u", PolicyName="hold", PolicyDocument=MFA_HOLD)
    client = cloud.console_session("u", mfa=mfa).client("iam")
    if allowed:
        client.get_user(UserName="u")
    else:
        assert refused(lambda: client.get_user(UserName="u"))["Error"]["Message"].endswith(
            "with an explicit deny in an identity-based policy"
        )


# resource policies ----------------------------------------------------------------------------------------
def test_a_queue_policy_naming_a_role_grants_on_its_own(cloud: LocalCloud) -> None:
    url, arn = queue_for(cloud, "q")
    reader = role(cloud, "reader")
    grant = statement("Allow", "sqs:SendMessage", arn, Principal={"AWS": reader})
    cloud.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": document(grant)})

    cloud.role_session(reader, "reader").client("sqs").send_message(QueueUrl=url, MessageBody="m")
    other = session(cloud, "other").client("sqs")
    assert refused(lambda: other.send_message(QueueUrl=url, MessageBody="m"))["Error"]["Code"] == "AccessDenied"


def test_an_explicit_deny_in_a_secret_policy_refuses_even_root_and_an_allowed_role(cloud: LocalCloud) -> None:
    sm = cloud.client("secretsmanager")
    sm.create_secret(Name="s", SecretString="v")
    reader = role(cloud, "reader", statement("Allow", "secretsmanager:GetSecretValue"))
    outsider = role(cloud, "outsider", statement("Allow", "secretsmanager:GetSecretValue"))
    deny_others = statement(
        "Deny",
        "secretsmanager:GetSecretValue",
        Principal="*",
        Condition={"StringNotEquals": {"aws:PrincipalArn": reader}},
    )
    sm.put_resource_policy(SecretId="s", ResourcePolicy=document(deny_others))

    assert (
        cloud.role_session(reader, "reader").client("secretsmanager").get_secret_value(SecretId="s")["SecretString"]
        == "v"
    )
    for client in (sm, cloud.role_session(outsider, "outsider").client("secretsmanager")):
        error = refused(functools.partial(client.get_secret_value, SecretId="s"))
        assert error["Error"]["Code"] == "AccessDeniedException"
        assert error["Error"]["Message"].endswith("with an explicit deny in a resource-based policy")


def test_a_key_policy_must_allow_even_what_identity_policies_allow(cloud: LocalCloud) -> None:
    """AWS KMS Developer Guide, "Key policies": without the key policy's say-so, IAM policies grant nothing."""
    admin = role(cloud, "admin")
    key = cloud.client("kms").create_key(Policy=document(statement("Allow", "kms:*", Principal={"AWS": admin})))[
        "KeyMetadata"
    ]["Arn"]
    client = session(cloud, "user", statement("Allow", "kms:DescribeKey", key)).client("kms")
    assert refused(lambda: client.describe_key(KeyId=key))["Error"]["Message"].endswith(
        "because no resource-based policy allows the kms:DescribeKey action"
    )
    cloud.role_session(admin, "admin").client("kms").describe_key(KeyId=key)


def test_only_principals_the_bus_policy_names_may_put_events_without_an_identity_policy(cloud: LocalCloud) -> None:
    events = cloud.client("events")
    bus = events.create_event_bus(Name="hr")["EventBusArn"]
    publisher = role(cloud, "publisher")
    events.put_permission(
        EventBusName="hr",
        Policy=document(statement("Allow", "events:PutEvents", bus, Sid="hr", Principal={"AWS": publisher})),
    )
    entry = {"EventBusName": "hr", "Source": "hr.system", "DetailType": "d", "Detail": "{}"}

    cloud.role_session(publisher, "publisher").client("events").put_events(Entries=[entry])
    intruder = session(cloud, "intruder").client("events")
    error = refused(lambda: intruder.put_events(Entries=[entry]))
    assert error["Error"]["Code"] == "AccessDeniedException" and f"events:PutEvents on resource: {bus}" in str(error)


# KMS via services ---------------------------------------------------------------------------------------------
def key_arn(cloud: LocalCloud) -> str:
    return str(cloud.client("kms").create_key()["KeyMetadata"]["Arn"])  # the default policy delegates to IAM


def test_a_table_under_a_customer_managed_key_needs_kms_decrypt(cloud: LocalCloud) -> None:
    key = key_arn(cloud)
    cloud.client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
    )
    item = {"pk": {"S": "x"}}
    writer = session(cloud, "writer", statement("Allow", "dynamodb:PutItem")).client("dynamodb")
    error = refused(lambda: writer.put_item(TableName="t", Item=item))
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDeniedException", 400)
    assert f"kms:Decrypt on resource: {key}" in error["Error"]["Message"]
    assert denial(cloud, "kms:Decrypt").request.context["kms:ViaService"] == f"dynamodb.{REGION}.amazonaws.com"

    keyed = session(cloud, "keyed", statement("Allow", "dynamodb:PutItem"), statement("Allow", "kms:Decrypt", key))
    keyed.client("dynamodb").put_item(TableName="t", Item=item)


def test_publishing_to_an_encrypted_topic_needs_the_key(cloud: LocalCloud) -> None:
    key = key_arn(cloud)
    topic = cloud.client("sns").create_topic(Name="t", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    publisher = session(cloud, "publisher", statement("Allow", "sns:Publish")).client("sns")
    error = refused(lambda: publisher.publish(TopicArn=topic, Message="m"))
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("KMSAccessDenied", 400)
    assert "kms:GenerateDataKey" in error["Error"]["Message"]

    keyed = session(
        cloud,
        "keyed",
        statement("Allow", "sns:Publish"),
        statement("Allow", ["kms:GenerateDataKey*", "kms:Decrypt"], key),
    )
    keyed.client("sns").publish(TopicArn=topic, Message="m")


def test_reading_a_secret_under_a_customer_managed_key_needs_kms_decrypt(cloud: LocalCloud) -> None:
    key = key_arn(cloud)
    cloud.client("secretsmanager").create_secret(Name="s", SecretString="v", KmsKeyId=key)
    reader = session(cloud, "reader", statement("Allow", "secretsmanager:GetSecretValue")).client("secretsmanager")
    error = refused(lambda: reader.get_secret_value(SecretId="s"))
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (
        "AccessDeniedException",
        "Access to KMS is not allowed",
    )
    assert denial(cloud, "kms:Decrypt").via == "secretsmanager"

    keyed = session(
        cloud, "keyed", statement("Allow", "secretsmanager:GetSecretValue"), statement("Allow", "kms:Decrypt", key)
    )
    assert keyed.client("secretsmanager").get_secret_value(SecretId="s")["SecretString"] == "v"


# service principals and the emulator's own paths ------------------------------------------------------------
def test_eventbridge_invokes_a_function_only_with_its_permission_else_the_event_goes_to_the_dlq(
    cloud: LocalCloud,
) -> None:
    function = make_function(cloud)
    events = cloud.client("events")
    rule = events.put_rule(Name="r", EventPattern=json.dumps({"source": ["x"]}))["RuleArn"]
    dlq, dlq_arn = queue_for(cloud, "dlq", "events.amazonaws.com", rule)
    target = {"Id": "f", "Arn": function, "DeadLetterConfig": {"Arn": dlq_arn}}
    events.put_targets(Rule="r", Targets=[target])
    entry = {"Source": "x", "DetailType": "d", "Detail": json.dumps({"n": 1})}

    events.put_events(Entries=[entry])
    [dead] = messages(cloud, dlq)
    assert "lambda:InvokeFunction" in dead["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
    assert denial(cloud, "lambda:InvokeFunction").principal == "events.amazonaws.com"

    cloud.client("lambda").add_permission(
        FunctionName="f",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    events.put_events(Entries=[entry])
    assert messages(cloud, dlq) == []
    assert any("seen" in m and "'n': 1" in m for m in cloud.log_messages())


def test_eventbridge_starts_a_state_machine_as_the_targets_role(cloud: LocalCloud) -> None:
    machine = _state_machine(cloud)
    events = cloud.client("events")
    rule = events.put_rule(Name="r", EventPattern=json.dumps({"source": ["x"]}))["RuleArn"]
    dlq, dlq_arn = queue_for(cloud, "dlq", "events.amazonaws.com", rule)
    starter = role(cloud, "starter", principal={"Service": "events.amazonaws.com"})
    target = {"Id": "m", "Arn": machine, "RoleArn": starter, "DeadLetterConfig": {"Arn": dlq_arn}}
    events.put_targets(Rule="r", Targets=[target])
    entry = {"Source": "x", "DetailType": "d", "Detail": "{}"}

    events.put_events(Entries=[entry])  # the role may not start it
    [dead] = messages(cloud, dlq)
    assert "states:StartExecution" in dead["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
    cloud.client("iam").put_role_policy(
        RoleName="starter",
        PolicyName="start",
        PolicyDocument=document(statement("Allow", "states:StartExecution", machine)),
    )
    events.put_events(Entries=[entry])
    assert len(cloud.executions(machine)) == 1


def run(cloud: LocalCloud, machine: str) -> dict[str, Any]:
    started = cloud.client("stepfunctions").start_execution(stateMachineArn=machine, name=str(uuid.uuid4()), input="{}")
    execution = started["executionArn"]
    return cloud.wait_for_execution(execution, timeout=30)


def test_the_interpreter_invokes_functions_as_the_state_machines_role(cloud: LocalCloud) -> None:
    function = make_function(cloud)
    machine_role = role(cloud, "machine-role", principal={"Service": "states.amazonaws.com"})
    definition = json.dumps(
        {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": function, "End": True}}}
    )
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(name="m", definition=definition, roleArn=machine_role)["stateMachineArn"]

    assert run(cloud, machine)["status"] == "FAILED"
    assert denial(cloud, "lambda:InvokeFunction").principal.startswith(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/machine-role/"
    )

    grant = document(statement("Allow", "lambda:InvokeFunction", function))
    cloud.client("iam").put_role_policy(RoleName="machine-role", PolicyName="invoke", PolicyDocument=grant)
    assert run(cloud, machine)["status"] == "SUCCEEDED"


def test_a_role_that_does_not_trust_a_service_cannot_be_used_by_it(cloud: LocalCloud) -> None:
    make_function(cloud, "f", principal="ec2.amazonaws.com")
    result = cloud.client("lambda").invoke(FunctionName="f", Payload=b"{}")
    assert result["FunctionError"] and json.loads(result["Payload"].read())["errorType"] == "AccessDeniedException"
    assumed = denial(cloud, "sts:AssumeRole")
    assert (assumed.principal, assumed.request.context["aws:SourceArn"]) == (
        "lambda.amazonaws.com",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f",
    )


def test_lambda_writes_a_functions_logs_only_if_its_role_may(cloud: LocalCloud) -> None:
    make_function(cloud, "quiet", logs=False)
    make_function(cloud, "heard")
    for name in ("quiet", "heard"):
        cloud.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"from": name}).encode())
    seen = "\n".join(cloud.log_messages())
    assert "'from': 'heard'" in seen and "'from': 'quiet'" not in seen
    assert denial(cloud, "logs:CreateLogGroup").principal.endswith("assumed-role/quiet-role/quiet")


@pytest.mark.parametrize(("account", "runs"), [(ACCOUNT, True), ("111122223333", False)])
def test_lambda_assumes_the_execution_role_for_the_functions_account(
    cloud: LocalCloud, account: str, runs: bool
) -> None:
    """A trust policy may require the function's account (aws:SourceAccount), as CDK's confused-deputy guard does."""
    make_function(cloud)
    guarded = {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
    }
    cloud.client("iam").update_assume_role_policy(RoleName="f-role", PolicyDocument=document(guarded))
    result = cloud.client("lambda").invoke(FunctionName="f", Payload=b"{}")
    assert ("FunctionError" not in result) is runs


def test_sns_delivers_to_a_queue_only_if_its_policy_allows_the_topic(cloud: LocalCloud) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    url, arn = queue_for(cloud, "q")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)

    sns.publish(TopicArn=topic, Message="dropped")
    assert messages(cloud, url) == []
    grant = statement("Allow", "sqs:SendMessage", arn, Principal={"Service": "sns.amazonaws.com"})
    grant["Condition"] = {"ArnEquals": {"aws:SourceArn": topic}}
    cloud.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": document(grant)})
    sns.publish(TopicArn=topic, Message="delivered")
    assert [json.loads(m["Body"])["Message"] for m in messages(cloud, url)] == ["delivered"]


# server mode, unknown actions, the report ---------------------------------------------------------------------
def test_the_loopback_server_refuses_the_same_way(cloud: LocalCloud) -> None:
    endpoint = cloud.serve()
    credentials = session(cloud, "bare").get_credentials()
    client = boto3.client(
        "iam",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
    )
    error = refused(client.list_users)
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
    assert error["Error"]["Message"].startswith(
        f"User: {session_arn('bare')} is not authorized to perform: iam:ListUsers"
    )
    assert denial(cloud, "iam:ListUsers").request.context["aws:SecureTransport"] is False


def test_an_action_the_catalogue_does_not_know_fails_loudly_under_a_role(cloud: LocalCloud) -> None:
    client = session(cloud, "anyone", statement("Allow", "*")).client("sns")
    error = refused(client.get_sms_attributes)
    assert error["Error"]["Code"] == "LocalCloudCatalogueGap" and "sns:GetSMSAttributes" in error["Error"]["Message"]
    cloud.client("sns").get_sms_attributes()  # root: nothing could refuse it


def test_every_decision_is_recorded_and_reported_by_principal(
    cloud: LocalCloud, tmp_path: Any, monkeypatch: Any
) -> None:
    client = session(cloud, "reader", statement("Allow", "iam:ListUsers")).client("iam")
    client.list_users()
    refused(client.list_roles)
    report = cloud.authorization.report(principal="role/reader")
    assert report.splitlines()[0] == f"arn:aws:iam::{ACCOUNT}:role/reader: 2 decisions, 1 denied"
    assert (
        "ALLOW" in report
        and "iam:ListUsers on *: allowed by Allow statement #0 of identity policy role/reader" in report
    )
    assert "DENY " in report and "no identity-based policy allows the iam:ListRoles action" in report
    assert all(r.request.principal.type == "Root" for r in cloud.authorization.log.select(principal=ROOT))

    dump = tmp_path / "denials.jsonl"
    monkeypatch.setenv("LOCALCLOUD_IAM_DENIALS", str(dump))
    with LocalCloud(aws_managed_policies=False) as other:
        refused(session(other, "bare").client("iam").list_users)
    [line] = [json.loads(text) for text in dump.read_text().splitlines()]
    assert (line["principal_arn"], line["action"], line["verdict"]) == (
        f"arn:aws:iam::{ACCOUNT}:role/bare",
        "iam:ListUsers",
        "deny",
    )


def test_authorization_can_be_switched_off_for_raw_moto() -> None:
    with LocalCloud(aws_managed_policies=False, authorization=False) as cloud:
        session(cloud, "bare").client("iam").list_users()
        assert cloud.authorization.decisions == []


# the catalogue: what each operation authorizes ----------------------------------------------------------------
@dataclass
class FakeLookup:
    users: dict[str, Entity] = field(default_factory=dict)
    groups: dict[str, Entity] = field(default_factory=dict)
    secrets: dict[str, Secret] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)

    def user(self, account: str, name: str) -> Entity | None:
        return self.users.get(name)

    def group(self, account: str, name: str) -> Entity | None:
        return self.groups.get(name)

    def role(self, account: str, name: str) -> Entity | None:
        return None

    def secret(self, account: str, region: str, secret_id: str) -> Secret | None:
        return self.secrets.get(secret_id)

    def kms_key(self, account: str, region: str, key_id: str) -> str | None:
        return f"arn:aws:kms:{region}:{account}:key/{key_id}"

    def kms_key_of_ciphertext(self, account: str, region: str, blob: bytes) -> str | None:
        return None

    def table_key(self, account: str, region: str, table: str) -> str | None:
        return self.tables.get(table)

    def topic_key(self, account: str, region: str, topic_arn: str) -> str | None:
        return None


IAM = f"arn:aws:iam::{ACCOUNT}"
JANE = Entity(f"{IAM}:user/turnstile/jane", {"turnstile:managed": "true"}, f"{IAM}:policy/boundary")
LOOKUP = FakeLookup(
    users={"jane": JANE},
    groups={"devs": Entity(f"{IAM}:group/turnstile/devs")},
    secrets={"app/db": Secret(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/db-AbCdEf", {"team": "a"})},
    tables={"t": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"},
)
ROLE = Principal("AssumedRole", f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", f"{IAM}:role/r", ACCOUNT)
CONSOLE_JANE = Principal("IAMUser", JANE.arn, JANE.arn, ACCOUNT, "AIDA", "jane")

ARN = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"  # ARN.format(service, resource)
DB_SECRET = LOOKUP.secrets["app/db"].arn
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q"
TRANSACTION = {"TransactItems": [{"Put": {"TableName": "u"}}, {"Delete": {"TableName": "u"}}]}


@dataclass(frozen=True)
class Authorizes:
    """`call` ("service:Operation") with `params`, made by `caller`, needs exactly `expected` (action, resource)."""

    call: str
    params: dict[str, Any]
    expected: list[tuple[str, str]]
    caller: Principal = ROLE


RESOURCES = [
    # Group membership is authorized on the group (with its path), not on the user.
    Authorizes(
        "iam:AddUserToGroup",
        {"GroupName": "devs", "UserName": "jane"},
        [("iam:AddUserToGroup", f"{IAM}:group/turnstile/devs")],
    ),
    Authorizes("iam:RemoveUserFromGroup", {"GroupName": "gone"}, [("iam:RemoveUserFromGroup", f"{IAM}:group/gone")]),
    # An existing user with its path; a missing one without; a new one with the path asked for.
    Authorizes("iam:GetUser", {"UserName": "jane"}, [("iam:GetUser", JANE.arn)]),
    # A rename or move is authorized on the user's ARN and on the one it will have; a no-op only on the first.
    Authorizes(
        "iam:UpdateUser",
        {"UserName": "jane", "NewUserName": "janet"},
        [("iam:UpdateUser", JANE.arn), ("iam:UpdateUser", f"{IAM}:user/turnstile/janet")],
    ),
    Authorizes(
        "iam:UpdateUser",
        {"UserName": "jane", "NewPath": "/former/"},
        [("iam:UpdateUser", JANE.arn), ("iam:UpdateUser", f"{IAM}:user/former/jane")],
    ),
    Authorizes("iam:UpdateUser", {"UserName": "jane", "NewPath": "/turnstile/"}, [("iam:UpdateUser", JANE.arn)]),
    Authorizes("iam:GetUser", {"UserName": "ghost"}, [("iam:GetUser", f"{IAM}:user/ghost")]),
    Authorizes("iam:GetUser", {}, [("iam:GetUser", JANE.arn)], CONSOLE_JANE),
    Authorizes(
        "iam:CreateUser", {"UserName": "new", "Path": "/turnstile/"}, [("iam:CreateUser", f"{IAM}:user/turnstile/new")]
    ),
    Authorizes("iam:ChangePassword", {"OldPassword": "a"}, [("iam:ChangePassword", JANE.arn)], CONSOLE_JANE),
    Authorizes("iam:EnableMFADevice", {"UserName": "jane"}, [("iam:EnableMFADevice", JANE.arn)], CONSOLE_JANE),
    # Virtual MFA devices are mfa/<name>; no resource type at all: "*".
    Authorizes(
        "iam:CreateVirtualMFADevice",
        {"VirtualMFADeviceName": "jane"},
        [("iam:CreateVirtualMFADevice", f"{IAM}:mfa/jane")],
    ),
    Authorizes(
        "iam:DeleteVirtualMFADevice",
        {"SerialNumber": f"{IAM}:mfa/jane"},
        [("iam:DeleteVirtualMFADevice", f"{IAM}:mfa/jane")],
    ),
    Authorizes("iam:ListVirtualMFADevices", {}, [("iam:ListVirtualMFADevices", "*")]),
    Authorizes("iam:GetAccountPasswordPolicy", {}, [("iam:GetAccountPasswordPolicy", "*")]),
    Authorizes("stepfunctions:SendTaskSuccess", {"taskToken": "t"}, [("states:SendTaskSuccess", "*")]),
    Authorizes("sts:GetCallerIdentity", {}, []),
    # A secret by its full ARN; a missing one named by name as given.
    Authorizes("secretsmanager:DescribeSecret", {"SecretId": "app/db"}, [("secretsmanager:DescribeSecret", DB_SECRET)]),
    Authorizes(
        "secretsmanager:DescribeSecret",
        {"SecretId": "app/x"},
        [("secretsmanager:DescribeSecret", ARN.format("secretsmanager", "secret:app/x"))],
    ),
    # An index; the table's customer managed key, decrypted by DynamoDB for the caller.
    Authorizes(
        "dynamodb:Query",
        {"TableName": "t", "IndexName": "i"},
        [("dynamodb:Query", ARN.format("dynamodb", "table/t/index/i")), ("kms:Decrypt", LOOKUP.tables["t"])],
    ),
    Authorizes(
        "dynamodb:TransactWriteItems",
        TRANSACTION,
        [
            ("dynamodb:PutItem", ARN.format("dynamodb", "table/u")),
            ("dynamodb:DeleteItem", ARN.format("dynamodb", "table/u")),
        ],
    ),
    Authorizes("sqs:SendMessageBatch", {"QueueUrl": QUEUE_URL}, [("sqs:SendMessage", ARN.format("sqs", "q"))]),
    Authorizes(
        "lambda:Invoke",
        {"FunctionName": "f:live"},
        [("lambda:InvokeFunction", ARN.format("lambda", "function:f:live"))],
    ),
    Authorizes(
        "lambda:Invoke",
        {"FunctionName": f"{ACCOUNT}:function:f"},
        [("lambda:InvokeFunction", ARN.format("lambda", "function:f"))],
    ),
    Authorizes(
        "events:PutEvents",
        {"Entries": [{"EventBusName": "hr"}, {"EventBusName": "hr"}, {}]},
        [
            ("events:PutEvents", ARN.format("events", "event-bus/hr")),
            ("events:PutEvents", ARN.format("events", "event-bus/default")),
        ],
    ),
    Authorizes(
        "events:PutTargets",
        {"Rule": "r", "EventBusName": "hr"},
        [("events:PutTargets", ARN.format("events", "rule/hr/r"))],
    ),
]


@pytest.mark.parametrize("case", RESOURCES, ids=[f"{c.call}-{i}" for i, c in enumerate(RESOURCES)])
def test_each_operation_authorizes_the_resource_the_service_authorization_reference_names(case: Authorizes) -> None:
    service, operation = case.call.split(":")
    needs = catalogue.needs(Call(service, operation, case.params, ACCOUNT, REGION, case.caller), LOOKUP)
    assert [(n.action, n.resource) for n in needs] == case.expected


def context(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    [need, *_] = catalogue.needs(Call(service, operation, params, ACCOUNT, REGION, ROLE), LOOKUP)
    return dict(need.context)


def test_condition_keys_come_from_the_request_and_the_resource() -> None:
    boundary = f"{IAM}:policy/boundary"
    created = context(
        "iam", "CreateUser", {"UserName": "n", "Tags": [{"Key": "team", "Value": "a"}], "PermissionsBoundary": boundary}
    )
    assert created == {"aws:RequestTag/team": "a", "aws:TagKeys": ["team"], "iam:PermissionsBoundary": boundary}
    existing = context("iam", "CreateLoginProfile", {"UserName": "jane"})
    assert existing == {
        "aws:ResourceTag/turnstile:managed": "true",
        "iam:ResourceTag/turnstile:managed": "true",
        "iam:PermissionsBoundary": boundary,
    }
    assert context("iam", "CreateLoginProfile", {"UserName": "ghost"}) == {}  # a missing user has no tags
    assert context("secretsmanager", "GetSecretValue", {"SecretId": "app/db"})["aws:ResourceTag/team"] == "a"


def test_an_operation_the_catalogue_does_not_know_is_named() -> None:
    with pytest.raises(catalogue.UnknownOperation, match="sns:GetSMSAttributes"):
        catalogue.needs(Call("sns", "GetSMSAttributes", {}, ACCOUNT, REGION, ROLE), LOOKUP)


def test_the_catalogue_covers_what_turnstile_calls() -> None:
    """Every operation Turnstile's functions, the workflow tests and the demo make (listed from a recorded run)."""
    iam = """
        AddUserToGroup CreateAccessKey CreateLoginProfile CreateUser CreateVirtualMFADevice DeleteAccessKey
        DeleteLoginProfile DeleteUser DeleteVirtualMFADevice DeactivateMFADevice EnableMFADevice
        GetAccountPasswordPolicy GetLoginProfile GetUser ListAccessKeys ListGroupsForUser ListMFADevices ListUserTags
        ListUsers
        PutUserPermissionsBoundary RemoveUserFromGroup TagUser UpdateAccessKey UpdateAccountPasswordPolicy
        UpdateLoginProfile DeleteAccountPasswordPolicy
    """
    others = """
        secretsmanager:CreateSecret secretsmanager:DeleteSecret secretsmanager:DescribeSecret
        secretsmanager:GetSecretValue secretsmanager:PutResourcePolicy secretsmanager:PutSecretValue
        secretsmanager:RestoreSecret secretsmanager:TagResource secretsmanager:ListSecrets dynamodb:GetItem
        dynamodb:PutItem dynamodb:UpdateItem dynamodb:DeleteItem dynamodb:Query sns:Publish sqs:SendMessage
        stepfunctions:SendTaskSuccess stepfunctions:SendTaskFailure stepfunctions:StartExecution lambda:Invoke
        events:PutEvents sts:AssumeRole sts:GetCallerIdentity logs:CreateLogStream logs:PutLogEvents
    """
    made = {f"iam:{op}" for op in iam.split()} | set(others.split())
    assert made - catalogue.known_operations() == set()


# an offboarding teardown: each IAM call it makes, authorized on the user (or its group, its MFA device) --------
def _everything(cloud: LocalCloud) -> fixtures.EverythingUser:
    return fixtures.user_with_everything(cloud, "leaver", path="/staff/", groups=["devs"], tags={"team": "a"})


def _bare(cloud: LocalCloud, made: fixtures.EverythingUser) -> None:
    """Everything removed but the boundary (as root), so that DeleteUser can succeed."""
    iam = cloud.client("iam")
    u = made.user_name
    iam.delete_login_profile(UserName=u)
    for key in made.access_key_ids:
        iam.delete_access_key(UserName=u, AccessKeyId=key)
    iam.delete_signing_certificate(UserName=u, CertificateId=made.signing_certificate_id)
    iam.delete_ssh_public_key(UserName=u, SSHPublicKeyId=made.ssh_public_key_id)
    iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=made.service_specific_credential_id)
    iam.deactivate_mfa_device(UserName=u, SerialNumber=made.mfa_serial)
    iam.delete_user_policy(UserName=u, PolicyName=made.inline_policy_name)
    iam.detach_user_policy(UserName=u, PolicyArn=made.managed_policy_arn)
    for group in made.groups:
        iam.remove_user_from_group(GroupName=group, UserName=u)


def _deactivated(cloud: LocalCloud, made: fixtures.EverythingUser) -> None:
    cloud.client("iam").deactivate_mfa_device(UserName=made.user_name, SerialNumber=made.mfa_serial)


@dataclass(frozen=True)
class Teardown:
    operation: str
    call: Callable[[Any, fixtures.EverythingUser], Any]
    on: str = "user"  # the resource type it is authorized on: user, group or mfa
    prepare: Callable[[LocalCloud, fixtures.EverythingUser], None] | None = None


U = "leaver"
TEARDOWN = [
    Teardown("ListSigningCertificates", lambda iam, m: iam.list_signing_certificates(UserName=U)),
    Teardown(
        "UploadSigningCertificate",
        lambda iam, m: iam.upload_signing_certificate(
            UserName=U, CertificateBody=fixtures.self_signed_certificate("second")
        ),
    ),
    Teardown(
        "UpdateSigningCertificate",
        lambda iam, m: iam.update_signing_certificate(
            UserName=U, CertificateId=m.signing_certificate_id, Status="Inactive"
        ),
    ),
    Teardown(
        "DeleteSigningCertificate",
        lambda iam, m: iam.delete_signing_certificate(UserName=U, CertificateId=m.signing_certificate_id),
    ),
    Teardown("ListSSHPublicKeys", lambda iam, m: iam.list_ssh_public_keys(UserName=U)),
    Teardown(
        "UploadSSHPublicKey",
        lambda iam, m: iam.upload_ssh_public_key(UserName=U, SSHPublicKeyBody=fixtures.ssh_rsa_public_key("second")),
    ),
    Teardown(
        "UpdateSSHPublicKey",
        lambda iam, m: iam.update_ssh_public_key(UserName=U, SSHPublicKeyId=m.ssh_public_key_id, Status="Inactive"),
    ),
    Teardown(
        "DeleteSSHPublicKey", lambda iam, m: iam.delete_ssh_public_key(UserName=U, SSHPublicKeyId=m.ssh_public_key_id)
    ),
    Teardown("ListServiceSpecificCredentials", lambda iam, m: iam.list_service_specific_credentials(UserName=U)),
    Teardown(
        "CreateServiceSpecificCredential",
        lambda iam, m: iam.create_service_specific_credential(UserName=U, ServiceName="codecommit.amazonaws.com"),
    ),
    Teardown(
        "UpdateServiceSpecificCredential",
        lambda iam, m: iam.update_service_specific_credential(
            UserName=U, ServiceSpecificCredentialId=m.service_specific_credential_id, Status="Inactive"
        ),
    ),
    Teardown(
        "DeleteServiceSpecificCredential",
        lambda iam, m: iam.delete_service_specific_credential(
            UserName=U, ServiceSpecificCredentialId=m.service_specific_credential_id
        ),
    ),
    Teardown("ListMFADevices", lambda iam, m: iam.list_mfa_devices(UserName=U)),
    Teardown("DeactivateMFADevice", lambda iam, m: iam.deactivate_mfa_device(UserName=U, SerialNumber=m.mfa_serial)),
    Teardown(
        "DeleteVirtualMFADevice",
        lambda iam, m: iam.delete_virtual_mfa_device(SerialNumber=m.mfa_serial),
        on="mfa",
        prepare=_deactivated,
    ),
    Teardown("ListGroupsForUser", lambda iam, m: iam.list_groups_for_user(UserName=U)),
    Teardown(
        "RemoveUserFromGroup", lambda iam, m: iam.remove_user_from_group(GroupName="devs", UserName=U), on="group"
    ),
    Teardown("ListAttachedUserPolicies", lambda iam, m: iam.list_attached_user_policies(UserName=U)),
    Teardown("DetachUserPolicy", lambda iam, m: iam.detach_user_policy(UserName=U, PolicyArn=m.managed_policy_arn)),
    Teardown("ListUserPolicies", lambda iam, m: iam.list_user_policies(UserName=U)),
    Teardown("DeleteUserPolicy", lambda iam, m: iam.delete_user_policy(UserName=U, PolicyName=m.inline_policy_name)),
    Teardown("DeleteUserPermissionsBoundary", lambda iam, m: iam.delete_user_permissions_boundary(UserName=U)),
    Teardown("ListAccessKeys", lambda iam, m: iam.list_access_keys(UserName=U)),
    Teardown(
        "UpdateAccessKey",
        lambda iam, m: iam.update_access_key(UserName=U, AccessKeyId=m.access_key_ids[0], Status="Inactive"),
    ),
    Teardown("DeleteAccessKey", lambda iam, m: iam.delete_access_key(UserName=U, AccessKeyId=m.access_key_ids[0])),
    Teardown("GetLoginProfile", lambda iam, m: iam.get_login_profile(UserName=U)),
    Teardown("DeleteLoginProfile", lambda iam, m: iam.delete_login_profile(UserName=U)),
    Teardown("TagUser", lambda iam, m: iam.tag_user(UserName=U, Tags=[{"Key": "state", "Value": "leaving"}])),
    Teardown("UntagUser", lambda iam, m: iam.untag_user(UserName=U, TagKeys=["team"])),
    Teardown("UpdateUser", lambda iam, m: iam.update_user(UserName=U, NewPath="/staff/")),  # the same ARN
    Teardown("DeleteUser", lambda iam, m: iam.delete_user(UserName=U), prepare=_bare),
]


def _resource(case: Teardown, made: fixtures.EverythingUser, elsewhere: bool) -> str:
    if case.on == "group":
        return f"{IAM}:group/{'other' if elsewhere else 'devs'}"
    if case.on == "mfa":
        return f"{IAM}:mfa/{'other' if elsewhere else 'leaver'}"
    return f"{IAM}:user/staff/other" if elsewhere else made.user_arn


@pytest.mark.parametrize("case", TEARDOWN, ids=[c.operation for c in TEARDOWN])
def test_each_teardown_call_is_authorized_on_what_it_changes(cloud: LocalCloud, case: Teardown) -> None:
    made = _everything(cloud)
    if case.prepare is not None:
        case.prepare(cloud, made)
    action = f"iam:{case.operation}"
    elsewhere = session(cloud, "elsewhere", statement("Allow", action, _resource(case, made, True))).client("iam")
    error = refused(lambda: case.call(elsewhere, made))
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
    assert f"perform: {action} on resource: {_resource(case, made, False)} " in error["Error"]["Message"]
    allowed = session(cloud, "allowed", statement("Allow", action, _resource(case, made, False))).client("iam")
    case.call(allowed, made)


def test_teardown_calls_see_the_users_tags_as_resource_tags(cloud: LocalCloud) -> None:
    made = _everything(cloud)
    for key in ("iam:ResourceTag/team", "aws:ResourceTag/team"):
        grant = statement("Allow", "iam:ListAccessKeys", f"{IAM}:user/*")
        grant["Condition"] = {"StringEquals": {key: "a"}}
        iam = session(cloud, f"by-{key.split(':')[0]}-tag", grant).client("iam")
        assert len(iam.list_access_keys(UserName=made.user_name)["AccessKeyMetadata"]) == 2
        cloud.client("iam").create_user(UserName=f"untagged-{key.split(':')[0]}")
        error = refused(lambda: iam.list_access_keys(UserName=f"untagged-{key.split(':')[0]}"))  # noqa: B023
        assert error["Error"]["Code"] == "AccessDenied"


def test_renaming_a_user_needs_update_user_on_both_its_arns(cloud: LocalCloud) -> None:
    made = _everything(cloud)
    moved = f"{IAM}:user/former/leaver"
    old_only = session(cloud, "old-only", statement("Allow", "iam:UpdateUser", made.user_arn)).client("iam")
    error = refused(lambda: old_only.update_user(UserName="leaver", NewPath="/former/"))
    assert f"perform: iam:UpdateUser on resource: {moved} " in error["Error"]["Message"]
    new_only = session(cloud, "new-only", statement("Allow", "iam:UpdateUser", moved)).client("iam")
    error = refused(lambda: new_only.update_user(UserName="leaver", NewPath="/former/"))
    assert f"perform: iam:UpdateUser on resource: {made.user_arn} " in error["Error"]["Message"]
    both = session(cloud, "both", statement("Allow", "iam:UpdateUser", [made.user_arn, moved])).client("iam")
    both.update_user(UserName="leaver", NewPath="/former/")
    assert cloud.client("iam").get_user(UserName="leaver")["User"]["Arn"] == moved

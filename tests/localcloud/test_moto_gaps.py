"""Each local-cloud adapter: the moto gap it covers still exists (these fail when moto changes, so the adapter
can be revised or dropped), and with the adapter the emulated account behaves as AWS does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import io
import json
import math
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation.parsing import get_model_map

from localcloud import DeploymentFailed, LocalCloud, fixtures
from localcloud.adapters import clock, public_parameters
from localcloud.adapters.cfn_resources import ADAPTED_TYPES, _original_archive_create
from localcloud.deploy import deploy

REGION = "us-east-1"
HANDLER = """
import json, os, time
def handler(event, context):
    print("seen", json.dumps(event))
    time.sleep(event.get("sleep", 0))
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"echo": event, "region": os.environ["AWS_REGION"], "custom": os.environ.get("CUSTOM")}
"""


def trusting(service: str) -> str:
    """A trust policy letting AWS service `service` assume the role."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


ROLE_POLICY = trusting("lambda.amazonaws.com")


def let_service_send(url: str, service: str, source_arn: str) -> None:
    """The queue policy AWS requires for `service` (EventBridge, SNS) to deliver to the queue for `source_arn`."""
    arn = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})


@pytest.fixture
def raw_moto() -> Iterator[None]:
    """moto as shipped: no Turnstile adapter installed."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def make_function(name: str = "echo", logging: dict[str, str] | None = None) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/__init__.py", "")
        archive.writestr("app/main.py", HANDLER)
    role = client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    logs = {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}
    client("iam").put_role_policy(  # what Lambda needs to write the function's logs as its role
        RoleName=f"{name}-role",
        PolicyName="logs",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{**logs, "Resource": "*"}]}),
    )
    return str(
        client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role,
            Handler="app.main.handler",
            Code={"ZipFile": buffer.getvalue()},
            Environment={"Variables": {"CUSTOM": "yes"}},
            **({"LoggingConfig": logging} if logging else {}),
        )["FunctionArn"]
    )


# Lambda -------------------------------------------------------------------------------------------------
def test_gap_moto_runs_lambda_code_only_in_docker(raw_moto: None) -> None:
    make_function()
    response = client("lambda").invoke(FunctionName="echo", Payload=b"{}")
    assert response.get("FunctionError") and b"docker" in response["Payload"].read().lower()


def test_adapter_runs_the_deployed_code_with_its_environment_and_logs(cloud: LocalCloud) -> None:
    make_function()
    response = client("lambda").invoke(FunctionName="echo", Payload=json.dumps({"a": 1}).encode())
    assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}, "region": REGION, "custom": "yes"}
    failed = client("lambda").invoke(FunctionName="echo", Payload=json.dumps({"fail": True}).encode())
    assert failed["FunctionError"] and json.loads(failed["Payload"].read())["errorType"] == "RuntimeError"
    assert any('seen {"a": 1}' in m for m in cloud.log_messages())


def test_gap_moto_ignores_a_functions_logging_config(raw_moto: None) -> None:
    from moto.awslambda.models import lambda_backends

    make_function(logging={"LogGroup": "custom"})
    assert lambda_backends["123456789012"][REGION].get_function("echo").logs_group_name == "/aws/lambda/echo"


def test_adapter_writes_to_the_configured_log_group(cloud: LocalCloud) -> None:
    client("logs").create_log_group(logGroupName="custom")
    make_function(logging={"LogGroup": "custom"})
    client("lambda").invoke(FunctionName="echo", Payload=json.dumps({"to": "custom"}).encode())
    [stream] = client("logs").describe_log_streams(logGroupName="custom")["logStreams"]
    events = client("logs").get_log_events(logGroupName="custom", logStreamName=stream["logStreamName"])["events"]
    assert any('seen {"to": "custom"}' in e["message"] for e in events)


def test_a_handlers_environment_is_seen_only_by_its_own_thread(cloud: LocalCloud) -> None:
    import os
    import threading

    make_function()
    seen_elsewhere: list[str] = []
    stop = threading.Event()

    def watch() -> None:  # what botocore does in other threads: iterate the environment
        while not stop.is_set():
            seen_elsewhere.extend(k for k in list(os.environ) if k in ("CUSTOM", "AWS_LAMBDA_FUNCTION_NAME"))
            _ = {k: os.environ[k] for k in os.environ}
            stop.wait(0.001)  # let the invoking thread run

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(20):
            payload = json.loads(client("lambda").invoke(FunctionName="echo", Payload=b"{}")["Payload"].read())
            assert payload["custom"] == "yes"
    finally:
        stop.set()
        watcher.join()
    assert seen_elsewhere == [] and "CUSTOM" not in os.environ


def busy(cloud: LocalCloud, name: str, seconds: float) -> threading.Thread:
    """Invoke `name` in another thread for `seconds`; return once the invocation holds its container."""
    call = threading.Thread(
        target=lambda: client("lambda").invoke(FunctionName=name, Payload=json.dumps({"sleep": seconds}).encode())
    )
    call.start()
    while not cloud.runtime.peak_concurrency.get(name):
        time.sleep(0.01)
    return call


def test_adapter_throttles_a_synchronous_invocation_beyond_reserved_concurrency(cloud: LocalCloud) -> None:
    make_function()
    client("lambda").put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=1)
    call = busy(cloud, "echo", 0.5)
    refused = client("lambda").invoke(FunctionName="echo", Payload=b'{"n": 1}')
    queued = client("lambda").invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"n": 2}')
    call.join()
    assert refused["FunctionError"] and json.loads(refused["Payload"].read())["errorType"] == (
        "Lambda.TooManyRequestsException"
    )
    assert queued["StatusCode"] == 202 and cloud.runtime.throttled == {"echo": 1}
    assert cloud.runtime.peak_concurrency["echo"] == 1  # the asynchronous event waited for the container
    assert any('seen {"n": 2}' in m for m in cloud.log_messages())
    assert not any('seen {"n": 1}' in m for m in cloud.log_messages())


def test_a_retry_after_a_throttle_waits_for_the_function_in_real_time(cloud: LocalCloud) -> None:
    """The back-off waits for the other invocation to end (the clock cannot skip that) and the retry runs."""
    function = make_function()
    client("lambda").put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=1)
    retry = {"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 30, "MaxAttempts": 2}
    call = {"Type": "Task", "Resource": function, "Parameters": {"n": 3}, "End": True, "Retry": [retry]}
    state_machine({"StartAt": "Call", "States": {"Call": call}}, invoking=function)
    holder = busy(cloud, "echo", 0.5)
    result = run_machine()
    holder.join()
    assert result["status"] == "SUCCEEDED" and json.loads(result["output"])["echo"] == {"n": 3}
    assert cloud.runtime.throttled == {"echo": 1} and cloud.clock.skipped == []


def test_a_function_with_no_concurrency_is_retried_on_the_clock_not_waited_for(cloud: LocalCloud) -> None:
    """Reserved concurrency 0: no container can ever free up, so each back-off only advances the clock."""
    function = make_function()
    client("lambda").put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    retry = {"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 30, "MaxAttempts": 3}
    call = {"Type": "Task", "Resource": function, "End": True, "Retry": [retry]}
    state_machine({"StartAt": "Call", "States": {"Call": call}}, invoking=function)
    result = run_machine()
    assert result["status"] == "FAILED" and result["error"] == "Lambda.TooManyRequestsException"
    assert cloud.runtime.throttled == {"echo": 4} and cloud.clock.skipped == [30, 60, 120]


# EventBridge targets ------------------------------------------------------------------------------------
def test_gap_moto_eventbridge_cannot_deliver_to_sns_targets(raw_moto: None) -> None:
    topic = client("sns").create_topic(Name="t")["TopicArn"]
    client("events").put_rule(Name="r", EventPattern=json.dumps({"source": ["x"]}))
    client("events").put_targets(Rule="r", Targets=[{"Id": "1", "Arn": topic}])
    with pytest.raises(Exception):  # noqa: B017 - moto raises NotImplementedError through the stack
        client("events").put_events(Entries=[{"Source": "x", "DetailType": "d", "Detail": "{}"}])


def test_adapter_delivers_with_input_path_and_dead_letters_failures(cloud: LocalCloud) -> None:
    sqs, sns, events = client("sqs"), client("sns"), client("events")
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    arn = lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]  # noqa: E731
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn(inbox), Attributes={"RawMessageDelivery": "true"})
    rule = events.put_rule(Name="r", EventPattern=json.dumps({"source": ["x"]}))["RuleArn"]
    # What AWS requires: the topic and queues let the services deliver; EventBridge starts executions as a role.
    publish = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish"}
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [{**publish, "Resource": topic}]}),
    )
    let_service_send(inbox, "sns.amazonaws.com", topic)
    let_service_send(dlq, "events.amazonaws.com", rule)
    starter = client("iam").create_role(RoleName="starter", AssumeRolePolicyDocument=trusting("events.amazonaws.com"))
    start = {"Effect": "Allow", "Action": "states:StartExecution", "Resource": "*"}
    client("iam").put_role_policy(
        RoleName="starter",
        PolicyName="start",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [start]}),
    )
    events.put_targets(
        Rule="r",
        Targets=[
            {"Id": "sns", "Arn": topic, "InputPath": "$.detail"},
            {
                "Id": "gone",
                "Arn": f"arn:aws:states:{REGION}:123456789012:stateMachine:missing",
                "RoleArn": starter["Role"]["Arn"],
                "DeadLetterConfig": {"Arn": arn(dlq)},
            },
        ],
    )
    events.put_events(Entries=[{"Source": "x", "DetailType": "d", "Detail": json.dumps({"k": "v"})}])
    [delivered] = sqs.receive_message(QueueUrl=inbox)["Messages"]
    assert json.loads(delivered["Body"]) == {"k": "v"}
    [dead] = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(dead["Body"])["detail"] == {"k": "v"}
    assert "StateMachineDoesNotExist" in dead["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]


# CloudFormation -----------------------------------------------------------------------------------------
STATE_MACHINE_TEMPLATE = {
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": json.loads(ROLE_POLICY)}},
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": "m",
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                "DefinitionString": json.dumps(
                    {
                        "StartAt": "P",
                        "States": {"P": {"Type": "Pass", "Result": {"greeting": "${Greeting}"}, "End": True}},
                    }
                ),
                "DefinitionSubstitutions": {"Greeting": "hello"},
            },
        },
    }
}


def state_machine(definition: dict[str, Any], invoking: str | None = None) -> None:
    """State machine "m", run by role "sfn", which may invoke function `invoking`."""
    role = client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=trusting("states.amazonaws.com"))
    if invoking is not None:
        invoke = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": invoking}
        policy = json.dumps({"Version": "2012-10-17", "Statement": [invoke]})
        client("iam").put_role_policy(RoleName="sfn", PolicyName="invoke", PolicyDocument=policy)
    client("stepfunctions").create_state_machine(
        name="m", definition=json.dumps(definition), roleArn=role["Role"]["Arn"]
    )


def run_machine(name: str = "m") -> dict[str, Any]:
    sfn = client("stepfunctions")
    arn = f"arn:aws:states:{REGION}:123456789012:stateMachine:{name}"
    execution = sfn.start_execution(stateMachineArn=arn, name="run-1", input="{}")["executionArn"]
    for _ in range(200):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return dict(described)
        __import__("time").sleep(0.02)
    raise TimeoutError(execution)


def test_gap_moto_cloudformation_state_machines_do_not_execute(raw_moto: None) -> None:
    client("cloudformation").create_stack(StackName="s", TemplateBody=json.dumps(STATE_MACHINE_TEMPLATE))
    with pytest.raises(ClientError, match="StateMachineDoesNotExist"):
        run_machine()


def test_adapter_state_machines_execute_with_substitutions(cloud: LocalCloud) -> None:
    client("cloudformation").create_stack(StackName="s", TemplateBody=json.dumps(STATE_MACHINE_TEMPLATE))
    result = run_machine()
    assert result["status"] == "SUCCEEDED" and json.loads(result["output"]) == {"greeting": "hello"}


def test_gap_moto_cloudformation_lacks_the_resource_types_adapted_here() -> None:
    native = {m.cloudformation_type() for m in get_model_map().values() if m.__module__.startswith("moto.")}
    for adapted in ADAPTED_TYPES:
        assert adapted.cloudformation_type() not in native


def test_gap_moto_archive_rejects_an_object_event_pattern(raw_moto: None) -> None:
    client("events").create_event_bus(Name="b")
    props = {
        "Properties": {
            "SourceArn": f"arn:aws:events:{REGION}:123456789012:event-bus/b",
            "EventPattern": {"source": ["x"]},
            "ArchiveName": "a",
        }
    }
    from moto.events.models import Archive

    with pytest.raises(TypeError):
        _original_archive_create(Archive, "a", props, "123456789012", REGION)


def test_gap_moto_event_bus_has_no_physical_id() -> None:
    from moto.events.models import EventBus

    assert "physical_resource_id" not in EventBus.__dict__


def test_adapter_creates_groups_policies_bus_policy_and_archive() -> None:
    with LocalCloud(aws_managed_policies=True):
        create_group_policies_bus_policy_and_archive()


def create_group_policies_bus_policy_and_archive() -> None:
    template = {
        "Resources": {
            "Group": {
                "Type": "AWS::IAM::Group",
                "Properties": {
                    "GroupName": "devs",
                    "Path": "/turnstile/",
                    "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                },
            },
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}},
            "QueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "Queue"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "sqs:*",
                                "Resource": "*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    },
                },
            },
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "hr"}},
            "BusPolicy": {
                "Type": "AWS::Events::EventBusPolicy",
                "Properties": {
                    "EventBusName": {"Ref": "Bus"},
                    "StatementId": "hr",
                    "Statement": {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                        "Action": "events:PutEvents",
                        "Resource": "*",
                    },
                },
            },
            "Archive": {
                "Type": "AWS::Events::Archive",
                "Properties": {"SourceArn": {"Fn::GetAtt": ["Bus", "Arn"]}, "EventPattern": {"source": ["hr.system"]}},
            },
        }
    }
    client("cloudformation").create_stack(StackName="s", TemplateBody=json.dumps(template))
    iam = client("iam")
    assert iam.get_group(GroupName="devs")["Group"]["Path"] == "/turnstile/"
    assert [p["PolicyName"] for p in iam.list_attached_group_policies(GroupName="devs")["AttachedPolicies"]] == [
        "ReadOnlyAccess"
    ]
    url = client("sqs").get_queue_url(QueueName="q")["QueueUrl"]
    assert (
        "aws:SecureTransport"
        in client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert '"Sid": "hr"' in client("events").describe_event_bus(Name="hr")["Policy"]
    assert client("events").list_archives()["Archives"][0]["EventSourceArn"].endswith("event-bus/hr")


def test_deploy_names_resource_types_the_local_cloud_cannot_create(cloud: LocalCloud, tmp_path: Any) -> None:
    (tmp_path / "S.template.json").write_text(
        json.dumps({"Resources": {"Pipe": {"Type": "AWS::Pipes::Pipe", "Properties": {}}}})
    )
    (tmp_path / "S.assets.json").write_text(json.dumps({"files": {}}))
    clients = {s: client(s) for s in ("ssm", "s3", "cloudformation")}
    with pytest.raises(DeploymentFailed, match=r"Pipe \(AWS::Pipes::Pipe\)"):
        deploy(clients, tmp_path, "S", "123456789012", REGION)


# IAM ----------------------------------------------------------------------------------------------------
def test_gap_moto_ignores_reset_required_and_the_password_policy(raw_moto: None) -> None:
    iam = client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True)
    iam.create_user(UserName="u")
    iam.create_login_profile(UserName="u", Password="weak", PasswordResetRequired=True)
    assert iam.get_login_profile(UserName="u")["LoginProfile"]["PasswordResetRequired"] is False


def test_adapter_honours_reset_required_and_enforces_the_policy(cloud: LocalCloud) -> None:
    iam = client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True)
    iam.create_user(UserName="u")
    with pytest.raises(ClientError, match="PasswordPolicyViolation"):
        iam.create_login_profile(UserName="u", Password="weak", PasswordResetRequired=True)
    iam.create_login_profile(UserName="u", Password="Strong-enough-pass-1", PasswordResetRequired=True)
    assert iam.get_login_profile(UserName="u")["LoginProfile"]["PasswordResetRequired"] is True
    iam.update_login_profile(UserName="u", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="u")["LoginProfile"]["PasswordResetRequired"] is False


def boundary_policy() -> str:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return str(client("iam").create_policy(PolicyName="b", PolicyDocument=json.dumps(document))["Policy"]["Arn"])


def test_gap_moto_has_no_user_permissions_boundaries(raw_moto: None) -> None:
    iam = client("iam")
    policy = boundary_policy()
    iam.create_user(UserName="u", PermissionsBoundary=policy)
    assert "PermissionsBoundary" not in iam.get_user(UserName="u")["User"]
    with pytest.raises(Exception):  # noqa: B017 - NotImplementedError inside moto
        iam.put_user_permissions_boundary(UserName="u", PermissionsBoundary=policy)


def test_adapter_keeps_user_permissions_boundaries(cloud: LocalCloud) -> None:
    iam = client("iam")
    policy = boundary_policy()
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.create_user(UserName="v", PermissionsBoundary=policy + "-missing")
    assert iam.list_users()["Users"] == []
    iam.create_user(UserName="u", PermissionsBoundary=policy)
    assert iam.get_user(UserName="u")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == policy
    iam.delete_user_permissions_boundary(UserName="u")
    assert "PermissionsBoundary" not in iam.get_user(UserName="u")["User"]
    iam.put_user_permissions_boundary(UserName="u", PermissionsBoundary=policy)
    assert "PermissionsBoundary" not in iam.list_users()["Users"][0]


# CloudWatch Logs ----------------------------------------------------------------------------------------
LOG_GROUP_TEMPLATE = {
    "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/lambda/f"}}},
    "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Logs", "Arn"]}}},
}


def log_group_arn_output() -> str:
    client("cloudformation").create_stack(StackName="s", TemplateBody=json.dumps(LOG_GROUP_TEMPLATE))
    return str(client("cloudformation").describe_stacks(StackName="s")["Stacks"][0]["Outputs"][0]["OutputValue"])


def test_gap_moto_log_group_arn_lacks_the_streams_wildcard(raw_moto: None) -> None:
    assert log_group_arn_output() == f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/f"


def test_adapter_log_group_arn_ends_with_the_streams_wildcard(cloud: LocalCloud) -> None:
    assert log_group_arn_output() == f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/f:*"


# SSM public parameters ----------------------------------------------------------------------------------
def test_gap_moto_refuses_parameters_under_aws(raw_moto: None) -> None:
    with pytest.raises(ClientError, match="reserved parameter"):
        client("ssm").put_parameter(Name="/aws/service/powertools/x", Value="v", Type="String")


def test_adapter_seeds_public_parameters(cloud: LocalCloud) -> None:
    public_parameters.seed(cloud.account, REGION, "/aws/service/powertools/python/arm64/python3.13/3.37.0", "arn:x")
    assert (
        client("ssm").get_parameter(Name="/aws/service/powertools/python/arm64/python3.13/3.37.0")["Parameter"]["Value"]
        == "arn:x"
    )


# Clock --------------------------------------------------------------------------------------------------
def test_gap_moto_waits_and_backoffs_sleep_in_real_time() -> None:
    import time

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    assert retrier_decl.time is time and "time.sleep(interval_seconds)" in inspect.getsource(retrier_decl)
    assert "program_state_event.wait(wait_seconds)" in inspect.getsource(clock._original_wait_interval)
    assert WaitFunction._wait_interval is clock._original_wait_interval


def test_adapter_skips_waits_and_backoffs_on_the_virtual_clock(cloud: LocalCloud) -> None:
    function = make_function("flaky")
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 7 * 24 * 3600, "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": function,
                "Parameters": {"fail": True},
                "End": True,
                "Retry": [
                    {"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 100, "MaxAttempts": 2, "BackoffRate": 2}
                ],
            },
        },
    }
    state_machine(definition, invoking=function)
    before = cloud.clock.now()
    result = run_machine()
    assert result["status"] == "FAILED" and result["error"] == "RuntimeError"
    assert cloud.clock.skipped == [7 * 24 * 3600, 100, 200]
    assert (cloud.clock.now() - before).total_seconds() >= 7 * 24 * 3600 + 300


def test_gap_moto_enters_states_at_wall_clock_time() -> None:
    import datetime

    from moto.stepfunctions.parser.asl.component.state import state

    assert "EnteredTime=datetime.datetime.now(tz=datetime.timezone.utc)" in inspect.getsource(state)
    assert clock._original_state_datetime is datetime


def test_adapter_enters_states_at_the_virtual_clock_time(cloud: LocalCloud) -> None:
    """A wait registered after the account's clock moved on must count from the account's now, not the host's:
    the MFA deadline is computed from `$$.State.EnteredTime` and compared with the scheduled sweeper's time."""
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Entered"},
            "Entered": {"Type": "Pass", "Parameters": {"at.$": "$$.State.EnteredTime"}, "End": True},
        },
    }
    state_machine(definition)
    cloud.clock.advance(10 * 24 * 3600)
    before = cloud.clock.now()
    result = run_machine()
    entered = dt.datetime.fromisoformat(json.loads(result["output"])["at"])
    assert before + dt.timedelta(seconds=3600) <= entered <= cloud.clock.now()


# MFA codes ----------------------------------------------------------------------------------------------
def enable_with(codes: tuple[str, str] | None, user: str = "u") -> None:
    iam = client("iam")
    iam.create_user(UserName=user)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    totp = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed)
    now = __import__("time").time()
    first, second = codes or (totp.at(now - 30), totp.at(now))
    iam.enable_mfa_device(
        UserName=user, SerialNumber=device["SerialNumber"], AuthenticationCode1=first, AuthenticationCode2=second
    )


def test_gap_moto_accepts_any_mfa_codes(raw_moto: None) -> None:
    enable_with(("000000", "111111"))
    assert len(client("iam").list_mfa_devices(UserName="u")["MFADevices"]) == 1


def test_adapter_checks_totp_codes_against_the_device_seed(cloud: LocalCloud) -> None:
    with pytest.raises(ClientError, match="InvalidAuthenticationCode"):
        enable_with(("000000", "111111"))
    assert client("iam").list_mfa_devices(UserName="u")["MFADevices"] == []
    enable_with(None, user="v")
    assert len(client("iam").list_mfa_devices(UserName="v")["MFADevices"]) == 1


def test_consecutive_codes_must_be_consecutive() -> None:
    from localcloud.adapters.mfa_codes import consecutive_codes_match

    seed = pyotp.random_base32()
    totp, now = pyotp.TOTP(seed), 1_800_000_000.0
    assert consecutive_codes_match(seed, totp.at(now - 30), totp.at(now), now)
    assert not consecutive_codes_match(seed, totp.at(now), totp.at(now - 30), now)
    assert not consecutive_codes_match(seed, totp.at(now - 3600), totp.at(now - 3570), now)


# CloudTrail ---------------------------------------------------------------------------------------------
def recorder() -> str:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="trail")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = client("events").put_rule(Name="iam", EventPattern=json.dumps({"source": ["aws.iam"]}))["RuleArn"]
    client("events").put_targets(Rule="iam", Targets=[{"Id": "q", "Arn": arn}])
    let_service_send(url, "events.amazonaws.com", rule)
    return str(url)


def test_gap_moto_emits_no_cloudtrail_events(raw_moto: None) -> None:
    url = recorder()
    client("iam").create_user(UserName="u")
    assert client("sqs").receive_message(QueueUrl=url).get("Messages", []) == []


def test_adapter_emits_cloudtrail_events_with_identity_and_without_secrets(cloud: LocalCloud) -> None:
    url = recorder()
    iam = client("iam")
    iam.create_user(UserName="u")
    iam.create_login_profile(UserName="u", Password="Pass-word-123456!")
    iam.list_users()  # read-only: CloudTrail does not send it to EventBridge
    with pytest.raises(ClientError):
        iam.create_user(UserName="u")
    cloud.settle()
    bodies = [
        json.loads(m["Body"]) for m in client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ]
    details = [b["detail"] for b in bodies]
    assert [d["eventName"] for d in details] == ["CreateUser", "CreateLoginProfile", "CreateUser"]
    assert {b["detail-type"] for b in bodies} == {"AWS API Call via CloudTrail"}
    assert details[0]["eventVersion"] == "1.08" and details[0]["userIdentity"]["type"] == "Root"
    assert details[0]["requestParameters"] == {"userName": "u"}
    assert details[0]["responseElements"]["user"]["userName"] == "u"
    assert details[1]["requestParameters"] == {"userName": "u"} and "Pass-word" not in json.dumps(bodies)
    assert details[2]["errorCode"] == "EntityAlreadyExists" and details[2]["responseElements"] is None
    own_device = {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "arn:aws:iam::*:mfa/u"}
    iam.put_user_policy(
        UserName="u", PolicyName="mfa", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [own_device]})
    )
    console = cloud.console_session("u").client("iam")
    console.create_virtual_mfa_device(VirtualMFADeviceName="u")
    cloud.settle()
    later = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    [last] = [d for m in later if (d := json.loads(m["Body"])["detail"])["eventName"] == "CreateVirtualMFADevice"]
    assert last["userIdentity"]["type"] == "IAMUser" and last["userIdentity"]["userName"] == "u"
    assert "base32StringSeed" not in json.dumps(last)


# Authorization --------------------------------------------------------------------------------------------
# The adapter (localcloud/adapters/authorization.py and its service paths) is proved in test_authorization.py.
DENY_ALL_BUT_READER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/reader"}},
            }
        ],
    }
)


def raw_role_session(name: str) -> boto3.session.Session:
    """A session of a new role that has no policy, and whose trust policy does not even name the caller."""
    arn = client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trusting("ec2.amazonaws.com"))["Role"]
    credentials = client("sts").assume_role(RoleArn=arn["Arn"], RoleSessionName=name)["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def test_gap_moto_authorizes_through_a_hook_that_allows_everything() -> None:
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.responses import BaseResponse

    from localcloud.adapters import authorization

    assert "self._authenticate_and_authorize_normal_action(resource)" in inspect.getsource(BaseResponse.call_action)
    assert ActionAuthenticatorMixin._authenticate_and_authorize_normal_action is authorization._original_normal
    assert math.isinf(settings.INITIAL_NO_AUTH_ACTION_COUNT)  # moto's own (partial) IAM simulation is off


def test_gap_moto_does_not_evaluate_secret_resource_policies(raw_moto: None) -> None:
    sm = client("secretsmanager")
    sm.create_secret(Name="s", SecretString="v")
    sm.put_resource_policy(SecretId="s", ResourcePolicy=DENY_ALL_BUT_READER)
    assert sm.get_secret_value(SecretId="s")["SecretString"] == "v"


def test_gap_moto_lets_a_role_without_policies_do_anything(raw_moto: None) -> None:
    """Identity policies, key policies, KMS via DynamoDB/SNS, bus policies and trust policies: none is checked."""
    key = client("kms").create_key(
        Policy=json.dumps({"Version": "2012-10-17", "Statement": []})  # a key policy that allows nobody
    )["KeyMetadata"]["Arn"]
    client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
    )
    topic = client("sns").create_topic(Name="t", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    client("events").create_event_bus(Name="hr")
    nobody = raw_role_session("nobody")

    assert nobody.client("iam").list_users()["Users"] == []
    nobody.client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "x"}})
    nobody.client("sns").publish(TopicArn=topic, Message="m")
    nobody.client("kms").describe_key(KeyId=key)
    entry = {"EventBusName": "hr", "Source": "s", "DetailType": "d", "Detail": "{}"}
    assert nobody.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_gap_moto_delivers_to_queues_whatever_their_policy(raw_moto: None) -> None:
    sqs, sns, events = client("sqs"), client("sns"), client("events")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["x"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    sns.publish(TopicArn=topic, Message="from sns")
    events.put_events(Entries=[{"Source": "x", "DetailType": "d", "Detail": "{}"}])
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 2


def test_gap_moto_accepts_a_function_role_lambda_cannot_assume(raw_moto: None) -> None:
    """AWS refuses it: "The role defined for the function cannot be assumed by Lambda"."""
    role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=trusting("ec2.amazonaws.com"))
    client("lambda").create_function(
        FunctionName="f", Runtime="python3.13", Role=role["Role"]["Arn"], Handler="h.h", Code={"ZipFile": b"x"}
    )


def test_gap_moto_interpreter_calls_services_with_a_made_up_key() -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client

    from localcloud.adapters import state_machine_roles

    assert 'aws_access_key_id="ak"' in inspect.getsource(state_machine_roles._original_client_for)
    assert boto_client.boto_client_for is state_machine_roles._original_client_for


# Scheduled rules ----------------------------------------------------------------------------------------
def scheduled_rule_with_queue() -> str:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="tick")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = client("events").put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")["RuleArn"]
    client("events").put_targets(Rule="hourly", Targets=[{"Id": "q", "Arn": arn}])
    let_service_send(url, "events.amazonaws.com", rule)
    return str(url)


def test_gap_moto_matches_every_event_against_a_scheduled_rule(raw_moto: None) -> None:
    url = scheduled_rule_with_queue()
    client("events").put_events(Entries=[{"Source": "x", "DetailType": "d", "Detail": "{}"}])
    assert len(client("sqs").receive_message(QueueUrl=url).get("Messages", [])) == 1


def test_adapter_scheduled_rules_match_no_event_and_fire_on_the_local_clock(cloud: LocalCloud) -> None:
    url = scheduled_rule_with_queue()
    client("events").put_events(Entries=[{"Source": "x", "DetailType": "d", "Detail": "{}"}])
    assert client("sqs").receive_message(QueueUrl=url).get("Messages", []) == []
    cloud.clock.advance(3 * 24 * 3600)
    before = cloud.clock.now().replace(microsecond=0)
    cloud.fire_schedule("hourly")
    after = cloud.clock.now()
    [tick] = client("sqs").receive_message(QueueUrl=url)["Messages"]
    event = json.loads(tick["Body"])
    fired = dt.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert event["detail-type"] == "Scheduled Event" and before <= fired <= after


LEAK_CHECK = """
import inspect, json, sys
from localcloud import LocalCloud

def functions():
    seen = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("moto.") or module is None:
            continue
        for name, value in list(vars(module).items()):
            if inspect.isroutine(value):
                seen[module_name + ":" + name] = id(value)
            if inspect.isclass(value) and value.__module__ == module_name:
                for attribute, member in list(vars(value).items()):
                    if inspect.isroutine(member) or isinstance(member, (staticmethod, classmethod, property)):
                        seen[module_name + ":" + name + "." + attribute] = id(member)
    return seen

before = functions()
with LocalCloud(aws_managed_policies=False):
    during = functions()
after = functions()
changed = lambda a, b: sorted(key for key in a if key in b and a[key] != b[key])
print(json.dumps({"installed": changed(before, during), "left": changed(before, after)}))
"""


def test_stopping_the_local_cloud_restores_every_function_it_patched_in_moto() -> None:
    """The raw-moto gap tests rely on it: an adapter left installed by an earlier test hides its gap. A fresh
    interpreter, so no earlier test's leftovers: every moto function by identity, before, during and after."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", LEAK_CHECK], capture_output=True, text=True, check=True, timeout=120)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert "moto.awslambda.models:LambdaBackend._send_sqs_message" in report["installed"]  # the check can fail
    assert report["left"] == []


def test_gap_moto_cannot_create_the_root_users_access_key(raw_moto: None) -> None:
    with pytest.raises(ClientError, match="NoSuchEntity"):
        client("iam").create_access_key()


def test_adapter_root_creates_its_own_access_key_and_cloudtrail_reports_it(cloud: LocalCloud) -> None:
    root = cloud.root_session().client("iam")
    key = root.create_access_key()["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and key["Status"] == "Active"
    cloud.settle()
    [event] = [d for d in cloud.cloudtrail.emitted if d["eventName"] == "CreateAccessKey"]
    assert event["userIdentity"]["type"] == "Root" and "errorCode" not in event
    assert "invokedBy" not in event["userIdentity"] and event["requestParameters"] is None
    assert "secretAccessKey" not in json.dumps(event)
    # a user's key still needs its user, as before
    with pytest.raises(ClientError, match="NoSuchEntity"):
        root.create_access_key(UserName="nobody")


def _finding(account: str = "123456789012", **changes: Any) -> dict[str, Any]:
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": "turnstile/event#1",
        "ProductArn": f"arn:aws:securityhub:us-east-1:{account}:product/{account}/default",
        "GeneratorId": "turnstile/root-activity",
        "AwsAccountId": account,
        "Types": ["Unusual Behaviors/User"],
        "CreatedAt": "2026-11-28T09:00:00.000Z",
        "UpdatedAt": "2026-11-28T09:00:00.000Z",
        "Severity": {"Label": "HIGH"},
        "Title": "The root user was used",
        "Description": "the root user called CreateGroup",
        "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{account}"}],
    }
    finding.update(changes)
    return {k: v for k, v in finding.items() if v is not None}


def test_gap_moto_imports_findings_missing_required_attributes_without_security_hub(raw_moto: None) -> None:
    answer = client("securityhub").batch_import_findings(
        Findings=[_finding(AwsAccountId="210987654321", Types=["Suspicious/Stuff"], Severity={"Label": "URGENT"})]
    )
    assert answer["SuccessCount"] == 1 and answer["FailedCount"] == 0


def test_adapter_security_hub_refuses_what_asff_does_not_allow(cloud: LocalCloud) -> None:
    hub = client("securityhub")
    with pytest.raises(ClientError, match="InvalidAccessException"):
        hub.batch_import_findings(Findings=[_finding()])
    hub.enable_security_hub()
    broken = [
        _finding(Id="empty-title", Title=""),
        _finding(Id="other-account", AwsAccountId="210987654321"),
        _finding(Id="bad-type", Types=["Suspicious/Stuff"]),
        _finding(Id="bad-severity", Severity={"Label": "URGENT"}),
        _finding(Id="long", Description="x" * 1025),
        _finding(
            Id="other-region", ProductArn="arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
        ),
    ]
    answer = hub.batch_import_findings(Findings=[*broken, _finding()])
    assert answer["SuccessCount"] == 1 and answer["FailedCount"] == len(broken)
    assert {f["Id"] for f in answer["FailedFindings"]} == {f["Id"] for f in broken}
    assert all(f["ErrorCode"] == "InvalidInput" for f in answer["FailedFindings"])
    assert [f["Id"] for f in hub.get_findings()["Findings"]] == ["turnstile/event#1"]


# DeleteUser conflicts and service-specific credentials ---------------------------------------------------------
def _virtual_mfa(iam: Any, user: str) -> None:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at(now - 30),
        AuthenticationCode2=totp.at(now),
    )


def _drop_mfa(iam: Any, user: str) -> None:
    [device] = iam.list_mfa_devices(UserName=user)["MFADevices"]
    iam.deactivate_mfa_device(UserName=user, SerialNumber=device["SerialNumber"])
    iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])


def _group(iam: Any, user: str) -> None:
    iam.create_group(GroupName="staff")
    iam.add_user_to_group(GroupName="staff", UserName=user)


def _managed(iam: Any, user: str) -> None:
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)


POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}


@dataclasses.dataclass(frozen=True)
class Attachment:
    """One kind of thing DeleteUser refuses to delete a user with: how to add it, remove it, and IAM's message."""

    kind: str
    add: Callable[[Any, str], Any]
    remove: Callable[[Any, str], Any]
    message: str


def _certificate(iam: Any, user: str) -> Any:
    return iam.upload_signing_certificate(UserName=user, CertificateBody=fixtures.self_signed_certificate(user))


ATTACHMENTS = [
    Attachment(
        "password",
        lambda iam, u: iam.create_login_profile(UserName=u, Password="Correct-Horse-9"),
        lambda iam, u: iam.delete_login_profile(UserName=u),
        "must delete login profile first.",
    ),
    Attachment(
        "access key",
        lambda iam, u: iam.create_access_key(UserName=u),
        lambda iam, u: iam.delete_access_key(
            UserName=u, AccessKeyId=iam.list_access_keys(UserName=u)["AccessKeyMetadata"][0]["AccessKeyId"]
        ),
        "must delete access keys first.",
    ),
    Attachment(
        "signing certificate",
        _certificate,
        lambda iam, u: iam.delete_signing_certificate(
            UserName=u, CertificateId=iam.list_signing_certificates(UserName=u)["Certificates"][0]["CertificateId"]
        ),
        "must delete certificates first.",
    ),
    Attachment(
        "SSH public key",
        lambda iam, u: iam.upload_ssh_public_key(UserName=u, SSHPublicKeyBody=fixtures.ssh_rsa_public_key(u)),
        lambda iam, u: iam.delete_ssh_public_key(
            UserName=u, SSHPublicKeyId=iam.list_ssh_public_keys(UserName=u)["SSHPublicKeys"][0]["SSHPublicKeyId"]
        ),
        "must remove referenced objects first.",
    ),
    Attachment(
        "service-specific credential",
        lambda iam, u: iam.create_service_specific_credential(UserName=u, ServiceName="codecommit.amazonaws.com"),
        lambda iam, u: iam.delete_service_specific_credential(
            UserName=u,
            ServiceSpecificCredentialId=iam.list_service_specific_credentials(UserName=u)["ServiceSpecificCredentials"][
                0
            ]["ServiceSpecificCredentialId"],
        ),
        "must remove referenced objects first.",
    ),
    Attachment("MFA device", _virtual_mfa, _drop_mfa, "must delete MFA device first."),
    Attachment(
        "inline policy",
        lambda iam, u: iam.put_user_policy(UserName=u, PolicyName="inline", PolicyDocument=json.dumps(POLICY)),
        lambda iam, u: iam.delete_user_policy(UserName=u, PolicyName="inline"),
        "must delete policies first.",
    ),
    Attachment(
        "managed policy",
        _managed,
        lambda iam, u: iam.detach_user_policy(UserName=u, PolicyArn="arn:aws:iam::123456789012:policy/p"),
        "must detach all policies first.",
    ),
    Attachment(
        "group membership",
        _group,
        lambda iam, u: iam.remove_user_from_group(GroupName="staff", UserName=u),
        "must remove users from group first.",
    ),
]
# moto already refuses a user with policies; it has no service-specific credentials at all (below).
MOTO_DELETES = [
    a for a in ATTACHMENTS if a.kind not in {"inline policy", "managed policy", "service-specific credential"}
]


@pytest.mark.parametrize("attachment", MOTO_DELETES, ids=[a.kind for a in MOTO_DELETES])
def test_gap_moto_deletes_a_user_that_still_has(raw_moto: None, attachment: Attachment) -> None:
    iam = client("iam")
    iam.create_user(UserName="leaver")
    attachment.add(iam, "leaver")
    iam.delete_user(UserName="leaver")
    assert iam.list_users()["Users"] == []


@pytest.mark.parametrize("attachment", ATTACHMENTS, ids=[a.kind for a in ATTACHMENTS])
def test_adapter_delete_user_is_refused_while_the_user_still_has(cloud: LocalCloud, attachment: Attachment) -> None:
    iam = cloud.client("iam")
    iam.create_user(UserName="leaver")
    attachment.add(iam, "leaver")
    with pytest.raises(ClientError) as caught:
        iam.delete_user(UserName="leaver")
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("DeleteConflict", 409)
    assert error["Error"]["Message"] == f"Cannot delete entity, {attachment.message}"
    attachment.remove(iam, "leaver")
    iam.delete_user(UserName="leaver")
    assert iam.list_users()["Users"] == []


def test_adapter_a_permissions_boundary_does_not_block_delete_user(cloud: LocalCloud) -> None:
    iam = cloud.client("iam")
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    iam.create_user(UserName="bounded", PermissionsBoundary=boundary)
    iam.create_virtual_mfa_device(VirtualMFADeviceName="bounded")  # created, never enabled: nobody's device
    iam.delete_user(UserName="bounded")
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.delete_user(UserName="bounded")


def test_adapter_a_user_with_everything_is_deleted_only_after_iams_teardown(cloud: LocalCloud) -> None:
    made = fixtures.user_with_everything(cloud, "leaver", path="/staff/", groups=["devs", "ops"])
    iam = cloud.client("iam")
    names = {f.name for f in dataclasses.fields(made)}
    assert "password" not in str(names).lower() and made.service_specific_credential_id.startswith("ACCA")
    assert made.user_arn == "arn:aws:iam::123456789012:user/staff/leaver" and len(set(made.access_key_ids)) == 2
    held = iam.list_service_specific_credentials(UserName="leaver")["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in held] == [made.service_specific_credential_id]
    assert iam.get_user(UserName="leaver")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
        made.boundary_arn
    )
    assert fixtures.user_with_everything(cloud, "leaver", groups=["devs", "ops"]) == made  # completing changes nothing

    steps = [
        lambda: iam.delete_login_profile(UserName="leaver"),
        *[lambda k=k: iam.delete_access_key(UserName="leaver", AccessKeyId=k) for k in made.access_key_ids],
        lambda: iam.delete_signing_certificate(UserName="leaver", CertificateId=made.signing_certificate_id),
        lambda: iam.delete_ssh_public_key(UserName="leaver", SSHPublicKeyId=made.ssh_public_key_id),
        lambda: iam.delete_service_specific_credential(
            UserName="leaver", ServiceSpecificCredentialId=made.service_specific_credential_id
        ),
        lambda: iam.deactivate_mfa_device(UserName="leaver", SerialNumber=made.mfa_serial),
        lambda: iam.delete_virtual_mfa_device(SerialNumber=made.mfa_serial),
        lambda: iam.delete_user_policy(UserName="leaver", PolicyName=made.inline_policy_name),
        lambda: iam.detach_user_policy(UserName="leaver", PolicyArn=made.managed_policy_arn),
        *[lambda g=g: iam.remove_user_from_group(GroupName=g, UserName="leaver") for g in made.groups],
    ]
    for step in steps:
        with pytest.raises(ClientError, match="DeleteConflict"):
            iam.delete_user(UserName="leaver")
        step()
    iam.delete_user(UserName="leaver")  # the boundary is still set: it does not block
    assert iam.list_users()["Users"] == []


def test_gap_moto_has_no_service_specific_credentials(raw_moto: None) -> None:
    iam = client("iam")
    iam.create_user(UserName="dev")
    with pytest.raises(NotImplementedError):
        iam.create_service_specific_credential(UserName="dev", ServiceName="codecommit.amazonaws.com")


def test_adapter_service_specific_credentials_as_iam_keeps_them(cloud: LocalCloud) -> None:
    iam = cloud.client("iam")
    iam.create_user(UserName="dev")
    created = iam.create_service_specific_credential(UserName="dev", ServiceName="codecommit.amazonaws.com")
    first = created["ServiceSpecificCredential"]
    assert first["ServiceSpecificCredentialId"].startswith("ACCA") and len(first["ServiceSpecificCredentialId"]) == 21
    assert (first["ServiceUserName"], first["Status"], first["UserName"]) == ("dev-at-123456789012", "Active", "dev")
    assert len(first["ServicePassword"]) >= 20
    iam.create_service_specific_credential(UserName="dev", ServiceName="codecommit.amazonaws.com")
    iam.create_service_specific_credential(UserName="dev", ServiceName="cassandra.amazonaws.com")  # per service

    def code(call: Callable[[], Any]) -> tuple[str, int]:
        with pytest.raises(ClientError) as caught:
            call()
        return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]

    third = lambda: iam.create_service_specific_credential(UserName="dev", ServiceName="codecommit.amazonaws.com")  # noqa: E731
    assert code(third) == ("LimitExceeded", 409)
    assert code(lambda: iam.create_service_specific_credential(UserName="dev", ServiceName="s3.amazonaws.com")) == (
        "NoSuchEntity",
        404,
    )
    assert code(
        lambda: iam.create_service_specific_credential(UserName="nobody", ServiceName="codecommit.amazonaws.com")
    ) == ("NoSuchEntity", 404)
    missing = "ACCA" + "X" * 17
    assert code(
        lambda: iam.delete_service_specific_credential(UserName="dev", ServiceSpecificCredentialId=missing)
    ) == (
        "NoSuchEntity",
        404,
    )

    listed = iam.list_service_specific_credentials(UserName="dev", ServiceName="codecommit.amazonaws.com")
    assert len(listed["ServiceSpecificCredentials"]) == 2
    assert all("ServicePassword" not in c for c in listed["ServiceSpecificCredentials"])
    assert len(iam.list_service_specific_credentials(UserName="dev")["ServiceSpecificCredentials"]) == 3

    credential_id = first["ServiceSpecificCredentialId"]
    iam.update_service_specific_credential(UserName="dev", ServiceSpecificCredentialId=credential_id, Status="Inactive")
    reset = iam.reset_service_specific_credential(UserName="dev", ServiceSpecificCredentialId=credential_id)
    assert reset["ServiceSpecificCredential"]["Status"] == "Inactive"
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != first["ServicePassword"]
    iam.update_user(UserName="dev", NewUserName="developer")  # a rename keeps them
    [kept] = [
        c
        for c in iam.list_service_specific_credentials(UserName="developer")["ServiceSpecificCredentials"]
        if c["ServiceSpecificCredentialId"] == credential_id
    ]
    assert (kept["UserName"], kept["Status"]) == ("developer", "Inactive")
    iam.delete_service_specific_credential(UserName="developer", ServiceSpecificCredentialId=credential_id)
    assert len(iam.list_service_specific_credentials(UserName="developer")["ServiceSpecificCredentials"]) == 2

    cloud.settle()
    recorded = json.dumps(cloud.cloudtrail.emitted)
    assert "CreateServiceSpecificCredential" in recorded and "ResetServiceSpecificCredential" in recorded
    assert first["ServicePassword"] not in recorded
    assert reset["ServiceSpecificCredential"]["ServicePassword"] not in recorded
    assert "servicePassword" not in recorded


def test_gap_moto_has_no_change_password(raw_moto: None) -> None:
    iam = client("iam")
    iam.create_user(UserName="u")
    iam.create_login_profile(UserName="u", Password="Old-Password-123!")
    key = iam.create_access_key(UserName="u")["AccessKey"]
    own = boto3.client(
        "iam",
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    with pytest.raises(Exception):  # noqa: B017 - moto answers an unknown action with an error of its own
        own.change_password(OldPassword="Old-Password-123!", NewPassword="New-Password-456!")


def test_adapter_a_user_changes_its_own_password_as_iam_allows(cloud: LocalCloud) -> None:
    iam = client("iam")
    iam.create_user(UserName="u")
    iam.create_login_profile(UserName="u", Password="Old-Password-123!", PasswordResetRequired=True)
    iam.put_user_policy(
        UserName="u",
        PolicyName="own",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "arn:aws:iam::123456789012:user/u"}
                ],
            }
        ),
    )
    own = cloud.console_session("u").client("iam")
    with pytest.raises(ClientError, match="AccessDenied"):
        own.change_password(OldPassword="wrong", NewPassword="New-Password-456!")
    own.change_password(OldPassword="Old-Password-123!", NewPassword="New-Password-456!")
    assert iam.get_login_profile(UserName="u")["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError, match="InvalidUserType"):  # root has no IAM login profile to change
        cloud.root_session().client("iam").change_password(OldPassword="x", NewPassword="New-Password-456!")
    cloud.settle()
    [event] = [d for d in cloud.cloudtrail.emitted if d["eventName"] == "ChangePassword" and "errorCode" not in d]
    assert event["userIdentity"]["userName"] == "u" and "Password-" not in json.dumps(event)

"""The local cloud's failure-side adapters: each moto gap still exists (these fail the day moto changes), and each
adapter makes the emulated account behave as AWS does. Plus the fault injector the failure-path tests rely on."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud import LocalCloud
from tests import queues

REGION = "us-east-1"
TABLE = {
    "TableName": "t",
    "BillingMode": "PAY_PER_REQUEST",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
}
FAILING = """
def handler(event, context):
    raise RuntimeError("always fails")
"""
PASS_THROUGH = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
FAIL = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}})


@pytest.fixture
def raw_moto() -> Iterator[None]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, config=Config(retries={"mode": "standard", "max_attempts": 5}))


def racing_claims(ddb: Any, writers: int = 8) -> int:
    """How many of `writers` concurrent 'create if absent' writes to one item succeed."""
    ddb.create_table(**TABLE)
    barrier = threading.Barrier(writers)
    won: list[int] = []

    def claim(n: int) -> None:
        barrier.wait()
        try:
            ddb.put_item(
                TableName="t",
                Item={"pk": {"S": "k"}, "n": {"N": str(n)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            won.append(n)
        except ClientError:
            pass

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(won)


@pytest.fixture
def slow_conditions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread switch between checking a condition and writing, made certain: moto's table evaluates the
    condition through get_filter_expression; it now takes 20 ms (a busy interpreter does this at random)."""
    from moto.dynamodb.models import table

    original = table.get_filter_expression

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.02)
        return original(*args, **kwargs)

    monkeypatch.setattr(table, "get_filter_expression", slow)


# DynamoDB conditional writes ----------------------------------------------------------------------------------
def test_gap_moto_lets_concurrent_conditional_writes_both_succeed(raw_moto: None, slow_conditions: None) -> None:
    assert racing_claims(client("dynamodb")) > 1


def test_with_the_adapter_a_conditional_write_is_atomic(cloud: LocalCloud, slow_conditions: None) -> None:
    assert racing_claims(cloud.client("dynamodb")) == 1


# Step Functions status-change events ---------------------------------------------------------------------------
def status_events(cloud: LocalCloud, machine: str) -> list[dict[str, Any]]:
    url, arn = queues.queue(cloud.client("sqs"), "status", service="events.amazonaws.com")
    events = cloud.client("events")
    events.put_rule(Name="status", EventPattern=json.dumps({"source": ["aws.states"]}))
    events.put_targets(Rule="status", Targets=[{"Id": "q", "Arn": arn}])
    sfn = cloud.client("stepfunctions")
    role = cloud.client("iam").create_role(
        RoleName="sm",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    arn = sfn.create_state_machine(name="m", definition=machine, roleArn=role)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, name="run-1", input="{}")["executionArn"]
    cloud.wait_for_execution(run)
    cloud.settle()
    messages = cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    return [json.loads(m["Body"]) for m in messages]


def test_gap_moto_emits_no_execution_status_change_events(raw_moto: None) -> None:
    sfn, sqs, events = client("stepfunctions"), client("sqs"), client("events")
    url = sqs.create_queue(QueueName="status")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="status", EventPattern=json.dumps({"source": ["aws.states"]}))
    events.put_targets(Rule="status", Targets=[{"Id": "q", "Arn": arn}])
    machine = sfn.create_state_machine(name="m", definition=FAIL, roleArn="arn:aws:iam::123456789012:role/x")
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="r", input="{}")["executionArn"]
    while sfn.describe_execution(executionArn=run)["status"] == "RUNNING":
        time.sleep(0.05)
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []


def test_with_the_adapter_an_execution_announces_its_start_and_its_end(cloud: LocalCloud) -> None:
    received = status_events(cloud, FAIL)
    assert [e["detail"]["status"] for e in received] == ["RUNNING", "FAILED"]
    ended = received[-1]
    assert ended["detail-type"] == "Step Functions Execution Status Change" and ended["source"] == "aws.states"
    assert ended["detail"]["error"] == "Boom" and ended["detail"]["name"] == "run-1"
    assert ended["resources"] == [ended["detail"]["executionArn"]]


# Lambda asynchronous invocation: retries and the on-failure destination ------------------------------------------
def failing_function(lambda_: Any, iam: Any, destination: str | None) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/__init__.py", "")
        archive.writestr("app/main.py", FAILING)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="fn",
        PolicyName="logs-and-destination",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["logs:*", "sqs:SendMessage", "sqs:GetQueueUrl"], "Resource": "*"}
                ],
            }
        ),
    )
    arn = lambda_.create_function(
        FunctionName="fails",
        Runtime="python3.13",
        Role=role,
        Handler="app.main.handler",
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]
    if destination:
        lambda_.put_function_event_invoke_config(
            FunctionName="fails",
            MaximumRetryAttempts=1,
            DestinationConfig={"OnFailure": {"Destination": destination}},
        )
    return str(arn)


def test_gap_moto_cloudformation_cannot_create_an_event_invoke_config(raw_moto: None) -> None:
    from moto.cloudformation.parsing import get_model_map

    from localcloud.adapters import lambda_async

    assert "AWS::Lambda::EventInvokeConfig" in get_model_map()  # registered by the adapter's import...
    assert lambda_async.EventInvokeConfig.__module__.startswith("localcloud")  # ...not by moto itself


def test_with_the_adapter_a_failed_asynchronous_invocation_is_retried_then_recorded(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url, arn = queues.queue(sqs, "failures")
    failing_function(cloud.client("lambda"), cloud.client("iam"), arn)
    cloud.client("lambda").invoke(FunctionName="fails", InvocationType="Event", Payload=b'{"n": 1}')
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2 and record["requestPayload"] == {"n": 1}
    assert record["responsePayload"]["errorMessage"] == "always fails"


# Fault injection --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("service", "code", "status"),
    [
        ("dynamodb", "ProvisionedThroughputExceededException", 400),
        ("sns", "Throttled", 429),
        ("iam", "Throttling", 400),
        ("secretsmanager", "InternalServiceError", 500),
    ],
)
def test_an_injected_fault_is_what_botocore_would_meet_in_aws(
    cloud: LocalCloud, service: str, code: str, status: int
) -> None:
    action, call = {
        "dynamodb": ("ListTables", lambda c: c.list_tables()),
        "sns": ("ListTopics", lambda c: c.list_topics()),
        "iam": ("ListUsers", lambda c: c.list_users()),
        "secretsmanager": ("ListSecrets", lambda c: c.list_secrets()),
    }[service]
    with cloud.faults.injected(service, action, code) as fault, pytest.raises(ClientError) as raised:
        call(client(service))
    error = raised.value.response
    assert error["Error"]["Code"] == code and error["ResponseMetadata"]["HTTPStatusCode"] == status
    # botocore's standard mode retried it as a throttle or transient error, then gave up
    assert fault.hits == 6 and error["ResponseMetadata"]["MaxAttemptsReached"] is True  # 5 retries, 6 attempts


def test_a_fault_can_be_limited_to_a_caller_parameters_and_a_number_of_hits(cloud: LocalCloud) -> None:
    iam = cloud.client("iam")
    with cloud.faults.injected(
        "iam", "GetUser", "NoSuchEntity", when=lambda c: c.params.get("UserName") == "a", times=1
    ):
        iam.create_user(UserName="a")
        iam.create_user(UserName="b")
        assert iam.get_user(UserName="b")["User"]["UserName"] == "b"
        with pytest.raises(ClientError, match="NoSuchEntity"):
            iam.get_user(UserName="a")
        assert iam.get_user(UserName="a")["User"]["UserName"] == "a"  # hit once, then gone
    with cloud.faults.injected("iam", "ListUsers", "AccessDenied", caller="someone-else"):
        assert iam.list_users()["Users"]


def test_recording_lists_every_call_site(cloud: LocalCloud) -> None:
    with cloud.faults.recording() as calls:
        cloud.client("iam").create_user(UserName="r")
        cloud.client("sns").list_topics()
    assert [(c.caller, c.service, c.action) for c in calls] == [
        ("root", "iam", "CreateUser"),
        ("root", "sns", "ListTopics"),
    ]
    assert calls[0].params["UserName"] == "r"


# Server mode: what moto does not implement --------------------------------------------------------------------------
def test_gap_moto_raises_not_implemented_for_an_action_it_lacks(raw_moto: None) -> None:
    """In-process the caller sees the exception; moto's HTTP server turns it into a 500 with a traceback."""
    with pytest.raises(NotImplementedError):
        client("iam").generate_service_last_accessed_details(Arn="arn:aws:iam::123456789012:role/x")


def test_server_mode_answers_an_unimplemented_action_as_aws_does_not_with_a_traceback(cloud: LocalCloud) -> None:
    endpoint = cloud.serve()
    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with pytest.raises(ClientError) as raised:
        iam.generate_service_last_accessed_details(Arn="arn:aws:iam::123456789012:role/x")
    assert raised.value.response["Error"]["Code"] == "InvalidAction"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert requests.get(endpoint, timeout=5).status_code < 500


# Step Functions: the 256 KiB execution input ---------------------------------------------------------------------
def machine(sfn: Any, role: str) -> str:
    return str(sfn.create_state_machine(name="m", definition=PASS_THROUGH, roleArn=role)["stateMachineArn"])


def test_gap_moto_starts_an_execution_with_an_input_over_256_kib(raw_moto: None) -> None:
    sfn = client("stepfunctions")
    arn = machine(sfn, "arn:aws:iam::123456789012:role/x")
    sfn.start_execution(stateMachineArn=arn, name="big", input=json.dumps({"x": "y" * 300_000}))


def test_with_the_adapter_step_functions_refuses_an_input_over_256_kib(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    arn = machine(sfn, "arn:aws:iam::123456789012:role/x")
    just_fits = json.dumps({"x": "y" * (262_144 - len('{"x": ""}'))})
    assert len(just_fits.encode()) == 262_144
    sfn.start_execution(stateMachineArn=arn, name="fits", input=just_fits)
    with pytest.raises(ClientError, match="ValidationException"):
        sfn.start_execution(stateMachineArn=arn, name="over", input=just_fits[:-2] + 'yy"}')


# Lambda's SQS event source: message attributes -------------------------------------------------------------------
def sqs_event_of(monkeypatch: pytest.MonkeyPatch, account: str = "123456789012") -> dict[str, Any]:
    """The event the SQS event source hands a function for a message sent with two attributes (the backend's
    invoke is captured: the event is what matters, not the function)."""
    from moto.awslambda.models import LambdaBackend, lambda_backends
    from moto.sqs.models import sqs_backends

    sqs = client("sqs")
    url, arn = queues.queue(sqs, "dead-letters")
    attributes = {
        "ERROR_CODE": {"DataType": "String", "StringValue": "ValidationException"},
        "RAW": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="event", MessageAttributes=attributes)
    [message] = sqs_backends[account][REGION].receive_message("dead-letters", 1, 0, 30)  # as moto's poller does
    captured: list[dict[str, Any]] = []
    monkeypatch.setattr(LambdaBackend, "invoke", lambda self, **kw: captured.append(json.loads(kw["body"])))
    lambda_backends[account][REGION]._send_sqs_message("arn:aws:lambda:us-east-1:123456789012:function:f", message, arn)
    [event] = captured
    return event


def test_gap_moto_drops_message_attributes_from_the_sqs_event(raw_moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert sqs_event_of(monkeypatch)["Records"][0]["messageAttributes"] == {}


def test_with_the_adapter_the_sqs_event_carries_message_attributes_as_lambda_shapes_them(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    [record] = sqs_event_of(monkeypatch)["Records"]
    assert record["messageAttributes"]["ERROR_CODE"] == {
        "stringValue": "ValidationException",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["RAW"]["binaryValue"] == "AAE="
    assert record["body"] == "event" and record["attributes"]["SentTimestamp"] != "1545082649183"


# Step Functions: stopping an execution that waits for a task token --------------------------------------------------
CALLBACK = json.dumps(
    {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "QUEUE", "MessageBody": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 3600,
                "End": True,
            }
        },
    }
)


def stopped_while_waiting(sfn: Any, sqs: Any, role: str) -> str:
    """The status of an execution parked on a task token, half a second after StopExecution."""
    url, _ = queues.queue(sqs, "tokens")
    arn = str(
        sfn.create_state_machine(name="cb", definition=CALLBACK.replace("QUEUE", url), roleArn=role)["stateMachineArn"]
    )
    execution = sfn.start_execution(stateMachineArn=arn, name="waiting")["executionArn"]
    for _ in range(100):  # parked: the token was sent
        if sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages"):
            break
        time.sleep(0.02)
    sfn.stop_execution(executionArn=execution, error="Stopped", cause="by a test")
    time.sleep(0.5)
    return str(sfn.describe_execution(executionArn=execution)["status"])


def test_gap_moto_leaves_a_stopped_callback_wait_running(raw_moto: None) -> None:
    assert (
        stopped_while_waiting(client("stepfunctions"), client("sqs"), "arn:aws:iam::123456789012:role/x") == "RUNNING"
    )


def test_with_the_adapter_a_stopped_callback_wait_ends_aborted(cloud: LocalCloud) -> None:
    iam = cloud.client("iam")
    trust = {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role = iam.create_role(
        RoleName="cb", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    )["Role"]["Arn"]
    send = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    iam.put_role_policy(
        RoleName="cb", PolicyName="send", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [send]})
    )
    assert stopped_while_waiting(cloud.client("stepfunctions"), cloud.client("sqs"), role) == "ABORTED"


# CloudTrail delivery ------------------------------------------------------------------------------------------------
def test_an_event_that_cannot_be_put_is_recorded_and_later_events_still_arrive(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.events.models import EventsBackend

    original = EventsBackend.put_events
    failures = iter([RuntimeError("bus gone")])

    def flaky(self: Any, events: list[dict[str, Any]]) -> Any:
        if (error := next(failures, None)) is not None:
            raise error
        return original(self, events)

    monkeypatch.setattr(EventsBackend, "put_events", flaky)
    emitter = cloud.cloudtrail
    assert emitter is not None
    url, arn = queues.queue(cloud.client("sqs"), "trail", service="events.amazonaws.com")
    events = cloud.client("events")
    events.put_rule(Name="trail", EventPattern=json.dumps({"source": ["turnstile.test"]}))
    events.put_targets(Rule="trail", Targets=[{"Id": "q", "Arn": arn}])
    for n in (1, 2):
        emitter.put(
            "123456789012", REGION, {"Source": "turnstile.test", "DetailType": "t", "Detail": json.dumps({"n": n})}
        )
    emitter.settle()
    assert emitter.undelivered == ["RuntimeError: bus gone"]
    [message] = cloud.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(message["Body"])["detail"] == {"n": 2}


# Secrets Manager: lookups while another caller creates a secret ------------------------------------------------------
def looked_up_while_another_is_created() -> Any:
    """Looks a secret up in a store that grows during the scan (as when another thread creates a secret then):
    a secret whose ARN, when read, adds another to the store."""
    from types import SimpleNamespace

    from moto.secretsmanager.models import SecretsStore

    store: Any = SecretsStore()  # holds stand-ins, not FakeSecrets: only arn and name are read

    class Growing(SimpleNamespace):
        @property
        def arn(self) -> str:
            dict.__setitem__(store, f"other-{len(store)}", SimpleNamespace(arn="x", name="y"))
            return "arn:first"

    dict.__setitem__(store, "first", Growing(name="first"))
    dict.__setitem__(store, "second", SimpleNamespace(arn="arn:second", name="second"))
    return store["second"].name, "second" in store, store.get("arn:second").name


def test_gap_moto_secret_lookups_fail_when_a_secret_is_created_meanwhile(raw_moto: None) -> None:
    with pytest.raises(RuntimeError, match="dictionary changed size during iteration"):
        looked_up_while_another_is_created()


def test_with_the_adapter_secret_lookups_scan_a_snapshot(cloud: LocalCloud) -> None:
    assert looked_up_while_another_is_created() == ("second", True, "second")

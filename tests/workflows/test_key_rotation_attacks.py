"""The key-rotation workflow (issue #8) under attack: what a hostile reviewer tries, in the deployed stack.

Every test drives the deployed state machine (or its RotateUserKeys function, as a second caller would) and
checks what is left in IAM, Secrets Manager and the table. Each attack is scoped to its own users (a run
visits every flagged user of the account; faults match one user's calls only), so the module's tests do not
depend on each other's order.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import boto3
import pytest
from turnstile.domain import secrets_store

from localcloud import account
from localcloud.adapters.faults import Call
from tests.workflows.scenarios import Deployed
from tests.workflows.test_secrets import everything_recorded, leaks

DAY = 24 * 3600
ROTATE = "turnstile-RotateUserKeys"
EXEMPT_TAG = "turnstile:rotation-exempt"


# --- driving the workflow ---------------------------------------------------------------------------------------
def machine(deployed: Deployed) -> str:
    return deployed.deployment.outputs["KeyRotationStateMachineArn"]


def start(deployed: Deployed, run_input: str = '{"dry_run": false}', name: str | None = None) -> str:
    sfn = deployed.client("stepfunctions")
    return str(
        sfn.start_execution(stateMachineArn=machine(deployed), name=name or uuid.uuid4().hex, input=run_input)[
            "executionArn"
        ]
    )


def run(deployed: Deployed, run_input: str = '{"dry_run": false}') -> dict[str, Any]:
    return deployed.cloud.wait_for_execution(start(deployed, run_input), timeout=180)


def results(deployed: Deployed, execution: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each looked-at user's result, as the Map left it."""
    plan = deployed.state_output(execution, "ActOnUsers")["plan"]
    return {r["username"]: r for r in plan["users"]}


def summary(deployed: Deployed, after: int) -> dict[str, Any]:
    [found] = [n for n in deployed.notifications(after=after) if n["event"] in ("KeyRotationRun", "KeyRotationDryRun")]
    return found


# --- users and keys ---------------------------------------------------------------------------------------------
def adopt(deployed: Deployed, username: str, *, path: str = "/turnstile/", tags: dict[str, str] | None = None) -> str:
    """A managed user whose access key Turnstile issued: the same user path, tags, secret name, version id, key and
    resource policy as IssueAccessKey leaves (faster than an onboarding per user). Returns the key id."""
    iam = deployed.client("iam")
    every_tag = {"turnstile:managed": "true", "turnstile:employee-id": username, **(tags or {})}
    iam.create_user(UserName=username, Path=path, Tags=[{"Key": k, "Value": v} for k, v in every_tag.items()])
    key = iam.create_access_key(UserName=username)["AccessKey"]
    environment = deployed.client("lambda").get_function_configuration(FunctionName=ROTATE)["Environment"]
    secrets_store.store(
        deployed.client("secretsmanager"),
        name=key_secret(username),
        value={"username": username, "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]},
        kms_key_id=environment["Variables"]["TURNSTILE_KMS_KEY_ID"],
        tags={"turnstile:managed": "true", "turnstile:username": username, "turnstile:employee-id": username},
        description=f"Access key of IAM user {username}",
        readers=[f"arn:aws:iam::{deployed.cloud.account}:role/{account.HELPDESK_ROLE}"],
        existing=None,
        version_id=secrets_store.version_token(key["AccessKeyId"]),
    )
    return str(key["AccessKeyId"])


def key_secret(username: str) -> str:
    return f"turnstile/users/{username}/access-key"


def stored(deployed: Deployed, username: str, stage: str = "AWSCURRENT") -> dict[str, Any]:
    """The access-key secret's value at `stage`, as the helpdesk reads it."""
    sm = helpdesk(deployed)
    return dict(json.loads(sm.get_secret_value(SecretId=key_secret(username), VersionStage=stage)["SecretString"]))


_HELPDESK: dict[int, Any] = {}


def helpdesk(deployed: Deployed) -> Any:
    """The helpdesk's Secrets Manager client (one role session per cloud: assuming it costs more than a read)."""
    if id(deployed.cloud) not in _HELPDESK:
        _HELPDESK.clear()
        _HELPDESK[id(deployed.cloud)] = account.helpdesk(deployed.cloud).client("secretsmanager")
    return _HELPDESK[id(deployed.cloud)]


def stages(deployed: Deployed, username: str) -> dict[str, list[str]]:
    """Live key id -> the secret's stages on its version ("?" collects stages on versions of no live key)."""
    metadata = secrets_store.describe(deployed.client("secretsmanager"), key_secret(username)) or {}
    by_version = dict(metadata.get("VersionIdsToStages") or {})
    found: dict[str, list[str]] = {}
    for key_id in keys(deployed, username):
        found[key_id] = sorted(by_version.pop(secrets_store.version_token(key_id), []))
    found["?"] = sorted(stage for labels in by_version.values() for stage in labels)
    return found


def keys(deployed: Deployed, username: str) -> dict[str, str]:
    """Live key id -> status."""
    found = deployed.client("iam").list_access_keys(UserName=username)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in found}


def use(deployed: Deployed, username: str, stage: str = "AWSCURRENT") -> str:
    """Whoever holds the stored key signs a request with it (IAM records the key's use)."""
    value = stored(deployed, username, stage)
    use_key(value["access_key_id"], value["secret_access_key"])
    return str(value["access_key_id"])


_SESSION = boto3.session.Session(region_name="us-east-1")


def use_key(key_id: str, secret: str) -> None:
    """A request signed with the key (clients of one session: making one per key costs a service model load)."""
    _SESSION.client("sts", aws_access_key_id=key_id, aws_secret_access_key=secret).get_caller_identity()


def for_user(username: str, *also: str) -> Any:
    """A fault filter: the call names this user (or one of `also`, e.g. its key ids) in its parameters."""
    markers = (username, *also)

    def matches(call: Call) -> bool:
        text = json.dumps(call.params, default=str)
        return any(marker in text for marker in markers)

    return matches


def due_for_rotation(deployed: Deployed, username: str) -> str:
    """A managed user whose stored key is 91 days old and in use; returns the key id."""
    old = adopt(deployed, username)
    deployed.cloud.clock.advance(91 * DAY)
    use(deployed, username)
    return old


# --- attacks ------------------------------------------------------------------------------------------------


def test_no_secret_travels_through_any_channel(deployed: Deployed) -> None:
    """A rotation, and one whose PutSecretValue fails (the new key discarded): no secret key ever stored or
    created appears in any history, log, notification, event or item (the other attacks' runs are scanned too)."""
    username, failing = "att.secretive", "att.unlucky"
    adopt(deployed, failing)
    due_for_rotation(deployed, username)
    use(deployed, failing)
    created: list[str] = []

    def note_the_new_key(call: Call) -> bool:
        if call.caller == ROTATE and failing in call.params.get("SecretId", ""):
            created.append(json.loads(call.params["SecretString"])["secret_access_key"])
            return True
        return False

    with deployed.cloud.faults.injected(
        "secretsmanager", "PutSecretValue", "AccessDeniedException", when=note_the_new_key
    ):
        execution = run(deployed)
    found = results(deployed, execution)
    assert found[username]["outcome"] == "acted" and found[failing]["outcome"] == "failed" and created

    sm = deployed.client("secretsmanager")
    secrets = list(created)
    for secret in sm.list_secrets()["SecretList"]:
        for version in sm.list_secret_version_ids(SecretId=secret["ARN"])["Versions"]:
            value = helpdesk(deployed).get_secret_value(SecretId=secret["ARN"], VersionId=version["VersionId"])
            parsed = json.loads(value["SecretString"])
            secrets.append(parsed.get("secret_access_key") or parsed.get("password"))
    assert len(secrets) >= 4
    assert leaks(everything_recorded(deployed), secrets) == []


def rotated(deployed: Deployed, username: str) -> tuple[str, str]:
    """A user whose stored key was rotated by a run: (old key id, new key id)."""
    old = due_for_rotation(deployed, username)
    assert results(deployed, run(deployed))[username]["outcome"] == "acted"
    new = stored(deployed, username)["access_key_id"]
    assert new != old and stages(deployed, username) == {old: ["AWSPREVIOUS"], new: ["AWSCURRENT"], "?": []}
    return old, new


def self_made(deployed: Deployed, username: str) -> dict[str, Any]:
    """A managed user holding only a key they made themselves (no Turnstile secret)."""
    iam = deployed.client("iam")
    tags = [{"Key": "turnstile:managed", "Value": "true"}, {"Key": "turnstile:employee-id", "Value": username}]
    iam.create_user(UserName=username, Path="/turnstile/", Tags=tags)
    return dict(iam.create_access_key(UserName=username)["AccessKey"])


def test_a_stale_report_never_rotates_twice_nor_deactivates_a_key_used_since(deployed: Deployed) -> None:
    """Three runs within four hours share one credential report (a dry run's). It says `idle`'s key is unused and
    `rotating`'s is 91 days old: `idle` uses its key after the report, and the first real run rotates `rotating`.
    Neither the first real run may deactivate `idle`'s key, nor the second rotate `rotating` again."""
    rotating, idle = "att.stale.rotating", "att.stale.idle"
    old = adopt(deployed, rotating)
    deployed.cloud.clock.advance(41 * DAY)
    idle_key = adopt(deployed, idle)
    deployed.cloud.clock.advance(50 * DAY)
    use(deployed, rotating)
    dry = run(deployed, '{"dry_run": true}')  # the report the next runs reuse: idle's key unused for 50 days
    assert any(a.startswith("deactivate-unused") for a in results(deployed, dry)[idle]["actions"])
    use(deployed, idle)
    deployed.cloud.clock.advance(3600)

    first = run(deployed)
    deployed.cloud.clock.advance(3600)
    second = run(deployed)

    assert keys(deployed, idle) == {idle_key: "Active"}
    new = stored(deployed, rotating)["access_key_id"]
    assert keys(deployed, rotating) == {old: "Active", new: "Active"}
    assert results(deployed, first)[rotating]["actions"] == [f"rotate {old}"]
    again = results(deployed, second)[rotating]
    assert again["outcome"] == "nothing-due" and again["actions"] == ["report-two-active-keys"], again
    report = [deployed.state_output(r, "PlanKeyRotation")["plan"]["report_generated"] for r in (dry, first, second)]
    assert len(set(report)) == 1, report  # one report, as stale as it gets within four hours


def test_two_runs_started_at_once_act_once(deployed: Deployed) -> None:
    username = "att.atonce"
    old = due_for_rotation(deployed, username)
    with deployed.cloud.faults.held("iam", "GenerateCredentialReport") as reached:
        first, second = start(deployed), start(deployed)
        assert reached.wait(30)
    runs = [deployed.cloud.wait_for_execution(arn, timeout=180) for arn in (first, second)]
    assert [r["status"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"]
    duplicates = [deployed.state_output(r, "BeginRotationRun")["run"]["duplicate_of"] for r in runs]
    assert sorted(d is None for d in duplicates) == [False, True], duplicates
    assert len(keys(deployed, username)) == 2 and old in keys(deployed, username)


def test_a_dead_runs_lease_is_taken_over_by_one_of_two_runs_starting_at_once(deployed: Deployed) -> None:
    ghost = f"arn:aws:states:{deployed.cloud.region}:{deployed.cloud.account}:execution:turnstile-key-rotation:ghost"
    ddb = deployed.client("dynamodb")
    ddb.put_item(
        TableName=deployed.table,
        Item={
            "pk": {"S": "RUN#key-rotation"},
            "sk": {"S": "LEASE"},
            "execution_id": {"S": ghost},
            "started_at": {"S": deployed.cloud.clock.now().isoformat()},
            "expires_at": {"N": str(int(deployed.cloud.clock.now().timestamp()) + DAY)},
        },
    )
    faults = deployed.cloud.faults
    with faults.held("stepfunctions", "DescribeExecution"):
        arns = [start(deployed), start(deployed)]
        waited = 0
        while faults.in_flight.get("stepfunctions", 0) < 2 and waited < 300:  # both asking whether ghost runs
            threading.Event().wait(0.1)
            waited += 1
    runs = [deployed.cloud.wait_for_execution(arn, timeout=180) for arn in arns]
    duplicates = [deployed.state_output(r, "BeginRotationRun")["run"]["duplicate_of"] for r in runs]
    assert sorted(d is None for d in duplicates) == [False, True], duplicates
    assert "Item" not in ddb.get_item(
        TableName=deployed.table, Key={"pk": {"S": "RUN#key-rotation"}, "sk": {"S": "LEASE"}}
    )


@pytest.mark.parametrize(
    "run_input",
    [
        '{"dry_run": "false"}',
        '{"dry_run": 0}',
        '{"dry_run": "no"}',
        '{"dry_run": false, "now": "2030-01-01T00:00:00Z"}',
        '{"dry_run": false, "users": ["att.abused"]}',
        '{"dry_run": false, "padding": "' + "x" * 200_000 + '"}',
    ],
    ids=["string", "zero", "no", "now", "users", "huge"],
)
def test_a_run_input_that_is_not_exactly_a_boolean_dry_run_changes_nothing(deployed: Deployed, run_input: str) -> None:
    username = f"att.abused.{uuid.uuid4().hex[:6]}"
    old = adopt(deployed, username)
    deployed.cloud.clock.advance(46 * DAY)  # unused 46 days: a real run would deactivate it
    execution = run(deployed, run_input)
    assert keys(deployed, username) == {old: "Active"}, execution["status"]
    assert "secret" not in json.dumps(deployed.cloud.history(execution["executionArn"])[-1], default=str).lower()
    assert run(deployed, '{"dry_run": true}')["status"] == "SUCCEEDED"  # the lease was not left held


def invoke_for(deployed: Deployed, username: str) -> dict[str, Any]:
    """RotateUserKeys for one user, invoked as a run's Map would (a second caller: a retry, an aborted run's)."""
    payload = {
        "run": {
            "run_id": f"manual-{uuid.uuid4().hex}",
            "dry_run": False,
            "now": deployed.cloud.clock.now().isoformat(),
        },
        "candidate": {"username": username, "why": ["looked at by hand"]},
    }
    response = deployed.client("lambda").invoke(FunctionName=ROTATE, Payload=json.dumps(payload).encode())
    return dict(json.loads(response["Payload"].read()))

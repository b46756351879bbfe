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
from moto.iam.models import iam_backends
from moto.secretsmanager.models import secretsmanager_backends
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
def test_a_key_the_user_makes_after_a_failed_rotation_is_never_taken_for_a_half_made_one(deployed: Deployed) -> None:
    """A rotation that fails (here at CreateAccessKey) leaves its mark on the old key. The user then makes a key
    of their own: it is theirs, and must survive every later run."""
    username = "att.selfmade"
    old = due_for_rotation(deployed, username)
    with deployed.cloud.faults.injected(
        "iam", "CreateAccessKey", "AccessDenied", caller=ROTATE, when=for_user(username)
    ):
        execution = run(deployed)
    assert results(deployed, execution)[username]["outcome"] == "failed"
    mine = deployed.client("iam").create_access_key(UserName=username)["AccessKey"]
    deployed.cloud.clock.advance(DAY)
    use(deployed, username)
    use_key(mine["AccessKeyId"], mine["SecretAccessKey"])

    execution = run(deployed)

    assert keys(deployed, username) == {old: "Active", mine["AccessKeyId"]: "Active"}
    assert results(deployed, execution)[username]["outcome"] != "acted"


def test_a_key_the_user_makes_while_the_rotation_runs_is_theirs(deployed: Deployed) -> None:
    """The user makes a key between the rotation's mark and its CreateAccessKey: IAM refuses Turnstile's (two keys
    at most). The user's key must survive the next run."""
    username = "att.racer"
    old = due_for_rotation(deployed, username)
    mine: dict[str, Any] = {}

    def user_makes_a_key(call: Call) -> bool:
        if call.caller == ROTATE and username in json.dumps(call.params) and not mine:
            # (straight into the emulator's IAM: an API call from inside a fault filter would wait for itself)
            key = iam_backends[deployed.cloud.account]["global"].create_access_key(username)
            mine.update(AccessKeyId=key.access_key_id, SecretAccessKey=key.secret_access_key)
        return False

    with deployed.cloud.faults.injected("iam", "CreateAccessKey", "Unused", when=user_makes_a_key):
        execution = run(deployed)
    assert mine, "the rotation never reached CreateAccessKey"
    assert results(deployed, execution)[username]["outcome"] == "failed"
    deployed.cloud.clock.advance(DAY)
    use(deployed, username)
    use_key(mine["AccessKeyId"], mine["SecretAccessKey"])

    run(deployed)

    assert keys(deployed, username) == {old: "Active", mine["AccessKeyId"]: "Active"}


def test_two_invocations_for_one_user_at_once_rotate_once_and_store_a_live_key(deployed: Deployed) -> None:
    """A second RotateUserKeys for the same user while the first is between CreateAccessKey and PutSecretValue
    (an aborted run's invocation still running, a retried task): one new key, stored as current, the old one
    previous — never a secret whose current version holds a deleted key."""
    username = "att.twice"
    old = due_for_rotation(deployed, username)
    now = deployed.cloud.clock.now().isoformat()
    payload = json.dumps(
        {
            "run": {"run_id": f"manual-{uuid.uuid4().hex}", "dry_run": False, "now": now},
            "candidate": {"username": username, "why": ["key 1 is 91 days old"]},
        }
    )
    answers: list[dict[str, Any]] = []

    def invoke() -> None:
        response = deployed.client("lambda").invoke(FunctionName=ROTATE, Payload=payload.encode())
        answers.append(json.loads(response["Payload"].read()))

    first, second = threading.Thread(target=invoke), threading.Thread(target=invoke)
    with deployed.cloud.faults.held("secretsmanager", "PutSecretValue") as reached:
        first.start()
        assert reached.wait(30), "the first invocation never reached PutSecretValue"
        second.start()
        second.join(timeout=10)  # done, or held at PutSecretValue in turn
    first.join(timeout=30)
    second.join(timeout=30)
    assert len(answers) == 2, answers

    live = keys(deployed, username)
    current = stored(deployed, username)["access_key_id"]
    assert current in live and live[current] == "Active", (answers, live, current)
    assert len(live) == 2 and old in live, (answers, live)
    assert stages(deployed, username) == {old: ["AWSPREVIOUS"], current: ["AWSCURRENT"], "?": []}


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


def test_an_old_key_reactivated_by_a_person_gets_its_full_week_again_before_deletion(deployed: Deployed) -> None:
    """The replaced key is deactivated, then someone turns it back on (something still needed it). Turnstile turns
    it off again: deletion counts from that second deactivation, not the first."""
    username = "att.revived"
    old, _ = rotated(deployed, username)
    deployed.cloud.clock.advance(8 * DAY)
    use(deployed, username)
    run(deployed)
    assert keys(deployed, username)[old] == "Inactive"
    deployed.cloud.clock.advance(6 * DAY)
    deployed.client("iam").update_access_key(UserName=username, AccessKeyId=old, Status="Active")
    deployed.cloud.clock.advance(DAY)
    run(deployed)
    assert keys(deployed, username)[old] == "Inactive"  # off again: the week starts now

    deployed.cloud.clock.advance(2 * DAY)
    run(deployed)

    assert keys(deployed, username).get(old) == "Inactive", "deleted two days after its second deactivation"


def self_made(deployed: Deployed, username: str) -> dict[str, Any]:
    """A managed user holding only a key they made themselves (no Turnstile secret)."""
    iam = deployed.client("iam")
    tags = [{"Key": "turnstile:managed", "Value": "true"}, {"Key": "turnstile:employee-id", "Value": username}]
    iam.create_user(UserName=username, Path="/turnstile/", Tags=tags)
    return dict(iam.create_access_key(UserName=username)["AccessKey"])


def test_a_reminder_that_could_not_be_sent_is_sent_by_the_next_run(deployed: Deployed) -> None:
    username = "att.reminded"
    key = self_made(deployed, username)
    deployed.cloud.clock.advance(81 * DAY)
    use_key(key["AccessKeyId"], key["SecretAccessKey"])
    with deployed.cloud.faults.injected("sns", "Publish", "AuthorizationError", caller=ROTATE, when=for_user(username)):
        execution = run(deployed)
    assert results(deployed, execution)[username]["outcome"] == "failed"
    deployed.cloud.clock.advance(DAY)
    mark = deployed.mark()

    run(deployed)

    sent = [n for n in deployed.notifications(after=mark) if n.get("username") == username]
    assert any(d.startswith(f"remind {key['AccessKeyId']}") for n in sent for d in n["done"]), sent


def test_the_summary_lists_what_was_done_for_a_user_whose_step_then_failed(deployed: Deployed) -> None:
    """The key is deactivated (unused 46 days), then the user's notification fails: the summary must still say the
    key was deactivated (the audit trail is not the only place the run's changes are told)."""
    username = "att.halfdone"
    old = adopt(deployed, username)
    deployed.cloud.clock.advance(46 * DAY)
    mark = deployed.mark()
    with deployed.cloud.faults.injected("sns", "Publish", "AuthorizationError", caller=ROTATE, when=for_user(username)):
        run(deployed)
    assert keys(deployed, username) == {old: "Inactive"}
    [entry] = [e for e in summary(deployed, mark)["failed"] if e["username"] == username]
    assert entry["actions"] == [f"deactivate-unused {old}"], entry


def test_users_changed_between_the_report_and_the_run_are_skipped_untouched(deployed: Deployed) -> None:
    """The report is up to four hours old. Between it and the run: one user leaves Turnstile's path, one is untagged
    (managed=false), one is deleted and re-created under the same name with a key of its own. Nobody is acted on,
    and nothing of theirs changes; each is reported as skipped, with why (not as a failure)."""
    moved, untagged, recreated = "att.moved", "att.untagged", "att.recreated"
    for username in (moved, untagged, recreated):
        adopt(deployed, username)
    deployed.cloud.clock.advance(91 * DAY)
    for username in (moved, untagged, recreated):
        use(deployed, username)
    plan = run(deployed, '{"dry_run": true}')  # the report the next run reuses
    assert {moved, untagged, recreated} <= set(results(deployed, plan))
    iam = deployed.client("iam")
    iam.update_user(UserName=moved, NewPath="/elsewhere/")
    # still tagged managed (the emulator files tags under the user's ARN, which the new path changes: tag again)
    iam.tag_user(UserName=moved, Tags=[{"Key": "turnstile:managed", "Value": "true"}])
    iam.tag_user(UserName=untagged, Tags=[{"Key": "turnstile:managed", "Value": "false"}])
    remove(deployed, recreated)
    iam.create_user(UserName=recreated, Path="/turnstile/", Tags=[{"Key": "turnstile:managed", "Value": "true"}])
    theirs = iam.create_access_key(UserName=recreated)["AccessKey"]["AccessKeyId"]
    before = {username: keys(deployed, username) for username in (moved, untagged, recreated)}

    execution = run(deployed)

    found = results(deployed, execution)
    assert {username: keys(deployed, username) for username in (moved, untagged, recreated)} == before
    assert before[recreated] == {theirs: "Active"}
    assert found[moved]["outcome"] == "skipped" and "path" in found[moved]["note"], found[moved]
    assert found[untagged]["outcome"] == "skipped", found[untagged]
    assert found[recreated]["outcome"] in ("skipped", "nothing-due"), found[recreated]


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


def past_begin(deployed: Deployed, arn: str) -> bool:
    history = deployed.cloud.history(arn)
    return any(e.get("stateExitedEventDetails", {}).get("name") == "BeginRotationRun" for e in history)


def test_two_runs_started_at_once_act_once(deployed: Deployed) -> None:
    username = "att.atonce"
    old = due_for_rotation(deployed, username)
    with deployed.cloud.faults.held("iam", "GenerateCredentialReport"):
        first, second = start(deployed), start(deployed)
        # both past BeginRotationRun while the winner is held at its plan (released, it could finish and free the
        # lease before the other even began: two runs one after the other, not at once)
        for arn in (first, second):
            waited = 0
            while not past_begin(deployed, arn) and waited < 300:
                threading.Event().wait(0.1)
                waited += 1
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


def test_a_secret_write_that_landed_but_answered_an_error_keeps_its_key(deployed: Deployed) -> None:
    """PutSecretValue stores the new version, then its answer is lost (the SDK's retries meet errors): the key the
    secret now holds must not be discarded as unstored."""
    username = "att.lostanswer"
    old = due_for_rotation(deployed, username)
    backend = secretsmanager_backends[deployed.cloud.account][deployed.cloud.region]

    def lands_then_fails(call: Call) -> bool:
        if call.caller != ROTATE or username not in call.params.get("SecretId", ""):
            return False
        if not lands_then_fails.landed:  # type: ignore[attr-defined]
            backend.put_secret_value(
                call.params["SecretId"],
                call.params["SecretString"],
                "",
                call.params["ClientRequestToken"],
                ["AWSCURRENT"],
            )
            lands_then_fails.landed = True  # type: ignore[attr-defined]
        return True

    lands_then_fails.landed = False  # type: ignore[attr-defined]
    with deployed.cloud.faults.injected(
        "secretsmanager", "PutSecretValue", "InternalServiceError", when=lands_then_fails
    ):
        run(deployed)

    current = stored(deployed, username)["access_key_id"]
    assert keys(deployed, username) == {old: "Active", current: "Active"}
    assert stages(deployed, username) == {old: ["AWSPREVIOUS"], current: ["AWSCURRENT"], "?": []}


def test_a_half_made_key_left_by_a_failing_cleanup_is_removed_by_the_next_run_which_then_rotates(
    deployed: Deployed,
) -> None:
    """PutSecretValue fails, and so do the deletion and the deactivation of the new key: an active key nobody holds
    the secret of is left. The next run removes it (Turnstile recorded making it) and rotates."""
    username = "att.orphaned"
    old = due_for_rotation(deployed, username)
    faults = deployed.cloud.faults
    injected = [
        faults.inject(
            "secretsmanager", "PutSecretValue", "AccessDeniedException", caller=ROTATE, when=for_user(username)
        ),
        faults.inject("iam", "DeleteAccessKey", "AccessDenied", caller=ROTATE, when=for_user(username)),
        faults.inject("iam", "UpdateAccessKey", "AccessDenied", caller=ROTATE, when=for_user(username)),
    ]
    try:
        execution = run(deployed)
    finally:
        for fault in injected:
            faults.remove(fault)
    assert results(deployed, execution)[username]["outcome"] == "failed"
    [orphan] = set(keys(deployed, username)) - {old}
    assert keys(deployed, username)[orphan] == "Active"
    deployed.cloud.clock.advance(DAY)
    use(deployed, username)

    execution = run(deployed)

    new = stored(deployed, username)["access_key_id"]
    assert orphan not in keys(deployed, username) and new != orphan
    assert stages(deployed, username) == {old: ["AWSPREVIOUS"], new: ["AWSCURRENT"], "?": []}
    assert results(deployed, execution)[username]["actions"] == [f"discard-half-made {orphan}", f"rotate {old}"]


def test_a_key_made_by_a_rotation_that_died_before_recording_it_is_left_to_a_person(deployed: Deployed) -> None:
    """The one gap no record can close: the invocation dies between CreateAccessKey and recording the key (here:
    the record's write fails, and so does every removal of the key). Turnstile cannot tell that key from one the
    user made, so it never removes it: the user is reported as skipped (two keys), untouched, run after run."""
    username = "att.unrecorded"
    old = due_for_rotation(deployed, username)
    faults = deployed.cloud.faults
    injected = [
        faults.inject(
            "dynamodb",
            "UpdateItem",
            "AccessDeniedException",
            caller=ROTATE,
            when=lambda call: username in json.dumps(call.params) and "made_by_rotation" in json.dumps(call.params),
        ),
        faults.inject("iam", "DeleteAccessKey", "AccessDenied", caller=ROTATE, when=for_user(username)),
        faults.inject("iam", "UpdateAccessKey", "AccessDenied", caller=ROTATE, when=for_user(username)),
    ]
    try:
        run(deployed)
    finally:
        for fault in injected:
            faults.remove(fault)
    [unknown] = set(keys(deployed, username)) - {old}
    deployed.cloud.clock.advance(DAY)
    use(deployed, username)

    execution = run(deployed)

    assert keys(deployed, username) == {old: "Active", unknown: "Active"}
    found = results(deployed, execution)[username]
    assert found["outcome"] == "skipped" and "two keys" in found["note"], found


# --- the fault matrix ---------------------------------------------------------------------------------------
THROTTLED = {
    "iam": "Throttling",
    "dynamodb": "ProvisionedThroughputExceededException",
    "sns": "Throttled",
    "secretsmanager": "ThrottlingException",
}
DENIED = {"iam": "AccessDenied", "sns": "AuthorizationError"}
READS = ("Get", "List", "Describe")
SDK_ATTEMPTS = 6  # a throttle lasting one SDK round: the step fails once, Step Functions' Retry runs it again
Site = tuple[str, str, int]  # (service, action, from its n-th call on)


def sites_of(calls: list[Call], markers: tuple[str, ...]) -> list[Site]:
    """Each call RotateUserKeys made about the probe, as (service, action, occurrence)."""
    seen: dict[tuple[str, str], int] = {}
    sites = []
    for call in calls:
        if call.caller != ROTATE or not any(m in json.dumps(call.params, default=str) for m in markers):
            continue
        n = seen[(call.service, call.action)] = seen.get((call.service, call.action), 0) + 1
        sites.append((call.service, call.action, n))
    return sites


def cells_of(sites: list[Site], *, with_reads: bool) -> list[tuple[Site, str]]:
    """From the first change on, each call throttled (one SDK round) and denied (for good). The reads before it
    change nothing whatever fails; they are denied once (and the very first also throttled) in the first phase
    only: every phase reads the same way."""
    first_change = next(i for i, site in enumerate(sites) if not site[1].startswith(READS))
    cells = []
    for i, site in enumerate(sites):
        denied = DENIED.get(site[0], "AccessDeniedException")
        if i >= first_change:
            cells += [(site, THROTTLED[site[0]]), (site, denied)]
        elif with_reads:
            cells += [(site, THROTTLED[site[0]]), (site, denied)] if i == 0 else [(site, denied)]
    return cells


def from_nth_call(site: Site, code: str, markers: tuple[str, ...]) -> Any:
    """A fault filter: this user's calls of the site's action from its n-th on: for good when denied, for one SDK
    round when throttled."""
    count = [0]
    lasts = SDK_ATTEMPTS if code in THROTTLED.values() else 10**9

    def matches(call: Call) -> bool:
        if call.caller != ROTATE or not any(m in json.dumps(call.params, default=str) for m in markers):
            return False
        count[0] += 1
        return site[2] <= count[0] < site[2] + lasts

    return matches


class Matrix:
    """One user per (site, code) of a phase, each with its own fault, all in one run; then the faults clear and
    the next day's run must finish the job."""

    def __init__(self, deployed: Deployed) -> None:
        self.deployed = deployed
        self.violations: list[str] = []
        self.cells: dict[str, dict[str, tuple[Site, str]]] = {}
        self.sites: dict[str, list[Site]] = {}
        self.old: dict[str, str] = {}

    def discover(self, phase: str, probe: str) -> None:
        markers = (probe, *keys(self.deployed, probe))
        with self.deployed.cloud.faults.recording() as calls:
            answer = invoke_for(self.deployed, probe)
        assert answer.get("outcome") == "acted", answer
        self.sites[phase] = sites_of(calls, markers)

    def faulted_run(self, phase: str, users: list[str]) -> list[str]:
        """Returns the users that got a cell."""
        cells = cells_of(self.sites[phase], with_reads=phase == "r")
        assert len(users) >= len(cells), (phase, len(users), len(cells))
        faults = self.deployed.cloud.faults
        injected = []
        self.cells[phase] = {}
        for username, (site, code) in zip(users, cells, strict=False):
            markers = (username, *keys(self.deployed, username))
            self.cells[phase][username] = (site, code)
            injected.append(
                faults.inject(site[0], site[1], code, caller=ROTATE, when=from_nth_call(site, code, markers))
            )
        try:
            execution = run(self.deployed)
        finally:
            for fault in injected:
                faults.remove(fault)
        assert execution["status"] == "SUCCEEDED", execution
        found = results(self.deployed, execution)
        for username in self.cells[phase]:
            outcome = found.get(username, {}).get("outcome")
            self.check(phase, username, f"outcome {outcome}", outcome in ("acted", "failed"))
            self.stored_and_live(phase, username)
        return list(self.cells[phase])

    def check(self, phase: str, username: str, what: str, holds: bool) -> None:
        if not holds:
            site, code = self.cells[phase][username]
            self.violations.append(f"{phase} {site[0]}:{site[1]}#{site[2]} {code} ({username}): {what}")

    def stored_and_live(self, phase: str, username: str) -> None:
        """Every active key is one a secret version holds, the current version holds a live key, no stage is left
        on a deleted key's version, and the replaced key is never deleted before it was switched off."""
        live, staged = keys(self.deployed, username), stages(self.deployed, username)
        unstored = [k for k, status in live.items() if status == "Active" and not staged.get(k)]
        self.check(phase, username, f"active keys nobody holds: {unstored}", not unstored)
        current = [k for k, labels in staged.items() if "AWSCURRENT" in labels]
        self.check(phase, username, f"current version holds {current}", len(current) == 1 and current[0] != "?")
        self.check(phase, username, f"a stage on a deleted key's version: {staged['?']}", not staged["?"])
        if phase != "x":
            self.check(phase, username, "the replaced key is gone", self.old[username] in live)

    def next_day(self) -> None:
        self.deployed.cloud.clock.advance(DAY)
        for username in self.old:
            use(self.deployed, username)
        run(self.deployed)


@pytest.fixture(scope="module")
def matrix(deployed: Deployed) -> Matrix:
    """Rotation, then deactivation of the replaced key, then its deletion: every call RotateUserKeys makes in each
    fails in turn, one cell per user; the next day's run must leave each user as a clean run would."""
    m, cloud = Matrix(deployed), deployed.cloud
    rotating, deactivating, deleting = ([f"fm.{phase}.{n:02d}" for n in range(count)] for phase, count in PHASES)
    m.old = {username: adopt(deployed, username) for username in [*PROBES, *rotating, *deactivating, *deleting]}
    cloud.clock.advance(91 * DAY)
    for username in m.old:
        use(deployed, username)

    m.discover("r", PROBES[0])
    assert all(invoke_for(deployed, probe)["outcome"] == "acted" for probe in PROBES[1:])
    cells = m.faulted_run("r", rotating)
    m.next_day()
    for username in cells:
        new = stored(deployed, username)["access_key_id"]
        want = {m.old[username]: ["AWSPREVIOUS"], new: ["AWSCURRENT"], "?": []}
        m.check("r", username, f"after the next run: {stages(deployed, username)}", stages(deployed, username) == want)

    cloud.clock.advance(7 * DAY)
    m.discover("d", PROBES[1])
    assert invoke_for(deployed, PROBES[2])["outcome"] == "acted"
    cells = m.faulted_run("d", deactivating)
    m.next_day()
    for username in cells:
        record = deployed.client("dynamodb").get_item(
            TableName=deployed.table, Key={"pk": {"S": f"KEY#{m.old[username]}"}, "sk": {"S": "ROTATION"}}
        )
        off = keys(deployed, username).get(m.old[username]) == "Inactive"
        m.check("d", username, "the replaced key is not off after the next run", off)
        m.check("d", username, "no deactivation date", "deactivated_at" in record.get("Item", {}))

    cloud.clock.advance(6 * DAY)
    m.discover("x", PROBES[2])
    cells = m.faulted_run("x", deleting)
    m.next_day()
    for username in cells:
        new = stored(deployed, username)["access_key_id"]
        want = {new: ["AWSCURRENT"], "?": []}
        m.check("x", username, f"after the next run: {stages(deployed, username)}", stages(deployed, username) == want)
    for username in m.old:  # gone, so that the module's other runs do not look at them all again
        remove(deployed, username)
    return m


def remove(deployed: Deployed, username: str) -> None:
    iam = deployed.client("iam")
    for key_id in keys(deployed, username):
        iam.delete_access_key(UserName=username, AccessKeyId=key_id)
    iam.delete_user(UserName=username)


PROBES = ("fm.probe.r", "fm.probe.d", "fm.probe.x")
PHASES = (("r", 24), ("d", 8), ("x", 12))


def test_every_call_of_a_rotation_deactivation_and_deletion_can_fail_and_the_next_run_finishes(matrix: Matrix) -> None:
    assert ("iam", "CreateAccessKey", 1) in matrix.sites["r"] and (
        "secretsmanager",
        "PutSecretValue",
        1,
    ) in matrix.sites["r"]
    assert ("iam", "UpdateAccessKey", 1) in matrix.sites["d"] and ("iam", "DeleteAccessKey", 1) in matrix.sites["x"]
    assert matrix.violations == [], "\n".join(matrix.violations)

"""`make demo`: Turnstile's joiner lifecycle, end to end, in an emulated AWS account on this machine.

Synthesizes the CDK app with the CDK CLI, deploys that cloud assembly into the local cloud (which authorizes
every call as AWS does), and, as the HR system, puts "Employee Hired" events on the HR bus: a console user who
enrols MFA, a programmatic-only user whose key goes to Secrets Manager, the same hire re-sent while DynamoDB
throttles (the failure path touches nothing), an invalid event and one from an unknown source. Then the local
clock moves 95 days and the scheduled key rotation runs: a dry-run plan, a real rotation into a new secret version,
and, a week and two weeks later, the old key deactivated and deleted. The account is served on 127.0.0.1 so the
AWS CLI can look at what the demo made (`--serve` keeps it up afterwards).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyotp
from botocore.exceptions import ClientError

from stacks.configuration import load_config

from . import account
from .cloud import LocalCloud
from .timeline import render

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVE_PORT = 4566
TODAY = dt.datetime.now(dt.UTC).date().isoformat()
JANE = {
    "employee_id": "E1001",
    "first_name": "Jane",
    "last_name": "Smith",
    "email": "jane.smith@example.com",
    "department": "Engineering",
    "team": "Backend",
    "access": {"console": True, "programmatic": True},
    "effective_date": TODAY,
}
REPORTS = {
    "employee_id": "E1003",
    "first_name": "Reporting",
    "last_name": "Job",
    "email": "finance-reporting@example.com",
    "department": "Finance",
    "username": "svc.reporting",
    "access": {"console": False, "programmatic": True},
}
INVALID = {
    "employee_id": "E1002",
    "first_name": "Bob",
    "last_name": "",
    "email": "not-an-email",
    "department": "Marketing",
    "access": {"console": True},
}


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def synthesize(outdir: Path) -> Path:
    banner("1. Synthesize the CDK app (npx cdk synth), exactly as for a real deployment")
    # The CDK runs on the Node.js package.json pins (node_modules/.bin first), whatever node the machine has.
    path = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "CDK_DISABLE_CLI_TELEMETRY": "true", "JSII_DEPRECATED": "quiet"}
    started = time.monotonic()
    app = f"{sys.executable} app.py"  # this interpreter: the CLI must not pick another python3 from PATH
    result = subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "--app", app, "--quiet", "--no-notices", "--output", str(outdir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,  # decoded: the CLI's (and jsii's) messages are text, never b'...' reprs
    )
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        raise SystemExit(f"cdk synth failed ({result.returncode})")
    print(
        f"cloud assembly in {outdir.relative_to(ROOT)} ({time.monotonic() - started:.1f} s); "
        "cdk-nag AwsSolutions checks passed"
    )
    return outdir


def inbox(cloud: LocalCloud, topic_arn: str) -> str:
    """An SQS queue subscribed to Turnstile's topic: what the security team's inbox would receive."""
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="demo-security-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    grant = {  # the queue policy AWS requires for SNS to deliver the topic's messages
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [grant]})})
    cloud.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return str(url)


def read_inbox(cloud: LocalCloud, url: str) -> list[dict[str, Any]]:
    """Up to ten messages, removed from the inbox once read."""
    sqs = cloud.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]


def alerts_sent(cloud: LocalCloud, table: str) -> int:
    """Findings RaiseAlert (or the password-policy guard) has sent: one claim item each (ALERT#...)."""
    items = cloud.client("dynamodb").scan(
        TableName=table,
        FilterExpression="begins_with(pk, :alert)",
        ExpressionAttributeValues={":alert": {"S": "ALERT#"}},
    )["Items"]
    return len(items)


def show_user(cloud: LocalCloud, username: str) -> None:
    iam, sm = cloud.client("iam"), cloud.client("secretsmanager")
    user = iam.get_user(UserName=username)["User"]
    groups = [g["GroupName"] for g in iam.list_groups_for_user(UserName=username)["Groups"]]
    profile = iam.get_login_profile(UserName=username)["LoginProfile"]
    keys = iam.list_access_keys(UserName=username)["AccessKeyMetadata"]
    print(f"user        {user['Arn']}")
    tags = ", ".join(f"{t['Key']}={t['Value']}" for t in user.get("Tags", []))
    print(f"tags        {tags}")
    print(f"boundary    {user.get('PermissionsBoundary', {}).get('PermissionsBoundaryArn')}")
    print(f"groups      {', '.join(groups)}")
    print(f"console     login profile, PasswordResetRequired={profile['PasswordResetRequired']}")
    print(f"access keys {', '.join(k['AccessKeyId'] + ' ' + k['Status'] for k in keys) or 'none'}")
    for page in sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [f"turnstile/users/{username}/"]}]
    ):
        for secret in page["SecretList"]:
            print(f"secret      {secret['Name']} (KMS {secret.get('KmsKeyId', '')[-12:]}): value never printed")


def helpdesk_reads_password(cloud: LocalCloud) -> None:
    name = "turnstile/users/jane.smith/console-password"
    helpdesk = account.helpdesk(cloud).client("secretsmanager")
    password = json.loads(helpdesk.get_secret_value(SecretId=name)["SecretString"])["password"]
    role = f"arn:aws:iam::{cloud.account}:role/{account.HELPDESK_ROLE}"
    print(f"helpdesk ({role}) read {name}: {len(password)} characters (not printed)")
    try:
        cloud.client("secretsmanager").get_secret_value(SecretId=name)
    except ClientError as error:
        print(f"the account root tried too: {error.response['Error']['Code']} (explicit deny in the secret's policy)")


def enrol_mfa(cloud: LocalCloud, username: str) -> None:
    iam = cloud.console_session(username).client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=username)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    totp = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed)
    print(f"created {device['SerialNumber']}")
    try:
        iam.enable_mfa_device(
            UserName=username,
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    except ClientError as error:
        print(f"enable-mfa-device with made-up codes: {error.response['Error']['Code']}")
    now = time.time()
    iam.enable_mfa_device(
        UserName=username,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at(now - 30),
        AuthenticationCode2=totp.at(now),
    )
    print("enable-mfa-device with two consecutive TOTP codes: accepted. CloudTrail reports EnableMFADevice;")
    print("MfaEnrolledRule → ConfirmMfaEnrolment checks ListMFADevices and resumes the workflow")


def show_key_user(cloud: LocalCloud, username: str) -> None:
    """A programmatic-only user: its key, and the secret version that holds it — by id, never by value."""
    iam, sm = cloud.client("iam"), cloud.client("secretsmanager")
    [key] = iam.list_access_keys(UserName=username)["AccessKeyMetadata"]
    name = f"turnstile/users/{username}/access-key"
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    current = next(version for version, labels in stages.items() if "AWSCURRENT" in labels)
    print(f"user        {iam.get_user(UserName=username)['User']['Arn']}")
    print(f"access key  {key['AccessKeyId']} {key['Status']}")
    print(f"secret      {name}: current version {current} holds that key (value never printed)")


DAY = 86400
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def use_key(cloud: LocalCloud, username: str) -> str:
    """The reporting job signs a call with the key it reads from Secrets Manager (as the helpdesk role here):
    IAM records the key's last use."""
    import boto3

    stored = json.loads(
        account.helpdesk(cloud)
        .client("secretsmanager")
        .get_secret_value(SecretId=f"turnstile/users/{username}/access-key")["SecretString"]
    )
    session = boto3.session.Session(
        aws_access_key_id=stored["access_key_id"],
        aws_secret_access_key=stored["secret_access_key"],
        region_name=cloud.region,
    )
    session.client("sts").get_caller_identity()
    return str(stored["access_key_id"])


def show_rotation(cloud: LocalCloud, execution: dict[str, Any], username: str) -> None:
    """A run's outcome for one user, its keys, and the secret's versions — by id, never by value."""
    iam, sm = cloud.client("iam"), cloud.client("secretsmanager")
    result = json.loads(execution["output"])
    mine = [u for u in result["plan"]["users"] if u["username"] == username]
    dry = " (dry run: nothing changed)" if result["run"]["dry_run"] else ""
    print(f"run {execution['executionArn'].rsplit(':', 1)[-1][:8]}… {execution['status']}{dry}")
    for outcome in mine:
        print(f"  {username}: {outcome['outcome']} {', '.join(outcome['actions']) or ''}")
    keys = iam.list_access_keys(UserName=username)["AccessKeyMetadata"]
    print(f"  access keys {', '.join(k['AccessKeyId'] + ' ' + k['Status'] for k in keys)}")
    stages = sm.describe_secret(SecretId=f"turnstile/users/{username}/access-key")["VersionIdsToStages"]
    for version, labels in stages.items():
        if labels:
            print(f"  secret version {version}: {', '.join(labels)} (value never printed)")


def rotate_keys(cloud: LocalCloud, state_machine: str, endpoint: str) -> None:
    """The key of the reporting job at 95 days: planned, rotated, the old key deactivated, then deleted."""
    banner("10. Key rotation, on the local clock: the key of the reporting job reaches 95 days")
    print("day 60: the reporting job uses its key; Jane signs in to the console")
    cloud.clock.advance(60 * DAY)
    use_key(cloud, "svc.reporting")
    cloud.console_session("jane.smith", mfa=True).client("sts").get_caller_identity()
    cloud.clock.advance(35 * DAY)
    print("day 95: EventBridge Scheduler starts the key-rotation workflow (dry run, the configured default)")
    dry = cloud.wait_for_execution(cloud.fire_scheduler_schedule("turnstile-key-rotation"), timeout=300)
    print(render(dry, cloud.history(dry["executionArn"])))
    show_rotation(cloud, dry, "svc.reporting")

    command = aws_cli(
        endpoint,
        cloud.region,
        "stepfunctions",
        "start-execution",
        "--state-machine-arn",
        state_machine,
        "--input",
        '{"dry_run": false}',
        "--query",
        "executionArn",
        "--output",
        "text",
    )
    print("the plan looks right: an operator starts a real run with the AWS CLI")
    print("$ " + shlex.join(["aws", "--endpoint-url", endpoint, *command[5:]]))
    env = {**os.environ, **CLI_CREDENTIALS, "AWS_DEFAULT_REGION": cloud.region}
    arn = subprocess.run(command, check=True, env=env, capture_output=True, text=True).stdout.strip()
    show_rotation(cloud, cloud.wait_for_execution(arn, timeout=300), "svc.reporting")
    print(
        f"the reporting job reads the secret's current version and switches: now uses {use_key(cloud, 'svc.reporting')}"
    )

    for days, what in (
        (7, "the replacement has been used for a week: the old key is deactivated"),
        (7, "a week after its deactivation: the old key is deleted"),
    ):
        cloud.clock.advance(days * DAY)
        print(f"+{days} days: {what}")
        started = cloud.client("stepfunctions").start_execution(
            stateMachineArn=state_machine, name=f"demo-{int(time.time() * 1000)}", input='{"dry_run": false}'
        )
        show_rotation(cloud, cloud.wait_for_execution(started["executionArn"], timeout=300), "svc.reporting")


SPRAYED = ("jane.smith", "admin", "backup", "deploy", "finance")


def suspicious_activity(cloud: LocalCloud, endpoint: str, mailbox: str, table: str) -> None:
    """An administrator, through the AWS CLI, does what Turnstile exists to catch; then a password spray."""
    banner("11. Suspicious activity: an administrator's AWS CLI, then a password spray")
    cloud.settle()
    sent = alerts_sent(cloud, table)
    print(f"alerts raised so far by two hires, an MFA enrolment and four key-rotation runs: {sent}")
    print("(Turnstile's own CreateUser, CreateLoginProfile, CreateAccessKey calls reached the detection rules")
    print(" and were recognised by their exact role ARNs: quiet)")
    credentials = account.administrator(cloud).get_credentials()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_SESSION_TOKEN": credentials.token or "",
        "AWS_DEFAULT_REGION": cloud.region,
    }
    print("alex assumes the ops-admin role (AdministratorAccess) and, with the AWS CLI:")
    for arguments in (
        ("iam", "attach-user-policy", "--user-name", "jane.smith", "--policy-arn", ADMIN_POLICY),
        # the secret access key the call returns is not printed: only the key's id
        ("iam", "create-access-key", "--user-name", "svc.reporting", "--query", "AccessKey.AccessKeyId"),
    ):
        command = aws_cli(endpoint, cloud.region, *arguments, "--output", "text")
        print("$ " + shlex.join(["aws", *command[5:]]))
        out = subprocess.run(command, check=True, env=env, capture_output=True, text=True).stdout.strip()
        if out:
            print(f"  {out}")
    print("someone at 203.0.113.50 tries one password against five user names in the console:")
    for name in SPRAYED:
        cloud.console_sign_in(name, "Winter2026!", source_ip="203.0.113.50")
    cloud.settle()
    print("the security inbox:")
    while messages := read_inbox(cloud, mailbox):
        for message in messages:
            if message.get("event") != "Finding":
                continue
            also = f" (also: {', '.join(message['also'])})" if message.get("also") else ""
            print(f"  [{message['severity']}] {message['detection']}{also}")
            print(f"      {message['summary']}")
            target = message.get("target") or {}
            if target.get("employee_id"):
                where = target.get("department")
                print(f"      target: employee {target['employee_id']} ({where}, managed by Turnstile)")


def leaver(cloud: LocalCloud, state_machine: str, endpoint: str, mailbox: str, table: str, put: Any) -> None:
    """Jane, then the reporting job, leave: "Employee Terminated", access revoked, the user torn down and deleted,
    secrets on their way out — and the leaver's own IAM calls raise no alert."""
    banner('13. Leavers: the HR system sends "Employee Terminated" for Jane (immediate) and the reporting job')
    cloud.settle()
    before = alerts_sent(cloud, table)
    env = {**os.environ, **CLI_CREDENTIALS, "AWS_DEFAULT_REGION": cloud.region}
    for number, (employee, username) in enumerate((("E1001", "jane.smith"), ("E1003", "svc.reporting")), start=1):
        detail = {"employee_id": employee, "immediate": True, "reason": "end of contract"}
        print(json.dumps(detail))
        put(detail, detail_type="Employee Terminated")
        execution = cloud.wait_for_executions(state_machine, number)[-1]
        if number == 1:
            print(render(execution, cloud.history(execution["executionArn"])))
        else:
            print(f"execution of turnstile-offboarding: {execution['status']}")
        cloud.settle()
        for message in read_inbox(cloud, mailbox) + read_inbox(cloud, mailbox):
            if message.get("event") == "Finding":
                print(f"  [{message['severity']}] {message['detection']}: {message['summary']}")
            if message.get("event") == "Offboarded":
                print(f"notification (Offboarded): removed, in IAM's order: {', '.join(message['removed'])}")
                for name in message["secrets_scheduled_for_deletion"]:
                    print(f"secret      {name}: scheduled for deletion (recovery window), value never printed")
        command = aws_cli(endpoint, cloud.region, "iam", "get-user", "--user-name", username)
        print("$ " + shlex.join(["aws", *command[5:]]))
        answer = subprocess.run(command, env=env, capture_output=True, text=True)
        print("  " + (answer.stderr.strip().splitlines() or ["(no output)"])[-1])
    print(f"alerts raised by the leavers' own IAM calls: {alerts_sent(cloud, table) - before}")


def run(args: argparse.Namespace) -> int:
    assembly = Path(args.assembly) if args.assembly else synthesize(ROOT / ".demo" / "cdk.out")
    with LocalCloud() as cloud:
        endpoint = cloud.serve(args.port or (DEFAULT_SERVE_PORT if args.serve else None))
        banner(f"2. Deploy the template into the local cloud (account {cloud.account}, {cloud.region})")
        account.prepare(cloud, load_config().hr.bus_name)
        deployment = cloud.deploy(assembly)
        bus = deployment.outputs["HrBusName"]
        counts: dict[str, int] = {}
        for resource in deployment.resources.values():
            counts[resource["type"]] = counts.get(resource["type"], 0) + 1
        print(f"stack {deployment.stack_name}: CREATE_COMPLETE, {len(deployment.resources)} resources")
        print("  " + ", ".join(f"{n} {t.split('::', 1)[1]}" for t, n in sorted(counts.items())))
        print("every call from here on is authorized as AWS would: identity policies, boundaries, resource policies")
        state_machine = deployment.outputs["OnboardingStateMachineArn"]
        mailbox = inbox(cloud, deployment.outputs["NotificationsTopicArn"])
        hr = account.hr_publisher(cloud)

        def put(detail: dict[str, Any], source: str = "hr.system", detail_type: str = "Employee Hired") -> None:
            cloud.put_event(bus, source, detail_type, detail, session=hr)

        banner('3. The HR system (its role, the only one the bus takes) puts an "Employee Hired" event')
        print(json.dumps(JANE, indent=2))
        hire_started = cloud.clock.now()
        put(JANE)
        execution = cloud.wait_for_executions(state_machine, 1, parked_ok=True)[-1]
        print(render(execution, cloud.history(execution["executionArn"])))
        pending = cloud.client("dynamodb").get_item(
            TableName=deployment.outputs["TableName"], Key={"pk": {"S": "MFA_PENDING"}, "sk": {"S": "jane.smith"}}
        )["Item"]
        first_day, deadline = pending["effective_date"]["S"], pending["deadline"]["S"][:16]
        print(f"… parked at AwaitMfaEnrolment: the task token waits in DynamoDB; first day {first_day}, ")
        print(f"  MFA deadline {deadline} (7 days from the later of the wait and the first day)")

        banner("4. What the onboarding workflow made")
        show_user(cloud, "jane.smith")
        for message in read_inbox(cloud, mailbox):
            print(f"notification ({message['event']}): {message.get('instructions', message.get('reason'))}")

        banner("5. A programmatic-only user: Turnstile issues its access key into Secrets Manager")
        put(REPORTS)
        reports = cloud.wait_for_executions(state_machine, 2, parked_ok=True)[-1]
        print(render(reports, cloud.history(reports["executionArn"])))
        show_key_user(cloud, "svc.reporting")
        read_inbox(cloud, mailbox)

        banner("6. The helpdesk hands over the temporary password; nobody else can read it")
        helpdesk_reads_password(cloud)

        banner("7. Jane, in a console session, enrols a virtual MFA device with TOTP codes")
        enrol_mfa(cloud, "jane.smith")
        cloud.settle()
        execution = cloud.wait_for_execution(execution["executionArn"])
        print(render(execution, cloud.history(execution["executionArn"])))
        groups = [g["GroupName"] for g in cloud.client("iam").list_groups_for_user(UserName="jane.smith")["Groups"]]
        print(f"groups now: {', '.join(groups)} (the MFA hold is released)")
        hire_done = cloud.clock.now()

        banner("8. Jane's hire re-sent while DynamoDB throttles its claim: the failure path touches nothing")
        before = cloud.client("iam").list_groups_for_user(UserName="jane.smith")["Groups"]
        with cloud.faults.injected(
            "dynamodb",
            "PutItem",
            "ProvisionedThroughputExceededException",
            caller="turnstile-ClaimHire",
            when=lambda call: call.params.get("Item", {}).get("pk", {}).get("S") == "EMPLOYEE#E1001",
        ):
            put(JANE)
            resent = cloud.wait_for_executions(state_machine, 3, parked_ok=True)[-1]
        print(render(resent, cloud.history(resent["executionArn"])))
        cloud.settle()
        for message in read_inbox(cloud, mailbox):
            print(f"alert ({message['event']}): {message.get('what_happened')}")
        after = cloud.client("iam").list_groups_for_user(UserName="jane.smith")["Groups"]
        mfa = cloud.client("iam").list_mfa_devices(UserName="jane.smith")["MFADevices"]
        print(f"jane.smith untouched: groups unchanged={before == after}, MFA devices={len(mfa)}")

        banner("9. An invalid event is rejected, and nothing is created; an unknown source is recorded")
        users_before = len(cloud.client("iam").list_users()["Users"])
        secrets_before = len(cloud.client("secretsmanager").list_secrets()["SecretList"])
        print(json.dumps(INVALID, indent=2))
        put(INVALID)
        rejected = cloud.wait_for_executions(state_machine, 4, parked_ok=True)[-1]
        print(render(rejected, cloud.history(rejected["executionArn"])))
        put({"employee_id": "E1004"}, source="payroll.system")
        cloud.settle()
        for message in read_inbox(cloud, mailbox):
            print(f"alert ({message['event']}): {message.get('reason') or message.get('why')}")
        print(
            f"IAM users before/after: {users_before}/{len(cloud.client('iam').list_users()['Users'])}; "
            f"secrets before/after: {secrets_before}/{len(cloud.client('secretsmanager').list_secrets()['SecretList'])}"
        )

        rotate_keys(cloud, deployment.outputs["KeyRotationStateMachineArn"], endpoint)
        suspicious_activity(cloud, endpoint, mailbox, deployment.outputs["TableName"])

        banner(f"12. The AWS CLI sees the same account at {endpoint}")
        command = aws_cli(
            endpoint,
            cloud.region,
            "iam",
            "list-users",
            "--path-prefix",
            "/turnstile/",
            "--query",
            "Users[].[UserName,Path,Arn]",
            "--output",
            "table",
        )
        print("$ " + " ".join(command))
        subprocess.run(command, check=True, env={**os.environ, **CLI_CREDENTIALS, "AWS_DEFAULT_REGION": cloud.region})
        leaver(
            cloud,
            deployment.outputs["OffboardingStateMachineArn"],
            endpoint,
            mailbox,
            deployment.outputs["TableName"],
            put,
        )
        if args.explain_iam:
            banner("IAM: every authorization decision of Jane's hire (the account root's own calls left out)")
            print(cloud.authorization.report(since=hire_started, until=hire_done, include_root=False))
        banner("Where to look next")
        print("  the workflows:  statemachines/onboarding.asl.json, key_rotation.asl.json")
        print("                  (state NAME -> lambdas/turnstile/handlers/name.py)")
        print("  the stack:      stacks/turnstile_stack.py, configuration in config/turnstile.yaml")
        print("  IAM decisions:  make demo ARGS=--explain-iam")
        if args.serve:
            example = " ".join(
                aws_cli(
                    endpoint, cloud.region, "stepfunctions", "list-executions", "--state-machine-arn", state_machine
                )
            )
            print(f"\nServing the emulated account at {endpoint} (127.0.0.1 only). Ctrl-C to stop. In another shell:")
            variables = " ".join(f"{k}={v}" for k, v in {**CLI_CREDENTIALS, "AWS_DEFAULT_REGION": cloud.region}.items())
            print(f"  {variables} {example}")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        else:
            print(
                f"  keep it up:     make demo ARGS=--serve   (then the AWS CLI works against port {DEFAULT_SERVE_PORT})"
            )
    return 0


# Credentials only the emulator accepts: the AWS CLI needs some, and a region.
CLI_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def aws_cli(endpoint: str, region: str, *arguments: str) -> list[str]:
    """The AWS CLI of this project's virtualenv (on no PATH by itself), against the local cloud."""
    return [str(Path(sys.executable).parent / "aws"), "--endpoint-url", endpoint, "--region", region, *arguments]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--assembly", help="use this cdk.out instead of synthesizing with the CDK CLI")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port on 127.0.0.1 (default: {DEFAULT_SERVE_PORT} with --serve, else a free one)",
    )
    parser.add_argument("--serve", action="store_true", help="keep serving the account after the demo")
    parser.add_argument(
        "--explain-iam", action="store_true", help="print who was allowed or denied what, by which policy statement"
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

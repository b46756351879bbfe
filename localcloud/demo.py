"""`make demo`: Turnstile's joiner lifecycle, end to end, in an emulated AWS account on this machine.

Synthesizes the CDK app with the CDK CLI, deploys that cloud assembly into the local cloud, puts an
"Employee Hired" event on the HR bus, and shows the onboarding workflow run to the end; then shows an
invalid event being rejected with nothing created. The account is served on 127.0.0.1 so the AWS CLI
can look at what the demo made (`--serve` keeps it up afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyotp
from botocore.exceptions import ClientError

from .cloud import LocalCloud
from .timeline import render

ROOT = Path(__file__).resolve().parent.parent
HELPDESK = "arn:aws:iam::123456789012:role/turnstile-helpdesk"
JANE = {
    "employee_id": "E1001",
    "first_name": "Jane",
    "last_name": "Smith",
    "email": "jane.smith@example.com",
    "department": "Engineering",
    "team": "Backend",
    "access": {"console": True, "programmatic": True},
    "effective_date": "2026-12-01",
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
    env = {**os.environ, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1", "CDK_DISABLE_CLI_TELEMETRY": "true"}
    started = time.monotonic()
    app = f"{sys.executable} app.py"  # this interpreter: the CLI must not pick another python3 from PATH
    subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "--app", app, "--quiet", "--no-notices", "--output", str(outdir)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
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
    messages = cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]


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
    helpdesk = cloud.role_session(HELPDESK, "helpdesk").client("secretsmanager")
    password = json.loads(helpdesk.get_secret_value(SecretId=name)["SecretString"])["password"]
    print(f"helpdesk ({HELPDESK}) read {name}: {len(password)} characters (not printed)")
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


def run(args: argparse.Namespace) -> int:
    assembly = Path(args.assembly) if args.assembly else synthesize(ROOT / ".demo" / "cdk.out")
    with LocalCloud() as cloud:
        endpoint = cloud.serve(args.port)
        cloud.client("iam").create_role(  # the account's helpdesk: the configured reader of new users' secrets
            RoleName="turnstile-helpdesk",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{cloud.account}:root"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        banner(f"2. Deploy the template into the local cloud (account {cloud.account}, {cloud.region})")
        deployment = cloud.deploy(assembly)
        counts: dict[str, int] = {}
        for resource in deployment.resources.values():
            counts[resource["type"]] = counts.get(resource["type"], 0) + 1
        print(f"stack {deployment.stack_name}: CREATE_COMPLETE, {len(deployment.resources)} resources")
        print("  " + ", ".join(f"{n} {t.split('::', 1)[1]}" for t, n in sorted(counts.items())))
        state_machine = deployment.outputs["OnboardingStateMachineArn"]
        mailbox = inbox(cloud, deployment.outputs["NotificationsTopicArn"])

        banner('3. The HR system puts an "Employee Hired" event on the turnstile-hr bus')
        print(json.dumps(JANE, indent=2))
        hire_started = cloud.clock.now()
        cloud.put_event(deployment.outputs["HrBusName"], "hr.system", "Employee Hired", JANE)
        execution = cloud.wait_for_executions(state_machine, 1, parked_ok=True)[-1]
        print(render(execution, cloud.history(execution["executionArn"])))
        print("… parked at AwaitMfaEnrolment: the task token waits in DynamoDB for the user's MFA enrolment")

        banner("4. What the onboarding workflow made")
        show_user(cloud, "jane.smith")
        for message in read_inbox(cloud, mailbox):
            print(f"notification ({message['event']}): {message.get('instructions', message.get('reason'))}")

        banner("5. The helpdesk hands over the temporary password; nobody else can read it")
        helpdesk_reads_password(cloud)

        banner("6. Jane, in a console session, enrols a virtual MFA device with TOTP codes")
        enrol_mfa(cloud, "jane.smith")
        cloud.settle()
        execution = cloud.wait_for_execution(execution["executionArn"])
        print(render(execution, cloud.history(execution["executionArn"])))
        groups = [g["GroupName"] for g in cloud.client("iam").list_groups_for_user(UserName="jane.smith")["Groups"]]
        print(f"groups now: {', '.join(groups)} (the MFA hold is released)")
        hire_done = cloud.clock.now()

        banner("7. An invalid event is rejected, and nothing is created")
        users_before = len(cloud.client("iam").list_users()["Users"])
        secrets_before = len(cloud.client("secretsmanager").list_secrets()["SecretList"])
        print(json.dumps(INVALID, indent=2))
        cloud.put_event(deployment.outputs["HrBusName"], "hr.system", "Employee Hired", INVALID)
        rejected = cloud.wait_for_executions(state_machine, 2)[-1]
        print(render(rejected, cloud.history(rejected["executionArn"])))
        for message in read_inbox(cloud, mailbox):
            print(f"alert ({message['event']}): {message.get('reason')}")
        print(
            f"IAM users before/after: {users_before}/{len(cloud.client('iam').list_users()['Users'])}; "
            f"secrets before/after: {secrets_before}/{len(cloud.client('secretsmanager').list_secrets()['SecretList'])}"
        )

        banner(f"8. The AWS CLI sees the same account at {endpoint}")
        command = [
            "aws",
            "--endpoint-url",
            endpoint,
            "--region",
            cloud.region,
            "iam",
            "list-users",
            "--path-prefix",
            "/turnstile/",
            "--query",
            "Users[].[UserName,Path,Arn]",
            "--output",
            "table",
        ]
        print("$ " + " ".join(command))
        cli = Path(sys.executable).parent / "aws"
        subprocess.run(
            [str(cli), *command[1:]],
            check=True,
            env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        )
        if args.explain_iam:
            banner("IAM: every authorization decision of Jane's hire (the account root's own calls left out)")
            print(cloud.authorization.report(since=hire_started, until=hire_done, include_root=False))
        banner("Where to look next")
        print("  the workflow:   statemachines/onboarding.asl.json (state NAME -> lambdas/turnstile/handlers/name.py)")
        print("  the stack:      stacks/turnstile_stack.py, configuration in config/turnstile.yaml")
        print(
            f"  keep it up:     make demo ARGS=--serve, then e.g. aws --endpoint-url {endpoint} "
            "stepfunctions list-executions --state-machine-arn " + state_machine
        )
        if args.serve:
            print(f"\nServing the emulated account at {endpoint} (127.0.0.1 only). Ctrl-C to stop.", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--assembly", help="use this cdk.out instead of synthesizing with the CDK CLI")
    parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--serve", action="store_true", help="keep serving the account after the demo")
    parser.add_argument(
        "--explain-iam", action="store_true", help="print who was allowed or denied what, by which policy statement"
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

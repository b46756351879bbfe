"""The onboarding (joiner) workflow: its step functions, each one's permissions, and the state machine."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from turnstile.config import TurnstileConfig

from . import arns
from .directory import Directory
from .functions import FunctionFactory
from .storage import Storage

ASL = Path(__file__).resolve().parents[2] / "statemachines" / "onboarding.asl.json"
STATE_MACHINE_NAME = "turnstile-onboarding"

STEPS = {
    "ValidateHire": "Validate and normalise an Employee Hired event",
    "ClaimHire": "Claim an employee's hire for one execution (idempotency)",
    "EnsurePasswordPolicy": "Keep the account password policy equal to Turnstile's",
    "CreateUser": "Create the managed IAM user (path, tags, permissions boundary)",
    "ApplyMfaHold": "Hold the user (MFA self-service only) until MFA is enrolled",
    "AddToGroups": "Add the user to its allow-listed groups",
    "CreateLoginProfile": "Console password into Secrets Manager, reset required",
    "IssueAccessKey": "Access key into Secrets Manager",
    "NotifyOnboarded": "Audit and announce the new user (secret ARNs only)",
    "AwaitMfaEnrolment": "Park the task token until MFA enrolment is confirmed",
    "ReleaseMfaHold": "Release the MFA hold once MFA is enrolled",
    "EnforceMfaDeadline": "No MFA by the deadline: remove console access, deactivate keys",
    "RecordRejection": "Audit and alert an invalid HR event",
    "HandleFailure": "Roll back a half-made user, audit and alert",
}


class OnboardingWorkflow(Construct):
    """`turnstile-onboarding`: validate, claim, password policy, user, groups, console, key, notify."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TurnstileConfig,
        storage: Storage,
        directory: Directory,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        directory_env = {
            "TURNSTILE_DIRECTORY": config.directory(directory.boundary.managed_policy_arn).model_dump_json()
        }
        fns = {
            name: functions.step(
                name,
                description=f"Turnstile: {text}",
                extra_environment=directory_env if name in ("ValidateHire", "AddToGroups") else None,
            )
            for name, text in STEPS.items()
        }
        users = arns.managed_users(stack, config.user_path)
        any_user = arns.any_user(stack)
        secrets = arns.user_secrets(stack, storage.secret_prefix)
        managed = {"StringEquals": {"iam:ResourceTag/turnstile:managed": "true"}}
        self.state_machine_arn = arns.state_machine(stack, STATE_MACHINE_NAME)

        def allow(name: str, actions: list[str], resources: list[str], conditions: dict | None = None) -> None:  # type: ignore[type-arg]
            fns[name].add_to_role_policy(
                iam.PolicyStatement(actions=actions, resources=resources, conditions=conditions)
            )

        # ClaimHire, NotifyOnboarded, RecordRejection, HandleFailure: the table and the topic.
        storage.table.grant(fns["ClaimHire"], "dynamodb:PutItem", "dynamodb:GetItem")
        storage.table.grant(fns["NotifyOnboarded"], "dynamodb:UpdateItem", "dynamodb:PutItem")
        storage.table.grant(fns["RecordRejection"], "dynamodb:PutItem")
        storage.table.grant(fns["HandleFailure"], "dynamodb:DeleteItem", "dynamodb:PutItem")  # claim, pending MFA
        storage.table.grant(fns["AwaitMfaEnrolment"], "dynamodb:PutItem")
        storage.table.grant(fns["EnforceMfaDeadline"], "dynamodb:PutItem")

        # The MFA hold: only the hold group; the wait resumes only this workflow.
        allow("ApplyMfaHold", ["iam:AddUserToGroup"], [directory.mfa_hold.group_arn])
        allow("ReleaseMfaHold", ["iam:RemoveUserFromGroup"], [directory.mfa_hold.group_arn])
        for name in ("ApplyMfaHold", "ReleaseMfaHold"):
            allow(name, ["iam:ListGroupsForUser"], [users])
        allow("AwaitMfaEnrolment", ["iam:ListMFADevices"], [users])
        allow("AwaitMfaEnrolment", ["states:SendTaskSuccess"], [self.state_machine_arn])
        allow("EnforceMfaDeadline", ["iam:GetLoginProfile", "iam:ListAccessKeys"], [users])
        allow("EnforceMfaDeadline", ["iam:DeleteLoginProfile", "iam:UpdateAccessKey"], [users], managed)
        allow(
            "EnforceMfaDeadline",
            ["secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret", "secretsmanager:RestoreSecret"],
            [secrets],
        )
        for name in ("NotifyOnboarded", "RecordRejection", "HandleFailure", "EnforceMfaDeadline"):
            storage.topic.grant_publish(fns[name])
            storage.key.grant(fns[name], "kms:GenerateDataKey*", "kms:Decrypt")

        # EnsurePasswordPolicy: the account password policy has no resource ARN.
        allow("EnsurePasswordPolicy", ["iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"], ["*"])

        # CreateUser: only under Turnstile's path, only tagged as managed, only with a Turnstile boundary.
        allow(
            "CreateUser",
            ["iam:CreateUser"],
            [users],
            {
                "StringEquals": {
                    "aws:RequestTag/turnstile:managed": "true",
                    "iam:PermissionsBoundary": directory.boundary_arns,
                }
            },
        )
        allow("CreateUser", ["iam:TagUser"], [users], {"StringEquals": {"aws:RequestTag/turnstile:managed": "true"}})
        allow(
            "CreateUser",
            ["iam:PutUserPermissionsBoundary"],
            [users],
            {
                "StringEquals": {
                    "iam:ResourceTag/turnstile:managed": "true",
                    "iam:PermissionsBoundary": directory.boundary_arns,
                }
            },
        )
        # Reading any user is needed to tell a name conflict from a retry (user names are account-wide).
        allow("CreateUser", ["iam:GetUser", "iam:ListUserTags"], [any_user])

        # AddToGroups: the allow-listed groups and nothing else.
        allow("AddToGroups", ["iam:AddUserToGroup"], directory.group_arns)
        allow("AddToGroups", ["iam:ListGroupsForUser"], [users])

        # CreateLoginProfile / IssueAccessKey: managed users' credentials, written to Turnstile's secrets.
        allow("CreateLoginProfile", ["iam:GetLoginProfile"], [users])
        allow("CreateLoginProfile", ["iam:CreateLoginProfile", "iam:UpdateLoginProfile"], [users], managed)
        allow("IssueAccessKey", ["iam:ListAccessKeys"], [users])
        allow("IssueAccessKey", ["iam:CreateAccessKey", "iam:DeleteAccessKey"], [users], managed)
        for name in ("CreateLoginProfile", "IssueAccessKey"):
            allow(
                name,
                [
                    "secretsmanager:CreateSecret",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:TagResource",
                    "secretsmanager:RestoreSecret",
                    "secretsmanager:PutResourcePolicy",
                ],
                [secrets],
            )
            storage.key.grant(fns[name], "kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt")

        # HandleFailure: tear down only a managed user, in IAM's order, and its secrets.
        allow("HandleFailure", ["iam:GetUser", "iam:ListUserTags"], [any_user])
        allow(
            "HandleFailure",
            ["iam:ListAccessKeys", "iam:GetLoginProfile", "iam:ListGroupsForUser", "iam:ListMFADevices"],
            [users],
        )
        allow("HandleFailure", ["iam:DeactivateMFADevice"], [users], managed)
        allow(
            "HandleFailure",
            ["iam:DeleteVirtualMFADevice"],
            [arns.virtual_mfa_devices(stack)],
        )
        allow("HandleFailure", ["iam:DeleteAccessKey", "iam:DeleteLoginProfile", "iam:DeleteUser"], [users], managed)
        allow("HandleFailure", ["iam:RemoveUserFromGroup"], [*directory.group_arns, directory.mfa_hold.group_arn])
        allow(
            "HandleFailure",
            ["secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret", "secretsmanager:RestoreSecret"],
            [secrets],
        )

        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name="/aws/vendedlogs/states/turnstile-onboarding",
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=STATE_MACHINE_NAME,
            definition_body=sfn.DefinitionBody.from_file(str(ASL)),
            definition_substitutions={f"{name}FunctionArn": fn.function_arn for name, fn in fns.items()},
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        for fn in fns.values():
            fn.grant_invoke(self.state_machine)
        self.functions = fns

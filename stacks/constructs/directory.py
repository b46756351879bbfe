"""The IAM side Turnstile owns: its allow-listed groups, the MFA hold, the self-service-keys group, and the users'
default permissions boundary."""

from __future__ import annotations

import re

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct
from turnstile.config import TurnstileConfig

from . import arns
from .storage import Storage

# What a managed user can never do, whatever its groups grant: escalate through IAM, or undo what Turnstile set.
ESCALATION_ACTIONS = [
    "iam:CreateUser",
    "iam:DeleteUser",
    "iam:UpdateUser",
    "iam:CreateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:AddUserToGroup",
    "iam:TagUser",
    "iam:UntagUser",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:UpdateAccountPasswordPolicy",
    "iam:DeleteAccountPasswordPolicy",
]
# Credentials a managed user may only ever hold on their own user (never mint for someone else).
CREDENTIAL_ACTIONS = [
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:UploadSSHPublicKey",
    "iam:UploadSigningCertificate",
    "iam:DeactivateMFADevice",
    "iam:DeleteVirtualMFADevice",
]
# Leaving the MFA hold, or any Turnstile group, is Turnstile's decision.
GROUP_ACTIONS = [
    "iam:RemoveUserFromGroup",
    "iam:DeleteGroup",
    "iam:DeleteGroupPolicy",
    "iam:DetachGroupPolicy",
    "iam:UpdateGroup",
]
# Blinding the account's audit trail.
TRAIL_ACTIONS = [
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
]

# What a held user may do on their own user: enrol MFA and change the temporary password.
OWN_MFA_AND_PASSWORD = [
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:ListMFADevices",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ChangePassword",
    "iam:GetLoginProfile",
]
# Reads with no resource-level permissions that the console's MFA page needs.
ACCOUNT_READS = ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices", "sts:GetSessionToken"]
# A console user with programmatic access manages their own keys (the self-service-keys group grants them).
OWN_KEYS = [
    "iam:CreateAccessKey",
    "iam:DeleteAccessKey",
    "iam:GetAccessKeyLastUsed",
    "iam:ListAccessKeys",
    "iam:UpdateAccessKey",
]


def own_user(stack: Stack) -> list[str]:
    """The caller's own user, at any path: user/<path>/<name> and user/<name>. `*/` before the name keeps
    `e.smith` from matching `jane.e.smith` (a bare `*${aws:username}` would)."""
    return [
        stack.format_arn(service="iam", region="", resource="user", resource_name="*/${aws:username}"),
        stack.format_arn(service="iam", region="", resource="user", resource_name="${aws:username}"),
    ]


class Directory(Construct):
    """Managed groups (the allow-list), the MFA hold, self-service keys and the default permissions boundary,
    under Turnstile's path."""

    def __init__(self, scope: Construct, construct_id: str, *, config: TurnstileConfig, storage: Storage) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.groups: dict[str, iam.Group] = {}
        for name, spec in config.groups.items():
            self.groups[name] = iam.Group(
                self,
                f"Group-{name}",
                group_name=name,
                path=config.user_path,
                managed_policies=[
                    iam.ManagedPolicy.from_managed_policy_arn(self, f"{name}-{i}", arn)
                    for i, arn in enumerate(spec.managed_policy_arns)
                ],
            )
        denies = turnstile_denies(stack, config, storage)
        self.boundary = iam.ManagedPolicy(
            self,
            "UserBoundary",
            managed_policy_name="TurnstileUserBoundary",
            path=config.user_path,
            description="Ceiling for every Turnstile-managed user: no IAM escalation, no access to Turnstile",
            statements=[iam.PolicyStatement(sid="CeilingIsWhatGroupsGrant", actions=["*"], resources=["*"]), *denies],
        )
        # A department's narrower ceiling, combined with the same denies: it can never drop them.
        self.department_boundaries: dict[str, iam.ManagedPolicy] = {
            name: iam.ManagedPolicy(
                self,
                f"Boundary-{re.sub(r'[^A-Za-z0-9]', '', name)}",
                path=config.user_path,
                description=f"Ceiling for Turnstile-managed users of {name}"[:1000],
                statements=[
                    iam.PolicyStatement(
                        sid="DepartmentCeiling",
                        # what the department allows, plus the self-service every managed user needs (MFA, password)
                        actions=sorted({*dept.boundary_allows, *OWN_MFA_AND_PASSWORD, *ACCOUNT_READS, *OWN_KEYS}),
                        resources=["*"],
                    ),
                    *turnstile_denies(stack, config, storage),
                ],
            )
            for name, dept in config.departments.items()
            if dept.boundary_allows
        }
        self.mfa_hold = iam.Group(self, "MfaHold", group_name=config.mfa.hold_group, path=config.user_path)
        self.mfa_hold.attach_inline_policy(iam.Policy(self, "MfaHoldPolicy", statements=mfa_hold_statements(stack)))
        self.self_service_keys = iam.Group(
            self, "SelfServiceKeys", group_name=config.credentials.self_service_keys_group, path=config.user_path
        )
        self.self_service_keys.attach_inline_policy(
            iam.Policy(self, "SelfServiceKeysPolicy", statements=self_service_key_statements(stack))
        )
        self.boundary_arns = sorted(
            [self.boundary.managed_policy_arn, *(b.managed_policy_arn for b in self.department_boundaries.values())]
        )

    def lambda_directory(self, config: TurnstileConfig) -> str:
        """The directory the validator reads (departments, groups, boundaries), as its environment carries it."""
        return config.directory(
            self.boundary.managed_policy_arn,
            {name: b.managed_policy_arn for name, b in self.department_boundaries.items()},
        ).model_dump_json()

    @property
    def group_arns(self) -> list[str]:
        """The groups AddToGroups may put a user in: the allow-list, and the self-service-keys group."""
        return [*(g.group_arn for g in self.groups.values()), self.self_service_keys.group_arn]


def turnstile_denies(stack: Stack, config: TurnstileConfig, storage: Storage) -> list[iam.PolicyStatement]:
    """What every boundary denies, whatever the ceiling: escalation, other users' credentials, leaving Turnstile's
    groups, Turnstile's own resources, and blinding the audit trail."""

    def named(service: str, resource: str, name: str, sep: ArnFormat = ArnFormat.SLASH_RESOURCE_NAME) -> str:
        return stack.format_arn(service=service, resource=resource, resource_name=name, arn_format=sep)

    turnstile_resources = [
        named("lambda", "function", "turnstile-*", ArnFormat.COLON_RESOURCE_NAME),
        named("states", "stateMachine", "turnstile-*", ArnFormat.COLON_RESOURCE_NAME),
        named("states", "execution", "turnstile-*", ArnFormat.COLON_RESOURCE_NAME),
        named("events", "rule", "turnstile-*"),
        named("events", "rule", f"{config.hr.bus_name}/*"),
        named("events", "event-bus", config.hr.bus_name),
        named("events", "archive", f"{config.hr.bus_name}-archive"),
        stack.format_arn(service="sqs", resource="turnstile-*", arn_format=ArnFormat.NO_RESOURCE_NAME),
        storage.table.table_arn,
        storage.key.key_arn,
        storage.topic.topic_arn,
    ]
    return [
        iam.PolicyStatement(sid="NoIamEscalation", effect=iam.Effect.DENY, actions=ESCALATION_ACTIONS, resources=["*"]),
        iam.PolicyStatement(
            sid="NoCredentialsForOthers",
            effect=iam.Effect.DENY,
            actions=CREDENTIAL_ACTIONS,
            not_resources=[
                *own_user(stack),
                stack.format_arn(service="iam", region="", resource="mfa", resource_name="${aws:username}"),
            ],
        ),
        iam.PolicyStatement(
            sid="NoLeavingTurnstileGroups",
            effect=iam.Effect.DENY,
            actions=GROUP_ACTIONS,
            resources=[
                stack.format_arn(
                    service="iam", region="", resource="group", resource_name=f"{config.user_path.strip('/')}/*"
                )
            ],
        ),
        iam.PolicyStatement(
            sid="NoTurnstileCredentials",
            effect=iam.Effect.DENY,
            actions=["secretsmanager:*"],
            resources=[arns.user_secrets(stack, storage.secret_prefix)],
        ),
        iam.PolicyStatement(
            sid="NoTurnstileMachinery",
            effect=iam.Effect.DENY,
            actions=["lambda:*", "states:*", "events:*", "sqs:*", "dynamodb:*", "kms:*", "sns:*"],
            resources=turnstile_resources,
        ),
        iam.PolicyStatement(sid="NoBlindingTheTrail", effect=iam.Effect.DENY, actions=TRAIL_ACTIONS, resources=["*"]),
    ]


def self_service_key_statements(stack: Stack) -> list[iam.PolicyStatement]:
    """A console user with programmatic access manages their own access keys, and only while signed in with MFA
    (the boundary refuses keys for anyone else)."""
    return [
        iam.PolicyStatement(
            sid="OwnAccessKeysWithMfa",
            actions=[
                "iam:CreateAccessKey",
                "iam:DeleteAccessKey",
                "iam:GetAccessKeyLastUsed",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
            ],
            resources=own_user(stack),
            conditions={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        )
    ]


def mfa_hold_statements(stack: Stack) -> list[iam.PolicyStatement]:
    """The MFA hold: allow only MFA self-service on oneself, deny everything else while MFA is absent."""
    devices = stack.format_arn(service="iam", region="", resource="mfa", resource_name="*")
    return [
        iam.PolicyStatement(sid="ManageOwnMfaAndPassword", actions=OWN_MFA_AND_PASSWORD, resources=own_user(stack)),
        # Users name their virtual device when creating it; EnableMFADevice is authorized on the user above.
        iam.PolicyStatement(sid="CreateOwnVirtualDevice", actions=["iam:CreateVirtualMFADevice"], resources=[devices]),
        iam.PolicyStatement(sid="ReadsTheMfaPageNeeds", actions=ACCOUNT_READS, resources=["*"]),
        iam.PolicyStatement(
            sid="DenyAllButMfaSelfServiceWithoutMfa",
            effect=iam.Effect.DENY,
            not_actions=[*OWN_MFA_AND_PASSWORD, *ACCOUNT_READS],
            resources=["*"],
            conditions={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        ),
    ]

"""What AWS authorizes for each API operation the local cloud serves: the IAM action, the resource it names and
the request's condition keys, built from the operation's parsed parameters.

Actions and resource types follow the Service Authorization Reference ("Actions, resources, and condition keys
for <service>"); an action whose table lists no resource type is authorized on "*" (e.g.
`iam:GetAccountPasswordPolicy`, `iam:ListVirtualMFADevices`, `states:SendTaskSuccess`). IAM names are ARNs with
the entity's path: an existing user is `user/<path><name>`, a missing one `user/<name>` (no path is known, and
it has no tags), `iam:CreateUser` uses the path in the request. A secret is its full ARN; a missing secret named
by name is `secret:<name>`, the ID as given, without the random suffix it never got.

KMS used by a service for the caller ("KMS via service") is listed too, as a need with `via`: DynamoDB item
operations on a table under a customer managed key need `kms:Decrypt` (AWS KMS Developer Guide, "How Amazon
DynamoDB uses AWS KMS": DynamoDB decrypts the table key on the caller's behalf); SNS Publish to an encrypted
topic `kms:GenerateDataKey` and `kms:Decrypt` (Amazon SNS Developer Guide, "Key management"); Secrets Manager
`kms:GenerateDataKey` to store a value, `kms:Decrypt` to read one, and both to validate a key set on a secret
(AWS KMS Developer Guide, "How AWS Secrets Manager uses AWS KMS").

Pure: existing resources are looked up through `Lookup` (moto's backends: `resource_policies.MotoResources`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .model import ContextValue, Principal


@dataclass(frozen=True)
class Entity:
    """An IAM user, group or role as policies see it."""

    arn: str
    tags: Mapping[str, str] = field(default_factory=dict)
    boundary: str | None = None


@dataclass(frozen=True)
class Secret:
    arn: str
    tags: Mapping[str, str] = field(default_factory=dict)
    kms_key: str | None = None  # a customer managed key's ARN; None for aws/secretsmanager


class Lookup(Protocol):
    """What the catalogue needs to know about existing resources."""

    def user(self, account: str, name: str) -> Entity | None: ...
    def key_owner(self, account: str, access_key_id: str) -> str | None: ...
    def group(self, account: str, name: str) -> Entity | None: ...
    def role(self, account: str, name: str) -> Entity | None: ...
    def secret(self, account: str, region: str, secret_id: str) -> Secret | None: ...
    def kms_key(self, account: str, region: str, key_id: str) -> str | None: ...
    def kms_key_of_ciphertext(self, account: str, region: str, blob: bytes) -> str | None: ...
    def table_key(self, account: str, region: str, table: str) -> str | None: ...
    def topic_key(self, account: str, region: str, topic_arn: str) -> str | None: ...


@dataclass(frozen=True)
class Call:
    """One API call as moto received it."""

    service: str  # boto3's name: "iam", "secretsmanager", "stepfunctions", ...
    operation: str  # "CreateUser"
    params: Mapping[str, Any]
    account: str
    region: str
    caller: Principal


@dataclass(frozen=True)
class Need:
    """One authorization a call needs. `via`: the service using KMS for the caller (KMS via service)."""

    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    via: str | None = None


class UnknownOperation(LookupError):
    """The catalogue does not know what AWS authorizes for this operation."""


Builder = Callable[[Call, Lookup], list[Need]]


def needs(call: Call, lookup: Lookup) -> list[Need]:
    """Every authorization `call` needs, the operation's own action first."""
    builder = CATALOGUE.get(call.service, {}).get(call.operation)
    if builder is None:
        raise UnknownOperation(f"{call.service}:{call.operation}")
    return builder(call, lookup)


def known_operations() -> set[str]:
    return {f"{service}:{operation}" for service, table in CATALOGUE.items() for operation in table}


# context keys and small helpers -------------------------------------------------------------------------------
def request_tags(tags: Any) -> dict[str, ContextValue]:
    """`aws:RequestTag/<key>` and `aws:TagKeys` from a Tags parameter (Key/Value pairs or a mapping)."""
    if not tags:
        return {}
    if isinstance(tags, Mapping):
        pairs = [(str(k), str(v)) for k, v in tags.items()]
    else:
        pairs = [(str(t.get("Key", t.get("key"))), str(t.get("Value", t.get("value")))) for t in tags]
    found: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in pairs}
    found["aws:TagKeys"] = [k for k, _ in pairs]
    return found


def resource_tags(tags: Mapping[str, str], *, iam: bool = False) -> dict[str, ContextValue]:
    """`aws:ResourceTag/<key>` (and, for IAM users and roles, `iam:ResourceTag/<key>`)."""
    found: dict[str, ContextValue] = {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
    if iam:
        found.update({f"iam:ResourceTag/{k}": v for k, v in tags.items()})
    return found


def _ops(names: str) -> list[str]:
    return names.split()


def _p(call: Call, name: str, default: Any = None) -> Any:
    return call.params.get(name, default)


def _arn(call: Call, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{call.region}:{call.account}:{resource}"


def _with(need: Need, context: Mapping[str, ContextValue]) -> Need:
    return Need(need.action, need.resource, {**need.context, **context}, need.via)


def _all(action: str) -> Builder:
    """An action with no resource type in the Service Authorization Reference: authorized on "*"."""
    return lambda call, lookup: [Need(action)]


def _nothing(call: Call, lookup: Lookup) -> list[Need]:
    """sts:GetCallerIdentity: "No permissions are required", an explicit deny included (STS API Reference)."""
    return []


# IAM ----------------------------------------------------------------------------------------------------------
def _user(call: Call, lookup: Lookup, action: str, name: str | None) -> Need:
    if name is None:  # no UserName: the caller itself (GetUser, ListAccessKeys, ChangePassword, ...)
        return Need(action, call.caller.arn)
    user = lookup.user(call.account, name)
    if user is None:
        return Need(action, f"arn:aws:iam::{call.account}:user/{name}")
    context = resource_tags(user.tags, iam=True)
    if user.boundary:
        context["iam:PermissionsBoundary"] = user.boundary
    return Need(action, user.arn, context)


def _iam_user(action: str, *, own: bool = False) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        name = None if own else _p(call, "UserName")
        if name is None and call.caller.type == "IAMUser":
            name = call.caller.username
        context: dict[str, ContextValue] = request_tags(_p(call, "Tags"))
        if _p(call, "TagKeys") is not None:
            context["aws:TagKeys"] = list(_p(call, "TagKeys"))
        if _p(call, "PermissionsBoundary"):  # PutUserPermissionsBoundary: the boundary asked for
            context["iam:PermissionsBoundary"] = _p(call, "PermissionsBoundary")
        if _p(call, "PolicyArn"):
            context["iam:PolicyARN"] = _p(call, "PolicyArn")
        return [_with(_user(call, lookup, action, name), context)]

    return build


def _iam_access_key_last_used(call: Call, lookup: Lookup) -> list[Need]:
    """GetAccessKeyLastUsed names only the key; IAM authorizes it on the key's owner (resource type `user`)."""
    owner = lookup.key_owner(call.account, str(_p(call, "AccessKeyId")))
    if owner is None:
        return [Need("iam:GetAccessKeyLastUsed", f"arn:aws:iam::{call.account}:user/*")]
    return [_user(call, lookup, "iam:GetAccessKeyLastUsed", owner)]


def _iam_update_user(call: Call, lookup: Lookup) -> list[Need]:
    """UpdateUser is a move: "To change a user name, the requester must have appropriate permissions on both the
    source object and the target object" (IAM API Reference, UpdateUser,
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateUser.html): iam:UpdateUser on the user's ARN and
    on the ARN it will have (NewPath and/or NewUserName; the same user, with its tags)."""
    source = _user(call, lookup, "iam:UpdateUser", _p(call, "UserName"))
    new_name, new_path = _p(call, "NewUserName"), _p(call, "NewPath")
    if not new_name and not new_path:
        return [source]
    user = lookup.user(call.account, str(_p(call, "UserName")))
    name = new_name or _p(call, "UserName")
    path = new_path or (user.arn.split(":user", 1)[1].rsplit("/", 1)[0] + "/" if user else "/")
    target = Need("iam:UpdateUser", f"arn:aws:iam::{call.account}:user{path}{name}", source.context)
    return [source] if target.resource == source.resource else [source, target]


def _iam_create_user(call: Call, lookup: Lookup) -> list[Need]:
    context = request_tags(_p(call, "Tags"))
    if _p(call, "PermissionsBoundary"):
        context["iam:PermissionsBoundary"] = _p(call, "PermissionsBoundary")
    path = _p(call, "Path") or "/"
    return [Need("iam:CreateUser", f"arn:aws:iam::{call.account}:user{path}{_p(call, 'UserName')}", context)]


def _iam_group(action: str) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        name = _p(call, "GroupName")
        if action == "iam:CreateGroup":
            return [Need(action, f"arn:aws:iam::{call.account}:group{_p(call, 'Path') or '/'}{name}")]
        group = lookup.group(call.account, name)
        need = Need(action, group.arn if group else f"arn:aws:iam::{call.account}:group/{name}")
        return [_with(need, {"iam:PolicyARN": _p(call, "PolicyArn")}) if _p(call, "PolicyArn") else need]

    return build


def _iam_role(action: str) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        name = _p(call, "RoleName")
        context: dict[str, ContextValue] = request_tags(_p(call, "Tags"))
        if _p(call, "PolicyArn"):
            context["iam:PolicyARN"] = _p(call, "PolicyArn")
        if action == "iam:CreateRole":
            if _p(call, "PermissionsBoundary"):
                context["iam:PermissionsBoundary"] = _p(call, "PermissionsBoundary")
            return [Need(action, f"arn:aws:iam::{call.account}:role{_p(call, 'Path') or '/'}{name}", context)]
        role = lookup.role(call.account, name)
        if role is None:
            return [Need(action, f"arn:aws:iam::{call.account}:role/{name}", context)]
        found = {**resource_tags(role.tags, iam=True), **context}
        if _p(call, "PermissionsBoundary"):
            found["iam:PermissionsBoundary"] = _p(call, "PermissionsBoundary")
        elif role.boundary:
            found["iam:PermissionsBoundary"] = role.boundary
        return [Need(action, role.arn, found)]

    return build


def _iam_policy(action: str) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        if action == "iam:CreatePolicy":
            arn = f"arn:aws:iam::{call.account}:policy{_p(call, 'Path') or '/'}{_p(call, 'PolicyName')}"
            return [Need(action, arn, request_tags(_p(call, "Tags")))]
        return [Need(action, str(_p(call, "PolicyArn")))]

    return build


def _iam_create_virtual_mfa(call: Call, lookup: Lookup) -> list[Need]:
    arn = f"arn:aws:iam::{call.account}:mfa{_p(call, 'Path') or '/'}{_p(call, 'VirtualMFADeviceName')}"
    return [Need("iam:CreateVirtualMFADevice", arn, request_tags(_p(call, "Tags")))]


def _iam_mfa_device(action: str) -> Builder:
    """A virtual MFA device, named by its serial number (its ARN)."""
    return lambda call, lookup: [Need(action, str(_p(call, "SerialNumber")), request_tags(_p(call, "Tags")))]


IAM_USER_OPERATIONS = _ops("""
    GetUser DeleteUser UpdateUser TagUser UntagUser ListUserTags CreateLoginProfile GetLoginProfile
    UpdateLoginProfile DeleteLoginProfile CreateAccessKey DeleteAccessKey UpdateAccessKey ListAccessKeys
    ListGroupsForUser ListMFADevices EnableMFADevice DeactivateMFADevice ResyncMFADevice PutUserPolicy
    DeleteUserPolicy GetUserPolicy ListUserPolicies AttachUserPolicy DetachUserPolicy ListAttachedUserPolicies
    PutUserPermissionsBoundary DeleteUserPermissionsBoundary ListSSHPublicKeys ListSigningCertificates
    ListServiceSpecificCredentials CreateServiceSpecificCredential ResetServiceSpecificCredential
    UpdateServiceSpecificCredential DeleteServiceSpecificCredential UploadSSHPublicKey UpdateSSHPublicKey
    DeleteSSHPublicKey GetSSHPublicKey UploadSigningCertificate UpdateSigningCertificate DeleteSigningCertificate
""")
IAM_GROUP_OPERATIONS = _ops("""
    CreateGroup AddUserToGroup RemoveUserFromGroup GetGroup DeleteGroup UpdateGroup PutGroupPolicy
    DeleteGroupPolicy GetGroupPolicy ListGroupPolicies AttachGroupPolicy DetachGroupPolicy ListAttachedGroupPolicies
""")
IAM_ROLE_OPERATIONS = _ops("""
    CreateRole GetRole DeleteRole UpdateRole UpdateAssumeRolePolicy TagRole UntagRole ListRoleTags PutRolePolicy
    DeleteRolePolicy GetRolePolicy ListRolePolicies AttachRolePolicy DetachRolePolicy ListAttachedRolePolicies
    PutRolePermissionsBoundary DeleteRolePermissionsBoundary ListInstanceProfilesForRole
""")
IAM_POLICY_OPERATIONS = _ops("""
    CreatePolicy GetPolicy DeletePolicy GetPolicyVersion CreatePolicyVersion DeletePolicyVersion ListPolicyVersions
    SetDefaultPolicyVersion ListEntitiesForPolicy ListPolicyTags
""")
IAM_ACCOUNT_OPERATIONS = _ops("""
    GetAccountPasswordPolicy UpdateAccountPasswordPolicy DeleteAccountPasswordPolicy ListUsers ListGroups
    ListRoles ListPolicies ListVirtualMFADevices GetAccountSummary GetAccountAuthorizationDetails
    ListAccountAliases CreateAccountAlias DeleteAccountAlias GenerateCredentialReport GetCredentialReport
    ListInstanceProfiles ListOpenIDConnectProviders ListSAMLProviders ListServerCertificates
""")

IAM: dict[str, Builder] = {
    **{op: _iam_user(f"iam:{op}") for op in IAM_USER_OPERATIONS},
    **{op: _iam_group(f"iam:{op}") for op in IAM_GROUP_OPERATIONS},
    **{op: _iam_role(f"iam:{op}") for op in IAM_ROLE_OPERATIONS},
    **{op: _iam_policy(f"iam:{op}") for op in IAM_POLICY_OPERATIONS},
    **{op: _all(f"iam:{op}") for op in IAM_ACCOUNT_OPERATIONS},
    "CreateUser": _iam_create_user,
    "UpdateUser": _iam_update_user,
    "GetAccessKeyLastUsed": _iam_access_key_last_used,
    "ChangePassword": _iam_user("iam:ChangePassword", own=True),
    "CreateVirtualMFADevice": _iam_create_virtual_mfa,
    "DeleteVirtualMFADevice": _iam_mfa_device("iam:DeleteVirtualMFADevice"),
    "TagMFADevice": _iam_mfa_device("iam:TagMFADevice"),
}


# STS ----------------------------------------------------------------------------------------------------------
def _sts_assume_role(call: Call, lookup: Lookup) -> list[Need]:
    context: dict[str, ContextValue] = request_tags(_p(call, "Tags"))
    for parameter, key in (("RoleSessionName", "sts:RoleSessionName"), ("ExternalId", "sts:ExternalId")):
        if _p(call, parameter):
            context[key] = _p(call, parameter)
    role_arn = str(_p(call, "RoleArn"))
    role = lookup.role(call.account, role_arn.rsplit("/", 1)[-1]) if ":role/" in role_arn else None
    if role is not None:
        context.update({f"iam:ResourceTag/{k}": v for k, v in role.tags.items()})
    return [Need("sts:AssumeRole", role_arn, context)]


STS: dict[str, Builder] = {
    "AssumeRole": _sts_assume_role,
    "GetCallerIdentity": _nothing,
    # "No permissions are required for a user to get a session token ... You cannot use policies to control
    # authentication operations" (IAM User Guide, "Permissions for GetSessionToken").
    "GetSessionToken": _nothing,
}


# KMS ----------------------------------------------------------------------------------------------------------
def _kms_context(call: Call) -> dict[str, ContextValue]:
    return {"kms:CallerAccount": call.caller.account} if call.caller.account else {}


def _kms_key(action: str, parameter: str = "KeyId") -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        key_id = _p(call, parameter)
        context = _kms_context(call)
        if key_id is None and _p(call, "CiphertextBlob") is not None:  # Decrypt names the key in the ciphertext
            arn = lookup.kms_key_of_ciphertext(call.account, call.region, _p(call, "CiphertextBlob"))
        else:
            arn = lookup.kms_key(call.account, call.region, str(key_id))
            if str(key_id).startswith("alias/"):
                context["kms:RequestAlias"] = str(key_id)
        return [Need(action, arn or _arn(call, "kms", f"key/{key_id}"), context)]

    return build


def _kms_alias(action: str) -> Builder:
    """CreateAlias/UpdateAlias/DeleteAlias: the alias, and the key it points to."""

    def build(call: Call, lookup: Lookup) -> list[Need]:
        alias = str(_p(call, "AliasName"))
        found = [Need(action, alias if alias.startswith("arn:") else _arn(call, "kms", alias), _kms_context(call))]
        if _p(call, "TargetKeyId"):
            found += _kms_key(action, "TargetKeyId")(call, lookup)
        return found

    return build


KMS_KEY_OPERATIONS = _ops("""
    Decrypt Encrypt GenerateDataKey GenerateDataKeyWithoutPlaintext ReEncryptFrom DescribeKey GetKeyPolicy
    PutKeyPolicy GetKeyRotationStatus EnableKeyRotation DisableKeyRotation ScheduleKeyDeletion CancelKeyDeletion
    EnableKey DisableKey TagResource UntagResource ListResourceTags CreateGrant ListGrants RevokeGrant
    UpdateKeyDescription
""")
KMS: dict[str, Builder] = {
    **{op: _kms_key(f"kms:{op}") for op in KMS_KEY_OPERATIONS},
    **{op: _all(f"kms:{op}") for op in _ops("CreateKey ListKeys ListAliases GenerateRandom")},
    **{op: _kms_alias(f"kms:{op}") for op in _ops("CreateAlias UpdateAlias DeleteAlias")},
}


def _via(call: Call, service: str, key: str | None, actions: Iterable[str]) -> list[Need]:
    """The KMS needs of `service` using a customer managed key for the caller."""
    if not key:
        return []
    context: dict[str, ContextValue] = {"kms:ViaService": f"{service}.{call.region}.amazonaws.com"}
    context.update(_kms_context(call))
    return [Need(action, key, context, via=service) for action in actions]


# Secrets Manager ------------------------------------------------------------------------------------------------
def _secret_need(call: Call, lookup: Lookup, action: str) -> tuple[Need, Secret | None]:
    secret_id = str(_p(call, "SecretId"))
    secret = lookup.secret(call.account, call.region, secret_id)
    if secret is None:
        arn = secret_id if secret_id.startswith("arn:") else _arn(call, "secretsmanager", f"secret:{secret_id}")
        return Need(action, arn, {"secretsmanager:SecretId": secret_id}), None
    context: dict[str, ContextValue] = {**resource_tags(secret.tags), "secretsmanager:SecretId": secret.arn}
    context.update({f"secretsmanager:ResourceTag/{k}": v for k, v in secret.tags.items()})
    return Need(action, secret.arn, context), secret


def _secret(action: str, kms: tuple[str, ...] = ()) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        need, secret = _secret_need(call, lookup, action)
        context = request_tags(_p(call, "Tags"))
        if _p(call, "TagKeys") is not None:
            context["aws:TagKeys"] = list(_p(call, "TagKeys"))
        return [_with(need, context), *_via(call, "secretsmanager", secret.kms_key if secret else None, kms)]

    return build


def _secrets_create(call: Call, lookup: Lookup) -> list[Need]:
    context: dict[str, ContextValue] = {**request_tags(_p(call, "Tags")), "secretsmanager:Name": str(_p(call, "Name"))}
    key_id = _p(call, "KmsKeyId")
    if key_id:
        context["secretsmanager:KmsKeyId"] = key_id
    need = Need("secretsmanager:CreateSecret", _arn(call, "secretsmanager", f"secret:{_p(call, 'Name')}"), context)
    key = lookup.kms_key(call.account, call.region, str(key_id)) if key_id else None
    return [need, *_via(call, "secretsmanager", key, ("kms:GenerateDataKey", "kms:Decrypt"))]


def _secrets_update(call: Call, lookup: Lookup) -> list[Need]:
    need, secret = _secret_need(call, lookup, "secretsmanager:UpdateSecret")
    key_id = _p(call, "KmsKeyId")
    new_key = lookup.kms_key(call.account, call.region, str(key_id)) if key_id else None
    value = _p(call, "SecretString") is not None or _p(call, "SecretBinary") is not None
    actions = ("kms:GenerateDataKey", "kms:Decrypt") if new_key else ("kms:GenerateDataKey",) if value else ()
    return [need, *_via(call, "secretsmanager", new_key or (secret.kms_key if secret else None), actions)]


SECRETS_OPERATIONS = _ops("""
    DescribeSecret DeleteSecret RestoreSecret PutResourcePolicy GetResourcePolicy DeleteResourcePolicy
    ValidateResourcePolicy ListSecretVersionIds RotateSecret CancelRotateSecret UpdateSecretVersionStage
    TagResource UntagResource
""")
SECRETSMANAGER: dict[str, Builder] = {
    **{op: _secret(f"secretsmanager:{op}") for op in SECRETS_OPERATIONS},
    "CreateSecret": _secrets_create,
    "UpdateSecret": _secrets_update,
    "GetSecretValue": _secret("secretsmanager:GetSecretValue", ("kms:Decrypt",)),
    "PutSecretValue": _secret("secretsmanager:PutSecretValue", ("kms:GenerateDataKey",)),
    **{op: _all(f"secretsmanager:{op}") for op in _ops("ListSecrets GetRandomPassword")},
}


# DynamoDB -----------------------------------------------------------------------------------------------------
def _table_arn(call: Call, table: str, index: str | None = None) -> str:
    arn = table if table.startswith("arn:") else _arn(call, "dynamodb", f"table/{table}")
    return f"{arn}/index/{index}" if index else arn


def _table_name(table: str) -> str:
    return table.split(":table/", 1)[1].split("/")[0] if table.startswith("arn:") else table


def _items(call: Call, lookup: Lookup, touched: Iterable[tuple[str, str, str | None]]) -> list[Need]:
    """(action, table, index) for each table an item operation touches, then kms:Decrypt of each table's key."""
    found: list[Need] = []
    keys: dict[str, None] = {}
    for action, table, index in touched:
        need = Need(action, _table_arn(call, table, index))
        if need not in found:
            found.append(need)
        if key := lookup.table_key(call.account, call.region, _table_name(table)):
            keys[key] = None
    for key in keys:
        found += _via(call, "dynamodb", key, ("kms:Decrypt",))
    return found


def _dynamodb_item(action: str) -> Builder:
    return lambda call, lookup: _items(call, lookup, [(action, str(_p(call, "TableName")), _p(call, "IndexName"))])


def _dynamodb_batch(action: str) -> Builder:
    return lambda call, lookup: _items(call, lookup, [(action, table, None) for table in _p(call, "RequestItems", {})])


TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def _dynamodb_transact(call: Call, lookup: Lookup) -> list[Need]:
    touched = [
        (TRANSACT_ACTIONS[kind], str(body["TableName"]), None)
        for item in _p(call, "TransactItems", [])
        for kind, body in item.items()
    ]
    return _items(call, lookup, touched)


def _dynamodb_table(action: str, parameter: str = "TableName") -> Builder:
    return lambda call, lookup: [Need(action, _table_arn(call, str(_p(call, parameter))))]


DYNAMODB_TABLE_OPERATIONS = _ops("""
    DescribeTable CreateTable DeleteTable UpdateTable DescribeTimeToLive UpdateTimeToLive DescribeContinuousBackups
    UpdateContinuousBackups
""")
DYNAMODB: dict[str, Builder] = {
    **{op: _dynamodb_item(f"dynamodb:{op}") for op in _ops("GetItem PutItem UpdateItem DeleteItem Query Scan")},
    **{op: _dynamodb_batch(f"dynamodb:{op}") for op in _ops("BatchGetItem BatchWriteItem")},
    **{op: _dynamodb_transact for op in _ops("TransactWriteItems TransactGetItems")},
    **{op: _dynamodb_table(f"dynamodb:{op}") for op in DYNAMODB_TABLE_OPERATIONS},
    **{
        op: _dynamodb_table(f"dynamodb:{op}", "ResourceArn")
        for op in _ops("TagResource UntagResource ListTagsOfResource")
    },
    "ListTables": _all("dynamodb:ListTables"),
}


# SNS ----------------------------------------------------------------------------------------------------------
def _sns(action: str, parameter: str = "TopicArn", kms: tuple[str, ...] = ()) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        topic = str(_p(call, parameter) or _p(call, "TargetArn"))
        if parameter == "SubscriptionArn":  # <topic ARN>:<subscription id>
            topic = topic.rsplit(":", 1)[0]
        context: dict[str, ContextValue] = request_tags(_p(call, "Tags"))
        if action == "sns:Subscribe":
            context.update({"sns:Protocol": str(_p(call, "Protocol")), "sns:Endpoint": str(_p(call, "Endpoint", ""))})
        if action == "sns:CreateTopic":
            topic = _arn(call, "sns", str(_p(call, "Name")))
        key = lookup.topic_key(call.account, call.region, topic) if kms else None
        return [Need(action, topic, context), *_via(call, "sns", key, kms)]

    return build


SNS_TOPIC_OPERATIONS = _ops("""
    Subscribe DeleteTopic GetTopicAttributes SetTopicAttributes ListSubscriptionsByTopic AddPermission
    RemovePermission ConfirmSubscription
""")
# SNS asks KMS for a data key and decrypts it; policies usually grant "kms:GenerateDataKey*".
PUBLISH_KMS = ("kms:GenerateDataKey", "kms:Decrypt")
SNS: dict[str, Builder] = {
    **{op: _sns("sns:Publish", kms=PUBLISH_KMS) for op in _ops("Publish PublishBatch")},
    **{op: _sns(f"sns:{op}") for op in SNS_TOPIC_OPERATIONS},
    **{
        op: _sns(f"sns:{op}", "SubscriptionArn")
        for op in _ops("Unsubscribe GetSubscriptionAttributes SetSubscriptionAttributes")
    },
    **{op: _sns(f"sns:{op}", "ResourceArn") for op in _ops("TagResource UntagResource ListTagsForResource")},
    "CreateTopic": _sns("sns:CreateTopic"),
    **{op: _all(f"sns:{op}") for op in _ops("ListTopics ListSubscriptions")},
}


# SQS ----------------------------------------------------------------------------------------------------------
def queue_arn_of_url(url: str, region: str) -> str:
    """https://sqs.<region>.amazonaws.com/<account>/<name> (or the local server's URL) → the queue's ARN."""
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def _sqs(action: str) -> Builder:
    return lambda call, lookup: [Need(action, queue_arn_of_url(str(_p(call, "QueueUrl")), call.region))]


def _sqs_named(action: str) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        account = _p(call, "QueueOwnerAWSAccountId") or call.account
        arn = f"arn:aws:sqs:{call.region}:{account}:{_p(call, 'QueueName')}"
        return [Need(action, arn, request_tags(_p(call, "tags")))]

    return build


SQS_QUEUE_OPERATIONS = _ops("""
    SendMessage ReceiveMessage DeleteMessage ChangeMessageVisibility GetQueueAttributes SetQueueAttributes PurgeQueue
    DeleteQueue ListQueueTags TagQueue UntagQueue AddPermission RemovePermission ListDeadLetterSourceQueues
""")
SQS: dict[str, Builder] = {
    **{op: _sqs(f"sqs:{op}") for op in SQS_QUEUE_OPERATIONS},
    # A batch is authorized as its single-message action (the SAR has no sqs:SendMessageBatch).
    "SendMessageBatch": _sqs("sqs:SendMessage"),
    "DeleteMessageBatch": _sqs("sqs:DeleteMessage"),
    "ChangeMessageVisibilityBatch": _sqs("sqs:ChangeMessageVisibility"),
    **{op: _sqs_named(f"sqs:{op}") for op in _ops("CreateQueue GetQueueUrl")},
    "ListQueues": _all("sqs:ListQueues"),
}


# EventBridge --------------------------------------------------------------------------------------------------
def _bus_arn(call: Call, bus: str | None) -> str:
    return bus if bus and bus.startswith("arn:") else _arn(call, "events", f"event-bus/{bus or 'default'}")


def _rule_arn(call: Call, rule: str, bus: str | None) -> str:
    if rule.startswith("arn:"):
        return rule
    name = (bus or "default").rsplit("/", 1)[-1]
    return _arn(call, "events", f"rule/{rule}" if name == "default" else f"rule/{name}/{rule}")


def _events_put_events(call: Call, lookup: Lookup) -> list[Need]:
    found: list[Need] = []
    for entry in _p(call, "Entries", []):
        context = {
            "events:source": str(entry.get("Source", "")),
            "events:detail-type": str(entry.get("DetailType", "")),
        }
        need = Need("events:PutEvents", _bus_arn(call, entry.get("EventBusName")), context)
        if need not in found:
            found.append(need)
    return found


def _events_rule(action: str, parameter: str) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        context: dict[str, ContextValue] = request_tags(_p(call, "Tags"))
        if action == "events:PutTargets":
            context["events:TargetArn"] = [str(t.get("Arn")) for t in _p(call, "Targets", [])]
        return [Need(action, _rule_arn(call, str(_p(call, parameter)), _p(call, "EventBusName")), context)]

    return build


def _events_bus(action: str, parameter: str) -> Builder:
    return lambda call, lookup: [Need(action, _bus_arn(call, _p(call, parameter)))]


EVENTS: dict[str, Builder] = {
    "PutEvents": _events_put_events,
    **{
        op: _events_rule(f"events:{op}", "Name")
        for op in _ops("PutRule DescribeRule DeleteRule EnableRule DisableRule")
    },
    **{op: _events_rule(f"events:{op}", "Rule") for op in _ops("PutTargets RemoveTargets ListTargetsByRule")},
    **{op: _events_bus(f"events:{op}", "Name") for op in _ops("DescribeEventBus CreateEventBus DeleteEventBus")},
    **{
        op: _all(f"events:{op}")
        for op in _ops("PutPermission RemovePermission ListRules ListEventBuses ListArchives TestEventPattern")
    },
}


# Step Functions -----------------------------------------------------------------------------------------------
def _states(action: str, parameter: str) -> Builder:
    return lambda call, lookup: [Need(action, str(_p(call, parameter)))]


def _states_create(call: Call, lookup: Lookup) -> list[Need]:
    arn = _arn(call, "states", f"stateMachine:{_p(call, 'name')}")
    return [Need("states:CreateStateMachine", arn, request_tags(_p(call, "tags")))]


STEPFUNCTIONS: dict[str, Builder] = {
    **{
        op: _states(f"states:{op}", "stateMachineArn")
        for op in _ops("StartExecution StartSyncExecution DescribeStateMachine DeleteStateMachine UpdateStateMachine")
    },
    "ListExecutions": _states("states:ListExecutions", "stateMachineArn"),
    **{
        op: _states(f"states:{op}", "executionArn")
        for op in _ops("DescribeExecution GetExecutionHistory StopExecution DescribeStateMachineForExecution")
    },
    **{op: _states(f"states:{op}", "resourceArn") for op in _ops("TagResource UntagResource ListTagsForResource")},
    "CreateStateMachine": _states_create,
    # No resource type in the SAR: the task-token callbacks and the listings.
    **{
        op: _all(f"states:{op}")
        for op in _ops("SendTaskSuccess SendTaskFailure SendTaskHeartbeat ListStateMachines ListActivities")
    },
}


# Lambda -------------------------------------------------------------------------------------------------------
def function_arn(name: str, qualifier: str | None, account: str, region: str) -> str:
    """A FunctionName (name, "<account>:function:<name>", or ARN; any may end in ":<qualifier>") → the ARN
    Lambda authorizes: the function's, or its version's or alias's."""
    if name.startswith("arn:"):
        parts = name.split(":")  # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
        region, account, function, suffix = parts[3], parts[4], parts[6], ":".join(parts[7:])
    elif ":function:" in name:
        account, rest = name.split(":function:", 1)
        function, _, suffix = rest.partition(":")
    else:
        function, _, suffix = name.partition(":")
    qualifier = qualifier or suffix
    arn = f"arn:aws:lambda:{region}:{account}:function:{function}"
    return arn if not qualifier or qualifier == "$LATEST" else f"{arn}:{qualifier}"


def _lambda(action: str) -> Builder:
    return lambda call, lookup: [
        Need(action, function_arn(str(_p(call, "FunctionName")), _p(call, "Qualifier"), call.account, call.region))
    ]


LAMBDA_FUNCTION_OPERATIONS = _ops("""
    GetFunction GetFunctionConfiguration DeleteFunction UpdateFunctionCode UpdateFunctionConfiguration AddPermission
    RemovePermission GetPolicy CreateFunction PutFunctionConcurrency GetFunctionConcurrency ListVersionsByFunction
    PublishVersion
""")
LAMBDA: dict[str, Builder] = {
    **{op: _lambda("lambda:InvokeFunction") for op in _ops("Invoke InvokeAsync")},
    **{op: _lambda(f"lambda:{op}") for op in LAMBDA_FUNCTION_OPERATIONS},
    "ListFunctions": _all("lambda:ListFunctions"),
}


# CloudWatch Logs, SSM, S3, CloudFormation, X-Ray --------------------------------------------------------------
def _log_group(action: str) -> Builder:
    return lambda call, lookup: [Need(action, _arn(call, "logs", f"log-group:{_p(call, 'logGroupName')}"))]


def _log_stream(action: str) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        resource = f"log-group:{_p(call, 'logGroupName')}:log-stream:{_p(call, 'logStreamName')}"
        return [Need(action, _arn(call, "logs", resource))]

    return build


LOGS_GROUP_OPERATIONS = _ops("""
    CreateLogGroup DeleteLogGroup FilterLogEvents DescribeLogStreams PutRetentionPolicy DeleteRetentionPolicy
    TagLogGroup ListTagsLogGroup
""")
LOGS: dict[str, Builder] = {
    **{op: _log_group(f"logs:{op}") for op in LOGS_GROUP_OPERATIONS},
    **{op: _log_stream(f"logs:{op}") for op in _ops("CreateLogStream PutLogEvents GetLogEvents DeleteLogStream")},
    "DescribeLogGroups": _all("logs:DescribeLogGroups"),
}


def _parameter_arn(call: Call, name: str) -> str:
    return name if name.startswith("arn:") else _arn(call, "ssm", f"parameter/{name.lstrip('/')}")


def _ssm(action: str, parameter: str = "Name") -> Builder:
    return lambda call, lookup: [Need(action, _parameter_arn(call, str(_p(call, parameter))))]


def _ssm_many(action: str) -> Builder:
    return lambda call, lookup: [Need(action, _parameter_arn(call, str(name))) for name in _p(call, "Names", [])]


SSM: dict[str, Builder] = {
    **{op: _ssm(f"ssm:{op}") for op in _ops("GetParameter PutParameter DeleteParameter GetParameterHistory")},
    "GetParametersByPath": _ssm("ssm:GetParametersByPath", "Path"),
    **{op: _ssm_many(f"ssm:{op}") for op in _ops("GetParameters DeleteParameters")},
    "DescribeParameters": _all("ssm:DescribeParameters"),
}

# moto's S3 names the action it authorizes; these few are not IAM actions.
S3_ACTION_NAMES = {"HeadBucket": "ListBucket", "HeadObject": "GetObject", "ListObjects": "ListBucket"}


def _s3(call: Call, lookup: Lookup) -> list[Need]:
    """A bucket, an object in it, or (listing buckets) every bucket."""
    bucket, key = _p(call, "Bucket"), _p(call, "Key")
    resource = "*" if not bucket else f"arn:aws:s3:::{bucket}" + (f"/{key}" if key else "")
    return [Need(f"s3:{S3_ACTION_NAMES.get(call.operation, call.operation)}", resource)]


S3_OPERATIONS = _ops("""
    ListAllMyBuckets CreateBucket DeleteBucket HeadBucket ListBucket ListObjects ListBucketVersions GetBucketLocation
    GetBucketPolicy PutBucketPolicy DeleteBucketPolicy GetBucketTagging PutBucketTagging GetBucketVersioning
    PutBucketVersioning GetBucketAcl PutBucketAcl GetObject HeadObject PutObject DeleteObject GetObjectTagging
    PutObjectTagging GetObjectAcl PutObjectAcl
""")
S3: dict[str, Builder] = dict.fromkeys(S3_OPERATIONS, _s3)


def _stack(action: str) -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        name = str(_p(call, "StackName") or "*")
        return [Need(action, name if name.startswith("arn:") else _arn(call, "cloudformation", f"stack/{name}/*"))]

    return build


CLOUDFORMATION_STACK_OPERATIONS = _ops("""
    CreateStack UpdateStack DeleteStack DescribeStacks DescribeStackResources DescribeStackResource
    DescribeStackEvents GetTemplate ListStackResources
""")
CLOUDFORMATION: dict[str, Builder] = {
    **{op: _stack(f"cloudformation:{op}") for op in CLOUDFORMATION_STACK_OPERATIONS},
    **{op: _all(f"cloudformation:{op}") for op in _ops("ListStacks ValidateTemplate")},
}


# CloudTrail: trail operations name the trail (by name or ARN) and are authorized on it
# (Service Authorization Reference, AWS CloudTrail: resource type trail).
def _trail(action: str, parameter: str = "Name") -> Builder:
    def build(call: Call, lookup: Lookup) -> list[Need]:
        name = str(_p(call, parameter, ""))
        arn = name if name.startswith("arn:") else _arn(call, "cloudtrail", f"trail/{name}")
        return [Need(action, arn)]

    return build


CLOUDTRAIL: dict[str, Builder] = {
    **{
        op: _trail(f"cloudtrail:{op}")
        for op in _ops("CreateTrail UpdateTrail DeleteTrail StartLogging StopLogging GetTrailStatus GetTrail")
    },
    **{op: _trail(f"cloudtrail:{op}", "TrailName") for op in _ops("PutEventSelectors GetEventSelectors")},
    **{op: _all(f"cloudtrail:{op}") for op in _ops("DescribeTrails ListTrails LookupEvents")},
}


# Security Hub: BatchImportFindings is authorized on each finding's product (ProductArn).
def _securityhub_import(call: Call, lookup: Lookup) -> list[Need]:
    products = sorted({str(f.get("ProductArn")) for f in _p(call, "Findings", []) if isinstance(f, Mapping)})
    return [Need("securityhub:BatchImportFindings", arn) for arn in products] or [
        Need("securityhub:BatchImportFindings")
    ]


SECURITYHUB: dict[str, Builder] = {
    "BatchImportFindings": _securityhub_import,
    **{op: _all(f"securityhub:{op}") for op in _ops("GetFindings EnableSecurityHub DescribeHub")},
}

XRAY: dict[str, Builder] = {
    op: _all(f"xray:{op}") for op in _ops("PutTraceSegments PutTelemetryRecords GetSamplingRules GetSamplingTargets")
}

CATALOGUE: dict[str, Mapping[str, Builder]] = {
    "iam": IAM,
    "sts": STS,
    "kms": KMS,
    "secretsmanager": SECRETSMANAGER,
    "dynamodb": DYNAMODB,
    "sns": SNS,
    "sqs": SQS,
    "events": EVENTS,
    "stepfunctions": STEPFUNCTIONS,
    "lambda": LAMBDA,
    "logs": LOGS,
    "ssm": SSM,
    "s3": S3,
    "cloudformation": CLOUDFORMATION,
    "xray": XRAY,
    "cloudtrail": CLOUDTRAIL,
    "securityhub": SECURITYHUB,
}

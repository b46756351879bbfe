"""Resources as authorization sees them, read from moto's backends: what the catalogue looks up (paths, tags,
the customer managed KMS key behind a table, topic or secret) and each resource's own policy.

Resource-based policies (IAM User Guide, "Identity-based policies and resource-based policies"): a KMS key
policy, a secret's resource policy, an EventBridge bus policy, an SNS topic policy, an SQS queue policy, a
Lambda function policy, an S3 bucket policy, and a role's trust policy (for sts:AssumeRole only). A KMS key
policy and a trust policy must allow the request themselves (`required`): AWS KMS Developer Guide, "Key
policies" ("no IAM principal has permission to a KMS key unless the key policy allows it"), and IAM User Guide,
"Roles terms and concepts" (the trust policy).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.dynamodb.models import dynamodb_backends
from moto.events.models import events_backends
from moto.kms.models import kms_backends
from moto.kms.utils import _deserialize_ciphertext_blob
from moto.s3.models import s3_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from .catalogue import Entity, Secret
from .model import Policy
from .principals import backend, document

STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
Found = tuple[str, Any] | None  # (whose policy, the document as moto keeps it: JSON text or an object)


def required(action: str, resource: str) -> bool:
    """Whether the resource's own policy must allow `action`: a KMS key's policy, a role's trust policy."""
    if action.lower().startswith("kms:"):
        return ":key/" in resource
    return action.lower().startswith("sts:assumerole")


class MotoResources:
    """`catalogue.Lookup` over moto's backends."""

    def user(self, account: str, name: str) -> Entity | None:
        iam = backend(account)
        user = iam.users.get(name)
        if user is None:
            return None
        tags = {t["Key"]: t["Value"] for t in iam.tagger.list_tags_for_resource(user.arn)["Tags"]}
        return Entity(user.arn, tags, getattr(user, "permissions_boundary_arn", None))

    def key_owner(self, account: str, access_key_id: str) -> str | None:
        key = backend(account).access_keys.get(access_key_id)
        return str(key.user_name) if key is not None and key.user_name else None

    def group(self, account: str, name: str) -> Entity | None:
        group = backend(account).groups.get(name)
        return Entity(group.arn) if group else None

    def role(self, account: str, name: str) -> Entity | None:
        role = next((r for r in backend(account).roles.values() if r.name == name), None)
        if role is None:
            return None
        return Entity(role.arn, {t["Key"]: t["Value"] for t in role.tags or []}, role.permissions_boundary_arn)

    def secret(self, account: str, region: str, secret_id: str) -> Secret | None:
        secret = secretsmanager_backends[account][region].secrets.get(secret_id)
        if secret is None:
            return None
        tags = {t["Key"]: t["Value"] for t in getattr(secret, "tags", None) or []}
        key_id = getattr(secret, "kms_key_id", None)
        key = self.kms_key(account, region, key_id) if key_id and "alias/aws/" not in key_id else None
        return Secret(secret.arn, tags, key)

    def kms_key(self, account: str, region: str, key_id: str) -> str | None:
        kms = kms_backends[account][region]
        try:
            return str(kms.keys[kms.any_id_to_key_id(key_id)].arn)
        except (KeyError, AttributeError, TypeError):
            return None

    def kms_key_of_ciphertext(self, account: str, region: str, blob: bytes) -> str | None:
        try:
            key_id = _deserialize_ciphertext_blob(blob if isinstance(blob, bytes) else str(blob).encode()).key_id
        except Exception:  # not a ciphertext moto made: KMS will refuse it anyway
            return None
        return self.kms_key(account, region, key_id)

    def table_key(self, account: str, region: str, table: str) -> str | None:
        found = dynamodb_backends[account][region].tables.get(table)
        sse = getattr(found, "sse_specification", None) or {}
        enabled = sse.get("Enabled", sse.get("SSEEnabled"))  # the API's spelling, or CloudFormation's
        if str(enabled).lower() != "true" or sse.get("SSEType") != "KMS" or not sse.get("KMSMasterKeyId"):
            return None
        key = self.kms_key(account, region, str(sse["KMSMasterKeyId"]))
        return key if key and not self._aws_managed(account, region, key) else None

    def topic_key(self, account: str, region: str, topic_arn: str) -> str | None:
        topic = sns_backends[account][region].topics.get(topic_arn)
        key_id = getattr(topic, "kms_master_key_id", "") if topic else ""
        if not key_id or key_id.startswith("alias/aws/"):
            return None
        return self.kms_key(account, region, key_id)

    def _aws_managed(self, account: str, region: str, key_arn: str) -> bool:
        key = kms_backends[account][region].keys.get(key_arn.rsplit("/", 1)[-1])
        return getattr(key, "manager", "CUSTOMER") == "AWS"


def resource_policy(arn: str, action: str) -> Policy | None:
    """The resource-based policy that applies to `action` on the resource `arn`, if it has one."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    service, region, account, resource = parts[2], parts[3], parts[4], parts[5]
    finder = _FINDERS.get(service)
    found = finder(account, region, resource, action) if finder else None
    if found is None:
        return None
    source, kept = found
    return Policy("resource", source, _clean(document(_as_text(kept))), resource_account=account or None)


def _clean(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """Only policy-grammar keys (moto keeps CloudFormation's FunctionName, ... in Lambda permission statements);
    the cleaned document is parsed once per text too, so the evaluator's cache holds."""
    statements = doc.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    if all(set(s) <= STATEMENT_KEYS for s in statements):
        return doc
    cleaned = [{k: v for k, v in s.items() if k in STATEMENT_KEYS} for s in statements]
    return document(json.dumps({**doc, "Statement": cleaned}, sort_keys=True))


def _secret(account: str, region: str, resource: str, action: str) -> Found:
    secret = secretsmanager_backends[account][region].secrets.get(
        f"arn:aws:secretsmanager:{region}:{account}:{resource}"
    )
    policy = getattr(secret, "policy", None) if secret else None
    return (f"secret policy of {secret.name}", policy) if secret and policy else None


def _key(account: str, region: str, resource: str, action: str) -> Found:
    if not resource.startswith("key/"):
        return None  # an alias has no policy of its own
    key = kms_backends[account][region].keys.get(resource.removeprefix("key/"))
    return (f"key policy of {key.arn}", key.policy) if key else None


def _bus(account: str, region: str, resource: str, action: str) -> Found:
    if not resource.startswith("event-bus/"):
        return None
    bus = events_backends[account][region].event_buses.get(resource.removeprefix("event-bus/"))
    policy = bus.policy if bus else None
    return (f"bus policy of {bus.name}", policy) if bus and policy else None


def _topic(account: str, region: str, resource: str, action: str) -> Found:
    topic = sns_backends[account][region].topics.get(f"arn:aws:sns:{region}:{account}:{resource}")
    return (f"topic policy of {topic.name}", topic.policy) if topic else None


def _queue(account: str, region: str, resource: str, action: str) -> Found:
    queue = sqs_backends[account][region].queues.get(resource)
    policy = queue.policy if queue else None
    return (f"queue policy of {resource}", policy) if policy else None


def _function(account: str, region: str, resource: str, action: str) -> Found:
    name = resource.removeprefix("function:").split(":")[0]
    try:
        function = lambda_backends[account][region].get_function(name)
    except Exception:  # no such function: Lambda answers ResourceNotFound after authorization
        return None
    if not function.policy.statements:
        return None
    return f"function policy of {name}", json.dumps(function.policy.get_policy()["Policy"])


def _trust(account: str, region: str, resource: str, action: str) -> Found:
    if not action.lower().startswith("sts:assumerole") or not resource.startswith("role/"):
        return None
    arn = f"arn:aws:iam::{account}:{resource}"
    role = next((r for r in backend(account).roles.values() if r.arn == arn), None)
    if role is None:
        return None
    return f"trust policy of role/{role.name}", _as_text(role.assume_role_policy_document)


def _bucket(account: str, region: str, resource: str, action: str) -> Found:
    bucket_name = resource.split("/", 1)[0]
    for partition in s3_backends.values():
        bucket = partition["aws"].buckets.get(bucket_name)
        if bucket is not None and bucket.policy:
            return f"bucket policy of {bucket_name}", bucket.policy.decode()
    return None


def _as_text(doc: Any) -> str:
    return doc if isinstance(doc, str) else json.dumps(doc)


_FINDERS = {
    "secretsmanager": _secret,
    "kms": _key,
    "events": _bus,
    "sns": _topic,
    "sqs": _queue,
    "lambda": _function,
    "iam": _trust,
    "s3": _bucket,
}

"""An emulated account holding what Turnstile's steps expect, and the function environment pointing at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from turnstile import aws, settings
from turnstile.config import PasswordPolicy, TurnstileConfig
from turnstile.models.onboarding import Hire

from localcloud import LocalCloud
from stacks.configuration import load_config

HELPDESK_ARN = "arn:aws:iam::123456789012:role/turnstile-helpdesk"


@dataclass
class Account:
    cloud: LocalCloud
    config: TurnstileConfig
    env: settings.Settings
    boundary_arn: str

    def client(self, service: str) -> Any:
        return self.cloud.client(service)

    def read_secret(self, name: str) -> dict[str, Any]:
        """As the helpdesk: the only principal the secrets' resource policy lets read values."""
        sm = self.cloud.role_session(HELPDESK_ARN).client("secretsmanager")
        return dict(json.loads(sm.get_secret_value(SecretId=name)["SecretString"]))

    def hire(self, **overrides: Any) -> Hire:
        values: dict[str, Any] = {
            "employee_id": "E1001",
            "username": "jane.smith",
            "first_name": "Jane",
            "last_name": "Smith",
            "email": "jane.smith@example.com",
            "department": "Engineering",
            "team": "Backend",
            "path": "/turnstile/engineering/",
            "permissions_boundary_arn": self.boundary_arn,
            "groups": ["engineering", "backend"],
            "console": True,
            "programmatic": False,
            "event_id": "evt-1",
        }
        return Hire(**{**values, **overrides})


@pytest.fixture
def account(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    config = load_config()
    iam = cloud.client("iam")
    boundary = iam.create_policy(
        PolicyName="TurnstileUserBoundary",
        Path="/turnstile/",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    for group in [*config.groups, config.mfa.hold_group, config.credentials.self_service_keys_group]:
        iam.create_group(GroupName=group, Path="/turnstile/")
    iam.create_role(
        RoleName="turnstile-helpdesk",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    iam.put_role_policy(  # what a helpdesk that hands credentials over holds in its own policy
        RoleName="turnstile-helpdesk",
        PolicyName="read-new-users-credentials",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "arn:aws:secretsmanager:*:*:secret:turnstile/users/*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                        "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
                    },
                ],
            }
        ),
    )
    key = cloud.client("kms").create_key(Description="turnstile")["KeyMetadata"]["Arn"]
    table = cloud.client("dynamodb").create_table(
        TableName="turnstile",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )["TableDescription"]["TableName"]
    topic = cloud.client("sns").create_topic(Name="turnstile")["TopicArn"]
    environment = {
        "TURNSTILE_TABLE": table,
        "TURNSTILE_TOPIC_ARN": topic,
        "TURNSTILE_KMS_KEY_ID": key,
        "TURNSTILE_HR_SOURCE": config.hr.event_source,
        "TURNSTILE_SECRET_PREFIX": "turnstile/users",
        "TURNSTILE_PASSWORD_POLICY": config.password_policy.model_dump_json(),
        "TURNSTILE_DIRECTORY": config.directory(boundary).model_dump_json(),
        "TURNSTILE_MFA_HOLD_GROUP": config.mfa.hold_group,
        "TURNSTILE_MFA_DEADLINE_DAYS": str(config.mfa.enrolment_deadline_days),
        "TURNSTILE_SECRET_READERS": json.dumps([HELPDESK_ARN]),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "turnstile",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    aws.clear_cache()
    yield Account(cloud=cloud, config=config, env=settings.settings(), boundary_arn=boundary)
    settings.settings.cache_clear()
    aws.clear_cache()


@pytest.fixture
def policy() -> PasswordPolicy:
    return PasswordPolicy()

"""Turnstile's state: the KMS key, the table (claims, audit trail) and the notifications topic."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

SECRET_PREFIX = "turnstile/users"  # noqa: S105 - a name prefix, not a secret


class Storage(Construct):
    """KMS key (secrets, table, topic), DynamoDB table and SNS topic, all encrypted with that key."""

    def __init__(self, scope: Construct, construct_id: str, *, alert_emails: list[str]) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias="alias/turnstile",
            description="Turnstile: encrypts user credentials in Secrets Manager, the table and the topic",
            enable_key_rotation=True,
            pending_window=Duration.days(30),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.topic = sns.Topic(
            self,
            "Notifications",
            display_name="Turnstile",
            master_key=self.key,
            enforce_ssl=True,
        )
        for address in alert_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(address))
        self.secret_prefix = SECRET_PREFIX

    def allow_secret_readers(self, readers: list[str]) -> None:
        """Readers (e.g. the helpdesk role) may decrypt with the key, but only through Secrets Manager."""
        if not readers:
            return
        stack = Stack.of(self)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="SecretReadersDecryptThroughSecretsManager",
                principals=[iam.ArnPrincipal(r) for r in readers],
                actions=["kms:Decrypt", "kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}},
            )
        )

    def allow_alarms(self) -> None:
        """CloudWatch alarms may publish to the (KMS-encrypted) topic: the topic's policy and the key's let the
        CloudWatch service in, for this account's alarms only."""
        stack = Stack.of(self)
        own_alarms = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
                )
            },
        }
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsEncryptForTheTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions=own_alarms,
            )
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=own_alarms,
            )
        )

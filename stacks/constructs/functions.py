"""How every Turnstile Lambda is built: one place for runtime, layer, tracing, logs and its own role."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct
from turnstile.config import TurnstileConfig

LAMBDAS_DIR = Path(__file__).resolve().parents[2] / "lambdas"
# Lambda's limit for all environment variables of a function together.
ENVIRONMENT_LIMIT_BYTES = 4096


class FunctionFactory(Construct):
    """Builds step functions that share one code asset (lambdas/) and the AWS Powertools layer."""

    RUNTIME = lambda_.Runtime.PYTHON_3_13
    MEMORY_MB = 256
    TIMEOUT = Duration.seconds(30)
    LOG_RETENTION = logs.RetentionDays.ONE_YEAR

    def __init__(
        self, scope: Construct, construct_id: str, *, config: TurnstileConfig, environment: dict[str, str]
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._environment = environment
        self._code = lambda_.Code.from_asset(str(LAMBDAS_DIR), exclude=["**/__pycache__", "**/*.pyc", "*.egg-info"])
        self._layer = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "PowertoolsLayer",
            ssm.StringParameter.value_for_string_parameter(self, config.lambdas.powertools_layer_parameter),
        )
        self._architecture = (
            lambda_.Architecture.ARM_64 if config.lambdas.architecture == "arm64" else lambda_.Architecture.X86_64
        )
        self.functions: dict[str, lambda_.Function] = {}

    def step(
        self,
        name: str,
        *,
        description: str,
        extra_environment: dict[str, str] | None = None,
        role: iam.Role | None = None,
    ) -> lambda_.Function:
        """A function for workflow step `name` (PascalCase); its handler is turnstile/handlers/<snake_case>.py."""
        module = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
        function_name = f"turnstile-{name}"
        log_group = logs.LogGroup(
            self,
            f"{name}Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=self.LOG_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        role = role or iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Turnstile {name}: only what this step needs",
        )
        log_group.grant_write(role)
        environment = {**self._environment, **(extra_environment or {})}
        size = sum(len(k) + len(v) for k, v in environment.items())
        if size > ENVIRONMENT_LIMIT_BYTES:
            raise ValueError(
                f"{function_name}: environment is {size} bytes, over Lambda's {ENVIRONMENT_LIMIT_BYTES}; "
                "shrink the departments/groups configuration"
            )
        function = lambda_.Function(
            self,
            name,
            function_name=function_name,
            description=description,
            runtime=self.RUNTIME,
            architecture=self._architecture,
            handler=f"turnstile.handlers.{module}.handler",
            code=self._code,
            layers=[self._layer],
            memory_size=self.MEMORY_MB,
            timeout=self.TIMEOUT,
            tracing=lambda_.Tracing.ACTIVE,
            role=role,
            log_group=log_group,
            environment=environment,
        )
        self.functions[name] = function
        return function

    @staticmethod
    def base_environment(
        config: TurnstileConfig, *, table_name: str, topic_arn: str, key_arn: str, secret_prefix: str
    ) -> dict[str, str]:
        return {
            "POWERTOOLS_SERVICE_NAME": "turnstile",
            "POWERTOOLS_METRICS_NAMESPACE": "Turnstile",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "TURNSTILE_TABLE": table_name,
            "TURNSTILE_TOPIC_ARN": topic_arn,
            "TURNSTILE_KMS_KEY_ID": key_arn,
            "TURNSTILE_HR_SOURCE": config.hr.event_source,
            "TURNSTILE_SECRET_PREFIX": secret_prefix,
            "TURNSTILE_PASSWORD_POLICY": config.password_policy.model_dump_json(),
            "TURNSTILE_MFA_HOLD_GROUP": config.mfa.hold_group,
            "TURNSTILE_MFA_DEADLINE_DAYS": str(config.mfa.enrolment_deadline_days),
            "TURNSTILE_SECRET_READERS": json.dumps(config.credentials.reader_principals),
        }

"""How every Turnstile Lambda is built: one place for runtime, layer, tracing, logs and its own role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct
from turnstile.config import TurnstileConfig
from turnstile.domain.detections import QUIET_WHEN_TURNSTILES
from turnstile.domain.offboarding import TERMINATION_TAGS

from ..function_specs import FUNCTIONS, FunctionSpec, Target, When, handler_of, kms_actions, writes_iam
from . import arns
from .directory import Directory
from .names import KEY_ROTATION_STATE_MACHINE, ONBOARDING_STATE_MACHINE
from .storage import Storage

LAMBDAS_DIR = Path(__file__).resolve().parents[2] / "lambdas"
# Lambda's limit for all environment variables of a function together.
ENVIRONMENT_LIMIT_BYTES = 4096


class FunctionFactory(Construct):
    """Builds Turnstile's functions from their declarations (stacks/function_specs.py): one code asset (lambdas/),
    the AWS Powertools layer, and for each function its own log group and its own role, granted exactly what its
    declaration says — KMS included, derived from what it uses."""

    RUNTIME = lambda_.Runtime.PYTHON_3_13
    MEMORY_MB = 256
    LOG_RETENTION = logs.RetentionDays.ONE_YEAR

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TurnstileConfig,
        environment: dict[str, str],
        storage: Storage,
        directory: Directory,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self._config = config
        self._environment = environment
        self._storage = storage
        # The operator CLI (turnstile/cli) runs on laptops, not in Lambda.
        self._code = lambda_.Code.from_asset(
            str(LAMBDAS_DIR), exclude=["**/__pycache__", "**/*.pyc", "*.egg-info", "turnstile/cli"]
        )
        self._layer = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "PowertoolsLayer",
            ssm.StringParameter.value_for_string_parameter(self, config.lambdas.powertools_layer_parameter),
        )
        self._architecture = (
            lambda_.Architecture.ARM_64 if config.lambdas.architecture == "arm64" else lambda_.Architecture.X86_64
        )
        self._directory_json = directory.lambda_directory(config)
        self._targets: dict[Target, list[str]] = {
            Target.MANAGED_USERS: [arns.managed_users(stack, config.user_path)],
            Target.ANY_USER: [arns.any_user(stack)],
            Target.HOLD_GROUP: [directory.mfa_hold.group_arn],
            Target.ALLOWED_GROUPS: directory.group_arns,
            Target.VIRTUAL_MFA_DEVICES: [arns.virtual_mfa_devices(stack)],
            Target.USER_SECRETS: [arns.user_secrets(stack, storage.secret_prefix)],
            Target.ROTATION_EXECUTIONS: [arns.executions_of(stack, KEY_ROTATION_STATE_MACHINE)],
            Target.MANAGED_POLICIES: arns.managed_policies(stack),
            Target.ANY_GROUP: [arns.any_group(stack)],
            Target.ONBOARDING_EXECUTIONS: [arns.executions_of(stack, ONBOARDING_STATE_MACHINE)],
            Target.SECURITY_HUB_PRODUCT: [arns.security_hub_default_product(stack)],
            Target.NO_RESOURCE_TYPE: ["*"],
        }
        managed = {"iam:ResourceTag/turnstile:managed": "true"}
        self._conditions: dict[When, dict[str, Any]] = {
            When.MANAGED: {"StringEquals": managed},
            When.CREATING_MANAGED: {
                "StringEquals": {
                    "aws:RequestTag/turnstile:managed": "true",
                    "iam:PermissionsBoundary": directory.boundary_arns,
                }
            },
            When.NEW_USER: {
                "StringEquals": {"aws:RequestTag/turnstile:managed": "true"},
                "Null": {"iam:ResourceTag/turnstile:employee-id": "true"},
            },
            When.TURNSTILE_BOUNDARY: {"StringEquals": {**managed, "iam:PermissionsBoundary": directory.boundary_arns}},
            When.TERMINATION_TAGS: {
                "StringEquals": managed,
                "ForAllValues:StringEquals": {"aws:TagKeys": list(TERMINATION_TAGS)},
            },
        }
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}

    def build(self, name: str, *, on_failure: sqs.IQueue | None = None) -> lambda_.Function:
        """The function declared as `name` in FUNCTIONS; its handler is turnstile/handlers/<snake_case>.py.
        `on_failure`: where an asynchronous invocation that failed after its retries goes (EventBridge targets)."""
        spec = FUNCTIONS[name]
        stack = Stack.of(self)
        log_group = logs.LogGroup(
            self, f"{name}Logs", retention=self.LOG_RETENTION, removal_policy=RemovalPolicy.RETAIN
        )
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal(
                "lambda.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"Turnstile {name}: only what this function declares",
        )
        self.roles[name] = role
        log_group.grant_write(role)
        for statement in self._statements(spec):
            role.add_to_policy(statement)
        function = lambda_.Function(
            self,
            name,
            function_name=f"turnstile-{name}",
            description=f"Turnstile: {spec.description}",
            runtime=self.RUNTIME,
            architecture=self._architecture,
            handler=handler_of(name),
            code=self._code,
            layers=[self._layer],
            memory_size=self.MEMORY_MB,
            timeout=Duration.seconds(spec.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            role=role,
            log_group=log_group,
            environment=self._environment_of(name, spec),
            on_failure=destinations.SqsDestination(on_failure) if on_failure else None,
            reserved_concurrent_executions=self._reserved_concurrency(spec),
            retry_attempts=2 if on_failure else None,
        )
        self.functions[name] = function
        return function

    def _reserved_concurrency(self, spec: FunctionSpec) -> int | None:
        """IAM writers are bounded (IAM's request rate is account-wide): the key-rotation step by its Map's bound
        (rotation.max_concurrency, so the Map is never throttled by Lambda), the others by iam_write_concurrency.
        An account that reserves nothing (iam_write_concurrency null) reserves nothing here either."""
        bound = self._config.lambdas.iam_write_concurrency
        if not writes_iam(spec) or bound is None:
            return None
        return self._config.rotation.max_concurrency if spec.rotation else bound

    def _statements(self, spec: FunctionSpec) -> list[iam.PolicyStatement]:
        stack = Stack.of(self)
        storage = self._storage
        statements = [
            iam.PolicyStatement(
                actions=list(grant.actions),
                resources=self._targets[grant.on],
                conditions=self._conditions[grant.when] if grant.when else None,
            )
            for grant in spec.grants
        ]
        if spec.table:
            statements.append(iam.PolicyStatement(actions=list(spec.table), resources=[storage.table.table_arn]))
        if spec.publishes:
            statements.append(iam.PolicyStatement(actions=["sns:Publish"], resources=[storage.topic.topic_arn]))
        via = [
            f"{service}.{stack.region}.{stack.url_suffix}"
            for service, used in (
                ("dynamodb", spec.table),
                ("sns", spec.publishes),
                ("secretsmanager", spec.writes_credentials),
            )
            if used
        ]
        if via:
            statements.append(
                iam.PolicyStatement(
                    actions=list(kms_actions(spec)),
                    resources=[storage.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": via}},
                )
            )
        # Every Turnstile role is refused secret values, whatever else it may do to a secret's policy.
        statements.append(
            iam.PolicyStatement(
                sid="NeverReadCredentials",
                effect=iam.Effect.DENY,
                actions=["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"],
                resources=["*"],
            )
        )
        return statements

    def _environment_of(self, name: str, spec: FunctionSpec) -> dict[str, str]:
        environment = dict(self._environment)
        if spec.directory:
            environment["TURNSTILE_DIRECTORY"] = self._directory_json
        if spec.rotation:
            environment["TURNSTILE_ROTATION"] = self._config.rotation.model_dump_json()
            environment["TURNSTILE_USER_PATH"] = self._config.user_path
        if spec.offboarding:
            environment["TURNSTILE_OFFBOARDING"] = self._config.offboarding.model_dump_json()
        if spec.alerting:
            environment["TURNSTILE_ALERTING"] = self._config.alerting.model_dump_json()
            # TURNSTILE_OWN_CALLS: set by finish(), once every function (and its role) has been built.
        if spec.own_roles_of:
            # Built before (or is) this function: FunctionFactory.build order matters here only.
            environment["TURNSTILE_OWN_ROLE_ARNS"] = json.dumps([self.roles[o].role_arn for o in spec.own_roles_of])
        size = sum(len(k) + len(v) for k, v in environment.items())
        if size > ENVIRONMENT_LIMIT_BYTES:
            raise ValueError(
                f"turnstile-{name}: environment is {size} bytes, over Lambda's {ENVIRONMENT_LIMIT_BYTES}; "
                "shrink the departments/groups configuration"
            )
        return environment

    def finish(self) -> None:
        """Once every function is built: give the alerting functions Turnstile's roles and their watched calls."""
        for name, function in self.functions.items():
            if FUNCTIONS[name].alerting:
                function.add_environment(
                    "TURNSTILE_OWN_CALLS", self._own_calls(name, self._environment_of(name, FUNCTIONS[name]))
                )

    def _own_calls(self, function_name: str, environment: dict[str, str]) -> str:
        """[[role ARN, [the watched IAM actions its function is declared to make]], ...] for every role built: the
        detections stay quiet for exactly these calls (domain/detections.py, QUIET_WHEN_TURNSTILES)."""
        calls = []
        for name, role in sorted(self.roles.items()):
            actions = sorted(
                action.removeprefix("iam:")
                for grant in FUNCTIONS[name].grants
                for action in grant.actions
                if action.startswith("iam:") and action.removeprefix("iam:") in QUIET_WHEN_TURNSTILES
            )
            if actions:
                calls.append([role.role_arn, actions])
        # Role ARNs are tokens until deployed: count each at its longest (arn:aws-us-gov:iam::<12>:role/<64>).
        estimate = sum(len(k) + len(v) for k, v in environment.items() if k != "TURNSTILE_OWN_CALLS") + sum(
            100 + len(json.dumps(actions)) for _, actions in calls
        )
        if estimate > ENVIRONMENT_LIMIT_BYTES:
            raise ValueError(f"turnstile-{function_name}: environment may reach {estimate} bytes, over Lambda's limit")
        return Stack.of(self).to_json_string(calls)

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

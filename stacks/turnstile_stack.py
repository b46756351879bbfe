"""TurnstileStack: assembles the constructs; holds no resources of its own."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from cdk_nag import NagSuppressions
from constructs import Construct
from turnstile.config import TurnstileConfig

from .constructs.alerting import Alerting
from .constructs.directory import Directory
from .constructs.functions import FunctionFactory
from .constructs.hr_ingestion import HrIngestion
from .constructs.iam_events import IamEventReactions
from .constructs.key_rotation import KeyRotationWorkflow
from .constructs.offboarding import OffboardingWorkflow
from .constructs.onboarding import OnboardingWorkflow
from .constructs.storage import Storage
from .nag_suppressions import SUPPRESSIONS


class TurnstileStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: TurnstileConfig, **kwargs: Any) -> None:
        # Unindented: the template stays well under CloudFormation's 1 MB limit (indented, it passed it).
        super().__init__(
            scope,
            construct_id,
            description="Turnstile: event-driven IAM user lifecycle",
            suppress_template_indentation=True,
            **kwargs,
        )
        storage = Storage(self, "Storage", alert_emails=config.notifications.emails)
        directory = Directory(self, "Directory", config=config, storage=storage)
        functions = FunctionFactory(
            self,
            "Functions",
            config=config,
            storage=storage,
            directory=directory,
            environment=FunctionFactory.base_environment(
                config,
                table_name=storage.table.table_name,
                topic_arn=storage.topic.topic_arn,
                key_arn=storage.key.key_arn,
                secret_prefix=storage.secret_prefix,
            ),
        )
        onboarding = OnboardingWorkflow(self, "Onboarding", functions=functions)
        IamEventReactions(self, "IamEvents", config=config, functions=functions)
        rotation = KeyRotationWorkflow(self, "KeyRotation", rotation=config.rotation, functions=functions)
        offboarding = OffboardingWorkflow(self, "Offboarding", functions=functions)
        alerting = Alerting(self, "Alerting", functions=functions, topic=storage.topic)
        storage.allow_alarms()
        storage.allow_secret_readers(config.credentials.reader_principals)
        hr = HrIngestion(self, "HrIngestion", hr=config.hr)
        hr.route("EmployeeHiredRule", "Employee Hired", onboarding.state_machine)
        hr.route("EmployeeTerminatedRule", "Employee Terminated", offboarding.state_machine)
        # (its own failures go with the reconciler's: the HR dead-letter queue holds only undelivered HR events)
        hr.record_unrouted(functions.build("RecordUnroutedEvent", on_failure=onboarding.dead_letters))
        hr.record_undeliverable(functions.build("RecordUndeliverableEvent"))
        functions.finish()

        CfnOutput(self, "HrBusName", value=hr.bus.event_bus_name)
        CfnOutput(self, "OnboardingStateMachineArn", value=onboarding.state_machine.state_machine_arn)
        CfnOutput(self, "OffboardingStateMachineArn", value=offboarding.state_machine.state_machine_arn)
        CfnOutput(self, "KeyRotationStateMachineArn", value=rotation.state_machine.state_machine_arn)
        CfnOutput(self, "NotificationsTopicArn", value=storage.topic.topic_arn)
        CfnOutput(self, "TableName", value=storage.table.table_name)
        CfnOutput(self, "HrDeadLetterQueueUrl", value=hr.dead_letters.queue_url)
        CfnOutput(self, "AlertsDeadLetterQueueUrl", value=alerting.dead_letters.queue_url)

        for path, rules in SUPPRESSIONS.items():
            # The functions' findings are all on their roles' policies: suppressing there, not on every resource
            # of every function, keeps the suppression metadata (and the template) small.
            if path != "Functions":
                NagSuppressions.add_resource_suppressions_by_path(self, f"/{construct_id}/{path}", rules, True)
                continue
            on_roles = [r for r in rules if str(r["id"]).startswith("AwsSolutions-IAM")]
            on_functions = [r for r in rules if r not in on_roles]
            for name in functions.roles:
                for target, chosen in (
                    (f"{name}Role/DefaultPolicy/Resource", on_roles),
                    (f"{name}/Resource", on_functions),
                ):
                    if chosen:
                        NagSuppressions.add_resource_suppressions_by_path(
                            self, f"/{construct_id}/Functions/{target}", chosen, True
                        )

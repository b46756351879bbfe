"""OnboardingEndedRule target (ReconcileOnboarding): an onboarding execution ended FAILED, TIMED_OUT or ABORTED.
Its claim is marked failed (so a replay tries again), its own pending MFA enrolment removed, and an alert says
what is left — even when the workflow's own failure path could not run."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.failures import reconcile_execution
from ..models.executions import ExecutionStatusChange
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(ExecutionStatusChange)
def handler(event: ExecutionStatusChange, context: LambdaContext) -> dict[str, Any]:
    result = reconcile_execution(
        client("iam"), client("secretsmanager"), client("dynamodb"), client("sns"), settings(), event.detail
    )
    logger.info("onboarding execution reconciled", extra={"execution": event.detail.executionArn, **result})
    return result

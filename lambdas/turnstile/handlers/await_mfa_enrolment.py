"""Onboarding step 10 (AwaitMfaEnrolment, waitForTaskToken): park the task token until MFA is enrolled."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.mfa import register_wait
from ..models.onboarding import AwaitMfaInput
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(AwaitMfaInput)
def handler(event: AwaitMfaInput, context: LambdaContext) -> dict[str, Any]:
    result = register_wait(
        client("iam"),
        client("stepfunctions"),
        client("dynamodb"),
        settings(),
        hire=event.hire,
        token=event.task_token,
        execution_id=event.execution_id,
        entered=event.entered_time,
    )
    logger.info("waiting for MFA enrolment", extra={"username": event.hire.username, "wait": result})
    return result

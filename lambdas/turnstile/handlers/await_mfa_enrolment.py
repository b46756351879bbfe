"""Onboarding step (AwaitMfaEnrolment, waitForTaskToken): park the task token until MFA is enrolled."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.mfa import register_wait
from ..models.onboarding import AwaitMfaInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=AwaitMfaInput)
def handler(event: AwaitMfaInput, context: LambdaContext) -> dict[str, Any]:
    with transient_errors_as_typed():
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

"""MfaEnrolledRule target (ConfirmMfaEnrolment): CloudTrail EnableMFADevice → resume the waiting onboarding."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.iam_events import on_mfa_enabled, parse
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    parsed = parse(client("dynamodb"), env, event)
    if parsed is None:
        return {"outcome": "rejected"}
    result = on_mfa_enabled(client("iam"), client("stepfunctions"), client("dynamodb"), env, parsed)
    logger.info("EnableMFADevice handled", extra={"result": result})
    return result

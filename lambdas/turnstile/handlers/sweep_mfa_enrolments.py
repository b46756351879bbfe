"""MfaSweeperSchedule target (SweepMfaEnrolments): catch lost CloudTrail events, remind, enforce deadlines."""

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.mfa import sweep
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(EventBridgeModel)
def handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    # "now" is the schedule's own time: the sweep judges deadlines as of when it was scheduled to run.
    summary = sweep(
        client("iam"), client("stepfunctions"), client("dynamodb"), client("sns"), settings(), now=event.time
    )
    logger.info("MFA sweep", extra={"summary": summary})
    return summary

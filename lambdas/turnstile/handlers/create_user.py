"""Onboarding step 4 (CreateUser): the IAM user, under its path, tagged, with its permissions boundary."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.users import ensure_user
from ..models.onboarding import StepInput
from ..observability import logger, metrics
from ..runtime import entrypoint


@entrypoint(StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    result = ensure_user(client("iam"), event.hire)
    if result.created:
        metrics.add_metric(name="UsersCreated", unit=MetricUnit.Count, value=1)
    logger.info("user ensured", extra={"result": result.model_dump()})
    return result.model_dump()

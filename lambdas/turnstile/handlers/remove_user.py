"""Offboarding step 4 (RemoveUser): tear the user down in IAM's order and delete it — or, with a retention,
keep it disabled and tagged for the daily sweep."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.offboarding import retain, tear_down
from ..models.offboarding import TerminationStep
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(TerminationStep)
def handler(event: TerminationStep, context: LambdaContext) -> dict[str, Any]:
    env = settings()
    days = env.require_offboarding().retention_days
    if days:
        return retain(client("iam"), client("dynamodb"), env, event, days)
    removed = tear_down(client("iam"), event.termination.username)
    logger.info("user removed", extra={"username": event.termination.username, "removed": removed})
    return {"removed": removed}

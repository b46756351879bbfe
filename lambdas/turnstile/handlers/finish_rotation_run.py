"""Key rotation step 4 (FinishRotationRun): summarise every user's outcome, audit and publish it, end the run."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.rotation_runs import finish
from ..models.rotation import FinishInput
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(FinishInput)
def handler(event: FinishInput, context: LambdaContext) -> dict[str, Any]:
    env = settings()
    summary = finish(
        client("dynamodb"),
        client("sns"),
        env.table_name,
        env.topic_arn,
        run=event.run,
        plan=event.plan,
        error=event.error,
    )
    logger.info("key rotation run finished", extra={"summary": summary})
    return summary

"""Key rotation step 2 (PlanKeyRotation): the users to look at, from one credential report."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.rotation_runs import plan
from ..models.rotation import RunStart
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(RunStart)
def handler(event: RunStart, context: LambdaContext) -> dict[str, Any]:
    policy, user_path = settings().require_rotation()
    found = plan(client("iam"), policy, user_path, event.now)
    logger.info(
        "key rotation plan",
        extra={"users": len(found.users), "deferred": found.deferred, "report_generated": found.report_generated},
    )
    return found.model_dump(mode="json")

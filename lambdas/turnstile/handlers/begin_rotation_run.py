"""Key rotation step 1 (BeginRotationRun): take the run lease, or exit as a duplicate of the run holding it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.rotation_runs import begin
from ..models.rotation import BeginInput
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(BeginInput)
def handler(event: BeginInput, context: LambdaContext) -> dict[str, Any]:
    env = settings()
    policy, _ = env.require_rotation()
    dry_run = policy.dry_run if event.input.dry_run is None else event.input.dry_run
    run = begin(
        client("dynamodb"),
        client("stepfunctions"),
        env.table_name,
        execution_id=event.execution_id,
        now=event.now,
        dry_run=dry_run,
    )
    logger.info("key rotation run", extra={"run": run.model_dump(mode="json")})
    return {"run": run.model_dump(mode="json")}

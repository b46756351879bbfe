"""Onboarding step 2 (ClaimHire): the first execution for an employee's hire owns it; others stop."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.claims import claim_hire
from ..models.onboarding import ExecutionStepInput
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(ExecutionStepInput)
def handler(event: ExecutionStepInput, context: LambdaContext) -> dict[str, Any]:
    claim = claim_hire(client("dynamodb"), settings().table_name, hire=event.hire, execution_id=event.execution_id)
    logger.info("hire claimed" if claim.owned else "duplicate hire", extra={"claim": claim.model_dump()})
    return claim.model_dump()

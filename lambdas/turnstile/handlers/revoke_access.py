"""Offboarding step 3 (RevokeAccess): access ends now — console password, access keys, groups."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.offboarding import revoke
from ..models.offboarding import TerminationStep
from ..observability import logger
from ..runtime import entrypoint


@entrypoint(TerminationStep)
def handler(event: TerminationStep, context: LambdaContext) -> dict[str, Any]:
    done = revoke(client("iam"), client("stepfunctions"), event)
    logger.info("access revoked", extra={"username": event.termination.username, "done": done})
    return {"revoked": done}

"""Offboarding step 2 (ClaimTermination): one execution per hire's termination; duplicates stop here."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.offboarding import claim_termination
from ..models.offboarding import TerminationStep
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(TerminationStep)
def handler(event: TerminationStep, context: LambdaContext) -> dict[str, Any]:
    return claim_termination(client("dynamodb"), settings().table_name, event)

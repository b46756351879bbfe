"""Duplicate path (RecordHireChange): a re-sent hire with other data is audited and alerted, never applied."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.outcomes import record_hire_change
from ..models.onboarding import HireChangeInput
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(HireChangeInput)
def handler(event: HireChangeInput, context: LambdaContext) -> dict[str, Any]:
    return record_hire_change(client("dynamodb"), client("sns"), settings(), event)

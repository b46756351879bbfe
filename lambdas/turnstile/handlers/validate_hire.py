"""Onboarding step 1 (ValidateHire): the raw HR event in; a normalised `Hire`, or a bounded rejection, out.

It returns the whole state the workflow carries on with, so nothing of the (up to 256 KB) event travels further.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..domain.rejections import summarize
from ..domain.validation import validate_hire
from ..errors import InvalidHireEvent
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    try:
        hire = validate_hire(event, env.require_directory(), env.hr_source)
    except InvalidHireEvent as rejected:
        rejection = summarize(event, str(rejected))
        logger.warning("HR event rejected", extra={"rejection": rejection.model_dump()})
        return {"rejection": rejection.model_dump()}
    logger.info("hire validated", extra={"username": hire.username, "employee_id": hire.employee_id})
    return {"hire": hire.model_dump(mode="json"), "results": {}}

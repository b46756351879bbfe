"""Task-token callbacks to a waiting workflow, safe to repeat and to race.

Whoever resumes a parked execution may find it already resumed, stopped, timed out or finished by someone else:
Step Functions then answers with one of GONE. That is an outcome, not an error — the caller goes on (typically to
forget its record of the token).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code

GONE = frozenset({"TaskDoesNotExist", "TaskTimedOut", "InvalidToken", "ExecutionDoesNotExist"})


def resume(sfn: Any, token: str, output: dict[str, Any]) -> str:
    """SendTaskSuccess; "resumed", or "gone (<code>)" when the token can no longer be used."""
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps(output, default=str))
        return "resumed"
    except ClientError as error:
        if error_code(error) in GONE:
            return f"gone ({error_code(error)})"
        raise


def fail(sfn: Any, token: str, error: str, cause: str) -> str:
    """SendTaskFailure; "failed", or "gone (<code>)" when the token can no longer be used."""
    try:
        sfn.send_task_failure(taskToken=token, error=error, cause=cause)
        return "failed"
    except ClientError as failure:
        if error_code(failure) in GONE:
            return f"gone ({error_code(failure)})"
        raise

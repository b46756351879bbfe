"""The IAM credential report: every user's credentials in two API calls, whatever the number of users.

GenerateCredentialReport starts a report unless the current one is under four hours old; GetCredentialReport
returns it as CSV (22 columns, one row per user and a first `<root_account>` row). Generation takes a while:
`fetch` raises ReportInProgress until it is complete, and the caller retries (the state machine's Retry, or the
sweeper's bounded poll) — never a call per user.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..errors import TurnstileError
from ..models.rotation import CredentialReport, ReportKey, ReportRow

ROOT_ROW = "<root_account>"
# Values the report uses for "no date".
_NO_DATE = {"", "N/A", "no_information", "not_supported"}


class ReportInProgress(TurnstileError):
    """IAM is still generating the credential report; try again shortly."""


def fetch(iam: Any) -> CredentialReport:
    """The current credential report, starting a new one if IAM's is missing or over four hours old."""
    state = iam.generate_credential_report()["State"]
    if state != "COMPLETE":
        raise ReportInProgress(f"credential report {state.lower()}")
    try:
        response = iam.get_credential_report()
    except ClientError as error:
        # Generated meanwhile by someone else, or expired between the two calls: the retry starts over.
        if error_code(error) in {"ReportInProgress", "ReportExpired", "ReportNotPresent"}:
            raise ReportInProgress(f"credential report: {error_code(error)}") from error
        raise
    content = response["Content"]
    text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
    return CredentialReport(generated=_utc(response["GeneratedTime"]), rows=tuple(parse(text)))


def parse(text: str) -> list[ReportRow]:
    """Rows of the CSV report, the root account's left out (it is no IAM user)."""
    rows = []
    for record in csv.DictReader(io.StringIO(text)):
        if record["user"] == ROOT_ROW:
            continue
        keys = tuple(
            ReportKey(
                active=record[f"access_key_{n}_active"] == "true",
                last_rotated=last_rotated,
                last_used=_date(record[f"access_key_{n}_last_used_date"]),
            )
            for n in (1, 2)
            if (last_rotated := _date(record[f"access_key_{n}_last_rotated"])) is not None
        )
        rows.append(
            ReportRow(
                user=record["user"],
                arn=record["arn"],
                path=path_of(record["arn"]),
                created=_date(record["user_creation_time"]) or dt.datetime.min.replace(tzinfo=dt.UTC),
                password_enabled=record["password_enabled"] == "true",  # noqa: S105 - a report column, not a password
                password_last_used=_date(record["password_last_used"]),
                password_last_changed=_date(record["password_last_changed"]),
                mfa_active=record["mfa_active"] == "true",
                keys=keys,
            )
        )
    return rows


def path_of(user_arn: str) -> str:
    """`arn:aws:iam::123456789012:user/turnstile/eng/jane` -> `/turnstile/eng/` (user names hold no '/')."""
    resource = user_arn.split(":", 5)[5]  # user/turnstile/eng/jane
    return "/" + resource.partition("/")[2].rpartition("/")[0] + "/" if resource.count("/") > 1 else "/"


def _date(value: str) -> dt.datetime | None:
    return None if value in _NO_DATE else _utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

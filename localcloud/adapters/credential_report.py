"""Gap: moto's credential report is rendered afresh at every GetCredentialReport (never stale, never in
progress, never expired), with GeneratedTime fixed at 2015-02-02, no `<root_account>` row, `not_supported` for
each key's last-used region and service and for `password_next_rotation`, `password_last_changed` the user's
creation date, and `password_last_used` `not_supported` (not `N/A`) for a user without a password.

Adapter, as the IAM User Guide ("Getting credential reports") and API Reference (GenerateCredentialReport,
GetCredentialReport) describe it, on the local clock: GenerateCredentialReport takes a snapshot and answers
STARTED when no report exists or the last one is four hours old or more; the report is in progress until
`GENERATION_POLLS` more GenerateCredentialReport calls (INPROGRESS, then COMPLETE), so a poller meets both
states; within four hours GenerateCredentialReport answers COMPLETE and reuses the report, changes since then
unseen. GetCredentialReport fails with ReportNotPresent (410) before any report, ReportInProgress (404) while
one is generated, ReportExpired (410) once it is four hours old; else it returns the snapshot with its
GeneratedTime. The rows: `<root_account>` first, then each user, in the report's 22 columns.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from moto.core.responses import ActionResult
from moto.iam.exceptions import IAMException
from moto.iam.models import AccessKey, AccessKeyLastUsed, IAMBackend, User
from moto.iam.responses import IamResponse

from .clock import Clock
from .credential_ages import password_set

# How many GenerateCredentialReport calls after STARTED the report takes to complete (0: complete at once).
GENERATION_POLLS = 1
# AWS reuses a report younger than this and generates a new one after; GetCredentialReport calls it expired.
LIFETIME = dt.timedelta(hours=4)
COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
NA = "N/A"
REPORT = "_localcloud_credential_report"  # in the IAM backend's __dict__: gone with the backend

_original_generate = IamResponse.generate_credential_report
_original_get = IamResponse.get_credential_report
_lock = threading.Lock()


class ReportInProgress(IAMException):
    code = "ReportInProgress"


class ReportExpired(IAMException):
    code = "ReportExpired"


class ReportNotPresent(IAMException):
    code = "ReportNotPresent"


@dataclass
class Report:
    generated: dt.datetime  # naive UTC, as moto keeps dates
    content: str
    polls_left: int


def _date(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _key_columns(key: AccessKey | None) -> list[str]:
    if key is None:
        return ["false", NA, NA, NA, NA]
    used = key.last_used
    if not isinstance(used, AccessKeyLastUsed):
        return [_bool(key.status == "Active"), _date(key.create_date), NA, NA, NA]
    return [_bool(key.status == "Active"), _date(key.create_date), _date(used.timestamp), used.region, used.service]


def _password_columns(user: User, backend: IAMBackend) -> list[str]:
    """password_enabled, _last_used, _last_changed, _next_rotation."""
    changed = password_set(user) or (user.create_date if user.password else None)
    if changed is None:
        return ["false", NA, NA, NA]
    last_used = user.password_last_used
    max_age = getattr(backend.account_password_policy, "max_password_age", None)
    rotation = _date(changed + dt.timedelta(days=max_age)) if max_age else NA
    return ["true", _date(last_used) if last_used else "no_information", _date(changed), rotation]


def user_row(user: User, backend: IAMBackend) -> list[str]:
    keys = [*user.access_keys[:2], None, None][:2]
    certs = list(user.signing_certificates.values())[:2]
    cert_columns: list[str] = []
    for cert in [*certs, None, None][:2]:
        active = cert is not None and cert.status == "Active"
        cert_columns += [_bool(active), _date(cert.upload_date) if cert is not None else NA]
    return [
        user.name,
        user.arn,
        _date(user.create_date),
        *_password_columns(user, backend),
        _bool(bool(user.mfa_devices)),
        *_key_columns(keys[0]),
        *_key_columns(keys[1]),
        *cert_columns,
    ]


def render(backend: IAMBackend, account_created: dt.datetime) -> str:
    """The report's CSV as of now: the root user's row, then every IAM user's."""
    root = [
        "<root_account>",
        f"arn:aws:iam::{backend.account_id}:root",
        _date(account_created),
        "not_supported",  # password_enabled
        "no_information",  # password_last_used: the emulator's root never signs in
        "not_supported",  # password_last_changed
        "not_supported",  # password_next_rotation
        "false",  # mfa_active
        *_key_columns(None),
        *_key_columns(None),
        "false",
        NA,
        "false",
        NA,
    ]
    rows = [root] + [user_row(user, backend) for user in list(backend.users.values())]
    return "\n".join([COLUMNS] + [",".join(row) for row in rows]) + "\n"


def install(clock: Clock) -> None:
    def now() -> dt.datetime:
        return clock.now().replace(tzinfo=None)

    account_created = now()  # the emulated account exists from the local cloud's start

    def generate_credential_report(self: IamResponse) -> ActionResult:
        backend = self.backend
        with _lock:
            report: Report | None = vars(backend).get(REPORT)
            if report is None or now() - report.generated >= LIFETIME:
                taken = now()
                vars(backend)[REPORT] = Report(taken, render(backend, account_created), GENERATION_POLLS)
                description = "No report exists. Starting a new report generation task"
                return ActionResult({"State": "STARTED", "Description": description})
            report.polls_left = max(0, report.polls_left - 1)
            return ActionResult({"State": "INPROGRESS" if report.polls_left else "COMPLETE"})

    def get_credential_report(self: IamResponse) -> ActionResult:
        with _lock:
            report: Report | None = vars(self.backend).get(REPORT)
            if report is None:
                raise ReportNotPresent("Credential report not present")
            if report.polls_left:
                raise ReportInProgress("Credential report is still being generated")
            if now() - report.generated >= LIFETIME:
                raise ReportExpired("Credential report has expired; use GenerateCredentialReport")
            return ActionResult(
                {"Content": report.content, "ReportFormat": "text/csv", "GeneratedTime": report.generated}
            )

    IamResponse.generate_credential_report = generate_credential_report  # type: ignore[method-assign]
    IamResponse.get_credential_report = get_credential_report  # type: ignore[method-assign]


def uninstall() -> None:
    IamResponse.generate_credential_report = _original_generate  # type: ignore[method-assign]
    IamResponse.get_credential_report = _original_get  # type: ignore[method-assign]

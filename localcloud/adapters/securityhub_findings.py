"""Gap: moto's BatchImportFindings takes any finding with a Resources list, in an account where Security Hub was
never enabled. Adapter, as Security Hub does (Security Hub User Guide, "Required attributes" of the AWS Security
Finding Format, and "BatchImportFindings for finding providers"): the account must have Security Hub enabled
(else `InvalidAccessException`); each finding must carry every required attribute — AwsAccountId, CreatedAt,
Description, GeneratorId, Id, ProductArn, Resources, SchemaVersion "2018-10-08", Severity (Label or Normalized),
Title, Types, UpdatedAt — with AwsAccountId the caller's account, a ProductArn of the form
arn:<partition>:securityhub:<region>:<account>:product/<company>/<product> (the default product:
`product/<account>/default`), Types in the defined namespaces, ISO 8601 times and a Description of at most 1,024
characters; a finding that breaks any is reported in FailedFindings (`InvalidInput`) and not imported.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.securityhub.models import SecurityHubBackend

_original = SecurityHubBackend.batch_import_findings
REQUIRED = (
    "AwsAccountId",
    "CreatedAt",
    "Description",
    "GeneratorId",
    "Id",
    "ProductArn",
    "Resources",
    "SchemaVersion",
    "Severity",
    "Title",
    "Types",
    "UpdatedAt",
)
NAMESPACES = (
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
)
LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
PRODUCT_ARN = re.compile(r"^arn:aws[a-z-]*:securityhub:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):product/[^/]+/[^/]+$")


def problems(finding: Any, account: str, region: str) -> list[str]:
    """What Security Hub would refuse in one finding ([] if nothing)."""
    if not isinstance(finding, dict):
        return ["a finding must be an object"]
    found = [f"{name} is required" for name in REQUIRED if finding.get(name) in (None, "", [])]
    if finding.get("SchemaVersion") not in (None, "2018-10-08"):
        found.append("SchemaVersion must be 2018-10-08")
    if finding.get("AwsAccountId") not in (None, account):
        found.append("AwsAccountId must be the calling account")
    arn = PRODUCT_ARN.match(str(finding.get("ProductArn", "")))
    if finding.get("ProductArn") and (arn is None or arn["region"] != region):
        found.append("ProductArn is not a product of this region")
    return found + _shape_problems(finding)


def _shape_problems(finding: dict[str, Any]) -> list[str]:
    found = []
    severity = finding.get("Severity") or {}
    if severity and severity.get("Label") not in LABELS and "Normalized" not in severity:
        found.append("Severity needs a Label (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL) or Normalized")
    if any(not isinstance(k, str) or k.split("/")[0] not in NAMESPACES for k in finding.get("Types") or []):
        found.append("Types must be namespace/category/classifier in a defined namespace")
    for name in ("CreatedAt", "UpdatedAt"):
        try:
            dt.datetime.fromisoformat(str(finding.get(name, "")).replace("Z", "+00:00"))
        except ValueError:
            found.append(f"{name} must be an ISO 8601 time")
    if len(str(finding.get("Description", ""))) > 1024:
        found.append("Description is longer than 1,024 characters")
    return found


def batch_import_findings(
    self: SecurityHubBackend, findings: list[dict[str, Any]]
) -> tuple[int, int, list[dict[str, Any]]]:
    if not self.enabled:
        raise JsonRESTError(
            "InvalidAccessException", f"Account {self.account_id} is not subscribed to AWS Security Hub"
        )
    accepted, failed = [], []
    for finding in findings:
        found = problems(finding, self.account_id, self.region_name)
        if found:
            failed.append({"Id": finding.get("Id", ""), "ErrorCode": "InvalidInput", "ErrorMessage": "; ".join(found)})
        else:
            accepted.append(finding)
    failed_count, success_count, more_failed = _original(self, accepted)
    return failed_count + len(failed), success_count, failed + more_failed


def install() -> None:
    setattr(SecurityHubBackend, "batch_import_findings", batch_import_findings)  # noqa: B010 - on purpose


def uninstall() -> None:
    setattr(SecurityHubBackend, "batch_import_findings", _original)  # noqa: B010

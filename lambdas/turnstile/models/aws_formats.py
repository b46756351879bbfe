"""What AWS writes and accepts, as strict types: the EventBridge envelope, its ISO timestamps, and the
character sets of the places HR data ends up in (IAM user names, IAM tag values, Secrets Manager names).

Checking these at the edges (the event, the configuration) means AWS never refuses a value halfway through
an onboarding. Every message here names the rule, never the value: it ends up in alerts and the audit trail.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints

# IAM CreateUser `UserName`: [\w+=,.@-]+, 1-64, ASCII (IAM API Reference, CreateUser). Secrets Manager
# CreateSecret `Name`: ASCII letters, digits and /_+=.@- (Secrets Manager API Reference, CreateSecret). The
# user name becomes part of turnstile/users/<username>/..., so it must satisfy both (no ','). Turnstile also
# requires a letter or digit first: a leading = + - @ is a formula in the spreadsheets IAM credential reports
# end up in, and a name like '..' would read as a path inside the secret name.
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9+=.@_-]{0,63}", re.ASCII)
USER_NAME_RULE = "1-64 ASCII letters, digits and + = . @ _ -, starting with a letter or digit"
# What IAM itself accepts (for user names reported by CloudTrail, which Turnstile did not choose).
IAM_USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)

# IAM `Tag` value: [\p{L}\p{Z}\p{N}_.:/=+\-@]*, 0-256 characters (IAM API Reference, Tag; IAM User Guide,
# "Tagging IAM resources"). AWS's tagging guidance reserves the `aws:` prefix, in any case, in keys and values.
TAG_VALUE_MAX = 256
TAG_VALUE_SYMBOLS = frozenset("_.:/=+-@")
TAG_VALUE_RULE = "Unicode letters, digits, spaces and _ . : / = + - @ (IAM's tag-value set)"


def tag_value_problem(value: str) -> str | None:
    """Why IAM would refuse `value` as a tag value, or None. (\\p{L}, \\p{Z}, \\p{N} are Unicode categories.)"""
    if len(value) > TAG_VALUE_MAX:
        return f"longer than {TAG_VALUE_MAX} characters (an IAM tag value)"
    if value[:4].casefold() == "aws:":
        return "must not start with 'aws:' (reserved by AWS in tag values)"
    if not all(unicodedata.category(char)[0] in "LZN" or char in TAG_VALUE_SYMBOLS for char in value):
        return f"contains a character outside {TAG_VALUE_RULE}"
    return None


def _tag_value(value: str) -> str:
    problem = tag_value_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Metadata for Annotated[str, <length and pattern constraints>, ...]: checked after the constraints.
TAG_VALUE = AfterValidator(_tag_value)

# Bidirectional embeddings, overrides and isolates: they make text display in another order than it is stored.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _plain_text(value: str) -> str:
    """No control, unassigned, private-use or bidirectional-override characters (free text that people read)."""
    if any(unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") or char in _BIDI_CONTROLS for char in value):
        raise ValueError("contains a control, unassigned or bidirectional-override character")
    return value


PLAIN_TEXT = AfterValidator(_plain_text)

# ISO 8601 as EventBridge and CloudTrail write it ("2026-11-28T09:00:00Z"); an offset is required.
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _iso_datetime(value: object) -> object:
    if not (isinstance(value, str) and _ISO_DATETIME.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date and time with an offset, e.g. 2026-11-28T09:00:00Z")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a valid date and time") from None


def _iso_date(value: object) -> object:
    if not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date, YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a valid calendar date") from None


# Strings only: pydantic's own parsing would also take numbers (Unix times) and, in strict mode, no strings.
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


def bounded(max_length: int, pattern: str | None = None) -> StringConstraints:
    return StringConstraints(max_length=max_length, pattern=pattern)


class StrictEnvelope(EventBridgeModel):  # type: ignore[misc]
    """The EventBridge envelope, strictly typed (no coercion) and bounded. Subclasses type `detail`."""

    model_config = ConfigDict(populate_by_name=True, strict=True)

    version: Annotated[str, bounded(8, r"^\d+$")]
    id: Annotated[str, bounded(128, r"^[A-Za-z0-9._:-]+$")]
    # PutEvents: Source up to 256 characters; the account is a 12-digit id.
    source: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    account: Annotated[str, bounded(12, r"^\d{12}$")]
    time: IsoDateTime
    region: Annotated[str, bounded(32, r"^[a-z0-9-]+$")]
    # PutEvents: Resources are ARNs; StartReplay: ReplayName is [.\-_A-Za-z0-9]+, at most 64.
    resources: list[Annotated[str, bounded(2048, r"^arn:[\x21-\x7e]+$")]] = Field(max_length=100)
    replay_name: Annotated[str, bounded(64, r"^[.\-_A-Za-z0-9]+$")] | None = Field(None, alias="replay-name")

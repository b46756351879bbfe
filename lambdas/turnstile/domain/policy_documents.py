"""Whether an IAM policy document grants administrator-level access, in any form the policy grammar allows.

"Administrator-level": an Allow statement whose actions cover every action and whose resources cover every
resource. IAM's grammar (IAM User Guide, "IAM JSON policy element reference"): `Statement` is one object or a list;
`Action`/`NotAction`/`Resource`/`NotResource` are a string or a list; action names are case-insensitive and take
`*` and `?` wildcards. So `"*"`, `["*"]`, `"*:*"` and `"*:?*"` all count, on `"*"`, `"arn:*"` or with
`NotResource` (every resource but the listed ones). A statement with a Condition is still reported (conditions
narrow, they do not make a grant safe). `NotAction` (everything but the listed actions, as in PowerUserAccess) is
not `Action: "*"` and is not reported here: the policy-change detection still records it.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

# An action or resource pattern that matches everything: only wildcards and separators left.
_EVERY_ACTION = re.compile(r"^[*?]*\*[*?]*(:[*?]*\*[*?]*)?$")
# `*`, or an ARN pattern whose partition is `*` or a partition's name and every other part a wildcard
# (`arn:*:*:*:*:*`, `arn:aws:*:*:*:*`: IAM accepts both, and both match every resource of the account).
_EVERY_RESOURCE = re.compile(r"^(\*|arn:[*:]*|arn:(\*|aws(-[a-z]+)*)(:[*?]*\*[*?]*)+)$")
MAX_DOCUMENT_CHARACTERS = 131_072  # well above IAM's largest policy (role inline policies: 10,240 characters)


class UnreadablePolicy(ValueError):
    """The document is not a JSON policy Turnstile can judge (it is then reported as such, never as safe)."""


def document_of(raw: Any) -> dict[str, Any]:
    """A policy document from what CloudTrail or IAM hand over: a JSON string (maybe URL-encoded) or an object."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or len(raw) > MAX_DOCUMENT_CHARACTERS:
        raise UnreadablePolicy("not a policy document of a readable size")
    text = raw if raw.lstrip().startswith("{") else unquote(raw)
    try:
        parsed = json.loads(text)
    except ValueError:
        raise UnreadablePolicy("not JSON") from None
    except RecursionError:  # nested deeper than the parser goes: no policy IAM accepts
        raise UnreadablePolicy("nested too deeply") from None
    if not isinstance(parsed, dict):
        raise UnreadablePolicy("not a JSON object")
    return parsed


def _values(element: Any) -> list[str] | None:
    """A string or a list of strings, as the grammar allows; None when absent or of another shape."""
    if isinstance(element, str):
        return [element]
    if isinstance(element, list) and all(isinstance(v, str) for v in element):
        return list(element)
    return None


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statement = document.get("Statement")
    if isinstance(statement, dict):
        return [statement]
    if isinstance(statement, list):
        return [s for s in statement if isinstance(s, dict)]
    raise UnreadablePolicy("no Statement")


def _covers_every_action(statement: dict[str, Any]) -> bool:
    actions = _values(statement.get("Action")) or []
    return any(_EVERY_ACTION.match(a.strip()) for a in actions)


def _covers_every_resource(statement: dict[str, Any]) -> bool:
    if "NotResource" in statement:
        excluded = _values(statement["NotResource"]) or []
        return not any(_EVERY_RESOURCE.match(r.strip()) for r in excluded)
    resources = _values(statement.get("Resource")) or []
    return any(_EVERY_RESOURCE.match(r.strip()) for r in resources)


def administrator_statements(raw: Any) -> list[str]:
    """Sids (or positions) of the statements that grant administrator-level access; [] when none does."""
    found = []
    for position, statement in enumerate(_statements(document_of(raw))):
        if statement.get("Effect") != "Allow":
            continue
        if _covers_every_action(statement) and _covers_every_resource(statement):
            sid = statement.get("Sid")
            label = sid if isinstance(sid, str) and re.fullmatch(r"[A-Za-z0-9]{1,64}", sid) else f"#{position + 1}"
            found.append(label + (" (with a Condition)" if statement.get("Condition") else ""))
    return found

"""What AWS says when a request breaks its API model's constraints, and the character class of tag patterns;
shared by the adapters that refuse what AWS refuses.

AWS checks a request against the service model (lengths, patterns, list sizes) before anything else and reports
every broken constraint at once: "2 validation errors detected: Value at 'tags.1.member.key' failed to satisfy
constraint: Member must have length less than or equal to 128; ...". Indexes are 1-based; the offending value is
not echoed.
"""

from __future__ import annotations

import unicodedata

# The symbols of IAM's tag pattern [\p{L}\p{Z}\p{N}_.:/=+\-@] besides letters, separators and numbers.
TAG_SYMBOLS = frozenset("_.:/=+-@")
IAM_TAG_KEY_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
IAM_TAG_VALUE_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"


def tag_characters_valid(text: str) -> bool:
    """Every character is a Unicode letter (L*), separator (Z*: spaces, not tabs or newlines), number (N*) or one
    of `_.:/=+-@`, as `[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]` matches in AWS's (Java) regular expressions."""
    return all(c in TAG_SYMBOLS or unicodedata.category(c)[0] in "LZN" for c in text)


def too_long(path: str, limit: int) -> str:
    return f"Value at '{path}' failed to satisfy constraint: Member must have length less than or equal to {limit}"


def not_matching(path: str, pattern: str) -> str:
    return f"Value at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"


def detected(violations: list[str]) -> str:
    """The whole message for one or more broken constraints."""
    count = len(violations)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(violations)

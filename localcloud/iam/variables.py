"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`, defaults `${key, 'text'}`.

IAM User Guide, "IAM policy elements: Variables and tags": a variable is replaced by the value of the request-context
key it names (key names case-insensitive, one round of replacement only); `${*}`, `${?}` and `${$}` stand for the
literal characters; a default applies when the key has no value. A variable that cannot be resolved (key absent,
multivalued, or a malformed `${...}`) has no value: an element using it matches nothing. Variables exist only in
policies whose `Version` is 2012-10-17; in older ones `${aws:username}` is literal text.

A policy string is parsed once into a Template: policy text (where `*` and `?` are wildcards) interleaved with
variables (whose values are always literal, even when they contain `*`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

VARIABLES_VERSION = "2012-10-17"

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_KEY_AND_DEFAULT = re.compile(r"^\s*([^\s,']+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Variable:
    key: str | None  # lower-case context key; None when the variable is malformed (never resolves)
    default: str | None = None


# A piece of a rendered template: (text, is_policy_text). Policy text keeps its wildcards; substituted text is literal.
Piece = tuple[str, bool]


@dataclass(frozen=True, slots=True)
class Template:
    parts: tuple[str | Variable | tuple[str], ...]  # str: policy text; Variable; 1-tuple: a literal from ${*} etc.
    source: str

    @property
    def has_variables(self) -> bool:
        return any(not isinstance(p, str) for p in self.parts)

    def render(self, lookup: Callable[[str], str | None]) -> tuple[Piece, ...] | None:
        """The template with each variable replaced; None when one has no value (the element then matches nothing)."""
        pieces: list[Piece] = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append((part, True))
            elif isinstance(part, tuple):
                pieces.append((part[0], False))
            else:
                value = lookup(part.key) if part.key is not None else None
                if value is None:
                    value = part.default
                if value is None:
                    return None
                pieces.append((value, False))
        return tuple(pieces)

    def text(self, lookup: Callable[[str], str | None]) -> str | None:
        """The rendered string, for operators without wildcards (StringEquals): `*` is just a character there."""
        pieces = self.render(lookup)
        return None if pieces is None else "".join(text for text, _ in pieces)


def parse(source: str, *, variables: bool) -> Template:
    """Split a policy string into policy text and variables (only when the policy's Version supports them)."""
    if not variables or "${" not in source:
        return Template((source,), source)
    parts: list[str | Variable | tuple[str]] = []
    position = 0
    for found in _VARIABLE.finditer(source):
        if found.start() > position:
            parts.append(source[position : found.start()])
        parts.append(_variable(found.group(1)))
        position = found.end()
    if position < len(source):
        parts.append(source[position:])
    return Template(tuple(parts), source)


def _variable(inner: str) -> Variable | tuple[str]:
    if inner in _SPECIAL:
        return (_SPECIAL[inner],)
    found = _KEY_AND_DEFAULT.match(inner)
    if not found:
        return Variable(None)
    default = found.group(2)
    return Variable(found.group(1).lower(), default.replace("''", "'") if default is not None else None)

"""Gap: moto's Secrets Manager creates a secret under any name (`a,b`, 513 characters) and stores tags of any
length. AWS (Secrets Manager API Reference, CreateSecret `Name` and `Tag`): a name of 1-512 characters, "ASCII
letters, numbers, and the following characters: /_+=.@-"; a tag key of 1-128 and a value of 0-256 characters.
Adapter: CreateSecret and TagResource refuse what breaks those with ValidationException (HTTP 400): the lengths
in AWS's constraint wording, the characters with the message AWS returns for a bad name ("Invalid name. Must be
a valid name containing alphanumeric characters, or any of the following: -/_+=.@!").

`!` is let through: AWS's own message lists it (service-linked secrets are named `rds!...`) while the CreateSecret
reference does not, and no error for it at CreateSecret is documented. Not emulated either, for the same reason:
the 50-tags-per-secret limit and the reserved `aws:` prefix.

Wraps SecretsManagerBackend methods, so the API is covered in-process and in server mode.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any

from moto.secretsmanager.exceptions import ValidationException
from moto.secretsmanager.models import SecretsManagerBackend

from .constraints import detected, too_long
from .wrapping import Wrappers

MAX_NAME = 512
MAX_KEY = 128
MAX_VALUE = 256
NAME = re.compile(r"[A-Za-z0-9/_+=.@!-]+")
INVALID_NAME = (
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
)


def tag_violations(tags: list[tuple[str, str]]) -> list[str]:
    found = []
    for index, (key, value) in enumerate(tags, start=1):
        if len(key) > MAX_KEY:
            found.append(too_long(f"tags.{index}.member.key", MAX_KEY))
        if len(value) > MAX_VALUE:
            found.append(too_long(f"tags.{index}.member.value", MAX_VALUE))
    return found


def check(name: str | None, tags: list[tuple[str, str]]) -> None:
    """The request's shape first (lengths, all reported together), then the name's characters, as AWS."""
    found = [too_long("name", MAX_NAME)] if name is not None and len(name) > MAX_NAME else []
    found += tag_violations(tags)
    if found:
        raise ValidationException(detected(found))
    if name is not None and not NAME.fullmatch(name):
        raise ValidationException(INVALID_NAME)


def _create_secret(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def create_secret(self: SecretsManagerBackend, *args: Any, **kwargs: Any) -> Any:
        call = signature.bind(self, *args, **kwargs).arguments
        tags = call.get("tags") or []
        check(call["name"], [(str(t.get("Key", "")), str(t.get("Value", ""))) for t in tags])
        return original(self, *args, **kwargs)

    return create_secret


def _tag_resource(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def tag_resource(self: SecretsManagerBackend, arn: str, tags: dict[str, str]) -> Any:
        check(None, [(str(k), str(v or "")) for k, v in tags.items()])
        return original(self, arn, tags)

    return tag_resource


_WRAPPERS = Wrappers(
    SecretsManagerBackend,
    {
        "create_secret": _create_secret,
        "tag_resource": _tag_resource,
    },
)


install = _WRAPPERS.install
uninstall = _WRAPPERS.uninstall

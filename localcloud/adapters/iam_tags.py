"""Gap: moto stores IAM user tags unchecked (a key of 129 characters, a value `O'Brien & Co!`, 51 tags), and for
roles and policies checks keys only loosely (a tab passes) and values not at all. AWS (IAM API Reference, `Tag`
and `tagListType`; "Tagging IAM resources"): at most 50 tags in a request; a key of 1-128 and a value of 0-256
characters, both from `[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]`; one invalid tag fails the whole request and nothing is
created. Adapter: those rules on CreateUser and TagUser, and (through moto's shared tag check) on CreateRole,
TagRole, CreatePolicy and TagPolicy, refused with ValidationError (HTTP 400) naming each broken constraint.

Not emulated (their error is not documented): the `aws:` key prefix, and the 50-tag limit across calls.

Wraps IAMBackend methods (API in-process and server mode, CloudFormation). `create_user` and `create_role` are
also wrapped by `iam_names`: install this adapter after it and uninstall it before, so that, as on AWS, a bad
request is refused (400) before a taken name is (409).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from moto.iam.exceptions import ValidationError
from moto.iam.models import IAMBackend

from .constraints import (
    IAM_TAG_KEY_PATTERN,
    IAM_TAG_VALUE_PATTERN,
    detected,
    not_matching,
    tag_characters_valid,
    too_long,
)
from .wrapping import Wrappers

MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256


def violations(tags: list[dict[str, str]]) -> list[str]:
    """Each constraint the request's tag list breaks, in AWS's wording."""
    found = [too_long("tags", MAX_TAGS)] if len(tags) > MAX_TAGS else []
    for index, tag in enumerate(tags, start=1):
        key, value = str(tag.get("Key", "")), str(tag.get("Value", ""))
        if len(key) > MAX_KEY:
            found.append(too_long(f"tags.{index}.member.key", MAX_KEY))
        if not tag_characters_valid(key):
            found.append(not_matching(f"tags.{index}.member.key", IAM_TAG_KEY_PATTERN))
        if len(value) > MAX_VALUE:
            found.append(too_long(f"tags.{index}.member.value", MAX_VALUE))
        if not tag_characters_valid(value):
            found.append(not_matching(f"tags.{index}.member.value", IAM_TAG_VALUE_PATTERN))
    return found


def check(tags: list[dict[str, str]] | None) -> None:
    found = violations(tags or [])
    if found:
        raise ValidationError(detected(found))


def _create_user(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_user(
        self: IAMBackend, region_name: str, user_name: str, path: str = "/", tags: list[dict[str, str]] | None = None
    ) -> Any:
        check(tags)
        return original(self, region_name, user_name, path, tags)

    return create_user


def _create_role(original: Callable[..., Any]) -> Callable[..., Any]:
    """Before `iam_names`' conflict check; moto checks the tags only after its own."""
    signature = inspect.signature(original)

    @functools.wraps(original)
    def create_role(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        check(signature.bind(self, *args, **kwargs).arguments.get("tags"))
        return original(self, *args, **kwargs)

    return create_role


def _tag_user(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def tag_user(self: IAMBackend, name: str, tags: list[dict[str, str]]) -> Any:
        check(tags)
        return original(self, name, tags)

    return tag_user


def _tag_verification(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's own check, called by CreateRole, TagRole, CreatePolicy, TagPolicy (and OIDC providers)."""

    @functools.wraps(original)
    def tag_verification(self: IAMBackend, tags: list[dict[str, str]]) -> Any:
        check(tags)
        return original(self, tags)

    return tag_verification


_WRAPPERS = Wrappers(
    IAMBackend,
    {
        "create_user": _create_user,
        "create_role": _create_role,
        "tag_user": _tag_user,
        "_tag_verification": _tag_verification,
    },
)


install = _WRAPPERS.install
uninstall = _WRAPPERS.uninstall

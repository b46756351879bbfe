"""Gap: moto's secret store looks a secret up by scanning its own dict (`for secret in dict.values(self)`, to match
names, ARNs and partial ARNs); a secret created by another thread meanwhile raises "dictionary changed size
during iteration" — measured: 24 of 1,000 hires in `make bench` failed at CreateLoginProfile this way. Secrets
Manager serves concurrent callers. Adapter: scan a snapshot (taken atomically, under the interpreter lock)."""

from __future__ import annotations

from typing import Any

from moto.secretsmanager.models import SecretsStore
from moto.secretsmanager.utils import get_secret_name_from_partial_arn

from .wrapping import Wrappers


def _named(store: SecretsStore, key: str) -> str:
    """The dict key for `key` (a name, an ARN or a partial ARN), from a snapshot of the store."""
    for stored, secret in tuple(dict.items(store)):
        if secret.arn == key or secret.name == key:
            return str(stored)
    return str(get_secret_name_from_partial_arn(key))


def _getitem(original: Any) -> Any:
    def getitem(self: SecretsStore, key: str) -> Any:
        return dict.__getitem__(self, _named(self, key))

    return getitem


def _contains(original: Any) -> Any:
    def contains(self: SecretsStore, key: str) -> bool:
        return dict.__contains__(self, _named(self, key))

    return contains


def _get(original: Any) -> Any:
    def get(self: SecretsStore, key: str) -> Any:
        return dict.get(self, _named(self, key))

    return get


def _pop(original: Any) -> Any:
    def pop(self: SecretsStore, key: str) -> Any:
        return dict.pop(self, _named(self, key), None)

    return pop


_WRAPPERS = Wrappers(SecretsStore, {"__getitem__": _getitem, "__contains__": _contains, "get": _get, "pop": _pop})

install = _WRAPPERS.install
uninstall = _WRAPPERS.uninstall

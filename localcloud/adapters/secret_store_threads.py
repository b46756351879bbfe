"""Gap: moto's secret store looks a secret up by scanning its own dict (`for secret in dict.values(self)`, to match
names, ARNs and partial ARNs); a secret created by another thread meanwhile raises "dictionary changed size
during iteration" — measured: 24 of 1,000 hires in `make bench` failed at CreateLoginProfile this way. Secrets
Manager serves concurrent callers. Adapter: scan a snapshot (taken atomically, under the interpreter lock)."""

from __future__ import annotations

from collections.abc import Callable
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


def _by_key(method: Callable[..., Any], *default: Any) -> Callable[[Any], Callable[..., Any]]:
    """Replaces a SecretsStore lookup with dict's own `method` on the key the snapshot found."""

    def wrap(original: Any) -> Callable[..., Any]:
        def lookup(self: SecretsStore, key: str) -> Any:
            return method(self, _named(self, key), *default)

        return lookup

    return wrap


_WRAPPERS = Wrappers(
    SecretsStore,
    {
        "__getitem__": _by_key(dict.__getitem__),
        "__contains__": _by_key(dict.__contains__),
        "get": _by_key(dict.get),
        "pop": _by_key(dict.pop, None),
    },
)

install = _WRAPPERS.install
uninstall = _WRAPPERS.uninstall

"""Wrap methods of a moto class, once, and put the originals back: what the refusal adapters share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Wrap = Callable[[Callable[..., Any]], Callable[..., Any]]


class Wrappers:
    """`wrappers[name](original)` replaces `target.name` on install; uninstall restores every original."""

    def __init__(self, target: type, wrappers: dict[str, Wrap]) -> None:
        self.target = target
        self.wrappers = wrappers
        self._saved: dict[str, Callable[..., Any]] = {}

    def install(self) -> None:
        if self._saved:  # already installed: wrapping twice would make uninstall restore a wrapper
            return
        for name, wrap in self.wrappers.items():
            self._saved[name] = getattr(self.target, name)
            setattr(self.target, name, wrap(self._saved[name]))

    def uninstall(self) -> None:
        for name, original in self._saved.items():
            setattr(self.target, name, original)
        self._saved.clear()

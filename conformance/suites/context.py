"""Lazy values for case paths, such as ``{action_id}``: discovered on first use, or skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


class Context(Mapping[str, str]):
    """A mapping whose values come from providers, computed once; a provider may skip."""

    def __init__(self, providers: dict[str, Callable[[], str]]) -> None:
        self._providers = providers
        self._values: dict[str, str] = {}
        # What a provider read while finding its value (a response, by request path), kept for
        # the first test that would read the same again: ``take`` hands it over once.
        self.kept: dict[str, Any] = {}

    def take(self, key: str) -> Any:
        """What a provider kept under ``key`` (then forgotten), or None."""
        return self.kept.pop(key, None)

    def __getitem__(self, name: str) -> str:
        if name not in self._values:
            if name not in self._providers:
                raise KeyError(name)
            self._values[name] = str(self._providers[name]())
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        """Whether a provider names ``name``; asking runs no provider (one may skip)."""
        return name in self._providers

    def __iter__(self) -> Iterator[str]:
        return iter(self._providers)

    def __len__(self) -> int:
        return len(self._providers)

"""A bounded memo: a verdict kept per process for an input a run meets again.

The suite's runs (one after another in a test process, or one long run) send and receive the
same bytes again: derandomised examples repeat, and a server answers the same large document to
two filters. The judges keep their verdicts on such bytes here, by a key that names the bytes (a
digest) and what they were judged against, in a memo that holds at most ``size`` verdicts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """At most ``size`` values by key, the oldest dropped first; safe to share between threads
    (a value is computed outside the lock: two threads may compute the same one, once each)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a memo holds at least one value")
        self.size = size
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def remember(self, key: K, compute: Callable[[], V]) -> V:
        """The value kept for ``key``, else ``compute()``, kept."""
        try:
            return self._values[key]
        except KeyError:
            pass
        value = compute()
        with self._lock:
            if key not in self._values and len(self._values) >= self.size:
                del self._values[next(iter(self._values))]
            self._values[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

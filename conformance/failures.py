"""A documented behaviour that did not hold: the one failure type, with its evidence.

It sits below the HTTP client and the checks, so the client can report an answer it cannot read
(a body that is not UTF-8) as a failed check without importing the checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.http import Exchange


class CheckFailure(AssertionError):
    """A documented behaviour did not hold."""

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exchange = exchange

    def evidence(self) -> dict[str, Any]:
        record: dict[str, Any] = {"message": self.message}
        if self.exchange is not None:
            record.update(self.exchange.evidence())
        return record

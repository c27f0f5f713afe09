"""Sending run requests and reading their answers.

The call blocks until the Engines answer or ``timeoutSeconds`` (default 60 s) elapses, so each
request's read timeout is derived from the ``timeoutSeconds`` it asks for.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance import checks
from conformance.http import DEFAULT, ApiClient, Response

RUN_PATH = "/api/remoteaction/v2/run"
JSON_TYPE = "application/json"
DEFAULT_TIMEOUT_SECONDS = 60  # the portal's default (the page: "60 s")
READ_MARGIN_SECONDS = 15.0  # how much longer than timeoutSeconds the client waits
RUN_TIMEOUT_SECONDS = 1  # what the suite's own runs ask for, to stay fast
# Well-formed identifiers no server has: the suite invents nothing that could be real.
UNKNOWN_REMOTE_ACTION_UID = "a11ce000-0000-4000-8000-00000000c0de"
UNKNOWN_ENGINE_UID = "a11ce0000000400080000000000c0de0"
_SYNTHETIC_DEVICE_PREFIX = "ac"


def synthetic_device_uids(count: int, start: int = 0) -> list[str]:
    """``count`` distinct well-formed device UIDs (32 hex digits) that name no real device."""
    return list(_synthetic_device_uids(count, start))


@functools.lru_cache(maxsize=64)
def _synthetic_device_uids(count: int, start: int) -> tuple[str, ...]:
    # Written once per process: the device-limit tests ask for 10000 and more in every run.
    return tuple(f"{_SYNTHETIC_DEVICE_PREFIX}{index:030x}" for index in range(start, start + count))


def read_timeout(client: ApiClient, timeout_seconds: object) -> float:
    """Seconds the client waits for an answer to a run asking for ``timeout_seconds``."""
    waits = DEFAULT_TIMEOUT_SECONDS
    if isinstance(timeout_seconds, int) and not isinstance(timeout_seconds, bool):
        waits = max(timeout_seconds, 0)
    return max(client.timeout, waits + READ_MARGIN_SECONDS)


@dataclass(frozen=True)
class RunCall:
    """One POST to the run URL: the exact bytes, the Content-Type, what it asks to wait."""

    body: bytes
    content_type: str = JSON_TYPE  # "" sends no Content-Type header
    timeout_seconds: object = None
    description: str = ""

    @classmethod
    def of(
        cls,
        document: Any,
        *,
        content_type: str = JSON_TYPE,
        latin1: bool = False,
        description: str = "",
    ) -> RunCall:
        """A JSON document, UTF-8 encoded (or ISO-8859-1, to break the encoding on purpose)."""
        text = json.dumps(document, ensure_ascii=not latin1)
        waits = document.get("timeoutSeconds") if isinstance(document, Mapping) else None
        body = text.encode("latin-1" if latin1 else "utf-8")
        return cls(body, content_type, waits, description)

    def send(
        self, client: ApiClient, *, mutating: bool | None = None, authorization: Any = DEFAULT
    ) -> Response:
        headers = {"Content-Type": self.content_type} if self.content_type else {}
        return client.request(
            "POST",
            RUN_PATH,
            body=self.body,
            headers=headers,
            authorization=authorization,
            mutating=mutating,
            timeout=read_timeout(client, self.timeout_seconds),
        )


def run(client: ApiClient, document: Mapping[str, Any]) -> Response:
    """Send a valid run: a mutation, skipped unless mutations are allowed."""
    return RunCall.of(dict(document)).send(client)


def results_of(response: Response) -> list[dict[str, Any]]:
    """The per-Engine results of a 200, read leniently: a JSON list of objects."""
    checks.expect_status(response, 200)
    try:
        document = response.json()
    except ValueError:
        raise checks.fail("the 200 body is not JSON", response) from None
    checks.expect(isinstance(document, list), "the 200 body is not a JSON list", response)
    checks.expect(
        all(isinstance(entry, dict) for entry in document),
        "an entry of the result list is not a JSON object",
        response,
    )
    return list(document)


def engines_of(response: Response) -> list[str]:
    """The ``databaseUid`` of each result, in order (other JSON values as JSON text)."""
    uids = [entry.get("databaseUid") for entry in results_of(response)]
    return [uid if isinstance(uid, str) else json.dumps(uid) for uid in uids]


def error_code_of(response: Response) -> Any:
    """The ``code`` of an error body, or None when the body is not a JSON object."""
    try:
        document = response.json()
    except ValueError:
        return None
    return document.get("code") if isinstance(document, dict) else None


def expect_error(response: Response, status: int, code: str, what: str) -> None:
    """The answer is ``status`` with error ``code``; the failure names the request."""
    got = error_code_of(response)
    if response.status != status or got != code:
        received = f"{response.status} {got}" if got else f"{response.status}"
        raise checks.fail(f"{what}: expected {status} {code}, got {received}", response)

"""GET /bulk_responses/{bulk_response_id}: following an accepted fleet action over time.

What the docs support (PLAN.md, "Bulk response lifecycle"): the bulk_response_id "is returned to
track progress", so it keeps reading back, and every read shows the same bulk response. What a
read may show changes (device statuses, ``updated_at``, ``total``); no page says a device status
is final, so no transition between the documented words is judged. The words themselves are
judged on every read by the spec (``EDGEIQ-BULK-RESPONSE-STATUSES``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.suites.edgeiq.exchanges import bulk_response_id, bulk_response_path

requirement = pytest.mark.requirement
READS = 3  # the first read, then two more: enough to see a value change that must not
# Fields whose value is the bulk response's identity: an object's ID and its creation time.
IDENTITY = ("_id", "created_at")


@requirement("EDGEIQ-BULK-RESPONSE-GET")
def test_returned_bulk_response_reads_back(
    edgeiq: ApiClient, execute: Callable[[str], Response]
) -> None:
    identifier = bulk_response_id(execute("add_tags"))
    response = edgeiq.request("GET", bulk_response_path(identifier))
    checks.expect(
        200 <= response.status < 300,
        f"expected a 2xx status for the bulk_response_id just returned, got {response.status}",
        response,
    )  # its content type and body: judged against the spec


@pytest.fixture(scope="module")
def tracked(edgeiq: ApiClient, execute: Callable[[str], Response]) -> tuple[str, list[Response]]:
    """A bulk response of its own (add_metadata's, not the one read above) read ``READS`` times."""
    identifier = bulk_response_id(execute("add_metadata"))
    path = bulk_response_path(identifier)
    return identifier, [edgeiq.request("GET", path) for _ in range(READS)]


def _document(response: Response) -> dict[str, Any] | None:
    if not 200 <= response.status < 300:
        return None
    try:
        document = response.json()
    except ValueError:
        return None  # not JSON: EDGEIQ-BULK-RESPONSE-GET judges that
    return document if isinstance(document, dict) else None


@requirement("EDGEIQ-BULK-RESPONSE-TRACKS")
def test_repeated_reads_show_the_same_bulk_response(
    tracked: tuple[str, list[Response]],
) -> None:
    identifier, reads = tracked
    for number, response in enumerate(reads, 1):
        checks.expect(
            200 <= response.status < 300,
            f"read {number} of {READS} of bulk_response_id {identifier} answered "
            f"{response.status}: an ID returned to track progress must keep reading back",
            response,
        )
    first: dict[str, Any] = {}
    for response in reads:
        document = _document(response)
        if document is None:
            continue
        for name in IDENTITY:
            if name in document:
                first.setdefault(name, document[name])
                checks.expect(
                    document[name] == first[name],
                    f"{name} was {first[name]!r}, a later read of the same bulk response "
                    f"shows {document[name]!r}",
                    response,
                )
        statuses = document.get("bulk_response_statuses")
        own = {identifier, str(document.get("_id", identifier))}
        for entry in statuses if isinstance(statuses, list) else []:
            named = entry.get("bulk_response_id") if isinstance(entry, dict) else None
            checks.expect(
                named is None or str(named) in own,
                f"a device status of bulk response {identifier} names bulk response {named!r}",
                response,
            )

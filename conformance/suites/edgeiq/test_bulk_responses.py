"""GET /bulk_responses/{bulk_response_id}: following an accepted fleet action."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.suites.edgeiq.exchanges import bulk_response_id, bulk_response_path

requirement = pytest.mark.requirement


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

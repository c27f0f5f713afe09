"""Authentication: what a 401 answer says (its status is checked by cases.toml)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance import checks
from conformance.auth import wrong_authorization_for
from conformance.http import ApiClient, Response
from conformance.outcomes import untested
from conformance.suites.context import Context
from conformance.suites.edgeiq.bodies import JSON_HEADERS, PROBE_TAG, encode
from conformance.suites.edgeiq.exchanges import actions_path, bulk_response_path
from conformance.target import Target

requirement = pytest.mark.requirement


def _post_unknown_fleet(client: ApiClient, context: Context, token: str | None) -> Response:
    # The unknown fleet: even a server that ignores the token has no device to act on.
    body = encode({"action": "add_tags", "tags": [PROBE_TAG]})
    path = actions_path(context["missing_fleet_id"])
    return client.request(
        "POST", path, body=body, headers=JSON_HEADERS, authorization=token, mutating=False
    )


def _get_bulk_response(client: ApiClient, context: Context, token: str | None) -> Response:
    path = bulk_response_path(context["unknown_bulk_response_id"])
    return client.request("GET", path, authorization=token)


REQUESTS: dict[str, Callable[[ApiClient, Context, str | None], Response]] = {
    "POST /fleets/{id}/actions": _post_unknown_fleet,
    "GET /bulk_responses/{bulk_response_id}": _get_bulk_response,
}


@requirement("EDGEIQ-AUTH-401-BODY")
@pytest.mark.parametrize("credentials", ["no token", "a wrong token"])
@pytest.mark.parametrize("operation", list(REQUESTS))
def test_401_body_says_not_authorized(
    operation: str, credentials: str, edgeiq: ApiClient, edgeiq_context: Context, target: Target
) -> None:
    token = None if credentials == "no token" else wrong_authorization_for("edgeiq", target)
    response = REQUESTS[operation](edgeiq, edgeiq_context, token)
    if response.status != 401:
        untested(f"answered {response.status}, not 401 (EDGEIQ-AUTH-401 judges the status)")
    text = checks.expect_utf8(response)
    checks.expect(
        "not authorized" in text.lower(),
        f"expected 'Not authorized' in the 401 body, got {text[:120]!r}",
        response,
    )

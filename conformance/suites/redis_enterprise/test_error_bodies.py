"""Error answers carry the documented envelope: empty, or {error_code, description}.

Provoked read-only with identifiers that cannot exist; 401 answers are left out (NOTES.md does
not say what a proxy in front of the cluster answers, and REDIS-AUTH-401 judges the status).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.budget import AlreadyProven
from conformance.http import ApiClient, Response
from conformance.outcomes import untested
from conformance.profiles import search
from conformance.suites.redis_enterprise import schemas
from conformance.suites.redis_enterprise.context import action_list, listed_cluster_actions
from conformance.suites.redis_enterprise.strategies import from_known_actions, from_listed_uids

ERROR_SCHEMA = "redis-enterprise/error.schema.json"
JSON_HEADERS = {"Content-Type": "application/json"}

Send = Callable[[ApiClient, str], Response]
PROVOCATIONS: dict[str, tuple[str, Send]] = {
    "GET an unknown action uid": (
        "uid",
        lambda client, value: client.request("GET", f"/v1/actions/{value}"),
    ),
    "GET an unknown cluster action": (
        "name",
        lambda client, value: client.request("GET", f"/v1/cluster/actions/{value}"),
    ),
    "POST an unknown cluster action": (
        "name",
        lambda client, value: client.request(
            "POST", f"/v1/cluster/actions/{value}", body="{}", headers=JSON_HEADERS, mutating=False
        ),
    ),
    "DELETE an unknown cluster action": (
        "name",
        lambda client, value: client.request(
            "DELETE", f"/v1/cluster/actions/{value}", mutating=False
        ),
    ),
}


def expect_error_envelope(response: Response) -> None:
    """An error body is empty or a JSON object with string error_code and description."""
    if not response.content.strip():
        return
    schemas.expect_json_valid(response, ERROR_SCHEMA)


@pytest.mark.requirement("REDIS-ERROR-BODY")
@pytest.mark.parametrize("provocation", list(PROVOCATIONS))
def test_error_bodies_are_the_documented_envelope(redis: ApiClient, provocation: str) -> None:
    kind, send = PROVOCATIONS[provocation]
    if kind == "uid":
        values: st.SearchStrategy[str] = from_listed_uids(action_list(redis).uids())
    else:
        _, entries = listed_cluster_actions(redis)
        values = from_known_actions({str(e.get("name")) for e in entries if isinstance(e, dict)})
    errors: list[Response] = []

    @search(scale=0.5)
    @given(value=values)
    def error_body_is_envelope(value: str) -> None:
        try:
            response = send(redis, value)
        except AlreadyProven:
            return  # acted on (or kept back since): not an error answer, judged elsewhere
        if response.status >= 400:
            errors.append(response)
            expect_error_envelope(response)

    error_body_is_envelope()
    if not errors:
        untested(f"{provocation}: the server answered no error (judged elsewhere)")

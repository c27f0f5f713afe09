"""Routes later versions added: GET /v1/actions/bdb/{bdb_uid} (7.4.2+), GET /v2/actions[/{uid}]
(7.22+). Content types and bodies are judged against the spec (x-requirement); these tests make
the exchanges and judge what the spec cannot: statuses and round trips.

With ``--vendor-version`` older than a route, its requirements are not applicable (the plugin
skips them). Without a version, a 404 on the route itself is what every older server answers
(the route does not exist there): the case is untested with that reason, never failed, since the
suite cannot tell an older server from one missing the route. From the route's version on, a 404
fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.outcomes import untested
from conformance.profiles import search
from conformance.suites.redis_enterprise.context import expect_each_uid_fetches_its_action
from conformance.suites.redis_enterprise.strategies import from_listed_uids

requirement = pytest.mark.requirement

BDB_SINCE = "7.4.2"
V2_SINCE = "7.22"


def route_get(client: ApiClient, path: str, since: str, version: str | None) -> Response:
    """GET a route that exists from vendor version ``since``; a 404 without a version is an
    older server's answer (untested), with one it is the server's (the caller judges it). With
    an older version the plugin has skipped the test already (the requirement's ``since``)."""
    response = client.request("GET", path)
    if response.status == 404 and version is None:
        untested(
            f"GET {path} answered 404: the route exists from {since}, and an older server "
            f"answers 404 there; without --vendor-version the suite cannot tell which one this "
            f"is (name the version to judge it)"
        )
    return response


def v2_list(client: ApiClient, version: str | None) -> tuple[Response, list[Any]]:
    """GET /v2/actions as 200 and a JSON array (untested otherwise: nothing to follow)."""
    response = route_get(client, "/v2/actions", V2_SINCE, version)
    if response.status != 200:
        untested(f"GET /v2/actions answered {response.status}; nothing to follow")
    try:
        document = response.json()
    except ValueError:
        untested("GET /v2/actions did not answer JSON; nothing to follow")
    if not isinstance(document, list):
        untested("GET /v2/actions is not a JSON array; nothing to follow")
    return response, document


def v2_uids(client: ApiClient, version: str | None) -> list[str]:
    _, document = v2_list(client, version)
    return [
        entry["action_uid"]
        for entry in document
        if isinstance(entry, dict) and isinstance(entry.get("action_uid"), str)
    ]


# -- GET /v1/actions/bdb/{bdb_uid} -------------------------------------------------------------


@requirement("REDIS-BDB-ACTIONS-GET-JSON")
def test_a_databases_actions_answer_200(
    redis: ApiClient, redis_context: Any, vendor_version: str | None
) -> None:
    path = f"/v1/actions/bdb/{redis_context['bdb_uid']}"
    checks.expect_status(route_get(redis, path, BDB_SINCE, vendor_version), 200)


# -- GET /v2/actions ---------------------------------------------------------------------------


@requirement("REDIS-V2-ACTIONS-GET-JSON")
def test_the_v2_list_answers_200(redis: ApiClient, vendor_version: str | None) -> None:
    checks.expect_status(route_get(redis, "/v2/actions", V2_SINCE, vendor_version), 200)


# -- GET /v2/actions/{uid} ---------------------------------------------------------------------


@requirement("REDIS-V2-ACTION-GET-JSON")
def test_a_listed_v2_action_answers_200(redis: ApiClient, vendor_version: str | None) -> None:
    uids = v2_uids(redis, vendor_version)
    if not uids:
        untested("the v2 list holds no action")
    checks.expect_status(redis.request("GET", f"/v2/actions/{uids[0]}"), 200)


@requirement("REDIS-V2-ACTION-GET-UID")
def test_each_v2_uid_fetches_that_action(redis: ApiClient, vendor_version: str | None) -> None:
    uids = v2_uids(redis, vendor_version)
    if not uids:
        untested("the v2 list holds no action")
    expect_each_uid_fetches_its_action(redis, "/v2/actions", uids, "v2 action")


@requirement("REDIS-V2-ACTION-GET-404")
def test_uids_the_v2_list_does_not_hold_answer_404(
    redis: ApiClient, vendor_version: str | None
) -> None:
    listed = set(v2_uids(redis, vendor_version))

    @search()
    @given(uid=from_listed_uids(listed))
    def unlisted_uid_is_404(uid: str) -> None:
        checks.expect_status(redis.request("GET", f"/v2/actions/{uid}"), 404)

    unlisted_uid_is_404()

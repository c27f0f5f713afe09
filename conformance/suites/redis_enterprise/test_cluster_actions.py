"""GET /v1/cluster/actions[/{action}], and the errors a conformant server answers read-only.

POST and DELETE here name actions that cannot exist (``actionconform_...``): the docs say a
conformant server refuses them, so they are sent even without --allow-mutations.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from conformance import checks
from conformance.http import ApiClient
from conformance.outcomes import untested
from conformance.profiles import search
from conformance.suites.redis_enterprise.cluster import ClusterAction
from conformance.suites.redis_enterprise.context import listed_cluster_actions
from conformance.suites.redis_enterprise.strategies import from_known_actions

requirement = pytest.mark.requirement


def action_with_status(redis: ApiClient, cluster: ClusterAction) -> str:
    """A listed cluster action's name; starts the fixture action if none is listed."""
    _, entries = listed_cluster_actions(redis)
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]:
            return str(entry["name"])
    cluster.start_or_skip()  # left to the end-of-run cleanup (the ledger has it)
    return cluster.name


def known_names(redis: ApiClient) -> set[str]:
    _, entries = listed_cluster_actions(redis)
    return {str(entry.get("name")) for entry in entries if isinstance(entry, dict)}


@requirement("REDIS-CLUSTER-ACTION-GET-JSON")
def test_cluster_action_answers_json(redis: ApiClient, cluster: ClusterAction) -> None:
    name = action_with_status(redis, cluster)
    response = redis.request("GET", f"/v1/cluster/actions/{name}")
    checks.expect_status(response, 200)  # its content type: judged against the spec


@requirement("REDIS-CLUSTER-ACTION-GET-NAME")
def test_cluster_action_names_what_was_asked(redis: ApiClient, cluster: ClusterAction) -> None:
    name = action_with_status(redis, cluster)
    response = redis.request("GET", f"/v1/cluster/actions/{name}")
    checks.expect_status(response, 200)
    try:
        got = response.json().get("name")
    except (ValueError, AttributeError):
        untested("the status is not a JSON object (REDIS-CLUSTER-ACTION-GET-SCHEMA)")
    checks.expect(got == name, f"asked for {name!r}, the status names {got!r}", response)


@requirement("REDIS-CLUSTER-ACTION-GET-404")
def test_unknown_cluster_actions_answer_404(redis: ApiClient) -> None:
    @search()
    @given(name=from_known_actions(known_names(redis)))
    def unknown_is_404(name: str) -> None:
        checks.expect_status(redis.request("GET", f"/v1/cluster/actions/{name}"), 404)

    unknown_is_404()


@requirement("REDIS-CLUSTER-ACTION-POST-400-ACTION")
def test_unknown_cluster_actions_cannot_start(redis: ApiClient) -> None:
    @search()
    @given(name=from_known_actions(known_names(redis)))
    def unknown_is_400(name: str) -> None:
        response = redis.request(
            "POST",
            f"/v1/cluster/actions/{name}",
            body="{}",
            headers={"Content-Type": "application/json"},
            mutating=False,  # a conformant server refuses it: the action does not exist
        )
        checks.expect_status(response, 400)

    unknown_is_400()


@requirement("REDIS-CLUSTER-ACTION-DELETE-404")
def test_unknown_cluster_actions_cannot_be_cancelled(redis: ApiClient) -> None:
    @search()
    @given(name=from_known_actions(known_names(redis)))
    def unknown_is_404(name: str) -> None:
        response = redis.request("DELETE", f"/v1/cluster/actions/{name}", mutating=False)
        checks.expect_status(response, 404)

    unknown_is_404()

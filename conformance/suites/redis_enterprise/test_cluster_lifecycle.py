"""POST and DELETE /v1/cluster/actions/{action}: start, conflict, replace, cancel, remove.

Every test here starts the fixture action (``cluster_action``, default change_master) and so
needs --allow-mutations. Each start is in the ledger before it is sent and is cancelled (or its
status removed) by the test itself, or by the later test it hands the instance to; the end-of-run
cleanup catches what a crash leaves behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from conformance import checks
from conformance.http import Response
from conformance.outcomes import untested
from conformance.suites.redis_enterprise.cluster import (
    TRANSITIONS,
    ClusterAction,
    in_progress,
    reachable,
)
from conformance.suites.redis_enterprise.context import listed_cluster_actions
from conformance.versions import applies

requirement = pytest.mark.requirement
# The tests that take a finished instance an earlier one left (``ClusterAction.finished``):
# the lifecycle test's finished instance is the replace test's previous result, and the
# instance the replace test starts ends while the other tests run (conftest ``RUN_LAST``).
REPLACES = "test_new_start_removes_the_previous_result"
REMOVES = "test_delete_removes_a_finished_status"

BAD_CONTENT = {
    "malformed JSON": b'{"node_uid": ',
    "a JSON array": b'["2"]',
    "a JSON string": b'"2"',
}
NOT_JSON_CONTENT_TYPES = {
    "no Content-Type": None,
    "text/plain": "text/plain",
    "form-urlencoded": "application/x-www-form-urlencoded",
}


def _running_or_skip(cluster: ClusterAction, what: str) -> dict[str, Any]:
    _, status = cluster.read()
    if status is None or not in_progress(status):
        untested(f"{cluster.name} finished before {what}")
    return status


@requirement("REDIS-CLUSTER-ACTION-POST-200")
def test_start_answers_200_and_gives_a_status(cluster: ClusterAction) -> None:
    started = cluster.start()
    try:
        checks.expect_status(started.response, 200)
        response, status = cluster.read()
        checks.expect(
            status is not None, f"after a 200 start, GET {cluster.path} answered 404", response
        )
    finally:
        cluster.finish(started)


@requirement("REDIS-CLUSTER-ACTION-POST-409")
def test_second_start_while_running_conflicts(cluster: ClusterAction) -> None:
    started = cluster.start_or_skip()
    try:
        _running_or_skip(cluster, "a second start could conflict")
        # Were it to succeed, this instance has the same removal as the first: same entry.
        second = cluster.post(cluster.body, "application/json", expect_refusal=True)
        checks.expect_status(second, 409)
    finally:
        cluster.finish(started)


@requirement("REDIS-CLUSTER-ACTION-DELETE-200")
def test_cancelling_a_running_action_answers_200(cluster: ClusterAction) -> None:
    started = cluster.start_or_skip()
    try:
        _running_or_skip(cluster, "it could be cancelled")
        response = cluster.delete()
        checks.expect_status(response, 200)
        cluster.close(started)
    finally:
        cluster.finish(started)


@requirement("REDIS-CLUSTER-ACTION-POST-400-CONTENT")
@pytest.mark.parametrize("body", BAD_CONTENT.values(), ids=list(BAD_CONTENT))
def test_bad_content_answers_400(cluster: ClusterAction, body: bytes) -> None:
    started = cluster.start(body=body, expect_refusal=True)
    try:
        checks.expect_status(started.response, 400)
    finally:
        cluster.finish(started)


@requirement("REDIS-AUTH-403")
def test_a_role_without_the_permission_cannot_start(
    cluster: ClusterAction, restricted_authorization: Callable[[str], str]
) -> None:
    """The target's restricted user (a role without start_cluster_action; every built-in role
    may read statuses) is refused 403. Sent only with --allow-mutations: a lenient server
    would start the action, which the ledger then cancels."""
    authorization = restricted_authorization("redis-enterprise")
    started = cluster.start(authorization=authorization, expect_refusal=True)
    try:
        checks.expect_status(started.response, 403)
    finally:
        cluster.finish(started)


@requirement("REDIS-CONTENT-TYPE-400")
@pytest.mark.parametrize(
    "content_type", NOT_JSON_CONTENT_TYPES.values(), ids=list(NOT_JSON_CONTENT_TYPES)
)
def test_post_without_json_content_type_answers_400(
    cluster: ClusterAction, content_type: str | None
) -> None:
    started = cluster.start(content_type=content_type, expect_refusal=True)
    try:
        checks.expect_status(started.response, 400)
    finally:
        cluster.finish(started)


# -- versions: node refusals and the state diagram -------------------------------------------

# change_master to a node that does not exist: 400 "Bad action or content provided" until the
# 8.0.2 pages add 404 "Node does not exist". (since, until, status): conformance.versions.
NODE_UNKNOWN = ((None, "8.0.2", 400), ("8.0.2", None, 404))
MISSING_NODE_UID = "987654"


@requirement("REDIS-CLUSTER-ACTION-POST-NODE-UNKNOWN")
def test_change_master_to_a_missing_node_is_refused(
    cluster: ClusterAction, vendor_version: str | None
) -> None:
    if cluster.name != "change_master":
        pytest.skip(f"node_uid is change_master's parameter; the fixture action is {cluster.name}")
    allowed = [code for since, until, code in NODE_UNKNOWN if applies(since, until, vendor_version)]
    started = cluster.start(body=json.dumps({"node_uid": MISSING_NODE_UID}).encode())
    try:
        checks.expect_status(started.response, *allowed)
    finally:
        cluster.finish(started)


def _expect_documented_path(
    cluster: ClusterAction, reads: list[tuple[Response, dict[str, Any] | None]]
) -> None:
    """Each status read is in the diagram and reachable from the one read before it."""
    previous: str | None = None
    for response, document in reads:
        if document is None:
            continue  # no status (404): nothing to judge in this read
        status = document.get("status")
        checks.expect(
            status in TRANSITIONS,
            f"{cluster.name} status {status!r} is not in the state diagram",
            response,
        )
        if previous is not None and status != previous:
            checks.expect(
                reachable(previous, str(status)),
                f"{cluster.name} went from {previous!r} to {status!r}, which the state "
                "diagram does not allow",
                response,
            )
        previous = str(status)


@requirement("REDIS-CLUSTER-ACTION-LIFECYCLE")
def test_a_cancelled_action_follows_the_state_diagram(cluster: ClusterAction) -> None:
    started = cluster.start_or_skip()
    try:
        reads: list[tuple[Response, dict[str, Any] | None]] = [cluster.read()]
        _running_or_skip(cluster, "it could be cancelled")
        cancel = cluster.delete()
        if cancel.status != 200:
            untested(f"DELETE answered {cancel.status} (REDIS-CLUSTER-ACTION-DELETE-200)")
        cluster.close(started)
        cluster.settle(reads)
        _expect_documented_path(cluster, reads)
    finally:
        cluster.finish(started)


@requirement("REDIS-CLUSTER-ACTION-LIFECYCLE")
def test_a_started_action_follows_the_state_diagram(cluster: ClusterAction) -> None:
    started = cluster.start_or_skip()
    try:
        reads: list[tuple[Response, dict[str, Any] | None]] = [cluster.read()]
        final = cluster.settle(reads)
        reads += [cluster.read(), cluster.read()]  # a finished status stays as it is
        _expect_documented_path(cluster, reads)
        if final is not None:
            for response, document in reads[-2:]:
                checks.expect(
                    document is not None and document.get("status") == final.get("status"),
                    f"{cluster.name} finished {final.get('status')!r}, then read "
                    f"{document and document.get('status')!r}",
                    response,
                )
            cluster.hand_over(started, final.get("action_uid"), REPLACES)  # its previous result
    finally:
        cluster.finish(started)


@requirement("REDIS-CLUSTER-ACTION-POST-REPLACES")
def test_new_start_removes_the_previous_result(cluster: ClusterAction) -> None:
    with cluster.finished_for(REPLACES, "left no result to replace") as (first, previous):
        sent_at = time.monotonic()
        second = cluster.post(cluster.body, "application/json")
        checks.expect(second.status < 300, f"restart answered {second.status}", second)
        response, entries = listed_cluster_actions(cluster.client)
        named = [e for e in entries if isinstance(e, dict) and e.get("name") == cluster.name]
        checks.expect(
            len(named) == 1,
            f"after a new start, {len(named)} results of {cluster.name} are listed (expected 1)",
            response,
        )
        old_uid, new_uid = previous.get("action_uid"), named[0].get("action_uid")
        if old_uid and new_uid:
            checks.expect(
                old_uid != new_uid,
                f"the listed {cluster.name} is still the previous instance {old_uid}",
                response,
            )
        # The new instance (same entry, same removal) runs on while the other tests do.
        cluster.hand_over(first, new_uid, REMOVES, sent_at)


@requirement("REDIS-CLUSTER-ACTION-DELETE-REMOVES")
def test_delete_removes_a_finished_status(cluster: ClusterAction) -> None:
    with cluster.finished_for(REMOVES, "left no status to remove") as (started, _):
        response = cluster.delete()
        checks.expect_status(response, 200)
        cluster.close(started)
        after, status = cluster.read()
        checks.expect(
            status is None,
            f"after DELETE, GET {cluster.path} still answers {after.status} with a status",
            after,
        )

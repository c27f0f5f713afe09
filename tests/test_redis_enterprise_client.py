"""A real Redis Enterprise client works against the bundled server: the ``redis-enterprise``
package (PyPI; Python bindings of redis-developer/redis-enterprise-rs).

What NOTES.md says it expects of a server: it sends ``Accept: */*`` and, on POST,
``Content-Type: application/json``; it raises on a 404 and on a 409 (carrying the body); it
cannot parse a 200 answer to a POST whose body is empty, so the bundled server answers a started
cluster action with the new instance as JSON (the page: "The body content may provide additional
action details").
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.servers import ReferenceServer
from conformance.servers.base import BUNDLED_PASSWORD, BUNDLED_USER, Reply, Request
from conformance.servers.redis_enterprise import SEED_ACTIONS, RedisEnterpriseApp

redis_enterprise = pytest.importorskip("redis_enterprise")

CHANGE_MASTER = "/v1/cluster/actions/change_master"


class SeenApp(RedisEnterpriseApp):
    """The reference server, keeping each request's method, path and headers."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Request] = []

    def dispatch(self, request: Request) -> Reply:
        self.seen.append(request)
        return super().dispatch(request)


@pytest.fixture
def app() -> SeenApp:
    return SeenApp()


@pytest.fixture
def client(app: SeenApp) -> Iterator[object]:
    server = ReferenceServer(app)
    url = server.start()
    yield redis_enterprise.EnterpriseClient(
        base_url=url, username=BUNDLED_USER, password=BUNDLED_PASSWORD, timeout_secs=10
    )
    server.stop()


def test_lists_reads_starts_reads_and_cancels_an_action(client: object, app: SeenApp) -> None:
    listed = client.get_sync("/v1/actions")  # type: ignore[attr-defined]
    uids = [action["action_uid"] for action in listed["actions"]]
    assert SEED_ACTIONS[0]["action_uid"] in uids
    assert "state-machines" in listed

    one = client.get_sync(f"/v1/actions/{uids[0]}")  # type: ignore[attr-defined]
    assert one["action_uid"] == uids[0]

    started = client.post_sync(CHANGE_MASTER, {"node_uid": "2"})  # type: ignore[attr-defined]
    assert started["name"] == "change_master" and started["status"] == "queued"

    status = client.get_sync(CHANGE_MASTER)  # type: ignore[attr-defined]
    assert status["action_uid"] == started["action_uid"]
    assert status["status"] in ("queued", "starting", "running")

    client.delete_sync(CHANGE_MASTER)  # type: ignore[attr-defined]
    after = client.get_sync(CHANGE_MASTER)  # type: ignore[attr-defined]
    assert after["action_uid"] == started["action_uid"]
    assert after["status"] == "cancelled"

    post = next(request for request in app.seen if request.method == "POST")
    assert post.header("Content-Type") == "application/json"
    assert post.header("Accept") == "*/*"


def test_errors_reach_the_client_as_exceptions(client: object) -> None:
    with pytest.raises(ValueError):  # 404: the package's NotFound
        client.get_sync("/v1/actions/00000000-0000-4000-8000-000000000000")  # type: ignore[attr-defined]
    client.post_sync(CHANGE_MASTER, {"node_uid": "2"})  # type: ignore[attr-defined]
    with pytest.raises(Exception, match=r"409|action_in_progress|already in progress"):
        client.post_sync(CHANGE_MASTER, {"node_uid": "2"})  # type: ignore[attr-defined]
    client.delete_sync(CHANGE_MASTER)  # type: ignore[attr-defined]


def test_an_empty_post_answer_is_what_the_client_cannot_parse() -> None:
    """Why the server sends a body: with the documented-empty variant the client fails."""
    with ReferenceServer(RedisEnterpriseApp(variant="post-empty-body")) as server:
        client = redis_enterprise.EnterpriseClient(
            base_url=server.url, username=BUNDLED_USER, password=BUNDLED_PASSWORD, timeout_secs=10
        )
        with pytest.raises(RuntimeError, match=r"[Pp]arse"):
            client.post_sync(CHANGE_MASTER, {"node_uid": "2"})

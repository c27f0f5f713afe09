"""The Redis Enterprise reference server behaves as the pages and NOTES.md describe.

Checked with plain HTTP, without the suite, so a mistake in the server cannot hide behind a
mistake in the suite that agrees with it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from conformance.servers import ReferenceServer
from conformance.servers.redis_enterprise import (
    RUN_SECONDS,
    RedisEnterpriseApp,
)
from conformance.suites.redis_enterprise.context import cluster_action_body
from conformance.suites.redis_enterprise.schemas import validator
from conformance.suites.redis_enterprise.strategies import from_known_actions, from_listed_uids
from tests.helpers import shared_dir

AUTH = ("conformance", "conformance")
JSON_HEADERS = {"Content-Type": "application/json"}
CHANGE_MASTER = "/v1/cluster/actions/change_master"
CORPUS = shared_dir() / "corpus" / "redis-enterprise"


class Client:
    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.auth = AUTH

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, timeout=10)

    def post(self, path: str, body: bytes = b'{"node_uid": "2"}', **kw: Any) -> requests.Response:
        headers = kw.pop("headers", JSON_HEADERS)
        return self.session.post(self.url + path, data=body, headers=headers, timeout=10, **kw)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.url + path, timeout=10)


@pytest.fixture
def redis() -> Iterator[Client]:
    server = ReferenceServer(RedisEnterpriseApp())
    url = server.start()
    yield Client(url)
    server.stop()


def _errors(schema: str, document: Any) -> list[str]:
    return [error.message for error in validator(schema).iter_errors(document)]


def test_seeded_list_has_the_real_shape_and_validates(redis: Client) -> None:
    response = redis.get("/v1/actions")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    document = response.json()
    assert set(document) == {"actions", "state-machines"}
    assert _errors("redis-enterprise/actions-list.schema.json", document) == []
    assert all(isinstance(action["progress"], int | float) for action in document["actions"])
    assert any("progress" not in machine for machine in document["state-machines"])


def test_seed_is_shaped_like_the_corpus(redis: Client) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    captured = json.loads((CORPUS / "live_GET_v1_actions.json").read_text(encoding="utf-8"))
    served = redis.get("/v1/actions").json()
    for key in ("actions", "state-machines"):
        real_keys = set().union(*(entry.keys() for entry in captured[key]))
        served_keys = set().union(*(entry.keys() for entry in served[key]))
        assert real_keys <= served_keys, key


def test_every_listed_uid_is_fetchable_and_others_are_404(redis: Client) -> None:
    document = redis.get("/v1/actions").json()
    for entry in document["actions"] + document["state-machines"]:
        fetched = redis.get(f"/v1/actions/{entry['action_uid']}")
        assert fetched.status_code == 200 and fetched.json() == entry
    missing = redis.get("/v1/actions/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert set(missing.json()) == {"error_code", "description"}


def test_credentials_are_required(redis: Client) -> None:
    for auth in (None, ("conformance", "wrong")):
        response = requests.get(redis.url + "/v1/actions", auth=auth, timeout=10)
        assert response.status_code == 401
        assert _errors("redis-enterprise/error.schema.json", response.json()) == []


def test_cluster_action_lifecycle(redis: Client) -> None:
    seeded = redis.get(CHANGE_MASTER).json()
    assert seeded["status"] == "completed"
    assert redis.post(CHANGE_MASTER).status_code == 200
    started = redis.get(CHANGE_MASTER).json()
    assert started["status"] in ("queued", "running") and started["node_uid"] == "2"
    assert started["action_uid"] != seeded["action_uid"]
    assert redis.post(CHANGE_MASTER).status_code == 409
    listed = redis.get("/v1/cluster/actions").json()["actions"]
    assert [entry["action_uid"] for entry in listed] == [started["action_uid"]]
    time.sleep(RUN_SECONDS + 0.1)
    done = redis.get(CHANGE_MASTER).json()
    assert (done["status"], done["progress"]) == ("completed", 100.0)
    assert redis.delete(CHANGE_MASTER).status_code == 200
    assert redis.get(CHANGE_MASTER).status_code == 404
    assert redis.delete(CHANGE_MASTER).status_code == 404


def test_cancel_keeps_a_cancelled_status_until_removed(redis: Client) -> None:
    assert redis.post(CHANGE_MASTER).status_code == 200
    assert redis.delete(CHANGE_MASTER).status_code == 200
    assert redis.get(CHANGE_MASTER).json()["status"] == "cancelled"
    assert redis.delete(CHANGE_MASTER).status_code == 200
    assert redis.get(CHANGE_MASTER).status_code == 404


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"node_uid": ', JSON_HEADERS),
        (b'["2"]', JSON_HEADERS),
        (b'{"node_uid": "2"}', {}),
        (b'{"node_uid": "2"}', {"Content-Type": "text/plain"}),
    ],
    ids=["malformed", "array", "no content type", "text/plain"],
)
def test_bad_starts_answer_400_and_start_nothing(
    redis: Client, body: bytes, headers: dict[str, str]
) -> None:
    before = redis.get("/v1/cluster/actions").json()
    response = redis.post(CHANGE_MASTER, body, headers=headers)
    assert response.status_code == 400
    assert _errors("redis-enterprise/error.schema.json", response.json()) == []
    assert redis.get("/v1/cluster/actions").json() == before


@pytest.mark.parametrize(
    ("version", "missing", "bootstrapping"),
    [("7.4", 400, 200), ("8.0", 400, 200), ("8.0.2", 404, 406)],
)
def test_node_refusals_follow_the_version_played(
    version: str, missing: int, bootstrapping: int
) -> None:
    with ReferenceServer(RedisEnterpriseApp(vendor_version=version)) as server:
        redis = Client(server.url)
        response = redis.post(CHANGE_MASTER, b'{"node_uid": "9"}')
        assert response.status_code == missing
        if missing == 404:
            assert response.json()["description"] == "Node does not exist"
        response = redis.post(CHANGE_MASTER, b'{"node_uid": "4"}')
        assert response.status_code == bootstrapping
        if bootstrapping == 406:
            assert response.json()["description"] == "Node not bootstrapped"


@pytest.mark.parametrize("version", RedisEnterpriseApp.VERSIONS)
def test_each_version_lists_what_its_pages_document(version: str) -> None:
    with ReferenceServer(RedisEnterpriseApp(vendor_version=version)) as server:
        redis = Client(server.url)
        statuses = {action["status"] for action in redis.get("/v1/actions").json()["actions"]}
        assert ("aborted" in statuses) == (version in ("8.0", "8.0.2"))
        assert ("active" in statuses) == (version != "7.4")
        v2 = redis.get("/v2/actions")
        if version in ("7.4", "7.8"):
            assert v2.status_code == 404
        else:
            assert v2.status_code == 200
            assert _errors("redis-enterprise/v2-actions-list.schema.json", v2.json()) == []
            uid = v2.json()[0]["action_uid"]
            assert redis.get(f"/v2/actions/{uid}").json()["action_uid"] == uid
        bdb = redis.get("/v1/actions/bdb/1")
        if version == "7.4":  # 7.4.0: the route is from 7.4.2
            assert bdb.status_code == 404
        else:
            assert bdb.status_code == 200
            assert [machine["object_name"] for machine in bdb.json()] == ["bdb:1", "bdb:1"]
            for machine in bdb.json():
                assert _errors("redis-enterprise/state-machine.schema.json", machine) == []
            unknown = redis.get("/v1/actions/bdb/99")
            assert (unknown.status_code, unknown.json()["description"]) == (404, "bdb not found")


def test_unknown_cluster_actions(redis: Client) -> None:
    assert redis.post("/v1/cluster/actions/rebalance_everything").status_code == 400
    assert redis.get("/v1/cluster/actions/rebalance_everything").status_code == 404
    assert redis.delete("/v1/cluster/actions/rebalance_everything").status_code == 404


def test_cluster_views_validate(redis: Client) -> None:
    redis.post(CHANGE_MASTER)
    listed = redis.get("/v1/cluster/actions").json()
    assert _errors("redis-enterprise/cluster-actions-list.schema.json", listed) == []
    single = redis.get(CHANGE_MASTER).json()
    assert _errors("redis-enterprise/cluster-action.schema.json", single) == []


def test_unknown_faults_are_refused() -> None:
    with pytest.raises(ValueError):
        RedisEnterpriseApp("no-such-fault")


def test_progress_string_fault_sends_strings_like_7_4() -> None:
    server = ReferenceServer(RedisEnterpriseApp("progress-string"))
    try:
        document = Client(server.start()).get("/v1/actions").json()
    finally:
        server.stop()
    assert all(isinstance(action["progress"], str) for action in document["actions"])
    assert _errors("redis-enterprise/actions-list.schema.json", document) == []


@pytest.mark.parametrize(
    ("fixtures", "expected"),
    [
        ({}, {"node_uid": "2"}),
        ({"cluster_action_body": {"node_uid": "3"}}, {"node_uid": "3"}),
        ({"cluster_action_body": '{"node_uid": "1"}'}, {"node_uid": "1"}),
    ],
    ids=["default", "toml table", "json string"],
)
def test_cluster_action_body_fixture(fixtures: dict[str, Any], expected: dict[str, str]) -> None:
    assert json.loads(cluster_action_body(fixtures)) == expected


LISTED = frozenset({"159ca2f8-7bf3-4cda-97e8-4eb560665c28", "a10586b1"})


@settings(max_examples=60, database=None, deadline=None)
@given(uid=from_listed_uids(LISTED))
def test_invented_uids_are_unlisted_and_path_safe(uid: str) -> None:
    assert uid not in LISTED and uid != "bdb"
    assert re.fullmatch(r"[0-9a-f-]+", uid) and uid.strip("-")


@settings(max_examples=40, database=None, deadline=None)
@given(name=from_known_actions({"change_master"}))
def test_invented_action_names_can_never_be_real(name: str) -> None:
    assert re.fullmatch(r"actionconform_[a-z0-9_]+", name)


def test_strategies_refuse_a_bare_string() -> None:
    with pytest.raises(InvalidArgument):
        from_listed_uids("159ca2f8").example()
    with pytest.raises(InvalidArgument):
        from_known_actions("change_master").example()


def test_attributes_minimal_variant_keeps_only_the_promised_attributes() -> None:
    with ReferenceServer(RedisEnterpriseApp(variant="attributes-minimal")) as server:
        client = Client(server.url)
        listed = client.get("/v1/actions").json()
        promised = {"name", "action_uid", "status", "progress", "error_code", "error_message"}
        assert all(set(action) <= promised for action in listed["actions"])
        assert any(
            set(action) < set(full)
            for action, full in zip(
                listed["actions"], RedisEnterpriseApp().listed_actions(), strict=True
            )
        )
        uid = listed["actions"][0]["action_uid"]
        assert set(client.get(f"/v1/actions/{uid}").json()) <= promised
        assert listed["state-machines"][0].get("object_name")  # state machines keep theirs

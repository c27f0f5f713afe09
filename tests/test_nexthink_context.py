"""The Nexthink suite's own helpers: fixtures, read timeouts, strategies."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis.errors import InvalidArgument

from conformance.auth import basic
from conformance.http import ApiClient
from conformance.redact import Redactor
from conformance.servers import ReferenceApp, ReferenceServer
from conformance.servers.nexthink import NexthinkApp
from conformance.suites.nexthink.context import NexthinkFixtures, make_context
from conformance.suites.nexthink.runs import RunCall, read_timeout, synthetic_device_uids
from conformance.suites.nexthink.strategies import (
    UNKNOWN_PARAM_PREFIX,
    engine_selections,
    run_documents,
    synthetic_device_lists,
    unknown_params,
)


class NotNexthink(ReferenceApp):
    """A server that answers 404 to everything, as a real portal does to /actionconform/."""

    API = "not-nexthink"


def _client(url: str, timeout: float = 30.0) -> ApiClient:
    return ApiClient(
        url,
        authorization=basic("conformance", "conformance"),
        redactor=Redactor(),
        timeout=timeout,
        max_response_bytes=1 << 20,
        allow_mutations=False,
    )


@pytest.fixture
def real_like() -> Iterator[ApiClient]:
    with ReferenceServer(NotNexthink()) as server:
        yield _client(server.url)


@pytest.fixture
def reference() -> Iterator[ApiClient]:
    with ReferenceServer(NexthinkApp()) as server:
        yield _client(server.url)


def test_missing_fixture_skips_on_a_real_server(real_like: ApiClient) -> None:
    values = NexthinkFixtures(real_like, {})
    with pytest.raises(pytest.skip.Exception, match=r"\[fixtures\] remote_action_uid "):
        values.uid("remote_action_uid")
    with pytest.raises(pytest.skip.Exception, match="device_uids"):
        values.uids("device_uids")
    assert values.device_limit == 10000
    assert "remote_action_uid" not in values.placeholders()


def test_target_fixtures_win_over_the_reference_servers(reference: ApiClient) -> None:
    values = NexthinkFixtures(reference, {"remote_action_uid": "mine", "device_limit": 50})
    assert values.uid("remote_action_uid") == "mine"
    assert values.uid("remote_action_uid_disabled") == "b21b9377-3624-4046-8378-76244657d2d4"
    assert values.device_limit == 50


def test_malformed_fixtures_skip_with_the_key(real_like: ApiClient) -> None:
    values = NexthinkFixtures(real_like, {"device_uids": "abc", "device_limit": "many"})
    with pytest.raises(pytest.skip.Exception, match="device_uids must be a list"):
        values.uids("device_uids")
    with pytest.raises(pytest.skip.Exception, match="device_limit"):
        _ = values.device_limit


def test_make_context_serves_json_lists(reference: ApiClient) -> None:
    context = make_context(reference, {})
    assert json.loads(context["engine_database_uids"])[0] == "86acc8511251ec444d3a75bac33a23c7"
    assert context["device_limit"] == "10000"
    assert context["remote_action_uid"] == "07844969-1889-4de3-9026-020af94be855"


def test_read_timeout_exceeds_timeout_seconds() -> None:
    client = _client("http://127.0.0.1:9", timeout=30)
    assert read_timeout(client, 1) == 30
    assert read_timeout(client, 120) == 135
    assert read_timeout(client, None) == 75  # the portal's default 60 s, plus the margin
    assert read_timeout(client, "soon") == 75
    assert read_timeout(_client("http://127.0.0.1:9", timeout=200), 60) == 200
    assert RunCall.of({"timeoutSeconds": 90}).timeout_seconds == 90


def test_synthetic_device_uids_are_distinct_and_well_formed() -> None:
    uids = synthetic_device_uids(10001)
    assert len(set(uids)) == 10001
    assert all(len(uid) == 32 and int(uid, 16) >= 0 for uid in uids)


@pytest.mark.parametrize(
    "make",
    [
        lambda: run_documents(""),
        lambda: engine_selections([]),
        lambda: synthetic_device_lists(min_size=0),
        lambda: synthetic_device_lists(min_size=3, max_size=2),
    ],
)
def test_strategies_refuse_invalid_arguments(make: object) -> None:
    with pytest.raises(InvalidArgument):
        make()  # type: ignore[operator]


@given(document=run_documents("u", engines=["e1", "e2"]), params=unknown_params())
def test_run_documents_are_valid_requests(
    document: dict[str, object], params: dict[str, str]
) -> None:
    assert document["remoteActionUid"] == "u"
    devices = document["deviceUids"]
    assert isinstance(devices, list) and 1 <= len(devices) == len(set(devices))
    assert set(document) <= {
        "remoteActionUid",
        "deviceUids",
        "requestUid",
        "timeoutSeconds",
        "engineDatabaseUids",
    }
    assert all(name.startswith(UNKNOWN_PARAM_PREFIX) for name in params)

"""The Nexthink reference server produces what the suite cannot provoke, in its documented order.

Result codes a client cannot force on a real server (ok, timeout, engine_error, not_connected,
no_permission) and errors no request can cause there (INTERNAL_ERROR, NO_PERMISSION,
NO_ENGINES_TO_TARGET) are proven here, against the reference server itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.servers import ReferenceServer
from conformance.servers.base import BUNDLED_PASSWORD, BUNDLED_USER
from conformance.servers.nexthink import (
    DOC_ENGINE_UIDS,
    ERRORS,
    PRECEDENCE,
    RESTRICTED_USER,
    RUN_PATH,
    SEEDED_ENGINES,
    Engine,
    NexthinkApp,
    is_device_uid,
    malformed_device_uids,
)
from conformance.suites.nexthink.runs import synthetic_device_uids

MANUAL = "07844969-1889-4de3-9026-020af94be855"
NO_MANUAL = "e6bb97be-0957-49e0-9922-1a684d093858"
DISABLED = "b21b9377-3624-4046-8378-76244657d2d4"
DEVICES = synthetic_device_uids(3)
AUTH = (BUNDLED_USER, BUNDLED_PASSWORD)
Post = Callable[..., requests.Response]


@pytest.fixture
def app() -> NexthinkApp:
    return NexthinkApp()


@pytest.fixture
def url(app: NexthinkApp) -> Iterator[str]:
    server = ReferenceServer(app)
    yield server.start()
    server.stop()


@pytest.fixture
def post(url: str) -> Post:
    def send(
        document: Any = None,
        *,
        body: bytes | None = None,
        content_type: str | None = "application/json",
        auth: tuple[str, str] = AUTH,
    ) -> requests.Response:
        data = body if body is not None else json.dumps(document).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        return requests.post(url + RUN_PATH, data=data, headers=headers, auth=auth, timeout=30)

    return send


def codes_by_engine(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {entry["databaseUid"]: entry["code"] for entry in response.json()}


def test_all_engines_give_every_result_code_an_engine_can_give(post: Post) -> None:
    started = time.monotonic()
    response = post({"remoteActionUid": MANUAL, "deviceUids": DEVICES, "timeoutSeconds": 1})
    elapsed = time.monotonic() - started
    codes = codes_by_engine(response)
    assert set(codes) == {engine.database_uid for engine in SEEDED_ENGINES}
    assert sorted(set(codes.values())) == [
        "engine_error",
        "no_permission",
        "not_connected",
        "ok",
        "timeout",
    ]
    assert 1.0 <= elapsed < 2.5, "answers when timeoutSeconds elapsed, not before or long after"
    for entry in response.json():
        assert isinstance(entry["message"], str)


def test_an_unknown_engine_is_excluded(post: Post) -> None:
    unknown = "00112233445566778899aabbccddeeff"
    response = post(
        {"remoteActionUid": MANUAL, "deviceUids": DEVICES, "engineDatabaseUids": [unknown]}
    )
    assert response.json() == [
        {"databaseUid": unknown, "code": "excluded", "message": "Unknown databaseUid"}
    ]


def test_slow_engine_answers_ok_when_given_time(app: NexthinkApp, post: Post) -> None:
    slow = SEEDED_ENGINES[-1]
    app.engines[-1] = Engine(slow.database_uid, delay=0.2)
    response = post(
        {
            "remoteActionUid": MANUAL,
            "deviceUids": DEVICES,
            "engineDatabaseUids": [slow.database_uid],
            "timeoutSeconds": 1,
        }
    )
    assert codes_by_engine(response) == {slow.database_uid: "ok"}


def test_the_doc_engines_answer_as_in_the_example(post: Post) -> None:
    response = post(
        {"remoteActionUid": MANUAL, "deviceUids": DEVICES, "engineDatabaseUids": DOC_ENGINE_UIDS}
    )
    assert list(codes_by_engine(response).values()) == ["ok", "ok", "engine_error"]


def test_restricted_user_gets_no_permission(post: Post) -> None:
    response = post({"remoteActionUid": MANUAL, "deviceUids": DEVICES}, auth=RESTRICTED_USER)
    assert response.status_code == 403
    assert response.json()["code"] == "NO_PERMISSION"


def test_empty_engine_list_has_no_engine_to_target(post: Post, app: NexthinkApp) -> None:
    response = post({"remoteActionUid": MANUAL, "deviceUids": DEVICES, "engineDatabaseUids": []})
    assert (response.status_code, response.json()["code"]) == (403, "NO_ENGINES_TO_TARGET")
    app.engines.clear()
    response = post({"remoteActionUid": MANUAL, "deviceUids": DEVICES})
    assert (response.status_code, response.json()["code"]) == (403, "NO_ENGINES_TO_TARGET")
    assert app.executions == []


def test_an_unexpected_failure_is_internal_error(
    post: Post, app: NexthinkApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(run: object) -> list[dict[str, Any]]:
        raise KeyError("engine registry")

    monkeypatch.setattr(app, "dispatch_run", broken)
    response = post({"remoteActionUid": MANUAL, "deviceUids": DEVICES})
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"code": "INTERNAL_ERROR", "error": "Internal error: KeyError"}


def test_a_charset_other_than_utf8_is_an_encoding_error(post: Post) -> None:
    response = post(
        {"remoteActionUid": MANUAL, "deviceUids": DEVICES},
        content_type="application/json; charset=iso-8859-1",
    )
    assert response.json()["code"] == "ENCODING"
    response = post(
        {"remoteActionUid": MANUAL, "deviceUids": DEVICES},
        content_type="Application/JSON; charset=UTF-8",
    )
    assert response.status_code == 200


def test_get_answers_404_and_credentials_come_first(url: str) -> None:
    assert requests.get(url + RUN_PATH, auth=AUTH, timeout=10).status_code == 404
    refused = requests.get(url + RUN_PATH, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Basic")


def test_bundled_fixtures_are_the_pages_examples() -> None:
    offered = NexthinkApp().fixtures()
    assert offered["remote_action_uid"] == MANUAL
    assert offered["remote_action_uid_no_manual"] == NO_MANUAL
    assert offered["remote_action_uid_disabled"] == DISABLED
    assert offered["engine_database_uids"] == [
        "86acc8511251ec444d3a75bac33a23c7",
        "a4690014774dcc32b919c27d616166f7",
        "ce80dddfdb7a5c2346c4ac184b7d6a54",
    ]
    assert offered["device_uids"][0] == "da2add909a144e8235453f88dc45172f"
    assert offered["device_limit"] == 10000


def test_refusals_execute_nothing(post: Post, app: NexthinkApp) -> None:
    post({"remoteActionUid": NO_MANUAL, "deviceUids": DEVICES})
    post({"remoteActionUid": MANUAL, "deviceUids": DEVICES}, content_type="text/plain")
    assert app.executions == []
    post({"remoteActionUid": MANUAL, "deviceUids": DEVICES, "engineDatabaseUids": DOC_ENGINE_UIDS})
    assert len(app.executions) == 1


# -- precedence: a request that breaks two rules gets the earlier rule's code ------------------

DEVICE_LIMIT = 5
# code -> (the part of the request it changes, how it breaks the rule)
BREAKERS: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "NO_PERMISSION": ("auth", lambda request: request.update(auth=RESTRICTED_USER)),
    "CONTENT_TYPE": ("content_type", lambda request: request.update(content_type="text/plain")),
    "ENCODING": ("encoding", lambda request: request.update(latin1=True)),
    "INVALID_REQUEST_JSON": ("syntax", lambda request: request.update(truncate=True)),
    "INVALID_REQUEST_CONTENT": (
        "timeoutSeconds",
        lambda request: request["document"].update(timeoutSeconds="soon"),
    ),
    "NO_REMOTE_ACTION_UID": (
        "remoteActionUid",
        lambda request: request["document"].pop("remoteActionUid"),
    ),
    "NO_DEVICES": ("deviceUids", lambda request: request["document"].update(deviceUids=[])),
    "TOO_MANY_DEVICES": (
        "device count",
        lambda request: request["document"].update(
            deviceUids=synthetic_device_uids(DEVICE_LIMIT + 1)
        ),
    ),
    "INVALID_ACTION_UID": (
        "remoteActionUid",
        lambda request: request["document"].update(remoteActionUid="not-a-remote-action"),
    ),
    "INVALID_DEVICE_UID": (
        "device form",
        lambda request: request["document"]["deviceUids"].__setitem__(0, "not-a-device"),
    ),
    "UNKNOWN_OR_DISABLED_REMOTE_ACTION": (
        "remoteActionUid",
        lambda request: request["document"].update(remoteActionUid=DISABLED),
    ),
    "NO_MANUAL_EXECUTION": (
        "remoteActionUid",
        lambda request: request["document"].update(remoteActionUid=NO_MANUAL),
    ),
    "NO_ENGINES_TO_TARGET": (
        "engineDatabaseUids",
        lambda request: request["document"].update(engineDatabaseUids=[]),
    ),
}
# Device changes that cannot be combined: an empty list has neither too many nor a bad UID.
_CLASHES = {frozenset({"deviceUids", "device count"}), frozenset({"deviceUids", "device form"})}


def _send_broken(post: Post, codes: list[str]) -> requests.Response:
    request: dict[str, Any] = {
        "document": {
            "requestUid": "precedence",
            "remoteActionUid": MANUAL,
            "deviceUids": synthetic_device_uids(2),
        },
        "auth": AUTH,
        "content_type": "application/json",
    }
    for code in sorted(codes, key=lambda code: BREAKERS[code][0] != "device count"):
        BREAKERS[code][1](request)
    text = json.dumps(request["document"], ensure_ascii=False)
    if request.get("latin1"):
        text = text.replace('"precedence"', '"pr\u00e9c\u00e9dence"')
    body = text.encode("latin-1" if request.get("latin1") else "utf-8")
    if request.get("truncate"):
        body = body[:-1]
    return post(body=body, content_type=request["content_type"], auth=request["auth"])


def test_every_precedence_code_has_a_breaker_and_a_status() -> None:
    assert set(BREAKERS) == set(PRECEDENCE)
    assert set(PRECEDENCE) | {"INTERNAL_ERROR"} == set(ERRORS)


@pytest.mark.parametrize("code", PRECEDENCE)
def test_each_broken_rule_alone_gets_its_code(post: Post, app: NexthinkApp, code: str) -> None:
    app.device_limit = DEVICE_LIMIT
    response = _send_broken(post, [code])
    assert (response.status_code, response.json()["code"]) == (ERRORS[code][0], code)


@pytest.fixture(scope="module")
def precedence_server() -> Iterator[tuple[NexthinkApp, str]]:
    app = NexthinkApp()
    app.device_limit = DEVICE_LIMIT
    with ReferenceServer(app) as server:
        yield app, server.url


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    pair=st.lists(st.sampled_from(PRECEDENCE), min_size=2, max_size=2, unique=True).filter(
        lambda pair: (
            BREAKERS[pair[0]][0] != BREAKERS[pair[1]][0]
            and frozenset({BREAKERS[pair[0]][0], BREAKERS[pair[1]][0]}) not in _CLASHES
        )
    )
)
def test_two_broken_rules_get_the_earlier_code(
    precedence_server: tuple[NexthinkApp, str], pair: list[str]
) -> None:
    app, url = precedence_server

    def post(body: bytes, content_type: str, auth: tuple[str, str]) -> requests.Response:
        headers = {"Content-Type": content_type}
        return requests.post(url + RUN_PATH, data=body, headers=headers, auth=auth, timeout=10)

    response = _send_broken(post, pair)
    first = min(pair, key=PRECEDENCE.index)
    assert response.json()["code"] == first, (pair, response.text)
    assert app.executions == []


# -- conformant variants (tests/test_variants.py proves the suite passes each) -----------------


@pytest.fixture(scope="module")
def variant_post() -> Iterator[Callable[[str], Post]]:
    """``variant_post(name)``: a ``post`` to a server playing that variant (one per variant)."""
    servers: dict[str, ReferenceServer] = {}

    def for_variant(name: str) -> Post:
        if name not in servers:
            servers[name] = ReferenceServer(NexthinkApp(variant=name))
            servers[name].start()
        url = servers[name].url

        def send(
            document: Any = None,
            *,
            body: bytes | None = None,
            content_type: str = "application/json",
            auth: tuple[str, str] = AUTH,
        ) -> requests.Response:
            data = body if body is not None else json.dumps(document).encode()
            headers = {"Content-Type": content_type}
            return requests.post(url + RUN_PATH, data=data, headers=headers, auth=auth, timeout=30)

        send.app = servers[name].app  # type: ignore[attr-defined]
        return send

    yield for_variant
    for server in servers.values():
        server.stop()


def test_reversed_order_keeps_each_code_and_answers_the_later_of_two(
    variant_post: Callable[[str], Post],
) -> None:
    post = variant_post("check-order-reversed")
    post.app.device_limit = DEVICE_LIMIT  # type: ignore[attr-defined]
    for code in PRECEDENCE:
        response = _send_broken(post, [code])
        assert (response.status_code, response.json()["code"]) == (ERRORS[code][0], code)
    for pair in (
        ["NO_DEVICES", "NO_ENGINES_TO_TARGET"],
        ["NO_PERMISSION", "NO_DEVICES"],
        ["TOO_MANY_DEVICES", "INVALID_DEVICE_UID"],
    ):
        assert _send_broken(post, pair).json()["code"] == pair[1], pair
    assert post.app.executions == []  # type: ignore[attr-defined]


def test_message_variants_change_only_the_message(variant_post: Callable[[str], Post]) -> None:
    run = {"remoteActionUid": MANUAL, "deviceUids": DEVICES, "engineDatabaseUids": DOC_ENGINE_UIDS}
    omitted = {entry["databaseUid"]: entry for entry in variant_post("message-omitted")(run).json()}
    ok, _, failed = DOC_ENGINE_UIDS
    assert "message" not in omitted[ok] and omitted[ok]["code"] == "ok"
    assert omitted[failed]["message"].startswith("Error in request to engine")
    said = {entry["databaseUid"]: entry for entry in variant_post("ok-with-message")(run).json()}
    assert said[ok]["code"] == "ok" and said[ok]["message"]


def test_error_wording_keeps_the_code_and_changes_the_description(
    variant_post: Callable[[str], Post],
) -> None:
    response = variant_post("error-wording")({"remoteActionUid": NO_MANUAL, "deviceUids": DEVICES})
    document = response.json()
    assert (response.status_code, document["code"]) == (400, "NO_MANUAL_EXECUTION")
    assert document["error"] != ERRORS["NO_MANUAL_EXECUTION"][1]


def test_html_bodies_on_undocumented_answers(variant_post: Callable[[str], Post]) -> None:
    post = variant_post("html-undocumented-bodies")
    refused = post({"deviceUids": DEVICES}, auth=("nobody", "wrong"))
    assert refused.status_code == 401 and refused.headers["Content-Type"].startswith("text/html")
    assert refused.headers["WWW-Authenticate"].startswith("Basic")
    url = refused.url
    got = requests.get(url, auth=AUTH, timeout=30)
    assert got.status_code == 404 and got.headers["Content-Type"].startswith("text/html")


def test_device_limit_variant_names_its_limit(variant_post: Callable[[str], Post]) -> None:
    post = variant_post("device-limit-1000")
    assert post.app.fixtures()["device_limit"] == 1000  # type: ignore[attr-defined]
    over = post({"remoteActionUid": MANUAL, "deviceUids": synthetic_device_uids(1001)})
    assert (over.status_code, over.json()["code"]) == (400, "TOO_MANY_DEVICES")


def test_a_device_uid_list_is_judged_entry_by_entry() -> None:
    """The one-expression check of a whole list finds exactly the entries the per-entry
    check finds, including an entry that hides two UIDs behind a line break."""
    hex32, guid = "0123456789abcdefABCDEF0123456789", "12345678-1234-1234-1234-123456789abc"
    lists = [
        [hex32, guid] * 3,
        [f"{hex32}\n{hex32}"],
        [hex32, f"{hex32}\n"],
        ["", hex32],
        [hex32, "x", guid, "not-a-uid"],
        [guid.upper(), hex32.lower()],
        [],
    ]
    for devices in lists:
        expected = [uid for uid in devices if not is_device_uid(uid)]
        assert malformed_device_uids(devices) == expected, devices

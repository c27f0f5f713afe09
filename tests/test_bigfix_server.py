"""The bundled BigFix server itself: documented examples, grammar, limits, safe parsing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree

from conformance import checks, xmlsafe
from conformance.servers import ReferenceServer
from conformance.servers.base import Request
from conformance.servers.bigfix import BigFixApp, FieldsError, FieldSpec, parse_fields
from conformance.servers.bigfix.fields import Index, leaf, parent
from tests.helpers import shared_dir

AUTH = ("conformance", "conformance")
CORPUS = shared_dir() / "corpus" / "bigfix"


@pytest.fixture
def app() -> BigFixApp:
    return BigFixApp()


@pytest.fixture
def url(app: BigFixApp) -> Iterator[str]:
    server = ReferenceServer(app)
    yield server.start()
    server.stop()


@pytest.fixture
def http(url: str) -> Iterator[requests.Session]:
    session = requests.Session()
    session.auth = AUTH
    session.trust_env = False
    yield session
    session.close()


def canonical(data: bytes) -> bytes:
    """Whitespace-free, with every Resource reduced to its path (the host is the server's)."""
    root = xmlsafe.parse(data)
    for element in root.iter():
        if element.text is not None and not element.text.strip():
            element.text = None
        element.tail = None
        if "Resource" in element.attrib:
            element.set("Resource", urlsplit(element.get("Resource", "")).path)
    return etree.tostring(root, method="c14n")


def corpus(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return path.read_bytes()


# -- the documented examples, reproduced ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "document"),
    [
        ("/api/action/44", "docs_GET_action_44_SingleAction.xml"),
        ("/api/action/41/download/3", "docs_GET_action_download_index_BES_wrapper.xml"),
        ("/api/action/44/downloads/retry", "docs_POST_action_downloads_retry.xml"),
        ("/api/action/44/download/1/retry", "docs_POST_action_download_1_retry.xml"),
    ],
)
def test_documented_answers_are_reproduced(
    http: requests.Session, url: str, path: str, document: str
) -> None:
    method = "POST" if path.endswith("retry") else "GET"
    response = http.request(method, url + path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml"
    assert canonical(response.content) == canonical(corpus(document))


def test_documented_download_list_is_reproduced(http: requests.Session, url: str) -> None:
    """The docs show two of action 41's downloads; the third is the single-download example."""
    ours = xmlsafe.parse(canonical(http.get(url + "/api/action/41/downloads").content))
    documented = xmlsafe.parse(canonical(corpus("docs_GET_action_downloads.xml")))
    results, expected = ours.find("ActionResults"), documented.find("ActionResults")
    assert results is not None and expected is not None
    assert results.get("Resource") == expected.get("Resource")
    assert [etree.tostring(item) for item in results][:2] == [
        etree.tostring(item) for item in expected
    ]
    assert len(results) == 3


def test_documented_list_is_reproduced_with_action_41(http: requests.Session, url: str) -> None:
    listed = xmlsafe.parse(http.get(url + "/api/actions").content)
    documented = xmlsafe.parse(corpus("docs_GET_actions_list.xml"))
    assert [a.findtext("ID") for a in listed] == ["41", "44", "45"]
    for ours, theirs in zip(listed[1:], documented, strict=True):
        assert ours.get("LastModified") == theirs.get("LastModified")
        assert ours.findtext("Name") == theirs.findtext("Name")


def test_documented_single_download_json_shape(http: requests.Session, url: str) -> None:
    ours = http.get(url + "/api/action/41/download/2", params={"output": "json"}).json()
    documented = json.loads(corpus("docs_GET_action_downloads_output_json.json"))
    assert set(ours) == set(documented)
    assert set(ours["Downloads"][0]) == set(documented["Downloads"][0])
    assert [d["DownloadRequestTarget"]["index"] for d in ours["Downloads"]] == [2]


# -- ?fields= grammar ---------------------------------------------------------------------


def test_fields_grammar_parses_the_documented_examples() -> None:
    assert parse_fields("Status,Computer") == (FieldSpec("Status"), FieldSpec("Computer"))
    assert parse_fields("Computer(Status,State,StartTime)") == (
        FieldSpec(
            "Computer", children=(FieldSpec("Status"), FieldSpec("State"), FieldSpec("StartTime"))
        ),
    )
    assert parse_fields("Computer<ID=11111&Name=a b>,Computer(Status)") == (
        FieldSpec("Computer", attributes=(("ID", "11111"), ("Name", "a b"))),
        FieldSpec("Computer", children=(FieldSpec("Status"),)),
    )


@pytest.mark.parametrize(
    "text", ["", ",", "Computer(", "Computer()", "Computer<ID>", "Computer<=1>", "A)B", "A<ID=1"]
)
def test_fields_grammar_refuses_malformed_filters(text: str) -> None:
    with pytest.raises(FieldsError):
        parse_fields(text)


def test_malformed_filter_answers_400_text(http: requests.Session, url: str) -> None:
    response = http.get(url + "/api/action/45/status", params={"fields": "Computer(Status"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain"
    assert "fields" in response.text


def test_documented_filter_combines_attribute_and_children(
    http: requests.Session, url: str
) -> None:
    response = http.get(
        url + "/api/action/45/status",
        params={"fields": "Computer<ID=11111>,Computer(Status,StartTime)"},
    )
    results = xmlsafe.parse(response.content).find("ActionResults")
    assert results is not None
    assert [c.get("ID") for c in results] == ["11111"]
    assert [child.tag for child in results[0]] == ["Status", "StartTime"]


STATUS_FILTERS = [
    "Status,Computer",
    "Computer(Status,State,StartTime)",
    "Computer<ID=11111>,Computer(Status,StartTime)",
    "Computer<ID=13863358>(ExitCode,EndTime),Computer<Name=WIN10-LAB-01>",
    "Computer<ID=11111&Name=WIN10-LAB-01>(State(IsError)),ActionID",
    "computer(status),STATUS",
    "Computer(NoSuchField),DateIssued",
    "Computer<ID=999999999>",
    "Computer<Name=WIN10-LAB-01&ID=1>,Status",
    "NoSuch<ID=11111>,Computer<ID=11111>(Status)",
    "COMPUTER<ID=11111>,ActionID",
]
FILTER_FAULTS = [
    {},
    {"fault": "fields-case-insensitive"},
    {"fault": "fields-predicate-ignored"},
    {"fault": "fields-children-ignored"},
    {"fault": "fields-drops-all"},
    {"variant": "fields-merge"},
]


def _status_results(app: BigFixApp, fields: str | None) -> etree._Element:
    query = {} if fields is None else {"fields": [fields]}
    header = {"Authorization": "Basic " + base64.b64encode(b"conformance:conformance").decode()}
    reply = app.dispatch(Request("GET", "/api/action/45/status", query, header, b""))
    assert reply.status == 200, reply.body
    results = xmlsafe.parse(reply.encoded()).find("ActionResults")
    assert results is not None
    return results


@pytest.mark.parametrize("options", FILTER_FAULTS, ids=lambda o: next(iter(o.values()), "none"))
def test_status_filter_written_from_fragments_is_the_tree_filter(options: dict[str, str]) -> None:
    """The status answers ?fields= by joining pre-written fragments; the document it writes is
    the one the tree filter (``FieldsFilter.keep``, which the list still uses) makes of the
    unfiltered status, with each fault and variant of the filter."""
    app = BigFixApp(**options)  # type: ignore[arg-type]
    unfiltered = _status_results(app, None)
    for text in STATUS_FILTERS:
        expected = app.fields_filter("ActionResults").keep(unfiltered, parse_fields(text))
        written = _status_results(app, text)
        canonical = [etree.tostring(e, method="c14n", exclusive=True) for e in (written, expected)]
        assert canonical[0] == canonical[1], text


def test_the_attribute_index_finds_every_child_with_a_value() -> None:
    """``Index.having``: a value most children have once, or several share (both kept)."""
    shared: dict[object, object] = {}
    rows = tuple(
        parent(
            "Computer",
            (("ID", str(at)), ("Name", "lab" if at % 2 else f"host-{at}")),
            (leaf("Status", "ok", shared),),
            shared,
        )
        for at in range(6)
    )
    results = parent("ActionResults", (), (leaf("ActionID", 45, shared), *rows), shared)
    index = Index()
    assert index.having(results, "Computer", "Name", "lab", False) == [2, 4, 6]
    assert index.having(results, "Computer", "Name", "host-2", False) == [3]
    assert index.having(results, "Computer", "ID", "4", False) == [5]
    assert index.having(results, "Computer", "ID", "9", False) == []
    assert index.having(results, "computer", "id", "4", True) == []  # names fold, keys do not


# -- POST /api/actions --------------------------------------------------------------------


def _action(target: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><BES><SingleAction><Title>t</Title>'
        "<Relevance>false</Relevance><ActionScript>// x</ActionScript>"
        f"<Target>{target}</Target></SingleAction></BES>"
    ).encode()


@pytest.mark.parametrize("kind", ["ComputerID", "ComputerName"])
@pytest.mark.parametrize(("count", "status"), [(10000, 200), (10001, 413)])
def test_target_list_limit(
    http: requests.Session, url: str, kind: str, count: int, status: int
) -> None:
    target = "".join(f"<{kind}>{index + 1}</{kind}>" for index in range(count))
    assert http.post(url + "/api/actions", data=_action(target)).status_code == status


def test_entities_are_refused_not_expanded(http: requests.Session, url: str) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE BES [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<BES><SingleAction><Title>&b;</Title><Relevance>false</Relevance>"
        b"<ActionScript>x</ActionScript></SingleAction></BES>"
    )
    response = http.post(url + "/api/actions", data=laughs)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain"


def test_secure_parameter_values_are_not_echoed(
    http: requests.Session, url: str, app: BigFixApp
) -> None:
    body = corpus("docs_POST_actions_SourcedFixletAction_Parameter_SecureParameter.xml")
    created = xmlsafe.parse(http.post(url + "/api/actions", data=body).content)
    action_id = created.findtext("./Action/ID")
    shown = http.get(f"{url}/api/action/{action_id}").content
    assert b"some value" not in shown
    assert b'<SecureParameter Name="secureParamName"/>' in shown
    assert b"123" in shown  # a plain Parameter is shown as posted


def test_created_action_downloads_come_from_its_prefetches(
    http: requests.Session, url: str
) -> None:
    body = corpus("docs_GET_action_44_SingleAction.xml")
    created = xmlsafe.parse(http.post(url + "/api/actions", data=body).content)
    action_id = created.findtext("./Action/ID")
    downloads = xmlsafe.parse(http.get(f"{url}/api/action/{action_id}/downloads").content)
    urls = [element.text for element in downloads.iter("URL")]
    assert urls == [
        "http://software.bigfix.com/download/bes/90/BigFix-BES-Relay-9.0.586.0.exe",
        "http://software.bigfix.com/download/bes/90/BigFix-BES-Client-9.0.586.0.exe",
    ]


# -- unknown actions and authentication --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("DELETE", ""),
        ("GET", "/status"),
        ("POST", "/stop"),
        ("GET", "/downloads"),
        ("GET", "/download/1"),
        ("POST", "/downloads/retry"),
        ("POST", "/download/1/retry"),
    ],
)
def test_unknown_action_answers_404_with_an_empty_body(
    http: requests.Session, url: str, method: str, path: str
) -> None:
    response = http.request(method, f"{url}/api/action/424242{path}")
    assert (response.status_code, response.content) == (404, b"")


def test_every_route_asks_for_credentials(url: str) -> None:
    for method, path in [
        ("GET", "/api/login"),
        ("POST", "/api/actions"),
        ("DELETE", "/api/action/44"),
    ]:
        response = requests.request(method, url + path, timeout=10)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="BigFix Server"'


def test_seeded_answers_validate_against_our_schemas(http: requests.Session, url: str) -> None:
    for path, schema in [
        ("/api/actions", "bigfix/BESAPI.xsd"),
        ("/api/action/41", "bigfix/BES.xsd"),
        ("/api/action/45", "bigfix/BES.xsd"),
        ("/api/action/45/status", "bigfix/BESAPI.xsd"),
        ("/api/action/44/downloads", "bigfix/BESAPI.xsd"),
        ("/api/action/41/download/3", "bigfix/BES.xsd"),
    ]:
        root = xmlsafe.parse(http.get(url + path).content)
        assert checks.xml_schema(schema).validate(root), (path, checks.xml_schema(schema).error_log)


def test_seed_file_is_the_documented_state() -> None:
    seed = json.loads(
        (Path(__file__).parents[1] / "conformance/servers/data/bigfix/seed.json").read_text()
    )
    assert [action["id"] for action in seed["actions"]] == [41, 44, 45]


# -- what real clients send (corpus bodies, every Content-Type they use) ----------------------

ACTION_KINDS = ("SingleAction", "SourcedFixletAction", "MultipleActionGroup")
# NOTES.md: "The server ignores the request Content-Type for XML bodies (clients send text/xml,
# form-urlencoded or none)". Splunk SOAR sends text/xml; Cortex XSOAR sends none.
CLIENT_CONTENT_TYPES = {
    "text/xml": "text/xml",
    "none": None,
    "application/xml": "application/xml",
    "form-urlencoded": "application/x-www-form-urlencoded",
}


def _request_bodies() -> list[str]:
    """The corpus action documents our BES.xsd accepts (tests/test_bigfix_schemas.py CORPUS)."""
    from tests.test_bigfix_schemas import ACCEPT
    from tests.test_bigfix_schemas import CORPUS as VERDICTS

    names = []
    for name, case in sorted(VERDICTS.items()):
        path = CORPUS / name
        if case.verdict != ACCEPT or case.json_schema or not path.is_file():
            continue
        root = xmlsafe.parse(path.read_bytes())
        if root.tag == "BES" and len(root) == 1 and root[0].tag in ACTION_KINDS:
            names.append(name)
    return names


REQUEST_BODIES = _request_bodies()


def test_the_real_clients_bodies_are_in_the_request_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    for client in ("splunksoar_", "xsoar_"):
        assert any(name.startswith(client) for name in REQUEST_BODIES), client
    assert "splunksoar_run_action_body_no_target.xml" in REQUEST_BODIES


@pytest.mark.parametrize(
    "content_type", CLIENT_CONTENT_TYPES.values(), ids=list(CLIENT_CONTENT_TYPES)
)
@pytest.mark.parametrize("name", REQUEST_BODIES)
def test_every_valid_corpus_request_body_is_accepted(
    http: requests.Session, url: str, name: str, content_type: str | None
) -> None:
    body = corpus(name)
    headers = {"Content-Type": content_type} if content_type else {}
    if content_type is None:
        http.headers.pop("Content-Type", None)
    response = http.post(url + "/api/actions", data=body, headers=headers)
    assert response.status_code == 200, response.text
    created = xmlsafe.parse(response.content).find("Action/ID")
    assert created is not None and created.text
    stored = http.get(f"{url}/api/action/{created.text}")
    assert stored.status_code == 200
    assert xmlsafe.parse(stored.content)[0].tag == xmlsafe.parse(body)[0].tag


def test_error_wording_variant_words_a_400_otherwise() -> None:
    with ReferenceServer(BigFixApp(variant="error-wording")) as server:
        refused = requests.post(server.url + "/api/actions", data=b"<BES", auth=AUTH, timeout=10)
    assert refused.status_code == 400 and refused.headers["Content-Type"].startswith("text/plain")
    assert refused.text.startswith("HTTP 400 Bad Request\r\n") and "not valid XML" in refused.text


def test_computers_reversed_variant_lists_the_same_computers_reversed() -> None:
    def names(app: BigFixApp) -> list[str]:
        with ReferenceServer(app) as server:
            status = requests.get(server.url + "/api/action/45/status", auth=AUTH, timeout=10)
        return [c.get("Name") for c in etree.fromstring(status.content).iter("Computer")]

    plain, varied = names(BigFixApp()), names(BigFixApp(variant="computers-reversed"))
    assert len(plain) > 1 and varied == plain[::-1]

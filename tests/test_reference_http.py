"""The HTTP behaviour every bundled server shares (servers/base.py): 405 with Allow, TRACE and
QUERY routed like any method, OPTIONS answered with Allow, a documented base path."""

from __future__ import annotations

import json

import requests
from lxml import etree

from conformance.servers.base import ReferenceApp, ReferenceServer, Reply, Request, route


class TinyApp(ReferenceApp):
    API = "tiny"

    @route("GET", r"/things/(?P<uid>[^/]+)")
    def get_thing(self, request: Request, uid: str) -> Reply:
        return Reply(200, uid, "text/plain")

    @route("DELETE", r"/things/(?P<uid>[^/]+)")
    def delete_thing(self, request: Request, uid: str) -> Reply:
        return Reply(200, "ok", "text/plain")


class PrefixedApp(TinyApp):
    BASE_PATH = "/api/v1"


def test_an_unrouted_method_is_405_with_allow() -> None:
    with ReferenceServer(TinyApp()) as server:
        for method in ("POST", "PUT", "PATCH", "TRACE", "QUERY"):
            response = requests.request(method, server.url + "/things/1", timeout=5)
            assert response.status_code == 405, method
            assert response.headers["Allow"] == "DELETE, GET, OPTIONS"


def test_options_lists_the_routed_methods() -> None:
    with ReferenceServer(TinyApp()) as server:
        response = requests.options(server.url + "/things/1", timeout=5)
        assert response.status_code == 204
        assert response.headers["Allow"] == "DELETE, GET, OPTIONS"
        assert requests.options(server.url + "/nothing", timeout=5).status_code == 404


def test_a_method_nobody_defines_is_501() -> None:
    with ReferenceServer(TinyApp()) as server:
        assert requests.request("BREW", server.url + "/things/1", timeout=5).status_code == 501


def test_a_base_path_prefixes_every_route_and_the_url() -> None:
    with ReferenceServer(PrefixedApp()) as server:
        assert server.url.endswith(f":{server.httpd.server_address[1]}/api/v1")
        assert requests.get(server.url + "/things/7", timeout=5).text == "7"
        origin = server.url.removesuffix("/api/v1")
        assert requests.get(origin + "/things/7", timeout=5).status_code == 404


class DocumentApp(TinyApp):
    """Answers the same document as JSON and as XML, for the body-level variants."""

    @route("GET", r"/doc\.json")
    def json_doc(self, request: Request) -> Reply:
        return Reply(200, json.dumps({"a": 1, "b": [1, 2], "c": {"d": "e"}}), "application/json")

    @route("GET", r"/doc\.xml")
    def xml_doc(self, request: Request) -> Reply:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<BESAPI xmlns:xsi="http://www.w3.org/2001/'
            'XMLSchema-instance" xsi:noNamespaceSchemaLocation="BESAPI.xsd"><Action '
            'Resource="r" LastModified="m"><Name>a &amp; b</Name><ID>1</ID></Action></BESAPI>'
        )
        return Reply(200, body, "application/xml")


def _get(variant: str | None, path: str) -> requests.Response:
    with ReferenceServer(DocumentApp(variant=variant)) as server:
        return requests.get(server.url + path, timeout=5)


def test_json_layout_changes_bytes_not_the_document() -> None:
    plain, varied = _get(None, "/doc.json"), _get("json-layout", "/doc.json")
    assert varied.content != plain.content and b"\t" in varied.content
    assert varied.json() == plain.json()
    assert list(varied.json()) == ["c", "b", "a"]


def test_xml_layout_changes_bytes_not_the_infoset() -> None:
    plain, varied = _get(None, "/doc.xml"), _get("xml-layout", "/doc.xml")
    assert b"<![CDATA[a & b]]>" in varied.content and b"xmlns:inst=" in varied.content
    assert b'LastModified="m" Resource="r"' in varied.content

    def infoset(content: bytes) -> list[tuple[object, ...]]:
        root = etree.fromstring(content)
        return [(e.tag, sorted(e.attrib.items()), (e.text or "").strip()) for e in root.iter()]

    assert infoset(varied.content) == infoset(plain.content)


def test_xml_without_declaration_starts_at_the_root() -> None:
    plain, varied = _get(None, "/doc.xml"), _get("xml-no-declaration", "/doc.xml")
    assert plain.content.startswith(b"<?xml") and varied.content.startswith(b"<BESAPI ")
    assert etree.tostring(etree.fromstring(varied.content)) == etree.tostring(
        etree.fromstring(plain.content)
    )


def test_header_variants() -> None:
    cased = _get("content-type-case", "/doc.json")
    assert cased.headers["Content-Type"] == "Application/JSON"
    cached = _get("cache-headers", "/doc.json")
    assert cached.headers["ETag"].startswith('"') and cached.headers["Cache-Control"] == "no-cache"
    assert cached.headers["Last-Modified"].endswith("GMT")
    with (
        ReferenceServer(DocumentApp(variant="connection-close")) as server,
        requests.Session() as s,
    ):
        first = s.get(server.url + "/doc.json", timeout=5)
        assert first.headers["Connection"] == "close"
        assert s.get(server.url + "/doc.json", timeout=5).json() == first.json()  # reconnects

"""The HTTP behaviour every bundled server shares (servers/base.py): 405 with Allow, TRACE and
QUERY routed like any method, OPTIONS answered with Allow, a documented base path."""

from __future__ import annotations

import requests

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

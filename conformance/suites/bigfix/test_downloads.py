"""Downloads of an action: the list, one download, both retries, in XML and JSON.

The action comes from the server's own list (``{download_action_id}``: one with downloads, a
COMPLETED download preferred). Reads are read-only; the retries are POSTs, so they run only with
mutations allowed, and only on a download that has not failed, where a retry changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from lxml import etree

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.outcomes import untested
from conformance.suites.context import Context

requirement = pytest.mark.requirement


def _downloads(bigfix: ApiClient, action_id: str) -> tuple[Response, etree._Element]:
    response = bigfix.request("GET", f"/api/action/{action_id}/downloads")
    checks.expect_status(response, 200)
    return response, checks.parse_xml(response)


def _targets(root: etree._Element) -> dict[str, dict[str, Any]]:
    """Index -> the stable facts of each download (URL, hashes, size, retry limit)."""
    found: dict[str, dict[str, Any]] = {}
    for item in root.iter("ActionDownload"):
        target = item.find("DownloadRequestTarget")
        if target is None:
            continue
        found[(target.findtext("Index") or "").strip()] = {
            "action": (target.findtext("ActionID") or "").strip(),
            "url": (target.findtext("URL") or "").strip(),
            "hashes": sorted((h.text or "").strip().lower() for h in target.findall("Hashes")),
            "size": (target.findtext("Size") or "").strip(),
            "retry_limit": (item.findtext("RetryLimit") or "").strip(),
        }
    return found


@requirement("BIGFIX-DOWNLOADS-GET-SCHEMA")
def test_download_list_is_one_action_results(bigfix: ApiClient, bigfix_context: Context) -> None:
    action_id = bigfix_context["download_action_id"]
    response = bigfix.request("GET", f"/api/action/{action_id}/downloads")
    checks.expect_status(response, 200)
    root = checks.parse_xml(response)  # root, children and XSD: judged against the spec
    inner = {child.tag for child in root.iterfind("./ActionResults/*")}
    checks.expect(
        inner <= {"ActionDownload"},
        f"the download list's ActionResults holds {sorted(inner)}, not only ActionDownload",
        response,
    )


@requirement("BIGFIX-DOWNLOADS-GET-ACTIONID")
def test_download_list_names_the_action(bigfix: ApiClient, bigfix_context: Context) -> None:
    action_id = bigfix_context["download_action_id"]
    response, root = _downloads(bigfix, action_id)
    results = root.find("./ActionResults")
    if results is not None:  # its absence is BIGFIX-DOWNLOADS-GET-SCHEMA's business
        resource = results.get("Resource", "")
        checks.expect(
            re.search(rf"(^|/)api/action/{action_id}/downloads$", resource) is not None,
            f"Resource {resource!r} does not end in /api/action/{action_id}/downloads",
            response,
        )
    for index, facts in _targets(root).items():
        checks.expect(
            facts["action"] == action_id,
            f"download {index} says ActionID {facts['action']!r}, asked for {action_id}",
            response,
        )


def _json_targets(document: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in document.get("Downloads", []):
        target = item.get("DownloadRequestTarget", {})
        found[str(target.get("index"))] = {
            "url": target.get("url"),
            "hashes": sorted(str(h.get("value", "")).lower() for h in target.get("hashes", [])),
            "size": target.get("size"),
            "retry_limit": item.get("RetryLimit"),
        }
    return found


@requirement("BIGFIX-DOWNLOADS-GET-JSON-SAME")
def test_json_lists_the_same_downloads(bigfix: ApiClient, bigfix_context: Context) -> None:
    action_id = bigfix_context["download_action_id"]
    _, root = _downloads(bigfix, action_id)
    response = bigfix.request(
        "GET", f"/api/action/{action_id}/downloads", params={"output": "json"}
    )
    checks.expect_status(response, 200)
    try:
        document = response.json()
    except ValueError:
        untested("the JSON form is not JSON; see BIGFIX-DOWNLOADS-GET-JSON")
    xml, json = _targets(root), _json_targets(document if isinstance(document, dict) else {})
    checks.expect(
        sorted(xml) == sorted(json),
        f"XML lists download indexes {sorted(xml)}, JSON lists {sorted(json)}",
        response,
    )
    for index, facts in xml.items():
        other = json[index]
        for key in ("url", "hashes", "retry_limit"):
            value = facts[key] if key != "retry_limit" else int(facts[key] or -1)
            checks.expect(
                other[key] == value,
                f"download {index}: XML {key} {value!r}, JSON {other[key]!r}",
                response,
            )
        if other["size"] is not None:  # the documented JSON example shows size null
            checks.expect(
                str(other["size"]) == facts["size"],
                f"download {index}: XML Size {facts['size']}, JSON size {other['size']}",
                response,
            )


@requirement("BIGFIX-DOWNLOAD-GET-MATCHES")
def test_single_download_is_the_listed_one(bigfix: ApiClient, bigfix_context: Context) -> None:
    action_id = bigfix_context["download_action_id"]
    _, root = _downloads(bigfix, action_id)
    listed = _targets(root)
    for index in list(listed)[:5]:
        response = bigfix.request("GET", f"/api/action/{action_id}/download/{index}")
        checks.expect_status(response, 200)
        single = _targets(checks.parse_xml(response))
        expected = {index: {**listed[index], "action": action_id}}
        checks.expect(
            single == expected,
            f"download/{index} shows {single}, expected {expected} (the list's entry)",
            response,
        )


def _retry_schema(bigfix: ApiClient, path: str) -> None:
    response = bigfix.request("POST", path)
    checks.expect_status(response, 200)
    root = checks.parse_xml(response)  # root, children and XSD: judged against the spec
    retries = root.findall("./RetryDownload")
    if not retries:
        pytest.skip("no <RetryDownload> (judged against the spec)")
    value = retries[0].find("Response")
    checks.expect(
        value is not None and bool((value.get("Value") or "").strip()),
        "RetryDownload/Response has no Value message",
        response,
    )
    resource = retries[0].get("Resource") or ""
    checks.expect(
        resource.endswith(path),
        f"RetryDownload Resource {resource!r} does not end in {path}",
        response,
    )


@requirement("BIGFIX-DOWNLOADS-RETRY-POST-SCHEMA")
def test_retry_all_answers_one_retry_download(bigfix: ApiClient, bigfix_context: Context) -> None:
    _retry_schema(bigfix, f"/api/action/{bigfix_context['download_action_id']}/downloads/retry")


@requirement("BIGFIX-DOWNLOAD-RETRY-POST-SCHEMA")
def test_retry_one_answers_one_retry_download(bigfix: ApiClient, bigfix_context: Context) -> None:
    action_id, index = bigfix_context["download_action_id"], bigfix_context["download_index"]
    _retry_schema(bigfix, f"/api/action/{action_id}/download/{index}/retry")

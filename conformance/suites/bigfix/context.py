"""Values BigFix case paths may name, discovered read-only on first use (or skipped).

``{action_id}`` the first listed action; ``{missing_action_id}`` one that does not exist;
``{status_action_id}`` a listed action whose status shows computers (else the first);
``{download_action_id}`` and ``{download_index}`` a listed action with downloads and one of its
downloads (a COMPLETED one when there is one: retrying it changes nothing);
``{missing_download_index}`` an index that action does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from lxml import etree

from conformance import checks, schemas
from conformance.http import ApiClient, Response
from conformance.outcomes import untested
from conformance.suites.bigfix import fields as filters
from conformance.suites.context import Context

DEFAULT_MISSING_ACTION_ID = "999999999"
SCAN_LIMIT = 20  # listed actions inspected when looking for one with computers or downloads
RESULTS = ("*", "ActionResults")  # where a status lists its computers (what a filter keeps)


def listed_action_ids(client: ApiClient) -> list[str]:
    """IDs from GET /api/actions, in document order (skips if the list is unusable)."""
    response = client.request("GET", "/api/actions")
    if response.status != 200:
        untested(f"GET /api/actions answered {response.status}; no action to use")
    try:
        root = checks.parse_xml(response)
    except checks.CheckFailure:
        untested("GET /api/actions did not return XML; no action to use")
    return [element.text.strip() for element in root.iterfind("./Action/ID") if element.text]


def _xml(client: ApiClient, path: str) -> etree._Element | None:
    response = client.request("GET", path)
    if response.status != 200:
        return None
    try:
        return checks.parse_xml(response)
    except checks.CheckFailure:
        return None


def _shows_computers(response: Response) -> bool:
    """Whether the status lists a Computer (read as a stream, up to the first one)."""
    read = read_status(response)
    if read is not None:
        return any(child.tag == "Computer" for child in read.document.children)
    try:
        return any(child.tag == "Computer" for child in checks.XmlChildren(response, RESULTS))
    except checks.CheckFailure:
        return False


@dataclass(frozen=True)
class StatusData:
    """A status's ActionResults read as data while the spec judge found the body clean."""

    attrib: tuple[tuple[str, str], ...]  # ActionResults' attributes
    document: filters.Document  # its element children


_READ = "bigfix-status-read"  # where a status read as data is kept (``Response.cache``)


def request_status(client: ApiClient, path: str, params: dict[str, str] | None = None) -> Response:
    """GET a status; a large one is read into data (``filters.Document``) while the spec
    judge validates it as a stream (one pass: ``schemas.reading``), kept with the response
    (``read_status``)."""
    document = filters.Document()
    with schemas.reading(RESULTS, document.add) as visit:
        response = client.request("GET", path, params=params)
    if visit.done and visit.found:
        response.cache[_READ] = StatusData(visit.attrib, document)
    return response


def read_status(response: Response) -> StatusData | None:
    """What ``request_status`` read while the body was judged clean (None: it was not read
    then: a small body, not clean, judged before, or without ActionResults; whoever needs it
    reads the body)."""
    found: StatusData | None = response.cache.get(_READ)
    return found


def download_indexes(root: etree._Element | None) -> list[tuple[str, str]]:
    """(Index, State) of every ActionDownload in a downloads answer."""
    if root is None:
        return []
    return [
        (
            (item.findtext("DownloadRequestTarget/Index") or "").strip(),
            (item.findtext("Status/State") or "").strip(),
        )
        for item in root.iter("ActionDownload")
    ]


def make_context(client: ApiClient, fixtures: dict[str, Any]) -> Context:
    @cache
    def numeric_ids() -> tuple[str, ...]:
        return tuple(value for value in listed_action_ids(client) if value.isdigit())

    def action_id() -> str:
        if not numeric_ids():
            untested("the server lists no action with a numeric ID to read")
        return numeric_ids()[0]

    def missing_action_id() -> str:
        if "missing_action_id" in fixtures:
            return str(fixtures["missing_action_id"])
        if DEFAULT_MISSING_ACTION_ID in listed_action_ids(client):
            pytest.skip("action 999999999 exists; set [fixtures] missing_action_id")
        return DEFAULT_MISSING_ACTION_ID

    def status_action_id() -> str:
        for identifier in numeric_ids()[:SCAN_LIMIT]:
            path = f"/api/action/{identifier}/status"
            response = request_status(client, path)
            if response.status == 200 and _shows_computers(response):
                # Kept for the status tests, which read this very status: a 100000-computer
                # one is not fetched and validated again.
                context.kept[path] = response
                return identifier
        return action_id()

    @cache
    def with_downloads() -> tuple[str, str]:
        fallback: tuple[str, str] | None = None
        for identifier in numeric_ids()[:SCAN_LIMIT]:
            downloads = download_indexes(_xml(client, f"/api/action/{identifier}/downloads"))
            completed = [index for index, state in downloads if state == "COMPLETED"]
            if completed and completed[0].isdigit():
                return identifier, completed[0]
            if downloads and downloads[0][0].isdigit() and fallback is None:
                fallback = identifier, downloads[0][0]
        if fallback is None:
            untested(f"none of the first {SCAN_LIMIT} listed actions has downloads")
        return fallback

    def missing_download_index() -> str:
        identifier = with_downloads()[0]
        root = _xml(client, f"/api/action/{identifier}/downloads")
        indexes = [int(index) for index, _ in download_indexes(root) if index.isdigit()]
        return str(max(indexes, default=0) + 1000)

    context = Context(
        {
            "action_id": action_id,
            "missing_action_id": missing_action_id,
            "status_action_id": status_action_id,
            "download_action_id": lambda: with_downloads()[0],
            "download_index": lambda: with_downloads()[1],
            "missing_download_index": missing_download_index,
        }
    )
    return context

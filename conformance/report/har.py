"""exchanges.har: every exchange of a run as HAR 1.2, redacted, each entry naming its requirements.

Each process of a run (the controller and every xdist worker) appends its exchanges, one HAR
entry per line, to a file of its own in the report directory (``.exchanges-<worker>.jsonl``); the
report writer merges them into ``exchanges.har`` in the order they were sent. Bodies are kept up
to ``BODY_CHARS`` characters each; a longer one is cut and the entry's ``comment`` says so. The
non-standard fields start with an underscore, as HAR 1.2 asks: ``_requirements`` (the catalogue
IDs of the test that sent it and those the spec judge judged on it), ``_judged`` (the latter
alone), ``_test`` (its pytest node ID), ``_error`` (no usable response).
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.http import Exchange
from conformance.redact import Redactor

BODY_CHARS = 256 * 1024
PARTS_GLOB = ".exchanges-*.jsonl"
HAR_NAME = "exchanges.har"


class HarRecorder:
    """Appends one HAR entry per exchange to this process's part file."""

    def __init__(self, path: Path, redactor: Redactor) -> None:
        self.path = path
        self.redactor = redactor
        self.requirements: list[str] = []
        self.test: str | None = None
        self._lock = threading.Lock()

    def attribute(self, requirements: list[str], test: str | None) -> None:
        """Name the requirements (and test) the exchanges from now on belong to."""
        self.requirements, self.test = list(requirements), test

    def record(self, exchange: Exchange, content: bytes | None, error: str | None = None) -> None:
        entry = har_entry(exchange, content, self.redactor)
        # The test's own requirements, and those the spec judge judged on this exchange.
        entry["_requirements"] = list(dict.fromkeys([*self.requirements, *exchange.judged]))
        if exchange.judged:
            entry["_judged"] = list(exchange.judged)
        entry["_test"] = self.test
        if error is not None:
            entry["_error"] = self.redactor.text(error)
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as stream:
            stream.write(line)


def _pairs(headers: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers.items()]


def _header(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _content(data: bytes, redactor: Redactor) -> tuple[dict[str, Any], bool]:
    """HAR ``content`` text of a body (base64 if not UTF-8), redacted; and whether it was cut."""
    cut = len(data) > BODY_CHARS
    head = data[:BODY_CHARS]
    try:
        return {"text": redactor.text(head.decode("utf-8"))}, cut
    except UnicodeDecodeError:
        # latin-1 maps bytes to characters one to one: redact, then back to the same bytes.
        clean = redactor.text(head.decode("latin-1")).encode("latin-1", "replace")
        return {"text": base64.b64encode(clean).decode("ascii"), "encoding": "base64"}, cut


def _started(exchange: Exchange) -> str:
    moment = datetime.fromtimestamp(exchange.started or 0.0, UTC)
    return moment.isoformat(timespec="milliseconds")


def har_entry(exchange: Exchange, content: bytes | None, redactor: Redactor) -> dict[str, Any]:
    """One HAR 1.2 ``entry`` for an exchange (``content`` None: no usable response)."""
    comments: list[str] = []
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(exchange.request_headers),
        "queryString": [
            {"name": name, "value": value}
            for name, value in parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": exchange.request_size,
    }
    if exchange.request_size:
        text = exchange.request_text
        if text is None:
            text = exchange.request_body
            comments.append(f"request body cut: {exchange.request_size} bytes in all")
        request["postData"] = {
            "mimeType": _header(exchange.request_headers, "content-type"),
            "params": [],
            "text": text,
        }
    status = exchange.status or 0
    body = content or b""
    shown, cut = _content(body, redactor)
    if cut:
        comments.append(f"response body cut: {len(body)} bytes in all")
    try:
        status_text = HTTPStatus(status).phrase if status else ""
    except ValueError:
        status_text = ""
    response = {
        "status": status,
        "statusText": status_text,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(exchange.response_headers),
        "content": {
            "size": len(body),
            "mimeType": _header(exchange.response_headers, "content-type"),
            **shown,
        },
        "redirectURL": _header(exchange.response_headers, "location"),
        "headersSize": -1,
        "bodySize": len(body) if content is not None else -1,
    }
    milliseconds = round(exchange.elapsed * 1000, 3)
    comments += exchange.notes
    entry: dict[str, Any] = {
        "startedDateTime": _started(exchange),
        "time": milliseconds,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": milliseconds, "receive": 0},
    }
    if comments:
        entry["comment"] = "; ".join(comments)
    return entry


def collect_har(directory: Path, tool_version: str) -> dict[str, Any]:
    """The HAR document of every part file in ``directory``, entries in the order sent."""
    entries: list[dict[str, Any]] = []
    for part in sorted(directory.glob(PARTS_GLOB)):
        for line in part.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a killed worker
    entries.sort(key=lambda entry: str(entry.get("startedDateTime", "")))
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "actionconform", "version": tool_version},
            "entries": entries,
        }
    }


def remove_parts(directory: Path, pattern: str = PARTS_GLOB) -> None:
    """Remove part files (all, or those matching ``pattern``): a run starts with none of its
    own, so a report directory used again never mixes in an earlier run's exchanges."""
    for part in directory.glob(pattern):
        part.unlink(missing_ok=True)

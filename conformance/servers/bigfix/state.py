"""What the BigFix server keeps: actions, their downloads, and the seed they start from."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from lxml import etree

from conformance import xmlsafe
from conformance.memo import BoundedMemo
from conformance.paths import SCHEMAS_DIR
from conformance.servers.bigfix.fields import Fragment, Index, shapes_of
from conformance.servers.bigfix.render import parse_http_date

PREFETCH = re.compile(
    r"^\s*prefetch\s+\S+\s+sha1:(?P<sha1>[0-9A-Fa-f]{40})\s+size:(?P<size>\d+)\s+"
    r"(?P<url>https?://\S+)",
    re.MULTILINE,
)


@dataclass
class Download:
    """One prefetch of an action, as the server's download cache sees it."""

    index: int
    sha1: str
    size: int
    url: str
    timestamp: datetime
    state: str = "COMPLETED"
    retry_count: int = 0
    retry_limit: int = 5


@dataclass
class StoredAction:
    """One action the server knows: its BES document as stored, status and results."""

    id: int
    document: bytes
    title: str
    last_modified: datetime
    issued: datetime
    status: str = "Open"
    computers: list[dict[str, Any]] = field(default_factory=list)
    downloads: list[Download] = field(default_factory=list)
    seeded: bool = False
    # The rendered <Computer> rows, by "with <State>": computers change only when seeded.
    rendered_computers: dict[bool, Rows] = field(default_factory=dict, repr=False, compare=False)
    # The last status document as fragments, and its filtered answers (a cache, not state).
    status_cache: StatusCache | None = field(default=None, repr=False, compare=False)


class Rows(NamedTuple):
    """An action's ``<Computer>`` rows, made once (when seeded, for a large seed): written,
    as fragments, and the fragments' shapes, so that the first status read of 100000
    computers does not walk them again."""

    xml: str
    fragments: tuple[Fragment, ...]
    shapes: tuple[Any, ...]

    @classmethod
    def of(cls, fragments: tuple[Fragment, ...]) -> Rows:
        return cls("".join(row.xml for row in fragments), fragments, shapes_of(fragments))


@dataclass
class StatusCache:
    """One rendered status document as fragments (the rows written once, no tree), and its
    answers (encoded) by ``?fields=`` value: each filter of a 100000-computer status is
    written by joining the fragments it keeps, and an answer already written is sent again
    as it is. ``key`` is what the document was written from (a changed one is written
    again)."""

    KEPT = 16  # filtered answers kept (the oldest goes first) ...
    KEPT_BYTES = 128 << 20  # ... and at most this many bytes of them

    key: tuple[Any, ...]
    fragment: Fragment
    answers: dict[str | None, bytes] = field(default_factory=dict)
    index: Index = field(default_factory=Index)  # where the fragment's children are

    def remember(self, fields: str | None, answer: bytes) -> None:
        self.answers[fields] = answer
        filtered = [key for key in self.answers if key is not None]
        size = sum(len(self.answers[key]) for key in filtered)
        while filtered and (len(filtered) > self.KEPT or size > self.KEPT_BYTES):
            oldest = filtered.pop(0)
            size -= len(self.answers.pop(oldest))


def data(name: str) -> bytes:
    return resources.files("conformance.servers").joinpath(f"data/bigfix/{name}").read_bytes()


SCHEMA_LOCK = threading.Lock()  # an lxml XMLSchema is not safe to share between threads


@cache
def bes_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS_DIR / "bigfix" / "BES.xsd")))


_BES_VERDICTS: BoundedMemo[bytes, str | None] = BoundedMemo(4096)


def bes_problem(root: etree._Element, body: bytes | None = None) -> str | None:
    """Why ``root`` is not a valid BES document (None: it is). With ``body``, the bytes
    ``root`` was parsed from, the verdict is kept per process: clients (the suite's runs, one
    after another in a test process) post the same bodies again, up to 10000 targets long."""

    def judge() -> str | None:
        with SCHEMA_LOCK:
            schema = bes_schema()
            if schema.validate(root):
                return None
            error = schema.error_log.last_error
            return f"The BES document is not valid: line {error.line}: {error.message}"

    if body is None:
        return judge()
    return _BES_VERDICTS.remember(hashlib.sha256(body).digest(), judge)


def title_of(root: etree._Element) -> str:
    action = root[0]
    title = action.findtext("Title")
    if title:
        return title
    fixlet = action.findtext("SourceFixlet/FixletID") or "?"
    return f"Sourced action of Fixlet {fixlet}"


def downloads_of(root: etree._Element, issued: datetime) -> list[Download]:
    scripts = "\n".join(script.text or "" for script in root.iter("ActionScript"))
    return [
        Download(index, match["sha1"].lower(), int(match["size"]), match["url"], issued)
        for index, match in enumerate(PREFETCH.finditer(scripts), start=1)
    ]


def target_list_size(root: etree._Element) -> int:
    """The largest specific list (ComputerID or ComputerName entries) of any Target."""
    sizes = [int(target.xpath("count(ComputerID|ComputerName)")) for target in root.iter("Target")]
    return max(sizes, default=0)


def stored_document(root: etree._Element) -> bytes:
    """The document as GET returns it: SecureParameter values are never echoed."""
    for secure in root.iter("SecureParameter"):
        secure.text = None
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")


def seeded_actions() -> dict[int, StoredAction]:
    """The actions of ``data/bigfix/seed.json``, as the vendor page shows them."""
    actions: dict[int, StoredAction] = {}
    for record in json.loads(data("seed.json"))["actions"]:
        document = data(record["file"])
        root = xmlsafe.parse(document)
        issued = parse_http_date(record["issued"])
        action = StoredAction(
            id=record["id"],
            document=document,
            title=title_of(root),
            last_modified=issued,
            issued=issued,
            status=record["status"],
            computers=record["computers"],
            downloads=downloads_of(root, issued),
            seeded=True,
        )
        for download, moment in zip(action.downloads, record["download_times"], strict=True):
            download.timestamp = parse_http_date(moment)
        actions[action.id] = action
    return actions


def seed_computers(actions: dict[int, StoredAction], count: int) -> None:
    """Give the first seeded action that shows computers ``count`` of them (for benchmarks).

    Computer IDs and names stay unique; every row has the fields of the documented example.
    """
    action = next(action for action in actions.values() if action.computers)
    template = action.computers[0]
    action.computers = [
        {**template, "ID": 8000000 + index, "Name": f"host-{index:06d}"} for index in range(count)
    ]
    action.rendered_computers.clear()
    action.status_cache = None

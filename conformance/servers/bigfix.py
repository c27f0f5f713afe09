"""Reference server for the HCL BigFix REST API action resources.

State lives in ``BigFixApp.actions``; every documented route is a method below. Faults are in
``FAULTS``: one documented behaviour each, named after the requirement it breaks. POSTed XML is
parsed with ``conformance.xmlsafe`` (no DTD, no entities) and validated against our BES.xsd.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from conformance import xmlsafe
from conformance.paths import SCHEMAS_DIR
from conformance.servers.base import Fault, Handler, ReferenceApp, Reply, Request, route

XML = "application/xml"
JSON = "application/json"
TEXT = "text/plain"
REALM = 'Basic realm="BigFix Server"'
TARGET_LIST_LIMIT = 10000  # targetBySpecificListLimit
ACTION_KINDS = ("SingleAction", "SourcedFixletAction", "MultipleActionGroup")
NOT_FAILED = "That download has not failed."
BESAPI_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<BESAPI xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:noNamespaceSchemaLocation="BESAPI.xsd">\n'
)
BES_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<BES xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:noNamespaceSchemaLocation="BES.xsd">\n'
)
ACTION = r"/api/action/(?P<action_id>[^/]+)"
INDEX = r"(?P<index>[^/]+)"
PREFETCH = re.compile(
    r"^\s*prefetch\s+\S+\s+sha1:(?P<sha1>[0-9A-Fa-f]{40})\s+size:(?P<size>\d+)\s+"
    r"(?P<url>https?://\S+)",
    re.MULTILINE,
)


def _faults(*faults: Fault) -> dict[str, Fault]:
    return {fault.name: fault for fault in faults}


FAULTS: dict[str, Fault] = _faults(
    # -- authentication
    Fault("no-auth", "BIGFIX-AUTH-401", "answers requests that carry no credentials"),
    Fault("any-password", "BIGFIX-AUTH-401", "accepts any password for the right user name"),
    Fault("no-realm", "BIGFIX-AUTH-REALM", 'a 401 challenges with realm "Restricted"'),
    Fault("login-missing", "BIGFIX-LOGIN-GET-200", "GET /api/login answers 404"),
    # -- GET /api/actions
    Fault(
        "list-content-type",
        "BIGFIX-ACTIONS-GET-XML",
        "GET /api/actions labels its XML body application/json",
    ),
    Fault(
        "list-bad-id",
        "BIGFIX-ACTIONS-GET-SCHEMA",
        "an Action's ID is not an integer (its Resource agrees)",
        # the filtered schema types ID too; a created action is found by its listed ID
        also_fails=("BIGFIX-ACTIONS-GET-FIELDS", "BIGFIX-ACTIONS-GET-LISTED"),
    ),
    Fault(
        "list-iso-time",
        "BIGFIX-ACTIONS-GET-LASTMODIFIED",
        "LastModified is ISO 8601 instead of RFC 1123 with a numeric offset",
        # BESAPI.xsd and the filtered schema type LastModified too
        also_fails=("BIGFIX-ACTIONS-GET-SCHEMA", "BIGFIX-ACTIONS-GET-FIELDS"),
    ),
    Fault(
        "list-wrong-resource",
        "BIGFIX-ACTIONS-GET-RESOURCE",
        "an Action's Resource does not point at /api/action/{its ID}",
    ),
    Fault("list-omits-created", "BIGFIX-ACTIONS-GET-LISTED", "created actions are not listed"),
    Fault("list-fields-ignored", "BIGFIX-ACTIONS-GET-FIELDS", "the list ignores ?fields="),
    Fault(
        "fields-case-insensitive",
        "BIGFIX-STATUS-GET-FIELDS",
        "?fields= names match whatever their case",
        also_fails=("BIGFIX-ACTIONS-GET-FIELDS",),  # one filter serves both resources
    ),
    # -- POST /api/actions
    Fault("create-201", "BIGFIX-ACTIONS-POST-200", "a created action answers 201"),
    Fault(
        "create-wrong-resource",
        "BIGFIX-ACTIONS-POST-RESPONSE",
        "the created Action's Resource points at /api/actions",
    ),
    Fault(
        "roundtrip-escaping",
        "BIGFIX-ACTIONS-POST-ROUNDTRIP",
        "GET of a created action un-escapes &, < and > in Title and Relevance text",
    ),
    Fault(
        "roundtrip-target-all",
        "BIGFIX-ACTIONS-POST-ROUNDTRIP",
        "GET of a created action shows <AllComputers>true</AllComputers> as its target",
    ),
    Fault("sourced-500", "BIGFIX-ACTIONS-POST-SOURCED", "SourcedFixletAction answers 500"),
    Fault(
        "content-type-strict",
        "BIGFIX-ACTIONS-POST-CONTENT-TYPE",
        "POST /api/actions answers 415 unless Content-Type is application/xml",
    ),
    Fault("malformed-500", "BIGFIX-ACTIONS-POST-400", "a body that is not XML answers 500"),
    Fault(
        "invalid-accepted",
        "BIGFIX-ACTIONS-POST-400",
        "a schema-invalid BES body is accepted (200) when it names a Title",
    ),
    Fault("error-empty", "BIGFIX-ACTIONS-POST-400", "a 400 carries no message"),
    Fault(
        "mag-fixletsource-accepted",
        "BIGFIX-ACTIONS-POST-MAG-FIXLETSOURCE",
        "a MemberAction holding a FixletSource is accepted",
    ),
    Fault("limit-ignored", "BIGFIX-ACTIONS-POST-413", "a target list of 10001 is accepted"),
    Fault("limit-off-by-one", "BIGFIX-ACTIONS-POST-10000", "exactly 10000 targets answer 413"),
    # -- GET /api/action/{action id}
    Fault("action-html", "BIGFIX-ACTION-GET-XML", "GET /api/action/{id} answers text/html"),
    Fault(
        "action-empty-target",
        "BIGFIX-ACTION-GET-SCHEMA",
        "GET /api/action/{id} returns a SingleAction with an empty <Target/>",
    ),
    Fault(
        "action-404-body",
        "BIGFIX-ACTION-GET-404",
        "an unknown action answers 404 with a text body instead of an empty one",
    ),
    # -- DELETE /api/action/{action id}
    Fault("delete-204", "BIGFIX-ACTION-DELETE-OK", "DELETE answers 204 without a body"),
    Fault("delete-keeps", "BIGFIX-ACTION-DELETE-GONE", "DELETE answers ok but keeps the action"),
    Fault("delete-unknown-200", "BIGFIX-ACTION-DELETE-404", "DELETE of an unknown action is ok"),
    # -- GET /api/action/{action id}/status
    Fault("status-html", "BIGFIX-STATUS-GET-XML", "the status is labelled text/html"),
    Fault("status-no-state", "BIGFIX-STATUS-GET-SCHEMA", "Computer results have no State"),
    Fault(
        "status-wrong-actionid",
        "BIGFIX-STATUS-GET-ACTIONID",
        "ActionID and Resource name the next action's ID",
    ),
    Fault("status-new-expired", "BIGFIX-STATUS-GET-OPEN", "a new action's status is Expired"),
    Fault("status-fields-ignored", "BIGFIX-STATUS-GET-FIELDS", "the status ignores ?fields="),
    Fault(
        "fields-predicate-ignored",
        "BIGFIX-STATUS-GET-FIELDS",
        "Computer<ID=...> keeps every Computer",
    ),
    Fault(
        "fields-children-ignored",
        "BIGFIX-STATUS-GET-FIELDS",
        "Computer(Status,...) keeps every child of Computer",
    ),
    Fault(
        "fields-drops-all",
        "BIGFIX-STATUS-GET-FIELDS",
        "a filtered status loses the Computer elements it asked for",
    ),
    Fault("status-unknown-200", "BIGFIX-STATUS-GET-404", "an unknown action has a status"),
    # -- POST /api/action/{action id}/stop
    Fault("stop-204", "BIGFIX-STOP-POST-200", "stop answers 204"),
    Fault("stop-noop", "BIGFIX-STOP-POST-STOPPED", "stop answers 200 but the action stays Open"),
    Fault("stop-unknown-200", "BIGFIX-STOP-POST-404", "stopping an unknown action answers 200"),
    # -- GET /api/action/{action id}/downloads
    Fault("downloads-text", "BIGFIX-DOWNLOADS-GET-XML", "the download list is text/plain"),
    Fault(
        "downloads-flat",
        "BIGFIX-DOWNLOADS-GET-SCHEMA",
        "ActionDownload elements sit directly under BESAPI, not in ActionResults",
    ),
    Fault(
        "downloads-wrong-actionid",
        "BIGFIX-DOWNLOADS-GET-ACTIONID",
        "every listed DownloadRequestTarget names the next action's ID",
    ),
    Fault(
        "downloads-json-missing-key",
        "BIGFIX-DOWNLOADS-GET-JSON",
        'the JSON download list has no "IsActive"',
    ),
    Fault(
        "downloads-json-different",
        "BIGFIX-DOWNLOADS-GET-JSON-SAME",
        "the JSON download list numbers downloads from 0",
    ),
    Fault("downloads-unknown-200", "BIGFIX-DOWNLOADS-GET-404", "an unknown action has downloads"),
    # -- GET /api/action/{action id}/download/{download_index}
    Fault("download-html", "BIGFIX-DOWNLOAD-GET-XML", "a single download is labelled text/html"),
    Fault(
        "download-besapi-root",
        "BIGFIX-DOWNLOAD-GET-SCHEMA",
        "a single download is wrapped in BESAPI instead of BES",
    ),
    Fault(
        "download-first-always",
        "BIGFIX-DOWNLOAD-GET-MATCHES",
        "every index answers the action's first download",
    ),
    Fault(
        "download-json-missing-key",
        "BIGFIX-DOWNLOAD-GET-JSON",
        'the JSON single download has no "Downloads"',
    ),
    Fault("download-unknown-200", "BIGFIX-DOWNLOAD-GET-404", "an unknown action has a download"),
    Fault(
        "download-index-200",
        "BIGFIX-DOWNLOAD-GET-INDEX-404",
        "an unknown download index answers 200 with an empty BES",
    ),
    # -- POST /api/action/{action id}/downloads/retry
    Fault("retry-all-text", "BIGFIX-DOWNLOADS-RETRY-POST-XML", "retry all is text/plain"),
    Fault(
        "retry-all-no-value",
        "BIGFIX-DOWNLOADS-RETRY-POST-SCHEMA",
        "retry all puts the message in Response's text, not its Value",
    ),
    Fault(
        "retry-all-json-key",
        "BIGFIX-DOWNLOADS-RETRY-POST-JSON",
        'retry all in JSON says "message" instead of "result"',
    ),
    Fault(
        "retry-all-unknown-200",
        "BIGFIX-DOWNLOADS-RETRY-POST-404",
        "retrying the downloads of an unknown action answers 200",
    ),
    # -- POST /api/action/{action id}/download/{download_index}/retry
    Fault("retry-one-text", "BIGFIX-DOWNLOAD-RETRY-POST-XML", "retry one is text/plain"),
    Fault(
        "retry-one-no-value",
        "BIGFIX-DOWNLOAD-RETRY-POST-SCHEMA",
        "retry one puts the message in Response's text, not its Value",
    ),
    Fault(
        "retry-one-json-key",
        "BIGFIX-DOWNLOAD-RETRY-POST-JSON",
        'retry one in JSON says "message" instead of "result"',
    ),
    Fault(
        "retry-one-unknown-200",
        "BIGFIX-DOWNLOAD-RETRY-POST-404",
        "retrying a download of an unknown action answers 200",
    ),
)


# -- time ------------------------------------------------------------------------------------


def http_date(moment: datetime) -> str:
    """BigFix's time format: RFC 1123 with a numeric offset, in GMT."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def parse_http_date(text: str) -> datetime:
    return datetime.strptime(text, "%a, %d %b %Y %H:%M:%S %z")


def micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000


# -- state -----------------------------------------------------------------------------------


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


def _data(name: str) -> bytes:
    return resources.files("conformance.servers").joinpath(f"data/bigfix/{name}").read_bytes()


_SCHEMA_LOCK = threading.Lock()  # an lxml XMLSchema is not safe to share between threads


@cache
def _bes_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS_DIR / "bigfix" / "BES.xsd")))


def _title_of(root: etree._Element) -> str:
    action = root[0]
    title = action.findtext("Title")
    if title:
        return title
    fixlet = action.findtext("SourceFixlet/FixletID") or "?"
    return f"Sourced action of Fixlet {fixlet}"


def _downloads_of(root: etree._Element, issued: datetime) -> list[Download]:
    scripts = "\n".join(script.text or "" for script in root.iter("ActionScript"))
    return [
        Download(index, match["sha1"].lower(), int(match["size"]), match["url"], issued)
        for index, match in enumerate(PREFETCH.finditer(scripts), start=1)
    ]


def _target_list_size(root: etree._Element) -> int:
    """The largest specific list (ComputerID or ComputerName entries) of any Target."""
    sizes = [
        sum(1 for child in target if child.tag in ("ComputerID", "ComputerName"))
        for target in root.iter("Target")
    ]
    return max(sizes, default=0)


def _stored_document(root: etree._Element) -> bytes:
    """The document as GET returns it: SecureParameter values are never echoed."""
    for secure in root.iter("SecureParameter"):
        secure.text = None
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")


# -- ?fields= --------------------------------------------------------------------------------

RESERVED = ",()&<>="


class FieldsError(ValueError):
    """A ?fields= value that does not follow the documented grammar."""


@dataclass(frozen=True)
class FieldSpec:
    """``Name<attr=value&...>(child,...)``: one field of a ?fields= filter."""

    name: str
    attributes: tuple[tuple[str, str], ...] = ()
    children: tuple[FieldSpec, ...] | None = None


class _FieldsParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def parse(self) -> tuple[FieldSpec, ...]:
        specs = self.fields()
        if self.at != len(self.text):
            raise FieldsError(f"unexpected {self.text[self.at]!r} at {self.at}")
        return specs

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise FieldsError(f"expected {char!r} at {self.at}")
        self.at += 1

    def name(self) -> str:
        start = self.at
        while self.at < len(self.text) and self.text[self.at] not in RESERVED:
            self.at += 1
        if start == self.at:
            raise FieldsError(f"expected a name at {start}")
        return self.text[start : self.at]

    def fields(self) -> tuple[FieldSpec, ...]:
        specs = [self.field()]
        while self.peek() == ",":
            self.take(",")
            specs.append(self.field())
        return tuple(specs)

    def field(self) -> FieldSpec:
        name = self.name()
        attributes: list[tuple[str, str]] = []
        if self.peek() == "<":
            self.take("<")
            while True:
                key = self.name()
                self.take("=")
                attributes.append((key, self.name()))
                if self.peek() != "&":
                    break
                self.take("&")
            self.take(">")
        children = None
        if self.peek() == "(":
            self.take("(")
            children = self.fields()
            self.take(")")
        return FieldSpec(name, tuple(attributes), children)


def parse_fields(text: str) -> tuple[FieldSpec, ...]:
    """Parse the documented grammar: ``,`` ``(...)`` ``<a=b&c=d>``; raises FieldsError."""
    return _FieldsParser(text).parse()


@dataclass
class FieldsFilter:
    """Applies parsed specs to an element's children. Same-named specs combine: their
    attribute matches choose which elements stay; the child lists of the specs that match an
    element (intersected) choose what it keeps. The flags are faults."""

    case_insensitive: bool = False
    ignore_attributes: bool = False
    ignore_children: bool = False
    drop_lists: bool = False

    def same(self, spec: str, tag: str) -> bool:
        return spec.lower() == tag.lower() if self.case_insensitive else spec == tag

    def keep(self, element: etree._Element, specs: tuple[FieldSpec, ...]) -> etree._Element:
        """A copy of ``element`` (attributes kept) holding only the children ``specs`` select."""
        copy = etree.Element(element.tag, dict(element.attrib))
        copy.text = element.text if len(element) == 0 else None
        for child in element:
            if not isinstance(child.tag, str):
                continue
            kept = self.select(child, [spec for spec in specs if self.same(spec.name, child.tag)])
            if kept is not None:
                copy.append(kept)
        return copy

    def select(self, element: etree._Element, specs: list[FieldSpec]) -> etree._Element | None:
        if not specs:
            return None
        if self.ignore_attributes:
            applicable = specs
        else:
            with_attributes = [spec for spec in specs if spec.attributes]
            if with_attributes and not any(_attributes_match(element, s) for s in with_attributes):
                return None
            applicable = [spec for spec in specs if _attributes_match(element, spec)]
        if self.drop_lists and len(element):
            return None
        lists = [spec.children for spec in applicable if spec.children is not None]
        if not lists or self.ignore_children:
            return _deep_copy(element)
        common = [spec for spec in lists[0] if all(_named(spec.name, other) for other in lists)]
        merged = tuple(spec for children in lists for spec in children if _named(spec.name, common))
        return self.keep(element, merged)


def _named(name: str, specs: tuple[FieldSpec, ...] | list[FieldSpec]) -> bool:
    return any(spec.name == name for spec in specs)


def _attributes_match(element: etree._Element, spec: FieldSpec) -> bool:
    return all(element.get(key) == value for key, value in spec.attributes)


def _deep_copy(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))


# -- rendering -------------------------------------------------------------------------------


def _element(tag: str, text: object, **attributes: str) -> str:
    attrs = "".join(f" {key}={quoteattr(value)}" for key, value in attributes.items())
    return f"<{tag}{attrs}>{escape(str(text))}</{tag}>"


def _computer_xml(computer: dict[str, Any], *, state: bool = True) -> str:
    parts = [_element("Status", computer["Status"])]
    if state:
        parts.append(f'<State IsError="0">{int(computer["State"])}</State>')
    if "ExitCode" in computer:
        parts.append(_element("ExitCode", computer["ExitCode"]))
    for name in ("ApplyCount", "RetryCount", "LineNumber", "StartTime", "EndTime"):
        if name in computer:
            parts.append(_element(name, computer[name]))
    attributes = f"ID={quoteattr(str(computer['ID']))} Name={quoteattr(computer['Name'])}"
    return f"<Computer {attributes}>{''.join(parts)}</Computer>"


def _download_xml(action_id: int, download: Download) -> str:
    available = "true" if download.state == "COMPLETED" else "false"
    done = download.size if download.state == "COMPLETED" else 0
    return (
        "<ActionDownload><DownloadRequestTarget>"
        f"<ActionID>{action_id}</ActionID><Index>{download.index}</Index>"
        f'<Hashes hashAlgorithm="sha1">{download.sha1}</Hashes>'
        f"<Size>{download.size}</Size>{_element('URL', download.url)}</DownloadRequestTarget>"
        f"<Status><State>{download.state}</State>"
        f"<Timestamp>{http_date(download.timestamp)}</Timestamp>"
        f"<RetryCount>{download.retry_count}</RetryCount></Status>"
        f"<Available>{available}</Available><BytesDownloaded>{done}</BytesDownloaded>"
        f"<TotalBytes>{download.size}</TotalBytes><RetryLimit>{download.retry_limit}</RetryLimit>"
        "</ActionDownload>"
    )


def _download_json(action_id: int, download: Download, first_index: int = 1) -> dict[str, Any]:
    completed = download.state == "COMPLETED"
    return {
        "DownloadRequestTarget": {
            "actionID": action_id,
            "index": download.index - 1 + first_index,
            "hashes": [{"algorithm": "sha1", "value": download.sha1}],
            "size": download.size,
            "url": download.url,
        },
        "Status": {
            "State": download.state,
            "Timestamp": micros(download.timestamp),
            "RetryCount": download.retry_count,
            "Error": None,
        },
        "Available": completed,
        "BytesDownloaded": download.size if completed else 0,
        "TotalBytes": download.size,
        "MinutesToNextRetry": None,
        "RetryLimit": download.retry_limit,
    }


def _plain(status: int, message: str) -> Reply:
    return Reply(status, message + "\n", TEXT)


# -- the app ---------------------------------------------------------------------------------


class BigFixApp(ReferenceApp):
    API = "bigfix"
    HISTORY = ("created",)  # every accepted POST body, kept for the suite's own tests
    FAULTS = FAULTS

    def __init__(self, fault: str | None = None, **kwargs: str) -> None:
        super().__init__(fault, **kwargs)
        self.actions: dict[int, StoredAction] = {}
        self.created: list[bytes] = []  # every accepted POST body, for the suite's own tests
        seed = json.loads(_data("seed.json"))
        for record in seed["actions"]:
            document = _data(record["file"])
            root = xmlsafe.parse(document)
            issued = parse_http_date(record["issued"])
            action = StoredAction(
                id=record["id"],
                document=document,
                title=_title_of(root),
                last_modified=issued,
                issued=issued,
                status=record["status"],
                computers=record["computers"],
                downloads=_downloads_of(root, issued),
                seeded=True,
            )
            for download, moment in zip(action.downloads, record["download_times"], strict=True):
                download.timestamp = parse_http_date(moment)
            self.actions[action.id] = action
        self.next_id = max(self.actions) + 1

    # -- plumbing ------------------------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        credentials = request.basic_auth()
        if self.faulty("any-password") and credentials is not None:
            return credentials[0] == self.username
        return credentials == (self.username, self.password)

    def handle(self, request: Request, handler: Handler) -> Reply:
        if not self.authorized(request) and not self.faulty("no-auth"):
            realm = 'Basic realm="Restricted"' if self.faulty("no-realm") else REALM
            return Reply(401, "", None, {"WWW-Authenticate": realm})
        with self.lock:
            return super().handle(request, handler)

    def find(self, action_id: str) -> StoredAction | None:
        if not action_id.isdigit():
            return None
        return self.actions.get(int(action_id))

    def unknown_action(self) -> Reply:
        """The documented answer for an unknown action: 404 with an empty body."""
        if self.faulty("action-404-body"):
            return _plain(404, "Action not found")
        return Reply(404, b"")

    def lookup(self, action_id: str, fault: str) -> StoredAction | Reply:
        """The action, or its 404; with ``fault`` active, an empty stand-in action instead."""
        action = self.find(action_id)
        if action is not None:
            return action
        if self.faulty(fault):
            moment = datetime.now(UTC)
            number = int(action_id) if action_id.isdigit() else 0
            return StoredAction(number, b"", "", moment, moment)
        return self.unknown_action()

    def json_wanted(self, request: Request) -> bool:
        return request.arg("output") == "json"

    def filtered(self, request: Request, element: etree._Element, fault: str) -> etree._Element:
        """Apply ``?fields=`` to one resource element (raises FieldsError)."""
        text = request.arg("fields")
        if text is None or self.faulty(fault):
            return element
        fields = FieldsFilter(
            case_insensitive=self.faulty("fields-case-insensitive"),
            ignore_attributes=self.faulty("fields-predicate-ignored"),
            ignore_children=self.faulty("fields-children-ignored"),
            drop_lists=self.faulty("fields-drops-all") and element.tag == "ActionResults",
        )
        return fields.keep(element, parse_fields(text))

    # -- routes: login and list ---------------------------------------------------------

    @route("GET", r"/api/login")
    def login(self, request: Request) -> Reply:
        if self.faulty("login-missing"):
            return _plain(404, "Not Found")
        return Reply(200, "ok", TEXT)

    @route("GET", r"/api/actions")
    def list_actions(self, request: Request) -> Reply:
        actions = sorted(self.actions.values(), key=lambda action: action.id)
        if self.faulty("list-omits-created"):
            actions = [action for action in actions if action.seeded]
        root = etree.Element("BESAPI")
        try:
            for action in actions:
                element = etree.fromstring(self.action_summary(request, action))
                root.append(self.filtered(request, element, "list-fields-ignored"))
        except FieldsError as exc:
            return _plain(400, f"Invalid fields parameter: {exc}")
        content_type = JSON if self.faulty("list-content-type") else XML
        return Reply(200, _besapi(root), content_type)

    def action_summary(self, request: Request, action: StoredAction) -> str:
        identifier = f"A{action.id}" if self.faulty("list-bad-id") else str(action.id)
        resource = f"{request.origin}/api/action/{identifier}"
        if self.faulty("list-wrong-resource"):
            resource = f"{request.origin}/api/computer/{identifier}"
        modified = http_date(action.last_modified)
        if self.faulty("list-iso-time"):
            modified = action.last_modified.isoformat()
        return (
            f"<Action Resource={quoteattr(resource)} LastModified={quoteattr(modified)}>"
            f"<Name>{escape(action.title)}</Name><ID>{identifier}</ID></Action>"
        )

    # -- routes: create --------------------------------------------------------------------

    @route("POST", r"/api/actions")
    def create_action(self, request: Request) -> Reply:
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if self.faulty("content-type-strict") and content_type != XML:
            return _plain(415, "Unsupported Media Type")
        try:
            root = xmlsafe.parse(request.body)
        except (etree.XMLSyntaxError, xmlsafe.UnsafeXMLError, ValueError) as exc:
            if self.faulty("malformed-500"):
                return _plain(500, "Internal Server Error")
            return self.bad_request(f"The request body is not valid XML: {exc}")
        if self.faulty("sourced-500") and root.find("./SourcedFixletAction") is not None:
            return _plain(500, "Internal Server Error")
        problem = self.refusal(root)
        if problem is not None:
            return self.bad_request(problem)
        size = _target_list_size(root)
        limit = TARGET_LIST_LIMIT - 1 if self.faulty("limit-off-by-one") else TARGET_LIST_LIMIT
        if size > limit and not self.faulty("limit-ignored"):
            return _plain(413, f"Content Too Large: the action targets {size} computers by list")
        return self.store(request, root)

    def bad_request(self, message: str) -> Reply:
        return Reply(400, b"") if self.faulty("error-empty") else _plain(400, message)

    def refusal(self, root: etree._Element) -> str | None:
        """Why a parsed body cannot become an action, or None."""
        if root.tag != "BES":
            return f"Expected a <BES> document, got <{root.tag}>"
        checked = root
        if self.faulty("mag-fixletsource-accepted"):
            checked = _deep_copy(root)
            for source in checked.findall("./MultipleActionGroup/MemberAction/FixletSource"):
                source.getparent().remove(source)
        elif root.findall("./MultipleActionGroup/MemberAction/FixletSource"):
            return "A MemberAction of a Multiple Action Group cannot contain a FixletSource"
        lenient = self.faulty("invalid-accepted") and root.find("./*/Title") is not None
        if not lenient:
            with _SCHEMA_LOCK:
                schema = _bes_schema()
                if not schema.validate(checked):
                    error = schema.error_log.last_error
                    return f"The BES document is not valid: line {error.line}: {error.message}"
        if len(root) != 1 or root[0].tag not in ACTION_KINDS:
            return "The BES document holds no SingleAction, SourcedFixletAction or MAG"
        return None

    def store(self, request: Request, root: etree._Element) -> Reply:
        moment = datetime.now(UTC)
        action_id = self.next_id
        self.next_id += 1
        self.created.append(request.body)
        title = _title_of(root)
        action = StoredAction(
            id=action_id,
            document=_stored_document(root),
            title=title,
            last_modified=moment,
            issued=moment,
            status="Expired" if self.faulty("status-new-expired") else "Open",
            downloads=_downloads_of(root, moment),
        )
        self.actions[action_id] = action
        resource = f"{request.origin}/api/action/{action_id}"
        if self.faulty("create-wrong-resource"):
            resource = f"{request.origin}/api/actions"
        body = (
            f"{BESAPI_OPEN}\t<Action Resource={quoteattr(resource)} "
            f"LastModified={quoteattr(http_date(moment))}>\n"
            f"\t\t<Name>{escape(title)}</Name>\n\t\t<ID>{action_id}</ID>\n\t</Action>\n</BESAPI>\n"
        )
        return Reply(201 if self.faulty("create-201") else 200, body, XML)

    # -- routes: one action --------------------------------------------------------------

    @route("GET", ACTION)
    def get_action(self, request: Request, action_id: str) -> Reply:
        action = self.find(action_id)
        if action is None:
            return self.unknown_action()
        document = action.document
        if not action.seeded and self.faulty("roundtrip-escaping"):
            document = re.sub(
                rb"<(Title|Relevance)>(.*?)</\1>",
                lambda m: (
                    b"<%s>%s</%s>"
                    % (m[1], m[2].replace(b"&lt;", b"<").replace(b"&amp;", b"&"), m[1])
                ),
                document,
                flags=re.DOTALL,
            )
        if not action.seeded and self.faulty("roundtrip-target-all"):
            document = re.sub(
                rb"<Target>.*?</Target>|<Target/>",
                b"<Target><AllComputers>true</AllComputers></Target>",
                document,
                flags=re.DOTALL,
            )
        if action.seeded and self.faulty("action-empty-target"):
            root = xmlsafe.parse(document)
            for target in root.iter("Target"):
                for child in list(target):
                    target.remove(child)
            document = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        content_type = "text/html" if self.faulty("action-html") else XML
        return Reply(200, document, content_type)

    @route("DELETE", ACTION)
    def delete_action(self, request: Request, action_id: str) -> Reply:
        action = self.find(action_id)
        if action is None:
            if self.faulty("delete-unknown-200"):
                return Reply(200, "ok", TEXT)
            return self.unknown_action()
        if not self.faulty("delete-keeps"):
            del self.actions[action.id]
        if self.faulty("delete-204"):
            return Reply(204, b"")
        return Reply(200, "ok", TEXT)

    @route("GET", ACTION + r"/status")
    def get_status(self, request: Request, action_id: str) -> Reply:
        found = self.lookup(action_id, "status-unknown-200")
        if isinstance(found, Reply):
            return found
        action = found
        shown_id = action.id + 1 if self.faulty("status-wrong-actionid") else action.id
        computers = "".join(
            _computer_xml(computer, state=not self.faulty("status-no-state"))
            for computer in action.computers
        )
        resource = quoteattr(f"{request.origin}/api/action/{shown_id}/status")
        element = etree.fromstring(
            f"<ActionResults Resource={resource}>"
            f"<ActionID>{shown_id}</ActionID><Status>{action.status}</Status>"
            f"<DateIssued>{http_date(action.issued)}</DateIssued>{computers}</ActionResults>"
        )
        try:
            element = self.filtered(request, element, "status-fields-ignored")
        except FieldsError as exc:
            return _plain(400, f"Invalid fields parameter: {exc}")
        root = etree.Element("BESAPI")
        root.append(element)
        content_type = "text/html" if self.faulty("status-html") else XML
        return Reply(200, _besapi(root), content_type)

    @route("POST", ACTION + r"/stop")
    def stop_action(self, request: Request, action_id: str) -> Reply:
        found = self.lookup(action_id, "stop-unknown-200")
        if isinstance(found, Reply):
            return found
        if found.id in self.actions and not self.faulty("stop-noop"):
            found.status = "Stopped"
            found.last_modified = datetime.now(UTC)
        return Reply(204, b"") if self.faulty("stop-204") else Reply(200, b"")

    # -- routes: downloads ---------------------------------------------------------------

    @route("GET", ACTION + r"/downloads")
    def list_downloads(self, request: Request, action_id: str) -> Reply:
        found = self.lookup(action_id, "downloads-unknown-200")
        if isinstance(found, Reply):
            return found
        action = found
        shown_id = action.id + 1 if self.faulty("downloads-wrong-actionid") else action.id
        if self.json_wanted(request):
            first = 0 if self.faulty("downloads-json-different") else 1
            document = self.downloads_json(action, action.downloads, first)
            if self.faulty("downloads-json-missing-key"):
                del document["IsActive"]
            return Reply(200, json.dumps(document, indent=2), JSON)
        items = "".join(_download_xml(shown_id, download) for download in action.downloads)
        resource = quoteattr(f"{request.origin}/api/action/{shown_id}/downloads")
        if self.faulty("downloads-flat"):
            body = f"{BESAPI_OPEN}{items}\n</BESAPI>\n"
        else:
            results = f"<ActionResults Resource={resource}>{items}</ActionResults>"
            body = f"{BESAPI_OPEN}{results}\n</BESAPI>\n"
        content_type = TEXT if self.faulty("downloads-text") else XML
        return Reply(200, body, content_type)

    def downloads_json(
        self, action: StoredAction, downloads: list[Download], first_index: int = 1
    ) -> dict[str, Any]:
        return {
            "ActionID": action.id,
            "State": "Pending",
            "Error": "",
            "IsActive": False,
            "Date": micros(action.issued),
            "Downloads": [_download_json(action.id, item, first_index) for item in downloads],
        }

    def find_download(self, action: StoredAction, index: str) -> Download | None:
        if not index.isdigit():
            return None
        found = next((item for item in action.downloads if item.index == int(index)), None)
        if found is not None and self.faulty("download-first-always"):
            return action.downloads[0]
        return found

    @route("GET", ACTION + r"/download/" + INDEX)
    def get_download(self, request: Request, action_id: str, index: str) -> Reply:
        found = self.lookup(action_id, "download-unknown-200")
        if isinstance(found, Reply):
            return found
        action = found
        download = self.find_download(action, index)
        if download is None:
            stand_in = action.id not in self.actions
            if self.faulty("download-index-200") or stand_in:
                return Reply(200, f"{BES_OPEN}</BES>\n", XML)
            return _plain(404, f"Download {index} of action {action.id} not found")
        if self.json_wanted(request):
            document = self.downloads_json(action, [download])
            if self.faulty("download-json-missing-key"):
                del document["Downloads"]
            return Reply(200, json.dumps(document, indent=2), JSON)
        item = _download_xml(action.id, download)
        if self.faulty("download-besapi-root"):
            body = f"{BESAPI_OPEN}{item}\n</BESAPI>\n"
        else:
            body = f"{BES_OPEN}{item}\n</BES>\n"
        content_type = "text/html" if self.faulty("download-html") else XML
        return Reply(200, body, content_type)

    @route("POST", ACTION + r"/downloads/retry")
    def retry_downloads(self, request: Request, action_id: str) -> Reply:
        found = self.lookup(action_id, "retry-all-unknown-200")
        if isinstance(found, Reply):
            return found
        message = self.retry(found.downloads)
        return self.retry_reply(request, f"/api/action/{found.id}/downloads/retry", message, "all")

    @route("POST", ACTION + r"/download/" + INDEX + r"/retry")
    def retry_download(self, request: Request, action_id: str, index: str) -> Reply:
        found = self.lookup(action_id, "retry-one-unknown-200")
        if isinstance(found, Reply):
            return found
        download = self.find_download(found, index)
        if download is None and found.id in self.actions:
            return _plain(404, f"Download {index} of action {found.id} not found")
        message = self.retry([download] if download else [])
        path = f"/api/action/{found.id}/download/{index}/retry"
        return self.retry_reply(request, path, message, "one")

    def retry(self, downloads: list[Download]) -> str:
        failed = [item for item in downloads if item.state == "FAILED"]
        for item in failed:
            item.state, item.retry_count = "Pending", item.retry_count + 1
        return "Retrying the failed download." if failed else NOT_FAILED

    def retry_reply(self, request: Request, path: str, message: str, which: str) -> Reply:
        if self.json_wanted(request):
            key = "message" if self.faulty(f"retry-{which}-json-key") else "result"
            return Reply(200, json.dumps({key: message}), JSON)
        response = (
            f"<Response>{escape(message)}</Response>"
            if self.faulty(f"retry-{which}-no-value")
            else f"<Response Value={quoteattr(message)}/>"
        )
        body = (
            f"{BESAPI_OPEN}\t<RetryDownload Resource={quoteattr(request.origin + path)}>\n"
            f"\t\t{response}\n\t</RetryDownload>\n</BESAPI>\n"
        )
        content_type = TEXT if self.faulty(f"retry-{which}-text") else XML
        return Reply(200, body, content_type)


def _besapi(root: etree._Element) -> str:
    inner = "".join(etree.tostring(child, encoding="unicode") + "\n" for child in root)
    return f"{BESAPI_OPEN}{inner}</BESAPI>\n"

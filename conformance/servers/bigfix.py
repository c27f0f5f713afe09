"""Reference server for the HCL BigFix REST API action resources.

State lives in ``BigFixApp.actions``; every documented route is a method below. Faults are in
``FAULTS``: one documented behaviour each, named after the requirement it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from conformance import xmlsafe
from conformance.servers.base import Fault, Handler, ReferenceApp, Reply, Request, route

XML = "application/xml"
BESAPI_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<BESAPI xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:noNamespaceSchemaLocation="BESAPI.xsd">\n'
)
ACTION_PATH = r"/api/action/(?P<action_id>[^/]+)"

FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("no-auth", "BIGFIX-AUTH-401", "answers requests that carry no credentials"),
        Fault(
            "list-content-type",
            "BIGFIX-ACTIONS-GET-XML",
            "GET /api/actions labels its XML body application/json",
        ),
        Fault(
            "list-bad-id",
            "BIGFIX-ACTIONS-GET-SCHEMA",
            "an Action's ID is not an integer (its Resource agrees)",
        ),
        Fault(
            "list-iso-time",
            "BIGFIX-ACTIONS-GET-LASTMODIFIED",
            "LastModified is ISO 8601 instead of RFC 1123 with a numeric offset",
            also_fails=("BIGFIX-ACTIONS-GET-SCHEMA",),  # BESAPI.xsd types LastModified too
        ),
        Fault(
            "list-wrong-resource",
            "BIGFIX-ACTIONS-GET-RESOURCE",
            "an Action's Resource does not point at /api/action/{its ID}",
        ),
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
    )
}


def http_date(moment: datetime) -> str:
    """BigFix's time format: RFC 1123 with a numeric offset, in GMT."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


@dataclass
class StoredAction:
    """One action the server knows, with its BES document as submitted."""

    id: int
    document: bytes
    title: str
    last_modified: datetime
    status: str = "Open"


def _seed_document(name: str) -> bytes:
    return resources.files("conformance.servers").joinpath(f"data/bigfix/{name}").read_bytes()


def _title_of(document: bytes) -> str:
    root = xmlsafe.parse(document)
    title = root.find("./*/Title")
    return title.text or "" if title is not None else ""


class BigFixApp(ReferenceApp):
    API = "bigfix"
    FAULTS = FAULTS

    def __init__(self, fault: str | None = None, **kwargs: str) -> None:
        super().__init__(fault, **kwargs)
        seeded = datetime(2013, 3, 19, 21, 23, 10, tzinfo=UTC)
        self.actions: dict[int, StoredAction] = {}
        for action_id in (44, 45):
            document = _seed_document(f"action-{action_id}.xml")
            self.actions[action_id] = StoredAction(action_id, document, _title_of(document), seeded)
        self.next_id = 46

    # -- plumbing --------------------------------------------------------------------------

    def handle(self, request: Request, handler: Handler) -> Reply:
        if not self.authorized(request) and not self.faulty("no-auth"):
            return Reply(401, "", None, {"WWW-Authenticate": 'Basic realm="BigFix Server"'})
        return super().handle(request, handler)

    def find(self, action_id: str) -> StoredAction | None:
        if not action_id.isdigit():
            return None
        return self.actions.get(int(action_id))

    def missing(self) -> Reply:
        if self.faulty("action-404-body"):
            return Reply(404, "Action not found", "text/plain")
        return Reply(404, b"")

    # -- routes ----------------------------------------------------------------------------

    @route("GET", r"/api/login")
    def login(self, request: Request) -> Reply:
        return Reply(200, "ok", "text/plain")

    @route("GET", r"/api/actions")
    def list_actions(self, request: Request) -> Reply:
        with self.lock:
            actions = sorted(self.actions.values(), key=lambda action: action.id)
        parts = [BESAPI_OPEN]
        for action in actions:
            identifier = f"A{action.id}" if self.faulty("list-bad-id") else str(action.id)
            resource = f"{request.origin}/api/action/{identifier}"
            if self.faulty("list-wrong-resource"):
                resource = f"{request.origin}/api/computer/{identifier}"
            modified = http_date(action.last_modified)
            if self.faulty("list-iso-time"):
                modified = action.last_modified.isoformat()
            parts.append(
                f"    <Action Resource={quoteattr(resource)} LastModified={quoteattr(modified)}>\n"
                f"        <Name>{escape(action.title)}</Name>\n"
                f"        <ID>{identifier}</ID>\n"
                "    </Action>\n"
            )
        parts.append("</BESAPI>\n")
        content_type = "application/json" if self.faulty("list-content-type") else XML
        return Reply(200, "".join(parts), content_type)

    @route("GET", ACTION_PATH)
    def get_action(self, request: Request, action_id: str) -> Reply:
        action = self.find(action_id)
        if action is None:
            return self.missing()
        document = action.document
        if self.faulty("action-empty-target"):
            root = xmlsafe.parse(document)
            for target in root.iter("Target"):
                for child in list(target):
                    target.remove(child)
            document = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        content_type = "text/html" if self.faulty("action-html") else XML
        return Reply(200, document, content_type)

"""The BigFix reference app: every documented route of the action resources.

State is in ``state.py``, the ``?fields=`` filter in ``fields.py``, rendering in ``render.py``
and the fault table in ``faults.toml``; each ``self.faulty(name)`` branch below is where a
fault breaks its behaviour. POSTed XML is parsed with ``conformance.xmlsafe`` (no DTD, no
entities) and validated against our BES.xsd.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from conformance import xmlsafe
from conformance.servers.base import (
    Handler,
    ReferenceApp,
    Reply,
    Request,
    load_faults,
    load_variants,
    route,
)
from conformance.servers.bigfix.fields import (
    FieldsError,
    FieldsFilter,
    deep_copy,
    leaf,
    parent,
    parse_fields,
    shapes_of,
    start_tag,
)
from conformance.servers.bigfix.render import (
    BES_OPEN,
    BESAPI_OPEN,
    JSON,
    TEXT,
    XML,
    besapi,
    computer_fragment,
    download_json,
    download_xml,
    http_date,
    micros,
    plain,
)
from conformance.servers.bigfix.state import (
    Download,
    Rows,
    StatusCache,
    StoredAction,
    bes_problem,
    downloads_of,
    seed_computers,
    seeded_actions,
    stored_document,
    target_list_size,
    title_of,
)

REALM = 'Basic realm="BigFix Server"'
DOWNLOADS_SINCE = "11.0"
DOWNLOAD_ROUTES = re.compile(r"^/api/action/[^/]+/downloads?(/|$)")
TARGET_LIST_LIMIT = 10000  # targetBySpecificListLimit
ACTION_KINDS = ("SingleAction", "SourcedFixletAction", "MultipleActionGroup")
NOT_FAILED = "That download has not failed."
ACTION = r"/api/action/(?P<action_id>[^/]+)"
INDEX = r"(?P<index>[^/]+)"


class BigFixApp(ReferenceApp):
    API = "bigfix"
    HISTORY = ("created",)  # every accepted POST body, kept for the suite's own tests
    FAULTS = load_faults(Path(__file__).with_name("faults.toml"))
    SEED_OPTIONS = ("computers",)
    VARIANTS = load_variants(Path(__file__).with_name("variants.toml"))
    # NOTES.md: realm "BigFix Server" (9.5.15+), downloads (11.0+). Playing 9.5.15, the
    # download routes do not exist (404, like any unknown path).
    VERSIONS = ("9.5.15", "11.0")
    SESSION_TOKEN = "actionconform-session-0001"

    def __init__(
        self, fault: str | None = None, *, computers: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(fault, **kwargs)
        self.created: list[bytes] = []  # every accepted POST body, for the suite's own tests
        self.stopped_reads: dict[int, int] = {}  # fault stop-reopens
        self.actions: dict[int, StoredAction] = seeded_actions()
        if computers is not None:
            seed_computers(self.actions, computers)
            for action in self.actions.values():  # written when seeded, not at the first read
                self.status_rows(action)
        self.next_id = max(self.actions) + 1

    # -- plumbing ------------------------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        if self.varies("session-token") and request.header("SessionToken") == self.SESSION_TOKEN:
            return True
        credentials = request.basic_auth()
        if self.faulty("any-password") and credentials is not None:
            return credentials[0] == self.username
        return credentials == (self.username, self.password)

    def handle(self, request: Request, handler: Handler) -> Reply:
        if not self.authorized(request) and not self.faulty("no-auth"):
            realm = 'Basic realm="Restricted"' if self.faulty("no-realm") else REALM
            return Reply(401, "", None, {"WWW-Authenticate": realm})
        if not self.plays(DOWNLOADS_SINCE) and DOWNLOAD_ROUTES.search(request.path):
            return self.not_found(request)
        with self.lock:
            reply = super().handle(request, handler)
        if self.varies("session-token"):
            reply.headers["SessionToken"] = self.SESSION_TOKEN
        return reply

    def resource(self, request: Request, path: str) -> str:
        """A Resource URL: absolute on the request's origin, or as the variant plays it."""
        if self.varies("resource-relative"):
            return path
        if self.varies("resource-https"):
            return f"https://{request.host}{path}"
        return request.origin + path

    def find(self, action_id: str) -> StoredAction | None:
        if not action_id.isdigit():
            return None
        return self.actions.get(int(action_id))

    def unknown_action(self) -> Reply:
        """The documented answer for an unknown action: 404 with an empty body, labelled
        text/plain like the server's other not-found answers (NOTES.md)."""
        if self.faulty("action-404-body"):
            return plain(404, "Action not found")
        return Reply(404, b"", TEXT)

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

    def fields_filter(self, tag: str) -> FieldsFilter:
        """The ``?fields=`` filter of one resource element named ``tag``, as faults break it."""
        return FieldsFilter(
            case_insensitive=self.faulty("fields-case-insensitive"),
            ignore_attributes=self.faulty("fields-predicate-ignored"),
            ignore_children=self.faulty("fields-children-ignored"),
            drop_lists=self.faulty("fields-drops-all") and tag == "ActionResults",
            merge_lists=self.varies("fields-merge"),
        )

    def filtered(self, request: Request, element: etree._Element, fault: str) -> etree._Element:
        """Apply ``?fields=`` to one resource element (raises FieldsError)."""
        text = request.arg("fields")
        if text is None or self.faulty(fault):
            return element
        return self.fields_filter(element.tag).keep(element, parse_fields(text))

    # -- routes: login and list ---------------------------------------------------------

    @route("GET", r"/api/login")
    def login(self, request: Request) -> Reply:
        if self.faulty("login-missing"):
            return plain(404, "Not Found")
        return Reply(200, "ok", TEXT)

    @route("GET", r"/api/actions")
    def list_actions(self, request: Request) -> Reply:
        newest_first = self.varies("list-newest-first")
        actions = sorted(self.actions.values(), key=lambda action: action.id, reverse=newest_first)
        if self.faulty("list-omits-created"):
            actions = [action for action in actions if action.seeded]
        root = etree.Element("BESAPI")
        try:
            for action in actions:
                element = etree.fromstring(self.action_summary(request, action))
                root.append(self.filtered(request, element, "list-fields-ignored"))
        except FieldsError as exc:
            return plain(400, f"Invalid fields parameter: {exc}")
        content_type = JSON if self.faulty("list-content-type") else XML
        return Reply(200, besapi(root), content_type)

    def action_summary(self, request: Request, action: StoredAction) -> str:
        # One action (the last seeded one), so the suite still finds others to work on.
        last_seeded = max(stored.id for stored in self.actions.values() if stored.seeded)
        bad = self.faulty("list-bad-id") and action.id == last_seeded
        identifier = f"A{action.id}" if bad else str(action.id)
        resource = self.resource(request, f"/api/action/{identifier}")
        if self.faulty("list-wrong-resource"):
            resource = self.resource(request, f"/api/computer/{identifier}")
        modified = http_date(action.last_modified)
        if self.faulty("list-iso-time"):
            modified = action.last_modified.isoformat()
        name = "" if self.varies("optional-omitted") else f"<Name>{escape(action.title)}</Name>"
        return (
            f"<Action Resource={quoteattr(resource)} LastModified={quoteattr(modified)}>"
            f"{name}<ID>{identifier}</ID></Action>"
        )

    # -- routes: create --------------------------------------------------------------------

    @route("POST", r"/api/actions")
    def create_action(self, request: Request) -> Reply:
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if self.faulty("content-type-strict") and content_type != XML:
            return plain(415, "Unsupported Media Type")
        try:
            root = xmlsafe.parse(request.body)
        except (etree.XMLSyntaxError, xmlsafe.UnsafeXMLError, ValueError) as exc:
            if self.faulty("malformed-500"):
                return plain(500, "Internal Server Error")
            return self.bad_request(f"The request body is not valid XML: {exc}")
        if self.faulty("sourced-500") and root.find("./SourcedFixletAction") is not None:
            return plain(500, "Internal Server Error")
        problem = self.refusal(root, request.body)
        if problem is not None:
            return self.bad_request(problem)
        size = target_list_size(root)
        limit = TARGET_LIST_LIMIT - 1 if self.faulty("limit-off-by-one") else TARGET_LIST_LIMIT
        if size > limit and not self.faulty("limit-ignored"):
            return plain(413, f"Content Too Large: the action targets {size} computers by list")
        return self.store(request, root)

    def bad_request(self, message: str) -> Reply:
        if self.varies("error-wording"):
            message = (
                f"HTTP 400 Bad Request\r\nThe server could not use the request.\r\n({message})"
            )
        return Reply(400, b"") if self.faulty("error-empty") else plain(400, message)

    def refusal(self, root: etree._Element, body: bytes | None = None) -> str | None:
        """Why a parsed body cannot become an action, or None (``body``: the bytes ``root`` was
        parsed from, so their schema verdict can be reused)."""
        if root.tag != "BES":
            return f"Expected a <BES> document, got <{root.tag}>"
        checked = root
        if self.faulty("mag-fixletsource-accepted"):
            checked = deep_copy(root)
            for source in checked.findall("./MultipleActionGroup/MemberAction/FixletSource"):
                source.getparent().remove(source)
        elif root.findall("./MultipleActionGroup/MemberAction/FixletSource"):
            return "A MemberAction of a Multiple Action Group cannot contain a FixletSource"
        lenient = self.faulty("invalid-accepted") and root.find("./*/Title") is not None
        if not lenient:
            problem = bes_problem(checked, body if checked is root else None)
            if problem is not None:
                return problem
        if len(root) != 1 or root[0].tag not in ACTION_KINDS:
            return "The BES document holds no SingleAction, SourcedFixletAction or MAG"
        return None

    def store(self, request: Request, root: etree._Element) -> Reply:
        moment = datetime.now(UTC)
        action_id = self.next_id
        self.next_id += 1
        self.created.append(request.body)
        title = title_of(root)
        action = StoredAction(
            id=action_id,
            document=stored_document(root),
            title=title,
            last_modified=moment,
            issued=moment,
            status="Expired" if self.faulty("status-new-expired") else "Open",
            downloads=downloads_of(root, moment),
        )
        self.actions[action_id] = action
        resource = self.resource(request, f"/api/action/{action_id}")
        if self.faulty("create-wrong-resource"):
            resource = self.resource(request, "/api/actions")
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

    def status_rows(self, action: StoredAction) -> Rows:
        """The ``<Computer>`` rows of an action's status (once: computers change only when
        seeded)."""
        with_state = not self.faulty("status-no-state")
        rows = action.rendered_computers.get(with_state)
        if rows is None:
            listed = (
                action.computers[::-1] if self.varies("computers-reversed") else action.computers
            )
            shared: dict[Any, Any] = {}
            fragments = tuple(computer_fragment(c, shared, state=with_state) for c in listed)
            rows = action.rendered_computers[with_state] = Rows.of(fragments)
        return rows

    @route("GET", ACTION + r"/status")
    def get_status(self, request: Request, action_id: str) -> Reply:
        found = self.lookup(action_id, "status-unknown-200")
        if isinstance(found, Reply):
            return found
        action = found
        shown_id = action.id + 1 if self.faulty("status-wrong-actionid") else action.id
        shown_status = action.status
        if action.status == "Stopped" and self.faulty("stop-reopens"):
            self.stopped_reads[action.id] = self.stopped_reads.get(action.id, 0) + 1
            shown_status = "Stopped" if self.stopped_reads[action.id] == 1 else "Open"
        rows = self.status_rows(action)
        resource = self.resource(request, f"/api/action/{shown_id}/status")
        issued = "" if self.varies("optional-omitted") else http_date(action.issued)
        content_type = "text/html" if self.faulty("status-html") else XML
        text = request.arg("fields")
        # What the document is written from: the 30 MB rows by identity (written once).
        key = (resource, shown_id, shown_status, issued, rows.xml)
        cache = action.status_cache
        if cache is None or cache.key != key:
            head = [leaf("ActionID", shown_id, {}), leaf("Status", shown_status, {})]
            if issued:
                head.append(leaf("DateIssued", issued, {}))
            attrib = (("Resource", resource),)
            opening = start_tag("ActionResults", attrib) + "".join(item.xml for item in head)
            results = f"{opening}{rows.xml}</ActionResults>"
            shapes = shapes_of(head) + rows.shapes
            element = parent("ActionResults", attrib, (*head, *rows.fragments), {}, results, shapes)
            cache = action.status_cache = StatusCache(key, element)
            cache.remember(None, f"{BESAPI_OPEN}{results}\n</BESAPI>\n".encode())  # unfiltered
        if self.faulty("status-fields-ignored"):
            text = None  # nothing filtered
        answer = cache.answers.get(text)
        if answer is None:
            try:
                specs = parse_fields(text or "")
            except FieldsError as exc:
                return plain(400, f"Invalid fields parameter: {exc}")
            fields_filter = self.fields_filter(cache.fragment.tag)
            inner = fields_filter.write(cache.fragment, specs, cache.index)
            answer = f"{BESAPI_OPEN}{inner}\n</BESAPI>\n".encode()
            cache.remember(text, answer)
        return Reply(200, answer, content_type)

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
        items = "".join(download_xml(shown_id, download) for download in action.downloads)
        resource = quoteattr(self.resource(request, f"/api/action/{shown_id}/downloads"))
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
            "Downloads": [download_json(action.id, item, first_index) for item in downloads],
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
            return plain(404, f"Download {index} of action {action.id} not found")
        if self.json_wanted(request):
            document = self.downloads_json(action, [download])
            if self.faulty("download-json-missing-key"):
                del document["Downloads"]
            return Reply(200, json.dumps(document, indent=2), JSON)
        item = download_xml(action.id, download)
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
            return plain(404, f"Download {index} of action {found.id} not found")
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
            f"{BESAPI_OPEN}\t<RetryDownload Resource={quoteattr(self.resource(request, path))}>\n"
            f"\t\t{response}\n\t</RetryDownload>\n</BESAPI>\n"
        )
        content_type = TEXT if self.faulty(f"retry-{which}-text") else XML
        return Reply(200, body, content_type)

"""Reference server for the Nexthink Act API v2 (classic): ``POST /api/remoteaction/v2/run``.

Seeded with the vendor page's example objects. A run is checked in the order of ``PRECEDENCE``
(every refusal comes before anything is dispatched), then dispatched to the targeted Engines,
each of which answers with its configured code after its configured delay; an Engine slower
than ``timeoutSeconds`` is reported as ``timeout``. Faults are in ``FAULTS``: one documented
behaviour each, named after the requirement it breaks.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from conformance.servers.base import (
    BUNDLED_RESTRICTED_PASSWORD,
    BUNDLED_RESTRICTED_USER,
    Fault,
    Handler,
    ReferenceApp,
    Reply,
    Request,
    Variant,
    route,
)

RUN_PATH = "/api/remoteaction/v2/run"
JSON = "application/json"
DEFAULT_TIMEOUT_SECONDS = 60
DEVICE_LIMIT = 10000
# The slow Engine takes just longer than the suite's timeoutSeconds (1 s), so it is reported as
# timeout without making every run that waits for it slow; with the ignore-timeout fault it
# takes IGNORED_TIMEOUT_SECONDS, well past the suite's allowed slack, and is waited for.
SLOW_ENGINE_SECONDS = 1.2
IGNORED_TIMEOUT_SECONDS = 4.0
# A portal user without "Allow API of remote actions".
RESTRICTED_USER = (BUNDLED_RESTRICTED_USER, BUNDLED_RESTRICTED_PASSWORD)
_GUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_HEX32_PATTERN = r"[0-9a-fA-F]{32}"
_GUID = re.compile(_GUID_PATTERN)
_HEX32 = re.compile(_HEX32_PATTERN)
_UID = f"(?:{_HEX32_PATTERN}|{_GUID_PATTERN})"
_UID_LINES = re.compile(rf"{_UID}(?:\n{_UID})*")  # device UIDs, one per line

# The error table of the vendor page: code -> (HTTP status, description).
ERRORS: dict[str, tuple[int, str]] = {
    "INVALID_REQUEST_JSON": (400, "The request body is not valid JSON"),
    "INVALID_REQUEST_CONTENT": (400, "The request body does not have the expected content"),
    "INTERNAL_ERROR": (500, "Internal error"),
    "CONTENT_TYPE": (400, "Content-Type must be application/json"),
    "ENCODING": (400, "The request body must be encoded in UTF-8"),
    "NO_REMOTE_ACTION_UID": (400, "No remote action UID"),
    "NO_DEVICES": (400, "No devices to target"),
    "TOO_MANY_DEVICES": (400, "Too many devices"),
    "INVALID_ACTION_UID": (400, "Invalid remote action UID"),
    "INVALID_DEVICE_UID": (400, "Invalid device UID"),
    "NO_PERMISSION": (403, "User has no permission to use the API of remote actions"),
    "UNKNOWN_OR_DISABLED_REMOTE_ACTION": (400, "Unknown or disabled remote action"),
    "NO_MANUAL_EXECUTION": (400, "Remote action not configured for manual execution"),
    "NO_ENGINES_TO_TARGET": (403, "No Engines to target"),
}

# The order in which a run request is checked: the first broken rule answers. Every code here
# is a refusal of the whole request, so nothing is dispatched to an Engine before all pass.
PRECEDENCE: tuple[str, ...] = (
    "NO_PERMISSION",
    "CONTENT_TYPE",
    "ENCODING",
    "INVALID_REQUEST_JSON",
    "INVALID_REQUEST_CONTENT",
    "NO_REMOTE_ACTION_UID",
    "NO_DEVICES",
    "TOO_MANY_DEVICES",
    "INVALID_ACTION_UID",
    "INVALID_DEVICE_UID",
    "UNKNOWN_OR_DISABLED_REMOTE_ACTION",
    "NO_MANUAL_EXECUTION",
    "NO_ENGINES_TO_TARGET",
)

FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("no-auth", "NEXTHINK-AUTH-401", "runs requests that carry no valid credentials"),
        Fault("get-405", "NEXTHINK-RUN-GET-404", "GET on the run URL answers 405"),
        Fault(
            "run-text-plain",
            "NEXTHINK-RUN-200",
            "a successful run is labelled text/plain",
            also_untested=("NEXTHINK-RUN-RESULT-SCHEMA",),  # a body not labelled JSON is not judged
        ),
        Fault(
            "result-message-null",
            "NEXTHINK-RUN-RESULT-SCHEMA",
            "each per-Engine result has message null",
        ),
        Fault(
            "all-engines-first-only",
            "NEXTHINK-RUN-ALL-ENGINES",
            "without engineDatabaseUids only the first connected Engine is targeted",
        ),
        Fault(
            "filter-first-only",
            "NEXTHINK-RUN-ENGINE-FILTER",
            "with engineDatabaseUids only the first named Engine is targeted",
        ),
        Fault(
            "duplicate-result",
            "NEXTHINK-RUN-ONE-PER-ENGINE",
            "the first Engine's result is listed twice",
        ),
        Fault(
            "ignore-timeout",
            "NEXTHINK-RUN-TIMEOUT",
            f"waits for the slowest Engine ({IGNORED_TIMEOUT_SECONDS:g} s) whatever timeoutSeconds"
            " says",
        ),
        Fault(
            "reject-unknown-params",
            "NEXTHINK-RUN-PARAMS-UNKNOWN",
            "unknown params names answer 400 INVALID_REQUEST_CONTENT",
        ),
        Fault(
            "unknown-engine-error",
            "NEXTHINK-RESULT-EXCLUDED",
            "an unknown engineDatabaseUid is reported as engine_error",
        ),
        Fault(
            "error-message-key",
            "NEXTHINK-ERROR-ENVELOPE",
            "errors carry their description under message instead of error",
        ),
        Fault("error-html", "NEXTHINK-ERROR-ENVELOPE", "errors are labelled text/html"),
        Fault(
            "any-content-type",
            "NEXTHINK-ERR-CONTENT-TYPE",
            "accepts a JSON body whatever its Content-Type",
        ),
        Fault(
            "encoding-replaced",
            "NEXTHINK-ERR-ENCODING",
            "bytes that are not UTF-8 are replaced and the run goes ahead",
        ),
        Fault(
            "json-error-as-content",
            "NEXTHINK-ERR-INVALID-REQUEST-JSON",
            "malformed JSON answers INVALID_REQUEST_CONTENT",
        ),
        Fault(
            "content-error-500",
            "NEXTHINK-ERR-INVALID-REQUEST-CONTENT",
            "a field of the wrong type answers 500 INTERNAL_ERROR",
        ),
        Fault(
            "missing-action-invalid",
            "NEXTHINK-ERR-NO-REMOTE-ACTION-UID",
            "a missing remoteActionUid answers INVALID_ACTION_UID",
        ),
        Fault(
            "empty-devices-run",
            "NEXTHINK-ERR-NO-DEVICES",
            "a run without devices goes ahead",
        ),
        Fault(
            "empty-engines-all",
            "NEXTHINK-ERR-NO-ENGINES-TO-TARGET",
            "an empty engineDatabaseUids runs on every connected Engine",
        ),
        Fault(
            "no-device-limit",
            "NEXTHINK-ERR-TOO-MANY-DEVICES",
            "any number of devices is accepted",
        ),
        Fault(
            "device-limit-off-by-one",
            "NEXTHINK-ERR-TOO-MANY-DEVICES",
            "exactly the device limit already answers TOO_MANY_DEVICES",
        ),
        Fault(
            "malformed-action-unknown",
            "NEXTHINK-ERR-INVALID-ACTION-UID",
            "a malformed remoteActionUid answers UNKNOWN_OR_DISABLED_REMOTE_ACTION",
        ),
        Fault(
            "device-uid-unchecked",
            "NEXTHINK-ERR-INVALID-DEVICE-UID",
            "malformed device UIDs are passed on to the Engines",
        ),
        Fault(
            "no-permission-unchecked",
            "NEXTHINK-ERR-NO-PERMISSION",
            "a user without 'Allow API of remote actions' runs remote actions",
        ),
        Fault(
            "disabled-action-runs",
            "NEXTHINK-ERR-UNKNOWN-OR-DISABLED-REMOTE-ACTION",
            "a disabled remote action runs",
        ),
        Fault(
            "no-manual-403",
            "NEXTHINK-ERR-NO-MANUAL-EXECUTION",
            "NO_MANUAL_EXECUTION answers 403 instead of 400",
        ),
    )
}


# Conformant ways of answering (conformance mock nexthink --variant NAME); the HTTP-level ones
# come from servers.base.
VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant(
            "message-omitted",
            "a per-Engine result with nothing to say has no message member",
            "the page: message is a 'Possible additional message from the Engine'",
        ),
        Variant(
            "ok-with-message",
            "an Engine that took the run says so in its message",
            "the page: message is a 'Possible additional message from the Engine', for any code",
        ),
        Variant(
            "error-wording",
            "error descriptions are worded differently from the page's example",
            "the page: error is the 'Description of the error code'; only the codes are fixed",
        ),
        Variant(
            "check-order-reversed",
            "the request rules are checked in reverse order (NO_PERMISSION last)",
            "the page gives no order between the error codes; a request breaking one rule gets "
            "its code whatever the order",
        ),
        Variant(
            "html-undocumented-bodies",
            "401 and the GET 404 carry an HTML page, as a portal's web server may",
            "the page documents the 404 of a GET and NOTES the 401, neither their body",
        ),
        Variant(
            "device-limit-1000",
            "at most 1000 devices per run (the target file's device_limit says so)",
            "the classic page publishes no device limit (only TOO_MANY_DEVICES)",
        ),
    )
}
ERROR_WORDING = "The request was refused ({code}): {description}."
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class RemoteAction:
    uid: str
    name: str
    manual: bool = True
    enabled: bool = True
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Engine:
    """A connected Engine: the code it answers with, and how long it takes to answer."""

    database_uid: str
    code: str = "ok"
    message: str = ""
    delay: float = 0.0


# The page's examples: a manually executable action, one without manual execution, and the
# three Engines of "Target all Engines"; plus a disabled action and one Engine per other code.
SEEDED_ACTIONS: tuple[RemoteAction, ...] = (
    RemoteAction("07844969-1889-4de3-9026-020af94be855", "Restart service", parameters=("Reason",)),
    RemoteAction("e6bb97be-0957-49e0-9922-1a684d093858", "Collect logs", manual=False),
    RemoteAction("b21b9377-3624-4046-8378-76244657d2d4", "Clear cache", enabled=False),
)
SEEDED_ENGINES: tuple[Engine, ...] = (
    Engine("86acc8511251ec444d3a75bac33a23c7"),
    Engine("a4690014774dcc32b919c27d616166f7"),
    Engine(
        "ce80dddfdb7a5c2346c4ac184b7d6a54",
        "engine_error",
        "Error in request to engine [172.16.5.177:999]: no license",
    ),
    Engine("5f0c1e2d3b4a69788796a5b4c3d2e1f0", "not_connected", "Engine is not connected"),
    Engine(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "no_permission", "User has no permission on the Engine"
    ),
    Engine("f9e8d7c6b5a403928170f6e5d4c3b2a1", delay=SLOW_ENGINE_SECONDS),
)
DOC_ENGINE_UIDS = tuple(engine.database_uid for engine in SEEDED_ENGINES[:3])
SEEDED_DEVICE_UIDS: tuple[str, ...] = (
    "da2add909a144e8235453f88dc45172f",
    "4423e4c059b2c72ee9382e135888bef7",
    "13ea2b236e6833ffe6045a7715968cba",
    "3537e2f2eb0d5f2152da59e7cbcb505b",
)


class RunError(Exception):
    """A refusal from the error table."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass
class Run:
    """A run request that passed every check."""

    action: RemoteAction
    device_uids: list[str]
    engine_uids: list[str] | None
    timeout: float
    params: dict[str, str] = field(default_factory=dict)
    request_uid: str | None = None


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(map(isinstance, value, itertools.repeat(str)))


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_str_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())


# The type each documented field must have when present and not null.
FIELD_TYPES: dict[str, Callable[[object], bool]] = {
    "requestUid": lambda value: isinstance(value, str),
    "remoteActionUid": lambda value: isinstance(value, str),
    "deviceUids": _is_str_list,
    "engineDatabaseUids": _is_str_list,
    "timeoutSeconds": _is_positive_int,
    "params": _is_str_map,
}


def is_device_uid(value: str) -> bool:
    return bool(_HEX32.fullmatch(value) or _GUID.fullmatch(value))


def malformed_device_uids(devices: list[str]) -> list[str]:
    """The entries of ``devices`` that are not device UIDs, in order. A list of 10000 is
    matched by one regular expression over its lines (an entry holding a line break makes
    the line count differ, and then each entry is matched on its own)."""
    joined = "\n".join(devices)
    if joined.count("\n") == len(devices) - 1 and _UID_LINES.fullmatch(joined):
        return []
    return [uid for uid in devices if not is_device_uid(uid)]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class NexthinkApp(ReferenceApp):
    API = "nexthink"
    HISTORY = ("executions",)  # an execution cannot be deleted through the API
    FAULTS = FAULTS
    VARIANTS = VARIANTS

    def __init__(self, fault: str | None = None, **kwargs: Any) -> None:
        super().__init__(fault, **kwargs)
        self.actions: dict[str, RemoteAction] = {
            action.uid.lower(): action for action in SEEDED_ACTIONS
        }
        self.engines: list[Engine] = list(SEEDED_ENGINES)
        self.device_limit = 1000 if self.varies("device-limit-1000") else DEVICE_LIMIT
        self.restricted_users: set[tuple[str, str]] = {RESTRICTED_USER}
        self.executions: list[Run] = []  # every run dispatched to Engines, oldest first

    # -- plumbing --------------------------------------------------------------------------

    def handle(self, request: Request, handler: Handler) -> Reply:
        credentials = request.basic_auth()
        known = self.authorized(request) or credentials in self.restricted_users
        if not known and not self.faulty("no-auth"):
            challenge = {"WWW-Authenticate": 'Basic realm="Nexthink"'}
            if self.varies("html-undocumented-bodies"):
                return Reply(401, "<html><body>401 Unauthorized</body></html>", HTML, challenge)
            return Reply(401, b"", None, challenge)
        return super().handle(request, handler)

    def error(self, code: str, detail: str = "") -> Reply:
        status, description = ERRORS[code]
        if code == "NO_MANUAL_EXECUTION" and self.faulty("no-manual-403"):
            status = 403
        key = "message" if self.faulty("error-message-key") else "error"
        text = f"{description}: {detail}" if detail else description
        if self.varies("error-wording"):
            text = ERROR_WORDING.format(code=code.lower().replace("_", " "), description=text)
        content_type = "text/html" if self.faulty("error-html") else JSON
        return Reply(status, json.dumps({"code": code, key: text}), content_type)

    # -- routes ----------------------------------------------------------------------------

    def fixtures(self) -> dict[str, Any]:
        """The page's example UIDs this server is seeded with, as target-file fixtures."""
        by_kind = {
            "remote_action_uid": lambda action: action.enabled and action.manual,
            "remote_action_uid_no_manual": lambda action: action.enabled and not action.manual,
            "remote_action_uid_disabled": lambda action: not action.enabled,
        }
        offered: dict[str, Any] = {}
        for key, matches in by_kind.items():
            uids = [action.uid for action in self.actions.values() if matches(action)]
            if uids:
                offered[key] = uids[0]
        offered["device_uids"] = list(SEEDED_DEVICE_UIDS)
        offered["engine_database_uids"] = list(DOC_ENGINE_UIDS)
        offered["device_limit"] = self.device_limit
        return offered

    @route("GET", RUN_PATH)
    def run_get(self, request: Request) -> Reply:
        if self.faulty("get-405"):
            return Reply(405, "Method Not Allowed", "text/plain", {"Allow": "POST"})
        if self.varies("html-undocumented-bodies"):
            return Reply(404, "<html><body>404 Not Found</body></html>", HTML)
        return Reply(404, "Not Found", "text/plain")

    @route("POST", RUN_PATH)
    def run(self, request: Request) -> Reply:
        try:
            run = self.check(request)
            results = self.dispatch_run(run)
        except RunError as refusal:
            return self.error(refusal.code, refusal.detail)
        except Exception as exc:  # an unexpected failure is the table's INTERNAL_ERROR
            return self.error("INTERNAL_ERROR", type(exc).__name__)
        content_type = "text/plain" if self.faulty("run-text-plain") else JSON
        return Reply(200, json.dumps(results), content_type)

    # -- checks, in the order of PRECEDENCE ------------------------------------------------

    def check(self, request: Request) -> Run:
        restricted = request.basic_auth() in self.restricted_users
        restricted = restricted and not self.faulty("no-permission-unchecked")
        reverse = self.varies("check-order-reversed")
        if restricted and not reverse:
            raise RunError("NO_PERMISSION")
        document = self.decode(request)
        self.check_types(document)
        rules = self.rules(document)
        for rule in reversed(rules) if reverse else rules:
            refusal = rule()
            if refusal is not None:
                raise refusal
        if restricted:
            raise RunError("NO_PERMISSION")
        action = self.actions[document["remoteActionUid"].lower()]
        engines: list[str] | None = document.get("engineDatabaseUids")
        if engines == [] and self.faulty("empty-engines-all"):
            engines = None
        timeout = document.get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS
        params: dict[str, str] = document.get("params") or {}
        return Run(
            action,
            document.get("deviceUids") or [],
            engines,
            float(timeout),
            params,
            document.get("requestUid"),
        )

    def rules(self, document: dict[str, Any]) -> list[Callable[[], RunError | None]]:
        """The content rules in the order of ``PRECEDENCE``, each a refusal or None. A rule
        that needs an earlier one to hold (a lookup needs a well-formed UID) passes without it,
        so any order refuses a request that breaks one rule with that rule's code."""
        action_uid: str = document.get("remoteActionUid") or ""
        devices: list[str] = document.get("deviceUids") or []
        missing = not action_uid.strip()
        well_formed = not missing and bool(_GUID.fullmatch(action_uid))
        action = self.actions.get(action_uid.lower()) if well_formed else None
        usable = action is not None and (action.enabled or self.faulty("disabled-action-runs"))

        def no_remote_action_uid() -> RunError | None:
            if not missing:
                return None
            wrong = self.faulty("missing-action-invalid")
            return RunError("INVALID_ACTION_UID" if wrong else "NO_REMOTE_ACTION_UID")

        def no_devices() -> RunError | None:
            empty = not devices and not self.faulty("empty-devices-run")
            return RunError("NO_DEVICES") if empty else None

        def too_many_devices() -> RunError | None:
            limit = self.device_limit - (1 if self.faulty("device-limit-off-by-one") else 0)
            if len(devices) > limit and not self.faulty("no-device-limit"):
                return RunError("TOO_MANY_DEVICES", f"at most {self.device_limit}")
            return None

        def invalid_action_uid() -> RunError | None:
            if missing or well_formed:
                return None
            unknown = self.faulty("malformed-action-unknown")
            return RunError(
                "UNKNOWN_OR_DISABLED_REMOTE_ACTION" if unknown else "INVALID_ACTION_UID"
            )

        def invalid_device_uid() -> RunError | None:
            malformed = malformed_device_uids(devices)
            if malformed and not self.faulty("device-uid-unchecked"):
                return RunError("INVALID_DEVICE_UID", json.dumps(malformed[0]))
            return None

        def unknown_or_disabled() -> RunError | None:
            return (
                RunError("UNKNOWN_OR_DISABLED_REMOTE_ACTION")
                if well_formed and not usable
                else None
            )

        def no_manual_execution() -> RunError | None:
            return (
                RunError("NO_MANUAL_EXECUTION") if usable and action and not action.manual else None
            )

        def unknown_params() -> RunError | None:
            params: dict[str, str] = document.get("params") or {}
            names = sorted(set(params) - set(action.parameters if action else ()))
            if names and self.faulty("reject-unknown-params"):
                return RunError("INVALID_REQUEST_CONTENT", f"unknown parameter {names[0]}")
            return None

        def no_engines_to_target() -> RunError | None:
            engines = document.get("engineDatabaseUids")
            if engines == [] and self.faulty("empty-engines-all"):
                engines = None
            if engines == [] or (engines is None and not self.engines):
                return RunError("NO_ENGINES_TO_TARGET")
            return None

        return [
            no_remote_action_uid,
            no_devices,
            too_many_devices,
            invalid_action_uid,
            invalid_device_uid,
            unknown_or_disabled,
            no_manual_execution,
            unknown_params,
            no_engines_to_target,
        ]

    def decode(self, request: Request) -> Any:
        """CONTENT_TYPE, ENCODING and INVALID_REQUEST_JSON: the body as a JSON value."""
        header = Message()
        header["Content-Type"] = request.header("Content-Type") or ""
        media_type = header.get_content_type() if request.header("Content-Type") else ""
        if media_type != JSON and not self.faulty("any-content-type"):
            raise RunError("CONTENT_TYPE")
        charset = str(header.get_param("charset") or "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise RunError("ENCODING", f"charset {charset}")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            if not self.faulty("encoding-replaced"):
                raise RunError("ENCODING") from None
            text = request.body.decode("utf-8", "replace")
        try:
            document: Any = json.loads(text, parse_constant=_reject_constant)
        except ValueError:
            wrong = self.faulty("json-error-as-content")
            raise RunError("INVALID_REQUEST_CONTENT" if wrong else "INVALID_REQUEST_JSON") from None
        return document

    def check_types(self, document: Any) -> None:
        """INVALID_REQUEST_CONTENT: an object whose documented fields have their types."""
        problem = None
        if not isinstance(document, dict):
            problem = "the body is not a JSON object"
        else:
            for name, valid in FIELD_TYPES.items():
                value = document.get(name)
                if value is not None and not valid(value):
                    problem = f"{name} has the wrong type"
                    break
        if problem is None:
            return
        if self.faulty("content-error-500"):
            raise TypeError(problem)
        raise RunError("INVALID_REQUEST_CONTENT", problem)

    # -- dispatch --------------------------------------------------------------------------

    def targets(self, run: Run) -> list[str]:
        if run.engine_uids is None:
            everyone = [engine.database_uid for engine in self.engines]
            return everyone[:1] if self.faulty("all-engines-first-only") else everyone
        named = list(dict.fromkeys(run.engine_uids))
        return named[:1] if self.faulty("filter-first-only") else named

    def dispatch_run(self, run: Run) -> list[dict[str, Any]]:
        """Send the run to each targeted Engine; answer when all did or the timeout elapsed."""
        with self.lock:
            self.executions.append(run)
            engines = {engine.database_uid: engine for engine in self.engines}
        waited = 0.0
        results = []
        for uid in self.targets(run):
            engine = engines.get(uid)
            if engine is None:
                unknown_code = "engine_error" if self.faulty("unknown-engine-error") else "excluded"
                results.append(_result(uid, unknown_code, "Unknown databaseUid"))
            elif self.faulty("ignore-timeout") and engine.delay:
                waited = max(waited, IGNORED_TIMEOUT_SECONDS)
                results.append(_result(uid, engine.code, engine.message))
            elif engine.delay > run.timeout:
                waited = max(waited, run.timeout)
                message = f"No answer from the Engine within {run.timeout:g} s"
                results.append(_result(uid, "timeout", message))
            else:
                waited = max(waited, engine.delay)
                message = engine.message
                if engine.code == "ok" and self.varies("ok-with-message"):
                    message = "Remote action dispatched to the devices"
                results.append(_result(uid, engine.code, message))
        if self.faulty("duplicate-result") and results:
            results.append(dict(results[0]))
        if self.faulty("result-message-null"):
            for result in results:
                result["message"] = None
        if self.varies("message-omitted"):
            results = [{k: v for k, v in r.items() if k != "message" or v} for r in results]
        time.sleep(waited)
        return results


def _result(uid: str, code: str, message: str) -> dict[str, Any]:
    return {"databaseUid": uid, "code": code, "message": message}

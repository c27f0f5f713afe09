"""Body schemas, compiled once per process: XSD with lxml (libxml2), JSON Schema with jsonschema.

One ``referencing`` registry serves every JSON Schema ``$ref``, whether it points into a spec
(``specs/*.yaml``) or a schema file (``schemas/**.json``), relative or absolute, so a spec's
``$ref: ../schemas/x.schema.json`` and a schema's ``$ref: y.schema.json#/$defs/z`` resolve the
same way. Nothing is fetched from the network: only files under the spec and schema folders.

XML bodies are validated by lxml's ``XMLSchema`` (C speed) after the hardened parse of
``conformance.xmlsafe``; ``x-xml-root``, ``x-xml-children`` and ``x-xml-children-count`` (the
annotations the specs put beside ``x-xsd``) are checked on the parsed tree.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import jsonschema
import yaml
from lxml import etree
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from conformance import collector, versions, xmlsafe, xsd_worker
from conformance.memo import BoundedMemo
from conformance.paths import SCHEMAS_DIR, SPECS_DIR

__all__ = [
    "BodyCache",
    "XmlVerdict",
    "body_digest",
    "inline_refs",
    "json_problems",
    "json_validator",
    "load_document",
    "parsed_xml",
    "pruned_document",
    "registry",
    "remembered",
    "xml_problems",
    "xml_verdict",
    "xsd",
    "xsd_path",
]

_ROOTS = (SPECS_DIR.resolve(), SCHEMAS_DIR.resolve())
# libyaml's safe loader where PyYAML has it (same documents, ~10x faster than pure Python).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_XSD_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False}
_XSD_LOCK = threading.Lock()  # one compiled schema per process; its error log is shared


# -- documents and the JSON Schema registry ----------------------------------------------


def _path_of(uri: str) -> Path:
    parts = urlsplit(uri)
    if parts.scheme != "file":
        raise LookupError(f"only local schema files are loaded, not {uri!r}")
    path = Path(unquote(parts.path)).resolve()
    if not any(path.is_relative_to(root) for root in _ROOTS):
        raise LookupError(f"{path} is outside the spec and schema folders")
    return path


@cache
def load_document(path: Path) -> Any:
    """A spec (YAML) or schema (JSON) file, parsed once."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        return yaml.load(text, Loader=SAFE_LOADER)
    return json.loads(text)


@cache
def pruned_document(path: Path, version: str | None) -> Any:
    """A spec or schema file holding only what vendor ``version`` documents (all when None)."""
    return versions.prune(load_document(path), version)


@cache
def registry(version: str | None = None) -> Registry[Any]:
    """The one registry for every ``$ref``: specs and schema files, loaded on first use and
    pruned to what vendor ``version`` documents (``conformance.versions``)."""

    def retrieve(uri: str) -> Resource[Any]:
        document = pruned_document(_path_of(uri), version)
        return Resource.from_contents(document, default_specification=DRAFT202012)

    return Registry(retrieve=retrieve)  # type: ignore[call-arg]


@cache
def json_validator(uri: str, version: str | None = None) -> jsonschema.protocols.Validator:
    """A compiled validator for the schema at ``uri`` (``file:///...#/json/pointer``), its
    ``$ref``s resolved once here (``inline_refs``), not once per instance item."""
    validator_class = jsonschema.validators.Draft202012Validator
    try:
        schema = inline_refs(uri, version)
    except Unresolvable:  # left for validation to report, as jsonschema words it
        schema = {"$ref": uri}
    return validator_class(
        schema,
        registry=registry(version),
        format_checker=validator_class.FORMAT_CHECKER,
    )


_DATA_KEYWORDS = frozenset({"const", "default", "enum", "example", "examples"})  # not schemas
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


def inline_refs(uri: str, version: str | None = None) -> Any:
    """The schema at ``uri`` with every ``$ref`` replaced by the schema it points to, except a
    recursive one (kept, absolute). Validating against it is the same as against ``{"$ref":
    uri}``; a ``$ref`` beside other keywords becomes an ``allOf`` entry in its place. jsonschema
    looks each ``$ref`` up again for every instance it meets (a 10000-item list: 10000 lookups,
    most of a Nexthink run's time)."""
    resolver = registry(version).resolver()
    done: dict[str, Any] = {}

    def resolve(absolute: str, seen: frozenset[str]) -> Any:
        if absolute in seen:
            return {"$ref": absolute}  # recursive: jsonschema follows it at validation time
        if absolute not in done:
            contents = resolver.lookup(absolute).contents
            if isinstance(contents, dict):
                contents = {k: v for k, v in contents.items() if k != "$schema"}
            done[absolute] = walk(contents, urldefrag(absolute).url, seen | {absolute})
        return done[absolute]

    def walk(node: Any, base: str, seen: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [walk(item, base, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = resolve(urljoin(base, ref), seen)
            if len(node) == 1:
                return target
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out["allOf"] = [*out.get("allOf", []), target]
            elif key == "allOf" and isinstance(value, list):
                out["allOf"] = [*out.get("allOf", []), *walk(value, base, seen)]
            elif key in _DATA_KEYWORDS:
                out[key] = value
            elif key in _NAMED_SCHEMAS and isinstance(value, dict):
                out[key] = {name: walk(sub, base, seen) for name, sub in value.items()}
            else:
                out[key] = walk(value, base, seen)
        return out

    return resolve(uri, frozenset())


def json_problems(uri: str, document: Any, version: str | None = None) -> list[tuple[str, str]]:
    """``(json pointer, message)`` for each way ``document`` breaks the schema at ``uri``."""
    validator = json_validator(uri, version)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    problems = []
    for error in errors:
        # A failed $ref/anyOf explains itself best through its deepest cause.
        while error.context:
            error = max(error.context, key=lambda e: len(e.path))
        pointer = "".join(f"/{part}" for part in error.absolute_path)
        problems.append((pointer, error.message))
    return problems


# -- XSD --------------------------------------------------------------------------------------


def xsd_path(name: str) -> Path:
    """An XSD named as in the specs (``schemas/bigfix/BES.xsd``) or under ``schemas/``."""
    return SCHEMAS_DIR / name.removeprefix("schemas/")


@cache
def xsd(name: str) -> etree.XMLSchema:
    """The compiled XSD (lxml), once per process."""
    parser = etree.XMLParser(**_XSD_PARSER_OPTIONS)
    return etree.XMLSchema(etree.parse(str(xsd_path(name)), parser))


class XmlVerdict:
    """What judging one XML body found: the parsed root (if any) and the problems."""

    def __init__(self, root: etree._Element | None, problems: list[str]) -> None:
        self.root = root
        self.problems = problems


# A body's parse and verdicts, kept by whoever holds the body (``http.Response.cache``), so a
# large document is parsed once and validated once per schema, whoever asks.
BodyCache = dict[Any, Any]
_REMEMBERED: dict[int, tuple[bytes, BodyCache]] = {}  # id(content) -> (content, its cache)
_REMEMBERED_LOCK = threading.Lock()


@contextmanager
def remembered(content: bytes, cache: BodyCache) -> Iterator[None]:
    """While inside, ``xml_problems(content, ...)`` called without a cache (e.g. by
    schemathesis's deserializer, which sees only the bytes) uses ``cache``."""
    with _REMEMBERED_LOCK:
        _REMEMBERED[id(content)] = (content, cache)
    try:
        yield
    finally:
        with _REMEMBERED_LOCK:
            _REMEMBERED.pop(id(content), None)


def _cache_for(content: bytes | etree._Element) -> BodyCache | None:
    entry = _REMEMBERED.get(id(content))
    return entry[1] if entry is not None and entry[0] is content else None


def utf8_problem(content: bytes, chunk: int = 1 << 20) -> str | None:
    """Why ``content`` is not UTF-8 (None: it is), read a megabyte at a time (a 30 MB body is
    never held a second time as text)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    for start in range(0, len(content), chunk):
        held = len(decoder.getstate()[0])  # a character cut by the last chunk, carried over
        try:
            decoder.decode(view[start : start + chunk], final=start + chunk >= len(content))
        except UnicodeDecodeError as exc:
            return f"body is not valid UTF-8: {exc.reason} at byte {start - held + exc.start}"
    return None


def parsed_xml(content: bytes, cache: BodyCache | None = None) -> XmlVerdict:
    """The body parsed with the hardened parser (root, or the one problem that stops it);
    once per ``cache``."""
    if cache is not None and "xml" in cache:
        found: XmlVerdict = cache["xml"]
        return found
    invalid = utf8_problem(content)
    if invalid is not None:
        verdict = XmlVerdict(None, [invalid])
    else:
        try:
            verdict = XmlVerdict(xmlsafe.parse(content), [])
        except (etree.XMLSyntaxError, xmlsafe.UnsafeXMLError) as exc:
            verdict = XmlVerdict(None, [f"body is not acceptable XML: {exc}"])
    if cache is not None:
        cache["xml"] = verdict
    return verdict


def forget_tree(cache: BodyCache) -> None:
    """Drop a body's parsed tree (a 30 MB BigFix status is ~300 MiB as one), keeping its
    verdicts: whoever reads the body next parses it again, and its XSD verdicts still hold."""
    parsed = cache.get("xml")
    if parsed is not None and parsed.root is not None:
        del cache["xml"]


STREAM_BYTES = 4 << 20  # a body this large is first judged as a stream, without a tree
_READING = threading.local()


@contextmanager
def reading(
    path: tuple[str, ...], add: Callable[[list[etree._Element]], object]
) -> Iterator[xmlsafe.Visit]:
    """While inside, the first large body this thread judges as a stream (a response the
    code inside asks for, judged by the spec judge as it arrives) hands each element child of
    the element at ``path`` to ``add`` (a list at a time) while it is validated: one pass
    judges the body and
    reads it. The ``Visit`` yielded says whether that happened: ``done`` only when the body
    was judged clean and read to its end; otherwise the caller reads the body itself (what
    ``add`` was given meanwhile is to be thrown away)."""
    visit = xmlsafe.Visit(path, add)
    _READING.visit = visit
    try:
        yield visit
    finally:
        _READING.visit = None


# Stream verdicts of large bodies by the body's SHA-256 digest (``body_digest``): a server that
# answers the same bytes again (the same filter drawn twice, two filters that select the same) is
# not read again.
_STREAMED: BoundedMemo[tuple[Any, ...], bool] = BoundedMemo(256)


def forget_verdicts() -> None:
    """Forget the stream verdicts of equal bodies (``_STREAMED``: benchmarks, tests)."""
    _STREAMED.clear()


def body_digest(content: bytes, cache: BodyCache | None = None) -> bytes:
    """The SHA-256 digest that stands for a large body (collision resistant: a server cannot
    make an unvalidated body pass for a validated one), once per body (``cache``); SHA-256
    runs at ~1.7 GB/s where the CPU has SHA extensions, BLAKE2 at ~0.8 GB/s."""
    if cache is not None and "digest" in cache:
        return bytes(cache["digest"])
    digest = hashlib.sha256(content).digest()
    if cache is not None:
        cache["digest"] = digest
    return digest


def _xsd_name(schema: Mapping[str, Any], filtered: bool) -> str | None:
    name = schema.get("x-xsd-filtered") if filtered else None
    return name or schema.get("x-xsd")


def _clean_by_stream(
    content: bytes, schema: Mapping[str, Any], filtered: bool, cache: BodyCache | None
) -> bool:
    """Whether ``content`` holds for ``schema`` (UTF-8, the hardened parse, root, children and
    XSD), judged while it is read (libxml2 validates the stream; each child of the root is
    dropped once read), so a large clean body never exists as a tree (a 30 MB BigFix status is
    ~300 MiB as one). False only says "not shown clean": the tree judge then finds the
    problems, with the same messages as for any body. Once per body and schema (``cache``)."""
    name = _xsd_name(schema, filtered)
    allowed = schema.get("x-xml-children")
    key = (
        "streamed",
        schema.get("x-xml-root"),
        None if allowed is None else tuple(allowed),
        schema.get("x-xml-children-count"),
        name,
    )
    visit = getattr(_READING, "visit", None)
    _READING.visit = None  # for the first large body judged inside ``reading`` only
    if cache is not None and key in cache:
        return bool(cache[key])

    def judge() -> bool:
        clean = utf8_problem(content) is None and _stream_holds(content, schema, name, visit)
        if visit is not None:
            visit.done = visit.done and clean
        return clean

    clean = _STREAMED.remember((body_digest(content, cache), len(content), *key), judge)
    if cache is not None:
        cache[key] = clean
        if clean and name is not None:
            cache[("xsd", name)] = None  # the verdict on this body's own tree, if one is built
    return clean


def _stream_holds(
    content: bytes, schema: Mapping[str, Any], name: str | None, visit: xmlsafe.Visit | None
) -> bool:
    expected_root = schema.get("x-xml-root")
    if expected_root is None:
        return False  # the tree judge says what the root is
    try:
        with _XSD_LOCK, collector.paused(visit is not None):
            children = _validated_stream(content, expected_root, name, visit)
    except (etree.XMLSyntaxError, xmlsafe.UnsafeXMLError):
        return False
    allowed = schema.get("x-xml-children")
    count = schema.get("x-xml-children-count")
    return (
        children is not None
        and (allowed is None or all(tag in allowed for tag in children))
        and (count is None or len(children) == count)
    )


def _validated_stream(
    content: bytes, root: str, name: str | None, visit: xmlsafe.Visit | None
) -> list[str] | None:
    """``xmlsafe.stream_root`` of ``content`` with the XSD ``name`` (raising as it does). A
    large body that ``visit`` reads is validated by ``xsd_worker`` meanwhile: this process
    parses it without the schema and reads it; the worker's answer is the verdict."""
    compiled = xsd(name) if name is not None else None
    pending = (
        xsd_worker.submit(content, root, name) if visit is not None and name is not None else None
    )
    if pending is None:
        return xmlsafe.stream_root(content, root, compiled, visit)
    try:
        xmlsafe.stream_root(content, root, None, visit)
    except (etree.XMLSyntaxError, xmlsafe.UnsafeXMLError):
        if visit is not None:
            visit.done = False  # the worker's answer still says why
    try:
        return pending.result()
    except xsd_worker.WorkerLost:
        xsd_worker.lose()
        if visit is not None:
            visit.done = False  # read, but not shown valid: the caller reads it again
        return xmlsafe.stream_root(content, root, compiled)


def xml_verdict(
    content: bytes | etree._Element,
    schema: Mapping[str, Any],
    *,
    filtered: bool = False,
    cache: BodyCache | None = None,
) -> XmlVerdict:
    """Judge an XML body against an OpenAPI schema object carrying ``x-xsd`` and friends.

    ``filtered`` picks ``x-xsd-filtered`` when the schema has one (BigFix ``?fields=``).
    ``cache`` keeps the parse and each XSD's verdict for this body (see ``BodyCache``).
    """
    if cache is None:
        cache = _cache_for(content)
    if (
        isinstance(content, bytes)
        and len(content) >= STREAM_BYTES
        and (cache is None or "xml" not in cache)
        and _clean_by_stream(content, schema, filtered, cache)
    ):
        return XmlVerdict(None, [])  # clean, and no tree built (whoever needs one parses)
    if isinstance(content, bytes):
        parsed = parsed_xml(content, cache)
        if parsed.root is None:
            return XmlVerdict(None, list(parsed.problems))
        root = parsed.root
    else:
        root = content
    problems: list[str] = []
    expected_root = schema.get("x-xml-root")
    if expected_root is not None and root.tag != expected_root:
        problems.append(f"expected root element <{expected_root}>, got <{root.tag}>")
    children = [child.tag for child in root if isinstance(child.tag, str)]
    allowed = schema.get("x-xml-children")
    if allowed is not None:
        stray = sorted({tag for tag in children if tag not in allowed})
        if stray:
            problems.append(f"<{root.tag}> holds {stray}; documented children: {allowed}")
    count = schema.get("x-xml-children-count")
    if count is not None and len(children) != count:
        problems.append(f"expected {count} child element(s) under <{root.tag}>, got {children}")
    name = _xsd_name(schema, filtered)
    if name is not None:
        invalid = _xsd_problem(root, name, cache)
        if invalid is not None:
            problems.append(invalid)
    return XmlVerdict(root, problems)


def _xsd_problem(root: etree._Element, name: str, cache: BodyCache | None) -> str | None:
    """Why ``root`` does not validate against the XSD ``name`` (None: valid); once per body
    and XSD when the body's ``cache`` is given (it holds the verdict on this very tree)."""
    parsed = cache.get("xml") if cache is not None else None
    # The body's own tree: the verdict is the body's (it holds after ``forget_tree``).
    own = parsed is not None and parsed.root is root
    key: tuple[Any, ...] = ("xsd", name) if own else ("xsd", name, id(root))
    if cache is not None and key in cache:
        found: str | None = cache[key]
        return found
    compiled = xsd(name)
    with _XSD_LOCK:
        valid = compiled.validate(root)
        log = list(compiled.error_log)
    problem = None
    if not valid:
        first = log[0] if log else None
        where = f" at {first.path} (line {first.line})" if first is not None else ""
        message = first.message if first is not None else "invalid"
        problem = (
            f"body does not validate against {Path(name).name}: {message}{where} "
            f"({len(log)} error(s))"
        )
    if cache is not None:
        cache[key] = problem
    return problem


def xml_problems(
    content: bytes | etree._Element,
    schema: Mapping[str, Any],
    *,
    filtered: bool = False,
    cache: BodyCache | None = None,
) -> list[str]:
    """Problems of an XML body for an OpenAPI schema object with ``x-xsd``; ``[]`` = valid.

    The function schemathesis's XML deserializer and the contract judge share.
    """
    return xml_verdict(content, schema, filtered=filtered, cache=cache).problems

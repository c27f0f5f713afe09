"""Small reusable checks. Each raises ``CheckFailure`` with expected versus received.

A failure carries the exchange that shows it, so the report can show the request, the response
and a curl line that reproduces it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
from lxml import etree

from conformance import schemas, xmlsafe
from conformance.failures import CheckFailure  # defined below the client; checks.CheckFailure
from conformance.http import Response
from conformance.paths import SCHEMAS_DIR

RFC1123_NUMERIC = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)


def fail(message: str, response: Response | None = None) -> CheckFailure:
    return CheckFailure(message, response.exchange if response is not None else None)


def expect(condition: bool, message: str, response: Response | None = None) -> None:
    if not condition:
        raise fail(message, response)


def expect_status(response: Response, *allowed: int) -> None:
    if response.status not in allowed:
        wanted = " or ".join(str(code) for code in allowed)
        raise fail(f"expected status {wanted}, got {response.status}", response)


def expect_content_type(response: Response, *allowed: str) -> None:
    if response.content_type not in allowed:
        wanted = " or ".join(allowed)
        got = response.headers.get("Content-Type", "(none)")
        raise fail(f"expected Content-Type {wanted}, got {got}", response)


def expect_empty_body(response: Response) -> None:
    if response.content.strip():
        raise fail(f"expected an empty body, got {len(response.content)} bytes", response)


def expect_utf8(response: Response) -> str:
    try:
        return response.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"body is not valid UTF-8: {exc.reason} at byte {exc.start}", response) from None


def xml_schema(name: str) -> etree.XMLSchema:
    """A compiled XSD from ``schemas/`` (lxml, once per process), e.g. ``bigfix/BESAPI.xsd``."""
    return schemas.xsd(name)


def json_schema(name: str, version: str | None = None) -> jsonschema.protocols.Validator:
    """A JSON Schema validator (compiled once) for a file under ``schemas/``, holding what vendor
    ``version`` documents (every documented version's rules when None; ``conformance.versions``).
    Its ``$ref``s resolve through the one registry, so relative references to neighbours work."""
    return schemas.json_validator((SCHEMAS_DIR / name).resolve().as_uri(), version)


def parse_xml(response: Response) -> etree._Element:
    """The response's XML root, parsed with the hardened parser once per response (the spec
    judge and every check share it: read it, do not change it)."""
    parsed = schemas.parsed_xml(response.content, response.cache)
    if parsed.root is None:
        raise fail(parsed.problems[0], response)
    return parsed.root


class XmlChildren:
    """The element children of the element at ``path`` (root first, ``*`` for any root) of a
    response's XML body, to iterate once: read as a stream unless the body's tree was built
    already, so a large body is never held as a tree. ``found``: whether the element at
    ``path`` exists (once iterated). A body that is not UTF-8 or not acceptable XML fails
    (``CheckFailure``) as ``parse_xml`` says."""

    def __init__(self, response: Response, path: tuple[str, ...]) -> None:
        self.response = response
        self.path = path
        self.found = False

    def __iter__(self) -> Iterator[etree._Element]:
        response = self.response
        parsed = response.cache.get("xml")
        if parsed is not None or len(response.content) < schemas.STREAM_BYTES:
            root = parse_xml(response)
            element: etree._Element | None = root
            if self.path[0] not in ("*", root.tag):
                element = None
            for name in self.path[1:]:
                element = element.find(name) if element is not None else None
            self.found = element is not None
            yield from element.iterchildren(etree.Element) if element is not None else ()
            return
        problem = schemas.utf8_problem(response.content)
        if problem is not None:
            raise fail(problem, response)
        stream = xmlsafe.Children(response.content, self.path)
        try:
            yield from stream
        except (etree.XMLSyntaxError, xmlsafe.UnsafeXMLError) as exc:
            parse_xml(response)  # fails with the words it fails with for any body
            raise fail(f"body is not acceptable XML: {exc}", response) from None
        self.found = stream.found


def expect_xml_valid(
    response: Response, schema_name: str, root: str | None = None
) -> etree._Element:
    """Parse safely, check the root element name, validate against our XSD (lxml)."""
    element = parse_xml(response)
    if root is not None and element.tag != root:
        raise fail(f"expected root element <{root}>, got <{element.tag}>", response)
    problems = schemas.xml_problems(element, {"x-xsd": schema_name}, cache=response.cache)
    if problems:
        raise fail(problems[0], response)
    return element


def expect_json_valid(response: Response, schema_name: str, version: str | None = None) -> Any:
    """Decode the body as JSON and validate it against one of our JSON Schemas."""
    expect_utf8(response)
    try:
        document = response.json()
    except ValueError as exc:
        raise fail(f"body is not JSON: {exc}", response) from None
    validator = json_schema(schema_name, version)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        location = "/".join(str(part) for part in first.absolute_path) or "(root)"
        raise fail(f"body does not match {schema_name} at {location}: {first.message}", response)
    return document


def expect_rfc1123(value: str | None, what: str, response: Response) -> None:
    if value is None or not RFC1123_NUMERIC.match(value):
        raise fail(
            f"{what} {value!r} is not an RFC 1123 time with a numeric offset "
            "(like 'Tue, 19 Mar 2013 21:23:10 +0000')",
            response,
        )


def expect_plain_text_message(response: Response) -> str:
    """A non-empty ``text/plain`` body (an error message meant for people); returns it."""
    expect_content_type(response, "text/plain")
    text = expect_utf8(response).strip()
    if not text:
        raise fail("expected a plain-text message, got an empty body", response)
    return text


def expect_header_matches(response: Response, name: str, pattern: str) -> str:
    """A header whose value matches the regular expression ``pattern``; returns the value."""
    value = response.headers.get(name)
    if value is None or re.search(pattern, value) is None:
        raise fail(f"expected header {name} matching {pattern!r}, got {value!r}", response)
    return value


def expect_child_tags(element: etree._Element, tags: list[str], response: Response) -> None:
    """The element's child elements are exactly ``tags``, in order (comments ignored)."""
    children = [child.tag for child in element if isinstance(child.tag, str)]
    if children != tags:
        wanted = "".join(f"<{tag}>" for tag in tags)
        raise fail(f"expected exactly {wanted} under <{element.tag}>, got {children}", response)

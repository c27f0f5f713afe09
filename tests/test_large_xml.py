"""Large XML bodies are judged as a stream: the same verdicts as the tree judge, no tree kept.

``schemas.xml_problems`` first reads a body of ``STREAM_BYTES`` or more as a stream (libxml2
validates it while it is read) and says "clean" only when the stream shows it clean; anything
else goes to the tree judge. ``checks.XmlChildren`` reads the children of one element as a
stream. Here every body is treated as large (``STREAM_BYTES = 0``) and small chunks are fed,
so the stream paths meet every document the tree judge is tested on.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from lxml import etree
from requests.structures import CaseInsensitiveDict

from conformance import checks, schemas, xmlsafe
from conformance.http import Exchange, Response
from conformance.memo import BoundedMemo
from tests.test_bigfix_schemas import (
    CORPUS,
    INVALID_HANDMADE,
    OUT_OF_SCOPE,
    VALID_HANDMADE,
    XML_CASES,
    corpus_file,
)

STATUS = {"x-xsd": "schemas/bigfix/BESAPI.xsd", "x-xml-root": "BESAPI"}
STATUS_FILTERED = {**STATUS, "x-xsd-filtered": "schemas/bigfix/BESAPI-filtered.xsd"}
ONE_CHILD = {**STATUS, "x-xml-children": ["ActionResults"], "x-xml-children-count": 1}
ACTION = {"x-xsd": "schemas/bigfix/BES.xsd", "x-xml-root": "BES", "x-xml-children-count": 1}
SPEC_SCHEMAS = [(STATUS, False), (STATUS_FILTERED, True), (ONE_CHILD, False), (ACTION, False)]

COMPUTER = (
    '<Computer ID="{id}" Name="host-{id}"><Status>The action completed.</Status>'
    '<State IsError="0">3</State><ApplyCount>1</ApplyCount><RetryCount>0</RetryCount>'
    "<LineNumber>1</LineNumber></Computer>"
)


def _status(rows: str, *, root: str = "BESAPI", after: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}><ActionResults Resource='
        f'"http://h:52311/api/action/44/status"><ActionID>44</ActionID><Status>Open</Status>'
        f"{rows}</ActionResults>{after}</{root}>\n"
    ).encode()


ROWS = "".join(COMPUTER.format(id=index) for index in range(300))
LAST_BROKEN = ROWS[: ROWS.rindex("<State")] + "<Bogus/>" + ROWS[ROWS.rindex("</State>") + 8 :]
MADE: dict[str, bytes] = {
    "valid status": _status(ROWS),
    "last computer breaks the XSD": _status(LAST_BROKEN),
    "root misnamed": _status(ROWS, root="BESAPIX"),
    "second root child": _status(ROWS, after="<ActionResults/>"),
    "unknown root child": _status(ROWS, after="<NoSuchChild/>"),
    "comment among the rows": _status(
        ROWS.replace("</Computer><Computer", "</Computer><!-- c --><Computer", 1)
    ),
    "not UTF-8": _status(ROWS).replace(b"host-7<", b"h\xe9st-7<"),
    "latin-1 declared": _status(ROWS.replace("host-7", "h\u00e9st-7"))
    .replace(b"UTF-8", b"ISO-8859-1")
    .replace("h\u00e9st".encode(), b"h\xe9st"),
    "cut short": _status(ROWS)[:-200],
    "cut after the root opens": _status(ROWS)[:200],
    "attribute left open midway": _status(ROWS.replace('ID="150"', 'ID="150', 1)),
    "mismatched end tag": _status(ROWS.replace("</ApplyCount>", "</ApplyCountX>", 1)),
    "text after the root": _status(ROWS) + b"junk",
    "two roots": _status(ROWS) + b"<BESAPI/>",
    "unbound prefix": _status(ROWS.replace('<Computer ID="7"', '<Computer xsi:type="x" ID="7"')),
    "undefined entity": _status(ROWS.replace("completed.", "compl&foo;ted.", 1)),
    "doctype": _status(ROWS).replace(b"?>\n", b'?>\n<!DOCTYPE BESAPI [<!ENTITY a "b">]>\n', 1),
}


def _documents() -> Iterator[tuple[str, bytes]]:
    yield from MADE.items()
    for label, document in VALID_HANDMADE.items():
        yield label, document.encode()
    for label, (document, _) in INVALID_HANDMADE.items():
        yield label, document.encode()


DOCUMENTS = dict(_documents())


@pytest.fixture(autouse=True)
def fresh_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every body here is streamed, not found among the verdicts of equal bodies before."""
    monkeypatch.setattr(schemas, "_STREAMED", BoundedMemo(256))


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemas, "STREAM_BYTES", 0)
    monkeypatch.setattr(xmlsafe, "CHUNK", 97)  # many feeds, cut anywhere


def _problems(document: bytes, schema: dict[str, object], filtered: bool) -> list[str]:
    return schemas.xml_problems(document, schema, filtered=filtered, cache={})


@pytest.mark.parametrize("label", sorted(DOCUMENTS))
def test_a_streamed_verdict_is_the_tree_verdict(
    label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = DOCUMENTS[label]
    verdicts = []
    for size in (1 << 40, 0):
        monkeypatch.setattr(schemas, "STREAM_BYTES", size)
        monkeypatch.setattr(xmlsafe, "CHUNK", 97)
        verdicts.append([_problems(document, s, f) for s, f in SPEC_SCHEMAS])
    assert verdicts[0] == verdicts[1]


def test_the_corpus_is_judged_the_same_as_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = 0
    for name in XML_CASES:
        if CORPUS[name].verdict == OUT_OF_SCOPE:
            continue
        document = corpus_file(name).read_bytes()
        verdicts = []
        for size in (1 << 40, 0):
            monkeypatch.setattr(schemas, "STREAM_BYTES", size)
            verdicts.append([_problems(document, s, f) for s, f in SPEC_SCHEMAS])
        assert verdicts[0] == verdicts[1], name
        checked += 1
    assert checked > 10


def test_a_large_clean_body_keeps_no_tree_and_its_verdict(streamed: None) -> None:
    cache: schemas.BodyCache = {}
    document = MADE["valid status"]
    assert schemas.xml_problems(document, STATUS, cache=cache) == []
    assert "xml" not in cache  # judged without a tree
    root = schemas.parsed_xml(document, cache).root  # a reader that needs one parses it
    assert root is not None
    assert schemas.xml_problems(root, {"x-xsd": STATUS["x-xsd"]}, cache=cache) == []
    broken = MADE["last computer breaks the XSD"]
    cache = {}
    problems = schemas.xml_problems(broken, STATUS, cache=cache)
    assert problems and "Bogus" in problems[0]
    assert "/BESAPI/ActionResults/Computer" in problems[0]  # the tree judge's words


def _response(content: bytes) -> Response:
    exchange = Exchange("GET", "http://h/api/action/44/status", {}, "")
    return Response(200, CaseInsensitiveDict(), content, exchange)


def _tree_children(
    root: etree._Element, path: tuple[str, ...]
) -> tuple[etree._Element | None, list[bytes]]:
    """The element at ``path`` of a parsed document and its element children, written."""
    element: etree._Element | None = root if path[0] in ("*", root.tag) else None
    for name in path[1:]:
        element = element.find(name) if element is not None else None
    if element is None:
        return None, []
    return element, [etree.tostring(e) for e in element.iterchildren(etree.Element)]


@pytest.mark.parametrize("label", sorted(MADE))
def test_streamed_children_are_the_tree_children(label: str, streamed: None) -> None:
    document = MADE[label]
    for path in (("*", "ActionResults"), ("BESAPI", "ActionResults"), ("BESAPI",), ("*", "No")):
        try:
            root = xmlsafe.parse(document)
        except (etree.XMLSyntaxError, xmlsafe.UnsafeXMLError, ValueError):
            with pytest.raises(checks.CheckFailure):
                list(checks.XmlChildren(_response(document), path))
            continue
        if schemas.utf8_problem(document) is not None:
            with pytest.raises(checks.CheckFailure):
                list(checks.XmlChildren(_response(document), path))
            continue
        element, expected = _tree_children(root, path)
        children = checks.XmlChildren(_response(document), path)
        assert [etree.tostring(e) for e in children] == expected, path
        assert children.found == (element is not None), path


def _serialised(read: list[bytes], elements: list[etree._Element]) -> None:
    read += [etree.tostring(element) for element in elements]


PATHS = (("*", "ActionResults"), ("BESAPI", "ActionResults"), ("BESAPI",), ("*", "No"))


@pytest.mark.parametrize("label", sorted(MADE))
def test_children_read_while_judged_are_the_tree_children(
    label: str, streamed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``schemas.reading``: the stream judge hands over the children it validates; when it
    says ``done`` the body was clean and they are exactly the tree's children."""
    document = MADE[label]
    done = 0
    for path in PATHS:
        for schema, filtered in SPEC_SCHEMAS:
            schemas._STREAMED.clear()  # no verdict from an earlier body
            read: list[bytes] = []
            add = partial(_serialised, read)
            with schemas.reading(path, add) as visit:
                problems = _problems(document, schema, filtered)
            if not visit.done:
                continue
            assert problems == [], (path, schema)
            element, expected = _tree_children(xmlsafe.parse(document), path)
            assert read == expected, path
            assert visit.found == (element is not None), path
            if element is not None:
                assert visit.attrib == tuple(element.items())
            done += 1
    if not _problems(document, STATUS, False):
        assert done > 0, "a clean document is read while it is judged"


def test_reading_is_for_one_body_and_a_failing_reader_falls_back(streamed: None) -> None:
    document = MADE["valid status"]
    seen: list[str] = []

    def broken(elements: list[etree._Element]) -> None:
        seen.append(elements[0].tag)
        raise RuntimeError("a reader's bug")

    with schemas.reading(("*", "ActionResults"), broken) as visit:
        assert _problems(document, STATUS, False) == []  # the verdict does not change
        assert _problems(MADE["valid status"] + b" ", STATUS, False) == []
    assert seen == ["ActionID"]  # called once, then not again; the second body not visited
    assert not visit.done


def test_the_same_large_body_is_validated_once(
    streamed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bytes] = []
    holds = schemas._stream_holds

    def counted(content: bytes, *args: object) -> bool:
        calls.append(content)
        return holds(content, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(schemas, "_stream_holds", counted)
    for label in ("valid status", "last computer breaks the XSD"):
        document = MADE[label]
        first = _problems(document, STATUS, False)
        again = _problems(bytes(bytearray(document)), STATUS, False)  # equal, not the same
        assert first == again
        assert len([c for c in calls if c == document]) == 1, label
    assert _problems(MADE["valid status"], STATUS_FILTERED, True) == []
    assert len(calls) == 3  # another schema is another verdict

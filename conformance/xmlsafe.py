"""Hardened XML parsing: responses are untrusted input.

A document with a DOCTYPE is refused before the parser sees it: no DTD, no entity declaration,
so no external entity (file or network) and no expansion bomb. The parser itself is also
configured to load nothing, resolve no entity and refuse huge trees, as a second line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml import etree

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": False,
}
# Everything that may stand before the root element: XML declaration, comments, PIs, space.
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_BOMS = (b"\xef\xbb\xbf",)
# Wide encodings: the prolog of a UTF-16/32 document, decoded, is checked the same way.
_WIDE = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


class UnsafeXMLError(ValueError):
    """The document declares a DTD or entities, which this suite never processes."""


def _prolog(data: bytes) -> bytes:
    """The document as ASCII-compatible bytes, enough of it to see past the prolog."""
    head = data[:65536]
    for bom in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :]
    for mark, encoding in _WIDE:
        if head.startswith(mark):
            return head.decode(encoding, "replace").lstrip("\ufeff").encode("utf-8", "replace")
    return head


def has_doctype(data: bytes) -> bool:
    """True if a DOCTYPE stands before the root element."""
    head = _prolog(data)
    position = 0
    while position < len(head):
        match = _PROLOG_ITEM.match(head, position)
        if match is None or match.end() == position:
            break
        position = match.end()
    return _DOCTYPE.match(head, position) is not None


def parse(data: bytes | str) -> etree._Element:
    """Parse untrusted XML bytes; raises ``etree.XMLSyntaxError`` or ``UnsafeXMLError``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if has_doctype(data):
        raise UnsafeXMLError("document has a DOCTYPE; DTDs and entities are refused")
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    root = etree.fromstring(data, parser=parser)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeXMLError("document has a DOCTYPE; DTDs and entities are refused")
    return root


CHUNK = 256 << 10  # bytes fed to a streaming parse at a time


def _pull(
    data: bytes, tag: str, schema: etree.XMLSchema | None
) -> Iterator[list[tuple[str, etree._Element]]]:
    """Feed untrusted XML bytes to a parser configured as ``parse``'s (validating against
    ``schema`` while it reads, if given) a megabyte at a time; after each feed, the ``start``
    and ``end`` events of elements named ``tag`` meanwhile. The caller removes what it has
    read, so the document never exists whole as a tree (libxml2 validates the stream, not the
    tree). Raises as ``parse`` does (an invalid document: ``etree.XMLSyntaxError``).

    A validating parser may stop at a malformed part without raising (a document cut short):
    a caller that validates must see its root end (``stream_root`` does)."""
    if has_doctype(data):
        raise UnsafeXMLError("document has a DOCTYPE; DTDs and entities are refused")
    parser = etree.XMLPullParser(events=("start", "end"), tag=tag, schema=schema, **_PARSER_OPTIONS)
    for start in range(0, len(data), CHUNK):
        parser.feed(data[start : start + CHUNK])
        yield list(parser.read_events())
    root = parser.close()
    yield list(parser.read_events())
    if any(error.level >= etree.ErrorLevels.ERROR for error in parser.error_log):
        raise etree.XMLSyntaxError("the stream logged an error", None, 0, 0)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeXMLError("document has a DOCTYPE; DTDs and entities are refused")


class Visit:
    """Who reads the element children of the element at ``path`` (names from the root down,
    ``*`` first for any root) while ``stream_root`` validates a document: ``add`` is called
    with the complete children read since it was last called (a list, in document order)
    before they are removed. ``found``: the element
    at ``path`` was seen (``attrib``: its attributes); ``done``: every child of it was handed
    over and the document ended (only then is what was handed over the element's children).
    An ``add`` that raises is not called again and leaves ``done`` false."""

    def __init__(
        self, path: tuple[str, ...], add: Callable[[list[etree._Element]], object]
    ) -> None:
        self.path = path
        self.add = add
        self.found = False
        self.attrib: tuple[tuple[str, str], ...] = ()  # the element's attributes, once found
        self.done = False
        self.failed = False

    def locate(self, root: etree._Element) -> etree._Element | None:
        """The first element at ``path`` below ``root`` (what is left of it)."""
        if self.path[0] not in ("*", root.tag):
            return None
        level = [root]
        for name in self.path[1:]:
            level = [child for element in level for child in element.iterchildren(name)]
        return level[0] if level else None

    def hand_over(self, target: etree._Element, closed: bool) -> None:
        """Hand over and remove the children of ``target`` that are complete (all of them
        when it is ``closed``; else all but the last, which may still be read)."""
        complete = target[:] if closed else target[:-1]
        elements = [child for child in complete if isinstance(child.tag, str)]
        if elements and not self.failed:
            try:
                self.add(elements)
            except Exception:  # a reader's bug: it falls back to reading the body itself
                self.failed = True
        del target[: len(complete)]


def _closed(element: etree._Element) -> bool:
    """Whether the parser has read past ``element``'s end (a node follows it or an ancestor)."""
    node: etree._Element | None = element
    while node is not None:
        if node.getnext() is not None:
            return True
        node = node.getparent()
    return False


def stream_root(
    data: bytes,
    root: str,
    schema: etree.XMLSchema | None = None,
    visit: Visit | None = None,
) -> list[str] | None:
    """The names of the element children of a well-formed document whose root is named
    ``root`` (None: it is not, or the document ended before its root did), read as a stream
    and validated against ``schema`` while read: what was read is removed (libxml2 validates
    the stream, not the tree), so a large document is never held whole. ``visit`` reads the
    children of one element meanwhile (one pass judges and reads). Raises as ``parse``
    does."""
    found: etree._Element | None = None
    ended = False
    children: list[str] = []
    target: etree._Element | None = None
    for events in _pull(data, root, schema):
        for event, element in events:
            if element.getparent() is None:
                found = element if found is None and event == "start" else found
                ended = ended or (event == "end" and element is found)
        if found is None or len(found) == 0:
            continue
        if visit is not None and not visit.done:
            target = visit.locate(found) if target is None else target
            if target is not None and not visit.found:
                visit.found = True
                visit.attrib = tuple(target.items())
            if target is not None:
                closed = ended or _closed(target)
                if target is found:  # the root's children are handed over: name them first
                    complete = found[:] if closed else found[:-1]
                    children += [child.tag for child in complete if isinstance(child.tag, str)]
                visit.hand_over(target, closed)
                visit.done = closed and ended and not visit.failed
        if target is not found:
            children += [child.tag for child in found[:-1] if isinstance(child.tag, str)]
        # The open path: below it, all but the last child are read (what the reader holds,
        # the target's last child, is left whole).
        below: etree._Element = found
        while below is not target and len(below):
            del below[:-1]
            below = below[-1]
    if found is None or not ended:
        if visit is not None:
            visit.done = False
        return None
    return children + [child.tag for child in found if isinstance(child.tag, str)]


class Children:
    """Each element child of the element at ``path`` (names from the root down, ``*`` first
    for any root), complete, in document order, read as a stream: each is removed once the
    caller moves on, so the document is never held whole. ``found``: whether the element at
    ``path`` was seen (when the iteration is done). Iterating raises as ``parse`` does."""

    def __init__(self, data: bytes, path: tuple[str, ...]) -> None:
        self.data = data
        self.path = path
        self.found = False

    def _at_path(self, element: etree._Element) -> bool:
        names: list[str] = []
        node: etree._Element | None = element
        while node is not None:
            names.append(node.tag)
            node = node.getparent()
        names.reverse()
        if len(names) != len(self.path) or self.path[0] not in ("*", names[0]):
            return False
        return names[1:] == list(self.path[1:])

    def __iter__(self) -> Iterator[etree._Element]:
        target: etree._Element | None = None
        for events in _pull(self.data, self.path[-1], None):
            if target is None:
                started = (element for event, element in events if event == "start")
                target = next((element for element in started if self._at_path(element)), None)
                self.found = target is not None
            if target is None or len(target) == 0:
                continue
            # Every child but the last is complete (the parser may still be in the last).
            yield from (child for child in target[:-1] if isinstance(child.tag, str))
            del target[:-1]
        if target is not None:
            yield from target.iterchildren(etree.Element)

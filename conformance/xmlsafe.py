"""Hardened XML parsing: responses are untrusted input.

A document with a DOCTYPE is refused before the parser sees it: no DTD, no entity declaration,
so no external entity (file or network) and no expansion bomb. The parser itself is also
configured to load nothing, resolve no entity and refuse huge trees, as a second line.
"""

from __future__ import annotations

import re

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

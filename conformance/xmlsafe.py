"""Hardened XML parsing: responses are untrusted input.

No DTD loading, no external entities, no network, no entity expansion, no huge trees.
"""

from __future__ import annotations

from lxml import etree

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": False,
}


class UnsafeXMLError(ValueError):
    """The document declares a DTD or entities, which this suite never processes."""


def parse(data: bytes) -> etree._Element:
    """Parse untrusted XML bytes; raises ``etree.XMLSyntaxError`` or ``UnsafeXMLError``."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    root = etree.fromstring(data, parser=parser)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeXMLError("document has a DOCTYPE; DTDs and entities are refused")
    return root

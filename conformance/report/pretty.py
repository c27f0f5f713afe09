"""Bodies made readable for the HTML report: JSON and XML indented, anything else as it came."""

from __future__ import annotations

import json
from collections.abc import Callable

from lxml import etree

from conformance import xmlsafe


def pretty_body(text: str, content_type: str = "") -> tuple[str, str]:
    """``(text, kind)``: the body indented when it parses as JSON or XML; kind says which.

    A body that does not parse (an excerpt cut short, a broken document) is returned as it was,
    kind ``text``: the report shows what was received, never a repaired version of it.
    """
    stripped = text.strip()
    if not stripped:
        return "", "empty"
    kind = content_type.split(";")[0].strip().lower()
    # What the body looks like decides first: a fault may label XML as JSON.
    order: tuple[Callable[[str], tuple[str, str] | None], ...]
    if stripped[0] in "{[":
        order = (_json, _xml)
    elif stripped[0] == "<":
        order = (_xml, _json)
    elif kind.endswith("json"):
        order = (_json,)
    else:
        return text, "text"
    for attempt in order:
        shown = attempt(stripped)
        if shown is not None:
            return shown
    return text, "text"


def _json(text: str) -> tuple[str, str] | None:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False), "json"
    except (ValueError, RecursionError):
        return None


def _xml(text: str) -> tuple[str, str] | None:
    try:
        root = xmlsafe.parse(text.encode("utf-8"))
    except Exception:  # any refusal to parse: show the body as received
        return None
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode"), "xml"

"""The documented ``?fields=`` filter of the BigFix list and status resources.

``parse_fields`` reads the grammar (``Name<attr=value&...>(child,...)``, comma-separated);
``FieldsFilter`` applies it to an element. The filter's flags are the server's faults.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

RESERVED = ",()&<>="


class FieldsError(ValueError):
    """A ?fields= value that does not follow the documented grammar."""


@dataclass(frozen=True)
class FieldSpec:
    """``Name<attr=value&...>(child,...)``: one field of a ?fields= filter."""

    name: str
    attributes: tuple[tuple[str, str], ...] = ()
    children: tuple[FieldSpec, ...] | None = None


class _FieldsParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def parse(self) -> tuple[FieldSpec, ...]:
        specs = self.fields()
        if self.at != len(self.text):
            raise FieldsError(f"unexpected {self.text[self.at]!r} at {self.at}")
        return specs

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise FieldsError(f"expected {char!r} at {self.at}")
        self.at += 1

    def name(self) -> str:
        start = self.at
        while self.at < len(self.text) and self.text[self.at] not in RESERVED:
            self.at += 1
        if start == self.at:
            raise FieldsError(f"expected a name at {start}")
        return self.text[start : self.at]

    def fields(self) -> tuple[FieldSpec, ...]:
        specs = [self.field()]
        while self.peek() == ",":
            self.take(",")
            specs.append(self.field())
        return tuple(specs)

    def field(self) -> FieldSpec:
        name = self.name()
        attributes: list[tuple[str, str]] = []
        if self.peek() == "<":
            self.take("<")
            while True:
                key = self.name()
                self.take("=")
                attributes.append((key, self.name()))
                if self.peek() != "&":
                    break
                self.take("&")
            self.take(">")
        children = None
        if self.peek() == "(":
            self.take("(")
            children = self.fields()
            self.take(")")
        return FieldSpec(name, tuple(attributes), children)


def parse_fields(text: str) -> tuple[FieldSpec, ...]:
    """Parse the documented grammar: ``,`` ``(...)`` ``<a=b&c=d>``; raises FieldsError."""
    return _FieldsParser(text).parse()


@dataclass
class FieldsFilter:
    """Applies parsed specs to an element's children. Same-named specs combine: their
    attribute matches choose which elements stay; the child lists of the specs that match an
    element (intersected) choose what it keeps. The flags are faults."""

    case_insensitive: bool = False
    ignore_attributes: bool = False
    ignore_children: bool = False
    drop_lists: bool = False
    merge_lists: bool = False  # variant fields-merge: every same-named spec's list applies

    def keep(self, element: etree._Element, specs: tuple[FieldSpec, ...]) -> etree._Element:
        """A copy of ``element`` (attributes kept) holding only the children ``specs`` select."""
        copy = etree.Element(element.tag, dict(element.attrib))
        copy.text = element.text if len(element) == 0 else None
        by_name: dict[str, list[FieldSpec]] = {}
        for spec in specs:
            by_name.setdefault(self.key(spec.name), []).append(spec)
        for child in element:
            if not isinstance(child.tag, str):
                continue
            kept = self.select(child, by_name.get(self.key(child.tag), []))
            if kept is not None:
                copy.append(kept)
        return copy

    def key(self, name: str) -> str:
        return name.lower() if self.case_insensitive else name

    def select(self, element: etree._Element, specs: list[FieldSpec]) -> etree._Element | None:
        if not specs:
            return None
        if self.ignore_attributes:
            applicable = specs
        else:
            with_attributes = [spec for spec in specs if spec.attributes]
            if with_attributes and not any(_attributes_match(element, s) for s in with_attributes):
                return None
            applicable = [spec for spec in specs if _attributes_match(element, spec)]
        if self.drop_lists and len(element):
            return None
        merged = _merged_children(tuple(applicable))
        if self.merge_lists and merged is not None:
            every = [spec.children for spec in specs if spec.children is not None]
            return self.keep(element, tuple(child for group in every for child in group))
        if merged is None or self.ignore_children:
            return deep_copy(element)
        return self.keep(element, merged)


@lru_cache(maxsize=256)
def _merged_children(applicable: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...] | None:
    """The child list the specs matching one element combine to (None: keep every child).

    The same for every element the same specs match, so computed once per filter.
    """
    lists = [spec.children for spec in applicable if spec.children is not None]
    if not lists:
        return None
    common = [spec for spec in lists[0] if all(_named(spec.name, other) for other in lists)]
    return tuple(spec for children in lists for spec in children if _named(spec.name, common))


def _named(name: str, specs: tuple[FieldSpec, ...] | list[FieldSpec]) -> bool:
    return any(spec.name == name for spec in specs)


def _attributes_match(element: etree._Element, spec: FieldSpec) -> bool:
    return all(element.get(key) == value for key, value in spec.attributes)


def deep_copy(element: etree._Element) -> etree._Element:
    """A detached copy (lxml copies in C; no serialise-and-parse round trip)."""
    return copy.deepcopy(element)

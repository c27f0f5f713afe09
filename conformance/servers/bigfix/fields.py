"""The documented ``?fields=`` filter of the BigFix list and status resources.

``parse_fields`` reads the grammar (``Name<attr=value&...>(child,...)``, comma-separated);
``FieldsFilter`` applies it to an element. The filter's flags are the server's faults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

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


_DROP = "drop"  # a choice of FieldsFilter.choose: the element is left out
_WHOLE = "whole"  # ... kept with everything below it


@dataclass
class FieldsFilter:
    """Applies parsed specs to an element's children. Same-named specs combine: their
    attribute matches choose which elements stay; the child lists of the specs that match an
    element (intersected) choose what it keeps. The flags are faults.

    What happens to a child depends only on its name, the values of the attributes the specs
    name and whether it has children, so the choice is made once per such shape and reused for
    every child that has it (a 100000-computer status has one or two shapes)."""

    case_insensitive: bool = False
    ignore_attributes: bool = False
    ignore_children: bool = False
    drop_lists: bool = False
    merge_lists: bool = False  # variant fields-merge: every same-named spec's list applies
    _plans: dict[tuple[FieldSpec, ...], Any] = field(default_factory=dict, init=False, repr=False)
    _choices: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False, repr=False)

    def keep(self, element: etree._Element, specs: tuple[FieldSpec, ...]) -> etree._Element:
        """A copy of ``element`` (attributes kept) holding only the children ``specs`` select."""
        copy = etree.Element(element.tag, dict(element.attrib))
        copy.text = element.text if len(element) == 0 else None
        by_name, keys = self.plan(specs)
        choices = self._choices
        for child in element.iterchildren(etree.Element):  # elements only
            name = self.key(child.tag)
            named = by_name.get(name)
            if named is None:
                continue
            tested = keys[name]
            shape: tuple[Any, ...] = (id(named), len(child) > 0)  # named lives in the plan
            if tested:
                shape += tuple(child.get(key) for key in tested)
            choice = choices.get(shape)
            if choice is None:
                choice = choices[shape] = self.choose(child, named)
            if choice is _WHOLE:
                copy.append(deep_copy(child))
            elif choice is not _DROP:
                copy.append(self.keep(child, choice))  # type: ignore[arg-type]
        return copy

    def plan(
        self, specs: tuple[FieldSpec, ...]
    ) -> tuple[dict[str, tuple[FieldSpec, ...]], dict[str, tuple[str, ...]]]:
        """``specs`` by (case-folded) name, and the attribute names each name's specs test."""
        found = self._plans.get(specs)
        if found is None:
            grouped: dict[str, list[FieldSpec]] = {}
            for spec in specs:
                grouped.setdefault(self.key(spec.name), []).append(spec)
            by_name = {name: tuple(named) for name, named in grouped.items()}
            keys = {
                name: tuple(sorted({key for spec in named for key, _ in spec.attributes}))
                for name, named in by_name.items()
            }
            found = self._plans[specs] = (by_name, keys)
        return found

    def key(self, name: str) -> str:
        return name.lower() if self.case_insensitive else name

    def choose(
        self, element: etree._Element, specs: tuple[FieldSpec, ...]
    ) -> str | tuple[FieldSpec, ...]:
        """``_DROP``, ``_WHOLE``, or the specs to keep ``element``'s children by."""
        if self.ignore_attributes:
            applicable = specs
        else:
            with_attributes = [spec for spec in specs if spec.attributes]
            if with_attributes and not any(_attributes_match(element, s) for s in with_attributes):
                return _DROP
            applicable = tuple(spec for spec in specs if _attributes_match(element, spec))
        if self.drop_lists and len(element):
            return _DROP
        merged = _merged_children(tuple(applicable))
        if self.merge_lists and merged is not None:
            every = [spec.children for spec in specs if spec.children is not None]
            return tuple(child for group in every for child in group)
        if merged is None or self.ignore_children:
            return _WHOLE
        return merged


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
    return element.__copy__()  # lxml's copy is deep; this skips the copy module's dispatch

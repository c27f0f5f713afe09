"""The documented ``?fields=`` filter of the BigFix list and status resources.

``parse_fields`` reads the grammar (``Name<attr=value&...>(child,...)``, comma-separated);
``FieldsFilter`` applies it to an element. The filter's flags are the server's faults.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, cast
from xml.sax.saxutils import escape, quoteattr

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
_GENERAL = "general"  # a plan of FieldsFilter._plan_children: filter each child again


class Fragment(NamedTuple):
    """An element as the server writes it (``leaf``, ``parent``), kept so that a filtered copy
    is written by joining strings: a 100000-computer status is filtered without building,
    copying or writing a tree.

    ``xml`` is the element written; ``children`` its element children (None: a leaf, which a
    filter keeps or drops whole); ``open``/``close``/``empty`` the tags a copy with its
    attributes is written with; ``shapes`` its children's names, whether each has children,
    and attributes (what a filter's choice depends on)."""

    tag: str
    attrib: tuple[tuple[str, str], ...]
    xml: str
    children: tuple[Fragment, ...] | None
    open: str
    close: str
    empty: str
    shapes: tuple[Any, ...]

    def get(self, key: str) -> str | None:
        for name, value in self.attrib:
            if name == key:
                return value
        return None


Shared = dict[Any, Any]  # equal leaves and shapes, kept once


def start_tag(tag: str, attrib: Iterable[tuple[str, str]] = ()) -> str:
    """``<tag name="value" ...>`` as the server writes every element (``quoteattr``)."""
    return f"<{tag}" + "".join(f" {name}={quoteattr(value)}" for name, value in attrib) + ">"


def written(tag: str, text: object, attrib: Iterable[tuple[str, str]] = ()) -> str:
    """A childless element as the server writes it (text by ``escape``)."""
    return f"{start_tag(tag, attrib)}{escape(str(text))}</{tag}>"


def leaf(
    tag: str, text: object, shared: Shared, attrib: tuple[tuple[str, str], ...] = ()
) -> Fragment:
    """A childless element as the server writes it (``written``)."""
    key = (tag, attrib, text)
    found = shared.get(key)
    if found is None:
        xml = written(tag, text, attrib)
        found = shared[key] = Fragment(tag, attrib, xml, None, "", "", xml, ())
    return found


def shapes_of(children: Iterable[Fragment]) -> tuple[Any, ...]:
    """Each child's name, whether it has children, and attributes (``Fragment.shapes``)."""
    return tuple((child.tag, child.children is not None, child.attrib) for child in children)


def parent(
    tag: str,
    attrib: tuple[tuple[str, str], ...],
    children: tuple[Fragment, ...],
    shared: Shared,
    xml: str | None = None,
    shapes: tuple[Any, ...] | None = None,
) -> Fragment:
    """An element with element children, as the server writes it (``xml``: already written;
    ``shapes``: already known, e.g. of 100000 seeded rows; else found, and kept once in
    ``shared``)."""
    opening = start_tag(tag, attrib)
    closing = f"</{tag}>"
    if xml is None:
        xml = opening + "".join(child.xml for child in children) + closing
    if shapes is None:
        shapes = shapes_of(children)
        shapes = shared.setdefault(shapes, shapes)
    return Fragment(tag, attrib, xml, children, opening, closing, opening[:-1] + "/>", shapes)


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
    _written: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False, repr=False)

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
                choice = choices[shape] = self.choose(child, named, len(child) > 0)
            if choice is _WHOLE:
                copy.append(deep_copy(child))
            elif choice is not _DROP:
                copy.append(self.keep(child, choice))  # type: ignore[arg-type]
        return copy

    def write(
        self, fragment: Fragment, specs: tuple[FieldSpec, ...], index: Index | None = None
    ) -> str:
        """``fragment`` filtered as ``keep`` filters an element, written from the fragments
        (the same document, parsed: ``tests/test_bigfix_server.py`` compares them).

        A child's plan (which of its children are written whole, which filtered again) depends
        only on the choice and on its children's shapes, so it is made once per such pair.
        ``index`` (kept with the fragment): only the children a filter can keep are visited
        (an attribute match on 100000 computers visits the few it names)."""
        if fragment.children is None:  # a leaf: kept whole
            return fragment.xml
        by_name, keys = self.plan(specs)
        fold = self.case_insensitive
        parts: list[str] = []
        if index is None:
            self._write_each(fragment.children, by_name, keys, parts)
        else:
            children = fragment.children
            kept = None if self.ignore_attributes else index.candidates(fragment, by_name, fold)
            for run in index.runs(fragment):
                name = self.key(run.tag)
                named = by_name.get(name)
                if named is None:
                    continue
                if keys[name]:
                    if kept is None:
                        members = children[run.start : run.end]
                    else:
                        low, high = bisect_left(kept, run.start), bisect_left(kept, run.end)
                        members = tuple(children[at] for at in kept[low:high])
                    self._write_each(members, by_name, keys, parts)
                    continue
                # No attribute match: one choice for the whole run (name, has children).
                shape = (id(named), run.parent)
                choice = self._choices.get(shape)
                if choice is None:
                    first = children[run.start]
                    choice = self._choices[shape] = self.choose(first, named, run.parent)
                if choice is _WHOLE:
                    parts.append(index.written(fragment, run))
                elif choice is not _DROP:
                    parts += [
                        self._write_child(child, choice)  # type: ignore[arg-type]
                        for child in children[run.start : run.end]
                    ]
        if not parts:
            return fragment.empty
        return fragment.open + "".join(parts) + fragment.close

    def _write_each(
        self,
        children: Iterable[Fragment],
        by_name: dict[str, tuple[FieldSpec, ...]],
        keys: dict[str, tuple[str, ...]],
        parts: list[str],
    ) -> None:
        """Write each of ``children`` as the filter keeps it, one by one, into ``parts``."""
        choices = self._choices
        fold = self.case_insensitive
        for child in children:
            name = child.tag.lower() if fold else child.tag
            named = by_name.get(name)
            if named is None:
                continue
            shape: tuple[Any, ...] = (id(named), child.children is not None)
            if keys[name]:  # which specs' attribute matches hold decides, not the values
                values = dict(child.attrib)
                shape += tuple(
                    all(values.get(key) == value for key, value in spec.attributes)
                    for spec in named
                )
            choice = choices.get(shape)
            if choice is None:
                choice = choices[shape] = self.choose(child, named, child.children is not None)
            if choice is _WHOLE:
                parts.append(child.xml)
            elif choice is not _DROP:
                parts.append(self._write_child(child, choice))  # type: ignore[arg-type]

    def _write_child(self, child: Fragment, specs: tuple[FieldSpec, ...]) -> str:
        if child.children is None:
            return child.xml
        key = (id(specs), id(child.shapes))  # both live as long as this filter's choices
        plan = self._written.get(key)
        if plan is None:
            planned = self._plan_children(child, specs)
            # the positions of the children written (the shapes fix how many there are)
            plan = self._written[key] = (
                planned
                if planned is _GENERAL
                else tuple(at for at, kept in enumerate(planned) if kept)
            )
        if plan is _GENERAL:
            return self.write(child, specs)
        if not plan:
            return child.empty
        children = child.children
        positions = cast("tuple[int, ...]", plan)
        return child.open + "".join([children[at].xml for at in positions]) + child.close

    def _plan_children(self, child: Fragment, specs: tuple[FieldSpec, ...]) -> Any:
        """For each child of ``child``, whether it is written (whole: a leaf, or kept whole);
        ``_GENERAL`` when a child with children of its own is filtered again (by ``write``)."""
        by_name, _ = self.plan(specs)
        plan: list[bool] = []
        for grandchild in child.children or ():
            named = by_name.get(self.key(grandchild.tag))
            choice = (
                _DROP
                if named is None
                else self.choose(grandchild, named, grandchild.children is not None)
            )
            if choice is not _DROP and choice is not _WHOLE and grandchild.children is not None:
                return _GENERAL
            plan.append(choice is not _DROP)
        return tuple(plan)

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
        self, element: etree._Element | Fragment, specs: tuple[FieldSpec, ...], parent: bool
    ) -> str | tuple[FieldSpec, ...]:
        """``_DROP``, ``_WHOLE``, or the specs to keep ``element``'s children by (``parent``:
        the element has children)."""
        if self.ignore_attributes:
            applicable = specs
        else:
            with_attributes = [spec for spec in specs if spec.attributes]
            if with_attributes and not any(_attributes_match(element, s) for s in with_attributes):
                return _DROP
            applicable = tuple(spec for spec in specs if _attributes_match(element, spec))
        if self.drop_lists and parent:
            return _DROP
        merged = _merged_children(tuple(applicable))
        if self.merge_lists and merged is not None:
            every = [spec.children for spec in specs if spec.children is not None]
            return tuple(child for group in every for child in group)
        if merged is None or self.ignore_children:
            return _WHOLE
        return merged


class Run(NamedTuple):
    """Consecutive children with one name, all with children or all leaves."""

    tag: str
    parent: bool
    start: int
    end: int


@dataclass
class Index:
    """Where an element's children are, by (case-folded) name, by attribute value and in
    runs (``Run``), and each run written whole: built once per element and kept with it
    (``StatusCache``)."""

    _names: dict[bool, dict[str, list[int]]] = field(default_factory=dict)
    _values: dict[tuple[bool, str, str], dict[str, Any]] = field(default_factory=dict)
    _runs: list[Run] | None = None
    _written: dict[int, str] = field(default_factory=dict)

    def runs(self, fragment: Fragment) -> list[Run]:
        if self._runs is None:
            self._runs = []
            children = fragment.children or ()
            start = 0
            for at in range(1, len(children) + 1):
                first = children[start]
                parent = first.children is not None
                if at == len(children) or (
                    children[at].tag != first.tag or (children[at].children is not None) != parent
                ):
                    self._runs.append(Run(first.tag, parent, start, at))
                    start = at
        return self._runs

    def written(self, fragment: Fragment, run: Run) -> str:
        """The run's children as written, joined (once)."""
        found = self._written.get(run.start)
        if found is None:
            children = fragment.children or ()
            found = self._written[run.start] = "".join(
                child.xml for child in children[run.start : run.end]
            )
        return found

    def named(self, fragment: Fragment, name: str, fold: bool) -> list[int]:
        names = self._names.get(fold)
        if names is None:
            names = self._names[fold] = {}
            for at, child in enumerate(fragment.children or ()):
                names.setdefault(child.tag.lower() if fold else child.tag, []).append(at)
        return names.get(name, [])

    def having(self, fragment: Fragment, name: str, key: str, value: str, fold: bool) -> list[int]:
        values = self._values.get((fold, name, key))
        if values is None:
            children = fragment.children or ()
            pairs = [
                (found, at)
                for at in self.named(fragment, name, fold)
                for attribute, found in children[at].attrib
                if attribute == key
            ]
            # Values seldom repeat (100000 computer IDs): each is one position, unless it does.
            values = dict(pairs)
            if len(values) < len(pairs):
                repeated: dict[str, list[int]] = {}
                for found, at in pairs:
                    repeated.setdefault(found, []).append(at)
                values = repeated
            self._values[(fold, name, key)] = values
        found_at = values.get(value)
        if found_at is None:
            return []
        return found_at if isinstance(found_at, list) else [found_at]

    def candidates(
        self, fragment: Fragment, by_name: dict[str, tuple[FieldSpec, ...]], fold: bool
    ) -> list[int]:
        """Positions of the children a filter may keep, in order: every child a spec names,
        but of a name whose specs match attributes (one that matches none is dropped:
        ``FieldsFilter.choose``), only those whose attributes match one of them."""
        found: set[int] = set()
        for name, named in by_name.items():
            matching = [spec for spec in named if spec.attributes]
            if not matching:
                found.update(self.named(fragment, name, fold))
                continue
            for spec in matching:
                key, value = spec.attributes[0]
                found.update(self.having(fragment, name, key, value, fold))
        return sorted(found)


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


def _attributes_match(element: etree._Element | Fragment, spec: FieldSpec) -> bool:
    return all(element.get(key) == value for key, value in spec.attributes)


def deep_copy(element: etree._Element) -> etree._Element:
    """A detached copy (lxml copies in C; no serialise-and-parse round trip)."""
    return element.__copy__()  # lxml's copy is deep; this skips the copy module's dispatch

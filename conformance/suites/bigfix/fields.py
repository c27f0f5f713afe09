"""``?fields=`` filters as data, and what a filtered answer must show.

The suite never parses a filter: it builds ``Field`` values, renders them with the documented
reserved characters (``,`` ``(...)`` ``<...>`` ``&`` ``=``) and judges the answer against the
same values. What the docs leave open is judged leniently:

- same-named fields may combine (``Computer<ID=1>,Computer(Status)``, the docs' own example):
  an element may appear when any field that matches it asks for it, and may keep the children
  that any same-named field's list asks for (the docs show selectors picking and lists naming
  children; how two lists of one element combine is left open, so neither the intersection
  nor the union of lists is required);
- attributes of a kept element may be kept or dropped, but a kept one has its unfiltered value.

What is judged strictly: names are case sensitive; an element no field asks for must not appear;
``Name<a=b>`` keeps only elements whose attributes match; ``Name(children)`` keeps only those
children; everything that is kept agrees with the unfiltered document; and what the filter asks
for and the unfiltered document has is not lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from lxml import etree


@dataclass(frozen=True)
class Field:
    """``name<attr=value&...>(children)``."""

    name: str
    attributes: tuple[tuple[str, str], ...] = ()
    children: tuple[Field, ...] | None = None

    def render(self) -> str:
        text = self.name
        if self.attributes:
            text += "<" + "&".join(f"{key}={value}" for key, value in self.attributes) + ">"
        if self.children is not None:
            text += "(" + render(self.children) + ")"
        return text

    def __hash__(self) -> int:  # computed once: the judge keys its memos by fields
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.name, self.attributes, self.children))

    def matches(self, element: Node) -> bool:
        return self.name == element.tag and all(pair in element.attrib for pair in self.attributes)


def render(fields: Sequence[Field]) -> str:
    return ",".join(field.render() for field in fields)


class Node(NamedTuple):
    """An element as plain data: its name, attributes (sorted pairs), text (of a leaf, stripped;
    an element with children keeps none, as the judge never reads it) and element children.

    The judge works on these, not on lxml elements: a 100000-computer status is read into them
    once, equal leaves are one object, and comparing equal elements is a tuple comparison."""

    tag: str
    attrib: tuple[tuple[str, str], ...]
    text: str
    children: tuple[Node, ...]

    def get(self, key: str) -> str | None:
        for name, value in self.attrib:
            if name == key:
                return value
        return None


Leaves = dict[Any, Any]  # leaves, names and children tuples, each kept once
_NEW = tuple.__new__  # a Node without NamedTuple's Python-level __new__ (100000 per read)
_TOSTRING = etree.tostring
_BLAKE2B = hashlib.blake2b  # a 128-bit digest of an element as lxml writes it: equal digests,
# equal elements (the serialisation fixes name, attributes, text and children)


def _one(value: Any, shared: Leaves) -> Any:
    """The one copy of ``value`` kept in ``shared`` (a 100000-computer status repeats a few
    names, leaves and child lists; lxml hands out a new string for each read)."""
    found = shared.get(value)
    if found is None:
        found = shared[value] = value
    return found


def node(element: etree._Element, leaves: Leaves | None = None) -> Node:
    """``element`` (comments and processing instructions left out) as a ``Node``; equal
    leaves, names and child lists are one object (``leaves`` holds them)."""
    shared: Leaves = {} if leaves is None else leaves
    children: list[Node] = []
    for child in element.iterchildren(etree.Element):
        if len(child):
            children.append(node(child, shared))
            continue
        items = child.items()
        key = (child.tag, tuple(sorted(items)) if items else (), (child.text or "").strip())
        leaf = shared.get(key)
        if leaf is None:
            leaf = shared[key] = Node(*key, ())
        children.append(leaf)
    items = element.items()
    attrib = tuple(sorted((_one(k, shared), v) for k, v in items)) if items else ()
    tag = _one(element.tag, shared)
    if children:
        return Node(tag, attrib, "", _one(tuple(children), shared))
    key = (tag, attrib, (element.text or "").strip())
    leaf = shared.get(key)
    if leaf is None:
        leaf = shared[key] = Node(*key, ())
    return leaf


def _children(element: etree._Element | Iterable[etree._Element]) -> Iterable[etree._Element]:
    if isinstance(element, etree._Element):
        return element.iterchildren(etree.Element)
    return element


INNER_KEPT = 4096  # element contents remembered per document (a status repeats a few)


class Document:
    """The element children of one resource element (``ActionResults``, an ``Action``), read
    once: the unfiltered side of every ``?fields=`` comparison, with lazy indexes.

    A filtered answer's child serialised exactly as one of these is that child (found by
    digest, never rebuilt), so an element kept whole costs one ``tostring`` to judge."""

    def __init__(self, element: etree._Element | Iterable[etree._Element] = ()) -> None:
        self.leaves: Leaves = {}
        self.by_digest: dict[bytes, Node] = {}
        # (in-scope namespaces, what lxml writes between an element's tags) -> its children:
        # 100000 computers differ in their attributes, seldom in what they hold.
        self._inner: dict[tuple[Any, bytes], tuple[Node, ...]] = {}
        self._read: list[Node] = []
        for child in _children(element):
            self.add([child])

    def add(self, children: list[etree._Element]) -> None:
        """Read more children (e.g. while the spec judge reads the body as a stream); the
        document is complete once ``children`` is first asked for."""
        written = [_TOSTRING(child, with_tail=False) for child in children]
        digests = [_BLAKE2B(text, digest_size=16).digest() for text in written]
        by_digest = self.by_digest
        for child, text, digest in zip(children, written, digests, strict=True):
            found = by_digest.get(digest)
            if found is None:
                found = by_digest[digest] = self._convert(child, text)
            self._read.append(found)

    @cached_property
    def children(self) -> tuple[Node, ...]:
        return tuple(self._read)

    @cached_property
    def ids(self) -> set[int]:
        return {id(child) for child in self.children}

    @cached_property
    def index(self) -> _Index:
        return _Index(self.children)

    @cached_property
    def positions(self) -> dict[int, int]:
        """Each child's position, by identity."""
        return {id(child): at for at, child in enumerate(self.children)}

    def _convert(self, element: etree._Element, written: bytes) -> Node:
        """``node(element)``, its children found by what lxml wrote between its tags (the
        same bytes in the same namespaces: the same children) when read before."""
        if not len(element):
            return node(element, self.leaves)
        key = (tuple(element.nsmap.items()), written[written.find(b">") + 1 : written.rfind(b"</")])
        children = self._inner.get(key)
        if children is None:
            converted = node(element, self.leaves)
            if converted.children and len(self._inner) < INNER_KEPT:
                self._inner[key] = converted.children
            return converted
        items = element.items()
        items.sort()
        return _NEW(Node, (_one(element.tag, self.leaves), tuple(items), "", children))

    def read(self, element: etree._Element | Iterable[etree._Element]) -> tuple[Node, ...]:
        """The element children of a filtered ``element`` (or those children, e.g. read as a
        stream); one serialised as one of this document's children is that very child
        (compared by identity)."""
        reader = self.reader()
        for child in _children(element):
            reader.add([child])  # one at a time: a stream drops each once the next is read
        return reader.kept()

    def reader(self) -> Reader:
        """Reads a filtered element's children one at a time (``Reader.add``), e.g. while
        the spec judge reads the body as a stream; ``kept()`` is what ``read`` returns."""
        return Reader(self)

    def pairs(self) -> list[tuple[str, str]]:
        """``(ID, Name)`` of each ``Computer`` child (the strategies draw filters from them)."""
        found = []
        for child in self.children:
            if child.tag == "Computer":
                attributes = dict(child.attrib)
                found.append((attributes.get("ID") or "", attributes.get("Name") or ""))
        return found


class Reader:
    """The children of one filtered element, read into a ``Document``'s data one at a time."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self._kept: list[Node] = []
        self._misses = 0

    def add(self, children: list[etree._Element]) -> None:
        document = self.document
        written = [_TOSTRING(child, with_tail=False) for child in children]
        # A filter that leaves children out changes every element: after 64 misses in a row
        # the digest (a fast path only) is not tried again.
        if self._misses < 64:
            by_digest = document.by_digest
            found = [by_digest.get(_BLAKE2B(text, digest_size=16).digest()) for text in written]
        else:
            found = [None] * len(children)
        kept = self._kept
        for child, text, known in zip(children, written, found, strict=True):
            if known is None:
                self._misses += 1
                kept.append(document._convert(child, text))
            else:
                self._misses = 0
                kept.append(known)

    def kept(self) -> tuple[Node, ...]:
        return tuple(self._kept)


def _describe(element: Node) -> str:
    key = element.get("ID")
    return f"{element.tag}[@ID={key}]" if key is not None else element.tag


def embeds(small: Node, large: Node) -> bool:
    """``small`` is ``large`` with attributes and children left out, nothing changed."""
    if small is large:
        return True
    if small.tag != large.tag:
        return False
    if small.attrib != large.attrib and any(pair not in large.attrib for pair in small.attrib):
        return False
    if not small.children:
        # a leaf keeps its value; an element whose children were all filtered out is empty
        return not small.text if large.children else small.text == large.text
    return all(
        child in large.children  # kept whole: equal
        or any(embeds(child, other) for other in large.children if other.tag == child.tag)
        for child in small.children
    )


Seen = dict[tuple[Any, ...], tuple[Any, ...]]  # memo keys by identity -> (result, objects)


def unrequested(
    filtered: Sequence[Node],
    fields: Sequence[Field],
    path: str,
    clean: Seen | None = None,
) -> list[str]:
    """Elements among ``filtered`` that no field asks for. ``clean`` remembers children lists
    already found clean under a field list (a status repeats the same few shapes; equal
    lists read through one ``Document`` are one object, so they are known by identity, and
    kept alive beside their key)."""
    known: Seen = {} if clean is None else clean
    problems: list[str] = []
    plans: dict[str, tuple[list[Field], bool, tuple[Field, ...] | None]] = {}
    for child in filtered:
        plan = plans.get(child.tag)
        if plan is None:
            named = [field for field in fields if field.name == child.tag]
            # Judged only when every clause naming the element has a list: then a child that
            # no list of the element asks for was not requested, however the lists combine.
            judged = all(field.children is not None for field in named)
            allowed = tuple(g for field in named for g in field.children or ()) if judged else None
            plan = plans[child.tag] = (named, any(not f.attributes for f in named), allowed)
        named, any_name_matches, allowed = plan
        if not any_name_matches and not any(field.matches(child) for field in named):
            asked = render(fields)
            problems.append(f"{path}/{_describe(child)} was not requested by ?fields={asked}")
        elif allowed is not None and child.children:
            key = (id(child.children), id(allowed))
            if key not in known:
                found = unrequested(child.children, allowed, f"{path}/{_describe(child)}", known)
                if found:
                    problems += found
                else:
                    known[key] = (child.children, allowed)
    return problems


class _Index:
    """Element children found by tag and by attribute value, built on first use.

    ``embeds(small, large)`` needs every attribute of ``small`` on ``large`` with the same value,
    so candidates are narrowed by one attribute before comparing: a 100000-computer status is
    judged in linear time whenever the answer keeps an identifying attribute (``ID``).
    """

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = nodes
        self._by_tag: dict[str, list[Node]] | None = None
        self._plain: dict[str, list[Node]] | None = None
        self._by_value: dict[tuple[str, str], dict[str, list[Node]]] = {}
        self._by_attributes: dict[tuple[str, tuple[tuple[str, str], ...]], Node] | None = None

    def alike(self, other: Node) -> Node | None:
        """The first element with ``other``'s name and exactly its attributes (the likely
        counterpart when a filter keeps every attribute, as servers do)."""
        if self._by_attributes is None:
            self._by_attributes = {}
            for element in self.nodes:
                self._by_attributes.setdefault((element.tag, element.attrib), element)
        return self._by_attributes.get((other.tag, other.attrib)) if other.attrib else None

    def by_tag(self, tag: str) -> list[Node]:
        if self._by_tag is None:
            self._by_tag = {}
            for element in self.nodes:
                self._by_tag.setdefault(element.tag, []).append(element)
        return self._by_tag.get(tag, [])

    def plain(self, tag: str) -> list[Node]:
        """Elements named ``tag`` with no attribute."""
        if self._plain is None:
            self._plain = {}
            for element in self.nodes:
                if not element.attrib:
                    self._plain.setdefault(element.tag, []).append(element)
        return self._plain.get(tag, [])

    def having(self, tag: str, key: str, value: str) -> list[Node]:
        """Elements named ``tag`` whose attribute ``key`` is ``value``."""
        values = self._by_value.get((tag, key))
        if values is None:
            values = self._by_value[(tag, key)] = {}
            for element in self.nodes:
                if element.tag == tag:
                    found = element.get(key)
                    if found is not None:
                        values.setdefault(found, []).append(element)
        return values.get(value, [])

    def larger(self, small: Node) -> list[Node]:
        """Elements that may embed ``small``: same tag, and its rarest attribute value."""
        if not small.attrib:
            return self.by_tag(small.tag)
        return min((self.having(small.tag, k, v) for k, v in small.attrib), key=len)

    def smaller(self, large: Node) -> list[Node]:
        """Elements ``large`` may embed: same tag, no attribute or one of its attribute values."""
        groups = [self.plain(large.tag)] + [
            self.having(large.tag, key, value) for key, value in large.attrib
        ]
        groups = [group for group in groups if group]
        if len(groups) == 1:
            return groups[0]
        found = {id(e): e for group in groups for e in group}
        return list(found.values())


def _candidates(kept: Sequence[Node], element: Node, index: _Index | None) -> list[Node]:
    """Kept elements ``element`` may embed (by index when there are many)."""
    if index is not None:
        return index.smaller(element)
    return [other for other in kept if other.tag == element.tag]


def disagreeing(filtered: Sequence[Node], unfiltered: Document, path: str) -> list[str]:
    """Kept elements whose values differ from the unfiltered document."""
    index = unfiltered.index
    problems = []
    for child in filtered:
        if id(child) in unfiltered.ids:
            continue  # kept whole
        alike = index.alike(child)
        if alike is not None and embeds(child, alike):
            continue
        if not any(embeds(child, other) for other in index.larger(child)):
            problems.append(f"{path}/{_describe(child)} does not match the unfiltered document")
    return problems


def lost(
    filtered: Sequence[Node],
    unfiltered: Sequence[Node],
    fields: Sequence[Field],
    path: str,
    kept_all: Seen | None = None,
) -> list[str]:
    """What the filter asks for and the unfiltered document has, but the answer lacks.
    ``kept_all`` remembers which (kept children, unfiltered children, list) keep everything."""
    memo: Seen = {} if kept_all is None else kept_all
    problems: list[str] = []
    exact = {id(kept) for kept in filtered}
    index = _Index(filtered) if len(filtered) > 16 else None
    by_name: dict[str, list[Field]] = {}
    for field in fields:
        by_name.setdefault(field.name, []).append(field)
    # per name: its fields, those with attributes (None: none has any, all always match)
    plans = {
        name: (tuple(named), [f for f in named if f.attributes] or None)
        for name, named in by_name.items()
    }
    merged_by: dict[tuple[Field, ...], tuple[Field, ...] | None] = {}
    for element in unfiltered:
        plan = plans.get(element.tag)
        if plan is None:
            continue
        named, with_attributes = plan
        if with_attributes and not any(field.matches(element) for field in with_attributes):
            continue
        if id(element) in exact:
            continue  # kept whole (the same object: read through the unfiltered Document)
        if with_attributes is None:
            matching = named
        else:
            matching = tuple(field for field in named if field.matches(element))
        if matching not in merged_by:
            merged_by[matching] = _merged(matching)
        merged = merged_by[matching]

        def keeps_all(kept: Node, element: Node = element, merged: Any = merged) -> bool:
            """``kept`` is ``element`` with what the filter asks for still in it."""
            if not embeds(kept, element):
                return False
            if merged is None:
                return embeds(element, kept)
            key = (id(kept.children), id(element.children), id(merged))
            found = memo.get(key)
            if found is None:  # by identity (equal lists read through one Document are one)
                kept_everything = not lost(kept.children, element.children, merged, path, memo)
                found = memo[key] = (kept_everything, kept.children, element.children, merged)
            return bool(found[0])

        alike = index.alike(element) if index is not None else None  # the likely one first
        found = (alike is not None and keeps_all(alike)) or any(
            keeps_all(kept) for kept in _candidates(filtered, element, index) if kept is not alike
        )
        if not found:
            problems.append(f"{path}/{_describe(element)} was requested but is missing")
    return problems


def _merged(matching: tuple[Field, ...]) -> tuple[Field, ...] | None:
    """The children the fields matching one element ask for together (None: no list, all)."""
    lists = [field.children for field in matching if field.children is not None]
    if not lists:
        return None
    common = {child.name for child in lists[0]}
    for other in lists[1:]:
        common &= {child.name for child in other}
    return tuple(child for group in lists for child in group if child.name in common)


def problems(
    filtered: etree._Element,
    unfiltered: etree._Element | Document,
    fields: Sequence[Field],
    path: str,
) -> list[str]:
    """Everything wrong with one filtered resource element (Action, ActionResults), judged
    against the unfiltered one (read into a ``Document`` once when it is judged often)."""
    document = unfiltered if isinstance(unfiltered, Document) else Document(unfiltered)
    return judge(document.read(filtered), document, fields, path)


def judge(
    kept: tuple[Node, ...], document: Document, fields: Sequence[Field], path: str
) -> list[str]:
    """Everything wrong with the children of a filtered element, read through ``document``
    (``Document.read``: the lxml tree may be gone by now). An answer that keeps, in order,
    exactly the elements the filter asks for, each keeping what it must, has nothing wrong
    (``_agrees_in_order``); any other is judged element by element."""
    found = unrequested(kept, fields, path)
    if not found and _agrees_in_order(kept, document, fields):
        return []
    return found + disagreeing(kept, document, path) + lost(kept, document.children, fields, path)


def _named_in_order(document: Document, selected: dict[str, dict[int, Node] | None]) -> list[Node]:
    """The children of ``document`` named in ``selected`` (only those whose id it holds, for
    a name with a set), in document order: a filter that names a few of 100000 computers
    visits those few."""
    index = document.index
    found: list[Node] = []
    for name, matching in selected.items():
        found += index.by_tag(name) if matching is None else matching.values()
    if len(selected) > 1 or any(matching for matching in selected.values()):
        order = document.positions
        found.sort(key=lambda element: order[id(element)])
    return found


def _agrees_in_order(kept: Sequence[Node], document: Document, fields: Sequence[Field]) -> bool:
    """True only when ``disagreeing`` and ``lost`` find nothing: the elements ``lost``
    requires (named by a field, matching one of its attribute matches if any) are ``kept``
    one for one, in order, each the same element or one with its name and attributes that
    ``lost`` would accept (it embeds into it and keeps what the matching fields ask for),
    and nothing else is kept. Pairs are remembered by the identity of their children lists
    (a 100000-computer status has a few), so this is linear with a small constant."""
    by_name: dict[str, list[Field]] = {}
    for field in fields:
        by_name.setdefault(field.name, []).append(field)
    index = document.index
    # by name: the elements matching an attribute match, by identity (None: every one)
    selected: dict[str, dict[int, Node] | None] = {}
    for name, named in by_name.items():
        with_attributes = [field for field in named if field.attributes]
        if not with_attributes:
            selected[name] = None
            continue
        found: dict[int, Node] = {}
        for field in with_attributes:
            key, value = field.attributes[0]
            found.update((id(e), e) for e in index.having(name, key, value) if field.matches(e))
        selected[name] = found
    memo: Seen = {}
    lost_memo: Seen = {}
    merged_by: dict[tuple[Field, ...], tuple[Field, ...] | None] = {}
    clauses_of = {name: tuple(named) for name, named in by_name.items()}
    merged_of = {name: _merged(clauses) for name, clauses in clauses_of.items()}
    position = 0
    for element in _named_in_order(document, selected):
        # every element here is named by a field, and matches one if its fields match
        if position == len(kept):
            return False
        pair = kept[position]
        position += 1
        if pair is element:
            continue
        if pair.tag != element.tag or pair.attrib != element.attrib:
            return False
        if selected[element.tag] is None:  # every field of the name matches
            merged = merged_of[element.tag]
        else:
            matching = tuple(f for f in clauses_of[element.tag] if f.matches(element))
            if matching not in merged_by:
                merged_by[matching] = _merged(matching)
            merged = merged_by[matching]
        # Same name and attributes: the rest depends on children and text only.
        shape = (id(pair.children), id(element.children), id(merged), pair.text, element.text)
        known = memo.get(shape)
        if known is None:
            holds = embeds(pair, element) and (
                embeds(element, pair)
                if merged is None
                else not lost(pair.children, element.children, merged, "", lost_memo)
            )
            known = memo[shape] = (holds, pair.children, element.children, merged)  # kept alive
        if not known[0]:
            return False
    return position == len(kept)


def _key(action: etree._Element) -> str | None:
    return action.get("Resource") or (action.findtext("ID") or "").strip() or None


def list_problems(
    filtered: etree._Element,
    before: etree._Element,
    after: etree._Element,
    fields: Sequence[Field],
) -> list[str]:
    """Problems of a filtered GET /api/actions, judged against unfiltered lists fetched just
    before and after it (actions created or deleted meanwhile are not held against it)."""
    unfiltered = {_key(a): a for root in (after, before) for a in root.findall("./Action")}
    stable = {_key(a) for a in before.findall("./Action")} & {
        _key(a) for a in after.findall("./Action")
    }
    found: list[str] = []
    kept = filtered.findall("./Action")
    for position, action in enumerate(kept):
        where = f"/BESAPI/Action[{position + 1}]"
        key = _key(action)
        if key is not None and key in unfiltered:
            counterparts = [unfiltered[key]]
        else:
            counterparts = list(before.findall("./Action"))
        if not counterparts:
            found.append(f"{where} is not in the unfiltered list")
            continue
        judged = [problems(action, other, fields, where) for other in counterparts]
        judged.sort(key=len)
        found += judged[0]
    keys = {_key(action) for action in kept}
    if None in keys:
        if not min(len(before), len(after)) <= len(kept) <= max(len(before), len(after)):
            found.append(f"{len(kept)} Action elements, the unfiltered list has {len(before)}")
    else:
        found += [f"Action {key} is missing from the filtered list" for key in stable - keys]
    return found

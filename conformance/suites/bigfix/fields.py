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

from collections.abc import Sequence
from dataclasses import dataclass

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

    def matches(self, element: etree._Element) -> bool:
        return self.name == element.tag and all(
            element.get(key) == value for key, value in self.attributes
        )


def render(fields: Sequence[Field]) -> str:
    return ",".join(field.render() for field in fields)


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _describe(element: etree._Element) -> str:
    key = element.get("ID")
    return f"{element.tag}[@ID={key}]" if key is not None else element.tag


def embeds(small: etree._Element, large: etree._Element) -> bool:
    """``small`` is ``large`` with attributes and children left out, nothing changed."""
    if small.tag != large.tag:
        return False
    if any(large.get(key) != value for key, value in small.attrib.items()):
        return False
    small_children, large_children = _elements(small), _elements(large)
    if not small_children:
        # a leaf keeps its value; an element whose children were all filtered out is empty
        return not _text(small) if large_children else _text(small) == _text(large)
    return all(
        any(embeds(child, other) for other in large_children if other.tag == child.tag)
        for child in small_children
    )


def unrequested(filtered: etree._Element, fields: Sequence[Field], path: str) -> list[str]:
    """Elements below ``filtered`` that no field asks for."""
    problems: list[str] = []
    for child in _elements(filtered):
        where = f"{path}/{_describe(child)}"
        matching = [field for field in fields if field.matches(child)]
        named = [field for field in fields if field.name == child.tag]
        if not matching:
            problems.append(f"{where} was not requested by ?fields={render(fields)}")
        elif all(field.children is not None for field in named):
            # Judged only when every clause naming the element has a list: then a child that
            # no list of the element asks for was not requested, however the lists combine.
            allowed = tuple(grand for field in named for grand in field.children or ())
            problems += unrequested(child, allowed, where)
    return problems


class _Index:
    """The element children of one parent, found by tag and by attribute value.

    ``embeds(small, large)`` needs every attribute of ``small`` on ``large`` with the same value,
    so candidates are narrowed by one attribute before comparing: a 100000-computer status is
    judged in linear time whenever the answer keeps an identifying attribute (``ID``).
    """

    def __init__(self, parent: etree._Element) -> None:
        self.by_tag: dict[str, list[etree._Element]] = {}
        self.by_attribute: dict[tuple[str, str, str], list[etree._Element]] = {}
        self.plain: dict[str, list[etree._Element]] = {}  # elements with no attribute
        for child in _elements(parent):
            tag = str(child.tag)
            self.by_tag.setdefault(tag, []).append(child)
            if not child.attrib:
                self.plain.setdefault(tag, []).append(child)
            for key, value in child.attrib.items():
                self.by_attribute.setdefault((tag, str(key), str(value)), []).append(child)

    def larger(self, small: etree._Element) -> list[etree._Element]:
        """Elements that may embed ``small``: same tag, and its rarest attribute value."""
        tag = str(small.tag)
        if not small.attrib:
            return self.by_tag.get(tag, [])
        groups = [
            self.by_attribute.get((tag, str(key), str(value)), [])
            for key, value in small.attrib.items()
        ]
        return min(groups, key=len)

    def smaller(self, large: etree._Element) -> list[etree._Element]:
        """Elements ``large`` may embed: same tag, no attribute or one of its attribute values."""
        tag = str(large.tag)
        found = {id(e): e for e in self.plain.get(tag, [])}
        for key, value in large.attrib.items():
            for element in self.by_attribute.get((tag, str(key), str(value)), []):
                found[id(element)] = element
        return list(found.values())


def disagreeing(filtered: etree._Element, unfiltered: etree._Element, path: str) -> list[str]:
    """Kept elements whose values differ from the unfiltered document."""
    index = _Index(unfiltered)
    return [
        f"{path}/{_describe(child)} does not match the unfiltered document"
        for child in _elements(filtered)
        if not any(embeds(child, other) for other in index.larger(child))
    ]


def lost(
    filtered: etree._Element, unfiltered: etree._Element, fields: Sequence[Field], path: str
) -> list[str]:
    """What the filter asks for and the unfiltered document has, but the answer lacks."""
    problems: list[str] = []
    index = _Index(filtered)
    for element in _elements(unfiltered):
        named = [field for field in fields if field.name == element.tag]
        with_attributes = [field for field in named if field.attributes]
        if not named or (with_attributes and not any(f.matches(element) for f in with_attributes)):
            continue
        matching = [field for field in named if field.matches(element)]
        lists = [field.children for field in matching if field.children is not None]
        candidates = [kept for kept in index.smaller(element) if embeds(kept, element)]
        if not lists:
            found = any(embeds(element, kept) for kept in candidates)
        else:
            common = {child.name for child in lists[0]}
            for other in lists[1:]:
                common &= {child.name for child in other}
            merged = tuple(child for group in lists for child in group if child.name in common)
            found = any(not lost(kept, element, merged, path) for kept in candidates)
        if not found:
            problems.append(f"{path}/{_describe(element)} was requested but is missing")
    return problems


def problems(
    filtered: etree._Element, unfiltered: etree._Element, fields: Sequence[Field], path: str
) -> list[str]:
    """Everything wrong with one filtered resource element (Action, ActionResults)."""
    return (
        unrequested(filtered, fields, path)
        + disagreeing(filtered, unfiltered, path)
        + lost(filtered, unfiltered, fields, path)
    )


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

"""Hypothesis strategies for BigFix documents and filters (Hypothesis house style).

``from_single_action`` draws valid, inert SingleAction documents whose title, relevance and
target hold XML special characters, written as escaped text or as CDATA. ``SCHEMA_INVALID`` and
``MALFORMED`` turn such a document into one a server must refuse, one way each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from lxml import etree

from conformance import xmlsafe
from conformance.suites.bigfix.bodies import (
    INERT_RELEVANCE,
    NO_SUCH_COMPUTER,
    XML_DECLARATION,
    SafeTargets,
    TargetSpec,
    single_action,
)
from conformance.suites.bigfix.fields import Field

# Pieces that stress XML writers and readers: markup characters, a CDATA terminator, entities
# written as text, quotes, non-ASCII letters and a character outside the BMP.
SPECIALS = ("<", ">", "&", '"', "'", "]]>", "<![CDATA[", "&amp;", "é", "漢", "\U0001f600", "\t")
_CHARACTERS = st.characters(
    blacklist_categories=("Cs", "Cc", "Cn", "Co"), blacklist_characters="\ufeff"
)


@cache  # a strategy is immutable: built and validated once, drawn often
def _text(*, min_size: int, max_size: int, exclude: str = "") -> st.SearchStrategy[str]:
    pieces = st.one_of(
        st.sampled_from([piece for piece in SPECIALS if not set(piece) & set(exclude)]),
        _CHARACTERS.filter(lambda char: char not in exclude),
    )
    return (
        st.lists(pieces, min_size=min_size, max_size=max_size)
        .map(lambda parts: "".join(parts)[:max_size].strip())
        .filter(bool)
    )


@cache  # a strategy is immutable: built and validated once, drawn often
def _relevance_literal() -> st.SearchStrategy[str]:
    """``false and ("..." = "")``: false whatever the string; no ``"`` or ``%`` inside."""
    return _text(min_size=1, max_size=40, exclude='"%').map(
        lambda text: f'{INERT_RELEVANCE} and ("{text}" = "")'
    )


@dataclass(frozen=True)
class GeneratedAction:
    """A drawn SingleAction and what a GET of it must show again."""

    title: str
    relevance: str
    target: TargetSpec
    cdata: tuple[str, ...]
    declaration: bool

    @property
    def body(self) -> bytes:
        return single_action(
            self.title,
            self.target,
            relevance=self.relevance,
            cdata=self.cdata,
            declaration=self.declaration,
        )


@cache  # a strategy is immutable: built and validated once, drawn often
def from_safe_target(targets: SafeTargets) -> st.SearchStrategy[TargetSpec]:
    """Targets that match nothing, or only the user's named test computers."""
    if not isinstance(targets, SafeTargets):
        raise InvalidArgument(f"targets={targets!r} must be a SafeTargets")
    relevance = _relevance_literal().map(lambda text: TargetSpec("CustomRelevance", (text,)))
    names = st.lists(_text(min_size=1, max_size=12), min_size=1, max_size=3).map(
        lambda suffixes: TargetSpec(
            "ComputerName", tuple(f"{NO_SUCH_COMPUTER}{suffix}" for suffix in suffixes)
        )
    )
    choices = [relevance, names]
    if targets.computer_ids:
        ids = st.lists(st.sampled_from(targets.computer_ids), min_size=1, unique=True)
        choices.append(ids.map(lambda chosen: TargetSpec("ComputerID", tuple(map(str, chosen)))))
    return st.one_of(choices)


@cache  # a strategy is immutable: built and validated once, drawn often
def from_single_action(targets: SafeTargets) -> st.SearchStrategy[GeneratedAction]:
    """Valid, inert SingleAction documents with XML special characters and CDATA."""
    return st.builds(
        GeneratedAction,
        title=_text(min_size=1, max_size=255),
        relevance=st.one_of(st.just(INERT_RELEVANCE), _relevance_literal()),
        target=from_safe_target(targets),
        cdata=st.lists(st.sampled_from(("Title", "Relevance", "Target")), unique=True).map(tuple),
        declaration=st.booleans(),
    )


# -- bodies a server must refuse -------------------------------------------------------------


def _edit(action: GeneratedAction, change: Callable[[etree._Element], None]) -> bytes:
    root = xmlsafe.parse(action.body)
    change(root[0])
    return XML_DECLARATION.encode() + etree.tostring(root, encoding="UTF-8")


def _set_target(xml: str) -> Callable[[etree._Element], None]:
    def change(single: etree._Element) -> None:
        target = single.find("Target")
        assert target is not None
        single.replace(target, etree.fromstring(xml))

    return change


def _remove(tag: str) -> Callable[[etree._Element], None]:
    def change(single: etree._Element) -> None:
        element = single.find(tag)
        assert element is not None
        single.remove(element)

    return change


def _set_text(tag: str, text: str) -> Callable[[etree._Element], None]:
    def change(single: etree._Element) -> None:
        element = single.find(tag)
        assert element is not None
        element.text = text

    return change


def _swap_title_and_relevance(single: etree._Element) -> None:
    title = single.find("Title")
    assert title is not None
    single.remove(title)
    single.insert(1, title)


def _add_unknown(single: etree._Element) -> None:
    single.insert(3, etree.Element("NoSuchElement"))


def _wrap(root_xml: str) -> Callable[[GeneratedAction], bytes]:
    def body(action: GeneratedAction) -> bytes:
        inner = action.body.split(b"<SingleAction>", 1)[1].rsplit(b"</SingleAction>", 1)[0]
        return root_xml.encode().replace(b"{inner}", inner)

    return body


DOWNLOAD = (
    "<ActionDownload><DownloadRequestTarget><ActionID>1</ActionID><Index>1</Index>"
    '<Hashes hashAlgorithm="sha1">9d3e61a1f0434beb33d9d6dbb0b42a3ae39da696</Hashes>'
    "<Size>1851</Size><URL>http://software.bigfix.com/download/a.inspectors</URL>"
    "</DownloadRequestTarget><Status><State>COMPLETED</State>"
    "<Timestamp>Wed, 22 Mar 2023 14:19:42 +0000</Timestamp><RetryCount>0</RetryCount></Status>"
    "<Available>true</Available><BytesDownloaded>1851</BytesDownloaded>"
    "<TotalBytes>1851</TotalBytes><RetryLimit>5</RetryLimit></ActionDownload>"
)

# Well-formed XML that BES.xsd (or the POST body's shape) refuses. Each keeps relevance false
# and a target that matches nothing, so even a server that wrongly accepts it creates nothing
# that can run.
SCHEMA_INVALID: dict[str, Callable[[GeneratedAction], bytes]] = {
    "empty BES": lambda action: (XML_DECLARATION + "<BES/>").encode(),
    "SingleAction without Title": lambda action: _edit(action, _remove("Title")),
    "Title longer than 255 characters": lambda action: _edit(
        action, _set_text("Title", (action.title * 256)[:256])
    ),
    "blank Relevance": lambda action: _edit(action, _set_text("Relevance", "  ")),
    "Title after Relevance": lambda action: _edit(action, _swap_title_and_relevance),
    "element the schema does not define": lambda action: _edit(action, _add_unknown),
    "empty Target": lambda action: _edit(action, _set_target("<Target/>")),
    "Target of two kinds": lambda action: _edit(
        action,
        _set_target(
            f"<Target><ComputerName>{NO_SUCH_COMPUTER}x</ComputerName>"
            "<CustomRelevance>false</CustomRelevance></Target>"
        ),
    ),
    "ComputerID that is not an integer": lambda action: _edit(
        action, _set_target("<Target><ComputerID>not-a-number</ComputerID></Target>")
    ),
    "two actions in one BES": _wrap(
        XML_DECLARATION + "<BES><SingleAction>{inner}</SingleAction>"
        "<SingleAction>{inner}</SingleAction></BES>"
    ),
    "Task instead of an action": _wrap(XML_DECLARATION + "<BES><Task>{inner}</Task></BES>"),
    "download record instead of an action": lambda action: (
        XML_DECLARATION + f"<BES>{DOWNLOAD}</BES>"
    ).encode(),
    "BESAPI root instead of BES": _wrap(
        XML_DECLARATION + "<BESAPI><SingleAction>{inner}</SingleAction></BESAPI>"
    ),
}


def _cut(action: GeneratedAction, at: float) -> bytes:
    body = action.body
    return body[: int(at * (len(body) - 1))]


# Bodies that are not well-formed XML, so no server can act on them.
MALFORMED: dict[str, Callable[[GeneratedAction, float], bytes]] = {
    "body cut short": _cut,
    "bytes before the XML declaration": lambda action, at: (
        b" \n"
        + single_action(action.title, action.target, relevance=action.relevance, declaration=True)
    ),
    "end tag that does not match": lambda action, at: action.body.replace(
        b"</SingleAction>", b"</SingleActionX>"
    ),
    "raw ampersand in Title": lambda action, at: action.body.replace(b"<Title>", b"<Title>& ", 1),
    "two root elements": lambda action, at: action.body + b"<BES/>",
    "JSON instead of XML": lambda action, at: json.dumps({"Title": action.title}).encode(),
    "empty body": lambda action, at: b"",
}


# -- ?fields= --------------------------------------------------------------------------------

STATUS_CHILDREN = ("ActionID", "Status", "DateIssued", "Computer", "MemberActionResult")
COMPUTER_CHILDREN = (
    "Status",
    "State",
    "ExitCode",
    "ApplyCount",
    "RetryCount",
    "LineNumber",
    "StartTime",
    "EndTime",
)
ACTION_CHILDREN = ("Name", "ID")
RESERVED = set(",()&<>=")


def wrong_case(name: str) -> str:
    """The same name in another case: it must select nothing."""
    return name.lower() if name.lower() != name else name.upper()


def _names(names: Sequence[str]) -> st.SearchStrategy[str]:
    return st.sampled_from([*names, *(wrong_case(name) for name in names), "NoSuchField"])


def from_action_fields() -> st.SearchStrategy[tuple[Field, ...]]:
    """Filters for GET /api/actions: Action's children, in any case, and unknown names."""
    return st.lists(_names(ACTION_CHILDREN).map(Field), min_size=1, max_size=3).map(tuple)


def from_status_fields(
    computers: Sequence[tuple[str, str]],
) -> st.SearchStrategy[tuple[Field, ...]]:
    """Filters for GET .../status; ``computers`` are the (ID, Name) pairs the status shows."""
    ids = [identifier for identifier, _ in computers] + ["999999999"]
    names = [name for _, name in computers if name and not set(name) & RESERVED]
    attribute = st.one_of(
        st.sampled_from(ids).map(lambda value: ("ID", value)),
        *([st.sampled_from(names).map(lambda value: ("Name", value))] if names else []),
    )
    children = st.none() | st.lists(
        _names(COMPUTER_CHILDREN).map(Field), min_size=1, max_size=3
    ).map(tuple)
    computer = st.builds(
        Field,
        name=st.just("Computer"),
        attributes=st.lists(attribute, max_size=2, unique_by=lambda pair: pair[0]).map(tuple),
        children=children,
    )
    simple = _names(STATUS_CHILDREN).map(Field)
    return st.lists(st.one_of(simple, computer), min_size=1, max_size=3).map(tuple)

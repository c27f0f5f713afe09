"""BES documents the suite POSTs: always inert.

Every action the suite creates has relevance ``false`` (it is relevant nowhere, so it never
runs) and a target that matches nothing, unless the user named test computers in
``[fixtures] computer_ids``: then it targets those computers only. Documented examples are sent
in their documented shape with those two parts replaced.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from conformance import xmlsafe

EXAMPLES = Path(__file__).parent / "examples"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
BES_OPEN = '<BES xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
INERT_RELEVANCE = "false"
NO_SUCH_COMPUTER = "actionconform-no-such-computer-"
INERT_SCRIPT = "// actionconform conformance test: relevance is false, this never runs"
# Sent as a SecureParameter value; tests/ prove it never reaches a report file.
SECURE_VALUE = "actionconform-secure-value-7Qx2-never-in-a-report"
# The documented example of a bundled server without [fixtures] computer_ids.
BUNDLED_COMPUTER_IDS = (13863357, 13863358)


@dataclass(frozen=True)
class TargetSpec:
    """One Target: ``kind`` is ComputerID, ComputerName or CustomRelevance."""

    kind: str
    values: tuple[str, ...]

    def xml(self, *, cdata: bool = False) -> str:
        return _target_xml(self, cdata)


@dataclass(frozen=True)
class SafeTargets:
    """The only targets the suite may give an action it creates."""

    computer_ids: tuple[int, ...] = ()

    @classmethod
    def from_fixtures(cls, fixtures: dict[str, Any], *, bundled: bool) -> SafeTargets:
        ids = fixtures.get("computer_ids") or (BUNDLED_COMPUTER_IDS if bundled else ())
        return cls(tuple(int(value) for value in ids))

    def default(self) -> TargetSpec:
        if self.computer_ids:
            return TargetSpec("ComputerID", tuple(str(value) for value in self.computer_ids))
        return TargetSpec("CustomRelevance", (INERT_RELEVANCE,))


@functools.lru_cache(maxsize=64)
def _target_xml(target: TargetSpec, cdata: bool) -> str:
    # Once per process and target: the 10000-target limit tests send the same lists every run.
    inner = "".join(
        f"<{target.kind}>{text_node(value, cdata)}</{target.kind}>" for value in target.values
    )
    return f"<Target>{inner}</Target>"


@functools.lru_cache(maxsize=8)
def unmatched_names(count: int) -> TargetSpec:
    """A ComputerName list of ``count`` names no BigFix computer can have."""
    return TargetSpec("ComputerName", tuple(f"{NO_SUCH_COMPUTER}{i:05d}" for i in range(count)))


def text_node(value: str, cdata: bool = False) -> str:
    """``value`` as XML character data: escaped, or in CDATA sections (``]]>`` split)."""
    if not cdata:
        return escape(value)
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def single_action(
    title: str,
    target: TargetSpec,
    *,
    relevance: str = INERT_RELEVANCE,
    cdata: Sequence[str] = (),
    declaration: bool = True,
    parameters: Sequence[tuple[str, str]] = (),
    secure_parameters: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A SingleAction document; ``cdata`` names the parts written as CDATA."""
    params = "".join(
        f'<{tag} Name="{escape(name)}">{escape(value)}</{tag}>'
        for tag, pairs in (("Parameter", parameters), ("SecureParameter", secure_parameters))
        for name, value in pairs
    )
    document = (
        f"{XML_DECLARATION if declaration else ''}{BES_OPEN}<SingleAction>"
        f"<Title>{text_node(title, 'Title' in cdata)}</Title>"
        f"<Relevance>{text_node(relevance, 'Relevance' in cdata)}</Relevance>"
        f"<ActionScript>{text_node(INERT_SCRIPT)}</ActionScript>"
        f"<SuccessCriteria />{params}<Settings /><SettingsLocks />"
        f"{target.xml(cdata='Target' in cdata)}</SingleAction></BES>"
    )
    return document.encode("utf-8")


def inert(document: bytes, targets: SafeTargets, target: TargetSpec | None = None) -> bytes:
    """A documented example made safe: relevance false, safe target, our secure value."""
    root = xmlsafe.parse(document)
    for relevance in root.iter("Relevance"):
        relevance.text = INERT_RELEVANCE
    replacement = etree.fromstring((target or targets.default()).xml())
    for old in list(root.iter("Target")):
        parent = old.getparent()
        assert parent is not None
        parent.replace(old, etree.fromstring(etree.tostring(replacement)))
    for secure in root.iter("SecureParameter"):
        secure.text = SECURE_VALUE
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def documented(name: str) -> bytes:
    """A documented request body from ``examples/``, verbatim."""
    return (EXAMPLES / name).read_bytes()

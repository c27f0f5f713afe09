"""Vendor versions: which documented rule holds for which version of the vendor's server.

A rule that holds only for some versions says so: a catalogue requirement has ``since`` and
``until``; a spec response, a schema branch or a property carries ``x-since`` / ``x-until``.
``since`` is the first version the rule holds for (inclusive), ``until`` the first version it
no longer holds for (exclusive). Versions compare numerically, part by part, missing parts as 0
("8.0" < "8.0.2" < "8.1" < "11.0"); a build suffix ("8.0.2-17") is ignored.

Judging without a version means judging by what *any* documented version allows: nothing is
pruned, so value sets are the union of every version's, and a requirement that holds for some
versions only does not gate (see ``conformance.verdict``). With a version, ``prune`` keeps only
what holds for it and a requirement outside its range is not applicable.
"""

from __future__ import annotations

import re
from functools import total_ordering
from typing import Any

from conformance.errors import UsageError

SINCE, UNTIL = "x-since", "x-until"
_VERSION = re.compile(r"^(\d+(?:\.\d+)*)(?:-[0-9A-Za-z.]+)?$")


class VersionError(UsageError, ValueError):
    """A vendor version that is not a dotted number."""


@total_ordering
class Version:
    """A dotted vendor version such as ``8.0.2`` (``8.0.2-17``: the build is ignored)."""

    def __init__(self, text: str) -> None:
        match = _VERSION.match(str(text).strip())
        if not match:
            raise VersionError(f"vendor version {text!r} is not a dotted number such as 8.0.2")
        self.text = str(text).strip()
        parts = [int(part) for part in match.group(1).split(".")]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        self.key = tuple(parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Version({self.text!r})"

    def __str__(self) -> str:
        return self.text


def parse(text: str | Version | None) -> Version | None:
    """A ``Version``, or None for "no version given"; a malformed one is a usage error."""
    if text is None or isinstance(text, Version):
        return text
    return Version(text)


def applies(since: str | None, until: str | None, version: str | Version | None) -> bool:
    """Whether a rule with that range holds for ``version`` (always, when no version is given)."""
    wanted = parse(version)
    if wanted is None:
        return True
    if since is not None and wanted < Version(since):
        return False
    return not (until is not None and wanted >= Version(until))


def describe(since: str | None, until: str | None) -> str:
    """``from 8.0``, ``before 7.8``, ``from 7.8, before 8.0``; empty for every version."""
    parts = []
    if since:
        parts.append(f"from {since}")
    if until:
        parts.append(f"before {until}")
    return ", ".join(parts)


def _holds(node: Any, version: Version | None) -> bool:
    if not isinstance(node, dict) or (SINCE not in node and UNTIL not in node):
        return True
    return applies(node.get(SINCE), node.get(UNTIL), version)


def prune(node: Any, version: str | Version | None) -> Any:
    """A copy of a spec or schema document with only what holds for ``version``.

    Any mapping that carries ``x-since``/``x-until`` excluding the version is dropped from its
    parent: a response from ``responses``, a branch from ``anyOf``/``oneOf``, a property from
    ``properties``. A name left in ``required`` whose property was dropped is dropped too.
    Without a version the document is returned as it is (the union of every version's rules).
    """
    wanted = parse(version)
    if wanted is None:
        return node
    return _prune(node, wanted)


def _prune(node: Any, version: Version) -> Any:
    if isinstance(node, list):
        return [_prune(item, version) for item in node if _holds(item, version)]
    if not isinstance(node, dict):
        return node
    kept = {key: _prune(value, version) for key, value in node.items() if _holds(value, version)}
    properties = node.get("properties")
    if isinstance(properties, dict) and isinstance(kept.get("required"), list):
        gone = {name for name, value in properties.items() if not _holds(value, version)}
        kept["required"] = [name for name in kept["required"] if name not in gone]
    return kept


def values(node: Any, version: str | Version | None) -> list[Any]:
    """Every ``enum``/``const`` value of a schema (its ``anyOf``/``oneOf`` branches too) that
    holds for ``version``: the documented value set of, say, a status field."""
    found: list[Any] = []

    def walk(schema: Any) -> None:
        if not isinstance(schema, dict):
            return
        if "const" in schema:
            found.append(schema["const"])
        found.extend(schema.get("enum", []))
        for key in ("anyOf", "oneOf"):
            for branch in schema.get(key, []):
                walk(branch)

    walk(prune(node, version))
    return list(dict.fromkeys(found))

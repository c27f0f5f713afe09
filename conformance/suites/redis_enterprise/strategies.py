"""Hypothesis strategies for identifiers a conformant server must not know.

House style: ``from_<thing>(source, *, options)``; invalid arguments fail loudly; never an empty
strategy in silence. Every generated value is path-safe (no ``/``, ``?``, ``#``, ``%``, dots).
"""

from __future__ import annotations

from collections.abc import Collection

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from conformance.suites.redis_enterprise.context import UNKNOWN_ACTION_PREFIX

HEX = "0123456789abcdef"
# Path segments under /v1/actions/ that are routes of their own (GET /v1/actions/bdb/{bdb_uid}).
RESERVED_SEGMENTS = frozenset({"bdb"})


def _mutants(uid: str) -> st.SearchStrategy[str]:
    """Near misses of one listed uid: a changed hex digit, a truncation, a suffix."""
    positions = [index for index, char in enumerate(uid) if char in HEX]
    options: list[st.SearchStrategy[str]] = [
        st.integers(1, max(1, len(uid) - 1)).map(lambda end: uid[:end]),
        st.text(HEX + "-", min_size=1, max_size=4).map(lambda tail: uid + tail),
    ]
    if positions:
        options.append(
            st.tuples(st.sampled_from(positions), st.sampled_from(HEX)).map(
                lambda change: uid[: change[0]] + change[1] + uid[change[0] + 1 :]
            )
        )
    return st.one_of(options)


def from_listed_uids(
    listed: Collection[str], *, near_misses: bool = True
) -> st.SearchStrategy[str]:
    """Action uids that are not in ``listed``: fresh UUIDs, plus near misses of listed ones."""
    if isinstance(listed, str):
        raise InvalidArgument("listed must be a collection of uids, not one string")
    known = frozenset(listed)
    options: list[st.SearchStrategy[str]] = [
        st.uuids().map(str),
        st.text(HEX + "-", min_size=1, max_size=40),
    ]
    safe = sorted(uid for uid in known if uid and all(c.isalnum() or c in "-_" for c in uid))
    if near_misses and safe:
        options.append(st.sampled_from(safe).flatmap(_mutants))
    return st.one_of(options).filter(
        lambda uid: uid not in known and uid.strip("-") != "" and uid not in RESERVED_SEGMENTS
    )


def from_known_actions(known: Collection[str], *, max_suffix: int = 24) -> st.SearchStrategy[str]:
    """Cluster action names that are not in ``known`` and can never be a real action."""
    if isinstance(known, str):
        raise InvalidArgument("known must be a collection of names, not one string")
    if max_suffix < 1:
        raise InvalidArgument(f"max_suffix={max_suffix!r} must be at least 1")
    names = frozenset(known)
    suffixes = st.from_regex(rf"[a-z0-9_]{{1,{max_suffix}}}", fullmatch=True)
    return suffixes.map(lambda suffix: UNKNOWN_ACTION_PREFIX + suffix).filter(
        lambda name: name not in names
    )

"""Hypothesis strategies for run requests, in Hypothesis house style."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from conformance.suites.nexthink.runs import synthetic_device_uids

# Printable ASCII only: the ENCODING variants re-encode the whole body as ISO-8859-1.
_ASCII_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "-_ .:", max_size=36)
# Every parameter name the suite invents starts with this, so none is a real parameter.
UNKNOWN_PARAM_PREFIX = "actionconformUnknown"


def synthetic_device_lists(*, min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[list[str]]:
    """Lists of distinct well-formed device UIDs that name no real device."""
    if not 1 <= min_size <= max_size:
        raise InvalidArgument(f"need 1 <= min_size <= max_size, got {min_size}, {max_size}")
    return st.tuples(st.integers(min_size, max_size), st.integers(0, 2**32)).map(
        lambda drawn: synthetic_device_uids(drawn[0], start=drawn[1])
    )


def engine_selections(
    engines: Sequence[str], *, extra: Sequence[str] = ()
) -> st.SearchStrategy[list[str]]:
    """Non-empty lists of distinct Engine UIDs drawn from ``engines`` and ``extra``."""
    choices = list(dict.fromkeys([*engines, *extra]))
    if not choices:
        raise InvalidArgument("engine_selections needs at least one Engine UID")
    return st.lists(st.sampled_from(choices), min_size=1, max_size=len(choices), unique=True)


def unknown_params() -> st.SearchStrategy[dict[str, str]]:
    """``params`` whose names no remote action declares."""
    names = st.text(alphabet=string.ascii_letters + string.digits, max_size=12).map(
        lambda suffix: UNKNOWN_PARAM_PREFIX + suffix
    )
    return st.dictionaries(names, _ASCII_TEXT, min_size=1, max_size=3)


def run_documents(
    remote_action_uid: str, *, engines: Sequence[str] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid run requests for ``remote_action_uid`` on synthetic devices.

    Optional fields vary: ``requestUid``, a small ``timeoutSeconds`` and, when ``engines`` are
    given, ``engineDatabaseUids`` drawn from them. ``params`` stays out, so that a request is
    refused only for the rule a test breaks.
    """
    if not remote_action_uid:
        raise InvalidArgument("run_documents needs a remote action UID")
    optional: dict[str, st.SearchStrategy[Any]] = {
        "requestUid": _ASCII_TEXT,
        "timeoutSeconds": st.integers(1, 5),
    }
    if engines:
        optional["engineDatabaseUids"] = engine_selections(engines)
    return st.fixed_dictionaries(
        {"remoteActionUid": st.just(remote_action_uid), "deviceUids": synthetic_device_lists()},
        optional=optional,
    )

"""Hypothesis strategies for bodies that break exactly one documented rule of Execute Fleet Action.

Every value in these bodies is inert: tags and metadata start with ``actionconform-``, command,
configuration and setting IDs name nothing that exists. The suite sends them to the test fleet
with ``mutating=False`` because the docs say a conformant server refuses them with 400; should a
server accept one anyway, it has nothing real to run. The heartbeat period is the exception:
it is the value under test, so a server that wrongly accepts it sets it on the test fleet.
"""

from __future__ import annotations

import json
import string
from functools import cache
from typing import Any

from hypothesis import strategies as st

from conformance.suites.edgeiq.bodies import ACTIONS, FieldNames, encode

# update_heartbeat is left out: its period is never inert.
INERT_ACTIONS = ("issue_command", "send_configuration", "add_tags", "add_metadata")
SEND_CONFIGURATION_KEYS = ("configuration_id", "setting_id", "command_id")
_ALPHABET = string.ascii_lowercase + string.digits + "-_"


@cache  # a strategy is immutable: built and validated once, drawn often
def inert_strings() -> st.SearchStrategy[str]:
    """Strings that name nothing on a real server: ``actionconform-`` and a short suffix."""
    return st.text(_ALPHABET, min_size=1, max_size=12).map(lambda suffix: f"actionconform-{suffix}")


@cache  # a strategy is immutable: built and validated once, drawn often
def _inert_body(action: str, names: FieldNames) -> st.SearchStrategy[dict[str, Any]]:
    text = inert_strings()
    if action == "issue_command":
        return st.one_of(
            st.builds(lambda c: {"action": action, "command_id": c}, text),
            st.builds(lambda g: {"action": action, "gateway_command": g}, text),
        )
    if action == "send_configuration":
        required = st.fixed_dictionaries(
            {
                "action": st.just(action),
                names.configuration_id: text,
                names.setting_id: text,
                names.command_id: text,
            },
            optional={names.setting_version: st.integers(min_value=0, max_value=1000)},
        )
        return required
    if action == "add_tags":
        return st.fixed_dictionaries(
            {"action": st.just(action), "tags": st.lists(text, min_size=1, max_size=4)}
        )
    if action == "add_metadata":
        metadata = st.dictionaries(text, text, min_size=1, max_size=4)
        return st.fixed_dictionaries({"action": st.just(action), "metadata": metadata})
    raise ValueError(f"no inert body for action {action!r}; choose from {INERT_ACTIONS}")


@cache  # a strategy is immutable: built and validated once, drawn often
def from_actions(
    names: FieldNames, *, actions: tuple[str, ...] = INERT_ACTIONS
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies of the given actions, built from inert values only."""
    if not actions:
        raise ValueError("actions must name at least one action")
    return st.one_of(*(_inert_body(action, names) for action in actions))


@cache  # a strategy is immutable: built and validated once, drawn often
def without_action(names: FieldNames) -> st.SearchStrategy[dict[str, Any]]:
    """A valid inert body with its ``action`` removed."""
    return from_actions(names).map(lambda body: {k: v for k, v in body.items() if k != "action"})


def unknown_actions() -> st.SearchStrategy[object]:
    """Values of ``action`` outside the five documented strings (any JSON type)."""
    return st.one_of(
        st.text(max_size=20).filter(lambda value: value not in ACTIONS),
        st.sampled_from([name.upper() for name in ACTIONS]),
        st.integers(),
        st.booleans(),
        st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2),
    )


@cache  # a strategy is immutable: built and validated once, drawn often
def send_configuration_without(
    names: FieldNames, *, missing: str
) -> st.SearchStrategy[dict[str, Any]]:
    """An inert send_configuration body lacking one of its three required IDs."""
    if missing not in SEND_CONFIGURATION_KEYS:
        raise ValueError(f"missing={missing!r}; choose from {SEND_CONFIGURATION_KEYS}")
    name = getattr(names, missing)
    return _inert_body("send_configuration", names).map(
        lambda body: {k: v for k, v in body.items() if k != name}
    )


@cache  # a strategy is immutable: built and validated once, drawn often
def _fractions() -> st.SearchStrategy[float]:
    finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
    return finite.filter(lambda value: not value.is_integer())


# (field, kind) -> wrong values for that field. Strings of digits are left out on purpose:
# whether "60" may stand for 60 is a coercion question the page does not settle.
WRONG_TYPES: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("tags", "string"): inert_strings(),
    ("tags", "object"): st.dictionaries(inert_strings(), inert_strings(), min_size=1, max_size=2),
    ("tags", "number"): st.integers(),
    ("tags", "array of numbers"): st.lists(st.integers(), min_size=1, max_size=3),
    ("metadata", "string"): inert_strings(),
    ("metadata", "array"): st.lists(inert_strings(), min_size=1, max_size=3),
    ("metadata", "number"): st.integers(),
    ("heartbeat_period", "string"): inert_strings(),
    ("heartbeat_period", "fraction"): _fractions(),
    ("heartbeat_period", "boolean"): st.booleans(),
    ("heartbeat_period", "array"): st.lists(st.integers(1, 3600), min_size=1, max_size=2),
    ("heartbeat_values", "string"): inert_strings(),
    ("heartbeat_values", "array of numbers"): st.lists(st.integers(), min_size=1, max_size=3),
    ("gateway_command", "number"): st.integers(),
    ("gateway_command", "array"): st.lists(inert_strings(), min_size=1, max_size=2),
    ("gateway_command", "object"): st.dictionaries(inert_strings(), inert_strings(), max_size=2),
}


@cache  # a strategy is immutable: built and validated once, drawn often
def wrongly_typed(names: FieldNames, *, field: str, kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """A body whose only fault is ``field`` holding a value of the wrong JSON type."""
    if (field, kind) not in WRONG_TYPES:
        raise ValueError(f"no wrong type {kind!r} for {field!r}; see WRONG_TYPES")
    action, key = {
        "tags": ("add_tags", "tags"),
        "metadata": ("add_metadata", "metadata"),
        "heartbeat_period": ("update_heartbeat", names.heartbeat_period),
        "heartbeat_values": ("update_heartbeat", names.heartbeat_values),
        "gateway_command": ("issue_command", "gateway_command"),
    }[field]
    return WRONG_TYPES[(field, kind)].map(lambda value: {"action": action, key: value})


@cache  # a strategy is immutable: built and validated once, drawn often
def truncated(names: FieldNames) -> st.SearchStrategy[str]:
    """A strict prefix of a valid inert body's JSON text (empty included): never JSON."""
    return (
        from_actions(names)
        .map(encode)
        .flatmap(lambda text: st.integers(0, len(text) - 1).map(lambda cut: text[:cut]))
    )


@cache  # a strategy is immutable: built and validated once, drawn often
def non_objects(names: FieldNames) -> st.SearchStrategy[str]:
    """JSON texts that are not an object: a list of valid bodies, a string, a number, null."""
    return st.one_of(
        st.lists(from_actions(names), min_size=1, max_size=2),
        inert_strings(),
        st.integers(),
        st.booleans(),
        st.none(),
    ).map(json.dumps)

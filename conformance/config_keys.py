"""Every key of the target and expectations files, and the one TOML type it takes.

The single declarative place for configuration keys: a new key is one entry in the table of its
section (``TARGET``, ``EXPECTED``; an API's ``[fixtures]`` and ``[fields]`` keys sit, with these
types, in its profile, ``conformance/suites/<api>/api.py``). A value of another type is a
usage error (exit 2) that names the key, the expected type and the value, so
``allow_mutations = "false"`` (a string) never counts as true and ``timeout = "30"`` is refused.
Numbers are finite and within a range that keeps every timer and buffer sane (TOML allows
``inf`` and ``nan``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.errors import UsageError

MAX_SECONDS = 86400.0  # one day: longer than any request or run deadline we would wait
MAX_RPS = 100000.0
MAX_BYTES = 1 << 40  # 1 TiB: a cap, not an allocation
_SHOWN = 60  # characters of an offending value shown in the message


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


@dataclass(frozen=True)
class KeyType:
    """What a key accepts, said the way the error message says it."""

    description: str
    accepts: Callable[[Any], bool]
    secret: bool = False  # never echo the value (a header that may hold a credential)

    def check(self, name: str, value: Any, where: str) -> Any:
        if not self.accepts(value):
            shown = "a value that is not shown (it may hold a secret)"
            if not self.secret:
                shown = describe(value)
            raise UsageError(f"{where}{name} must be {self.description}, got {shown}")
        return value


def describe(value: Any) -> str:
    """``the string "false"``, ``the integer 30``: a value named with its TOML type."""
    if isinstance(value, bool):
        kind = "the boolean"
        text = "true" if value else "false"
    elif isinstance(value, int):
        kind, text = "the integer", str(value) if value.bit_length() < 200 else "(huge)"
    elif isinstance(value, float):
        kind, text = "the float", repr(value)
    elif isinstance(value, str):
        kind, text = "the string", _quote(value)
    elif isinstance(value, list):
        return f"an array of {len(value)} item(s)"
    elif isinstance(value, dict):
        return f"a table of {len(value)} key(s)"
    else:  # dates and times
        kind, text = f"the {type(value).__name__}", str(value)
    if len(text) > _SHOWN:
        text = text[:_SHOWN] + "..."
    return f"{kind} {text}"


def _quote(text: str) -> str:
    escaped = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"'


# -- the types ------------------------------------------------------------------------------

STRING = KeyType("a string", lambda value: isinstance(value, str))
BOOLEAN = KeyType("a boolean (true or false, unquoted)", lambda value: isinstance(value, bool))
INTEGER = KeyType("an integer", _is_int)
POSITIVE_INTEGER = KeyType(
    "a positive integer", lambda value: _is_int(value) and 0 < value <= MAX_BYTES
)
SECONDS = KeyType(
    f"a positive number of seconds, at most {MAX_SECONDS:g} (unquoted)",
    lambda value: _is_number(value) and 0 < value <= MAX_SECONDS,
)
RATE = KeyType(
    f"a positive number of requests per second, from 0.001 to {MAX_RPS:g}",
    lambda value: _is_number(value) and 0.001 <= value <= MAX_RPS,
)
BYTES = KeyType(
    f"a positive whole number of bytes, at most {MAX_BYTES}",
    lambda value: _is_int(value) and 0 < value <= MAX_BYTES,
)
STRINGS = KeyType(
    "an array of strings",
    lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value),
)
INTEGERS = KeyType(
    "an array of integers",
    lambda value: isinstance(value, list) and all(_is_int(item) for item in value),
)
TABLE = KeyType("a table", lambda value: isinstance(value, dict))
STRING_TABLE = KeyType(
    "a table of strings",
    lambda value: isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
)


def one_of(*choices: str) -> KeyType:
    return KeyType(
        "one of " + ", ".join(f'"{choice}"' for choice in choices),
        lambda value: isinstance(value, str) and value in choices,
    )


# -- the target file ------------------------------------------------------------------------

TARGET: dict[str, KeyType] = {
    "api": STRING,
    "base_url": STRING,
    "username": STRING,
    "password_env": STRING,
    "token_env": STRING,
    # A second, valid user (or token) that lacks the permission the actions need: the 403 checks.
    "restricted_username": STRING,
    "restricted_password_env": STRING,
    "restricted_token_env": STRING,
    "timeout": SECONDS,
    "ca_bundle": STRING,
    "insecure": BOOLEAN,
    "allow_mutations": BOOLEAN,
    "max_response_bytes": BYTES,
    "max_rps": RATE,
    "vendor_version": STRING,  # checked as a dotted version by conformance.versions
    # the network (--header, --header-env, --proxy, --trust-env, --client-cert, --client-key)
    "headers": KeyType(STRING_TABLE.description, STRING_TABLE.accepts, secret=True),
    "header_env": STRING_TABLE,
    "proxy": KeyType(STRING.description, STRING.accepts, secret=True),  # may hold a password
    "trust_env": BOOLEAN,
    "client_cert": STRING,
    "client_key": STRING,
}

# [fixtures] and [fields] keys are declared, with their types, by each API's profile
# (``conformance/suites/<api>/api.py``: ``fixture_keys``, ``field_keys``).

TARGET_TABLES = ("target", "fixtures", "fields")

# -- the expectations file ------------------------------------------------------------------

EXPECTED_STATUSES = ("failed", "flaky", "skipped")
EXPECTED: dict[str, KeyType] = {
    "requirement": STRING,
    "status": one_of(*EXPECTED_STATUSES),
    "reason": KeyType("a non-empty string", lambda value: isinstance(value, str) and bool(value)),
    "tracking": STRING,
}


# -- checking -------------------------------------------------------------------------------


def check_table(
    table: Mapping[str, Any], keys: Mapping[str, KeyType], where: str, *, what: str = "key"
) -> dict[str, Any]:
    """Every key known, every value of its type; ``where`` prefixes the message."""
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise UsageError(f"{where}unknown {what}(s) {unknown}")
    for name, value in table.items():
        keys[name].check(name, value, where)
    return dict(table)


def fixture_keys(api: str | None) -> dict[str, KeyType]:
    """The [fixtures] keys of one API, or of every API when the file names none."""
    from conformance import registry

    if api is not None:
        return dict(registry.profile(api).fixture_keys)
    merged: dict[str, KeyType] = {}
    for profile in registry.profiles().values():
        merged.update(profile.fixture_keys)
    return merged


def field_keys() -> dict[str, KeyType]:
    """The [fields] keys a target file may hold (any API's)."""
    from conformance import registry

    merged: dict[str, KeyType] = {}
    for profile in registry.profiles().values():
        merged.update(profile.field_keys)
    return merged


def check_value(name: str, value: Any, kind: KeyType) -> Any:
    """A flag's value, checked like the target-file key it overrides."""
    return kind.check(name, value, "")

"""The objects the Nexthink suite may use: the target file's fixtures, or the bundled server's.

Fixture keys (CONTRACT.md): ``remote_action_uid`` (manually executable),
``remote_action_uid_no_manual``, ``remote_action_uid_disabled``, ``device_uids``,
``engine_database_uids`` and ``device_limit`` (default 10000: the classic page states none).
A bundled run gets the reference server's own fixtures (the vendor page's example UIDs); against
any other server a missing key skips whatever needs it, naming the key. Nothing is picked
from a real server: every valid run executes a remote action on real devices.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.http import ApiClient
from conformance.suites.context import Context
from conformance.suites.nexthink.runs import (
    UNKNOWN_ENGINE_UID,
    UNKNOWN_REMOTE_ACTION_UID,
    synthetic_device_uids,
)

DEFAULT_DEVICE_LIMIT = 10000

WHY = {
    "remote_action_uid": "a manually executable remote action",
    "remote_action_uid_no_manual": "a remote action without manual execution",
    "remote_action_uid_disabled": "a disabled remote action",
    "device_uids": "the test devices runs may execute on",
    "engine_database_uids": "the Engines runs may target",
}
UID_KEYS = ("remote_action_uid", "remote_action_uid_no_manual", "remote_action_uid_disabled")
LIST_KEYS = ("device_uids", "engine_database_uids")


class NexthinkFixtures:
    """Typed access to the fixtures; a missing or malformed one skips the test that needs it."""

    def __init__(self, client: ApiClient, fixtures: dict[str, Any]) -> None:
        self.client = client
        self.fixtures = fixtures

    def _lookup(self, key: str) -> Any:
        """The target's value, or None (empty counts as missing)."""
        value = self.fixtures.get(key)
        return None if value in (None, "", []) else value

    def _value(self, key: str) -> Any:
        value = self._lookup(key)
        if value is None:
            pytest.skip(f"no [fixtures] {key} ({WHY[key]}) in the target file")
        return value

    def uid(self, key: str) -> str:
        value = self._value(key)
        if not isinstance(value, str):
            pytest.skip(f"[fixtures] {key} must be a string")
        return value

    def uids(self, key: str) -> list[str]:
        value = self._value(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            pytest.skip(f"[fixtures] {key} must be a list of strings")
        return list(value)

    def has(self, key: str) -> bool:
        """Whether ``key`` is set (asks the server at most once)."""
        return self._lookup(key) is not None

    @property
    def device_limit(self) -> int:
        value = self._lookup("device_limit")
        if value is None:
            return DEFAULT_DEVICE_LIMIT
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            pytest.skip("[fixtures] device_limit must be a positive integer")
        return value

    def placeholders(self) -> dict[str, str]:
        """The ``${name}`` values error_codes.toml may use; missing fixtures are left out."""
        values = {
            "unknown_remote_action_uid": UNKNOWN_REMOTE_ACTION_UID,
            "device_uid": synthetic_device_uids(1)[0],
        }
        for key in UID_KEYS:
            if self.has(key):
                values[key] = self.uid(key)
        return values


def make_context(client: ApiClient, fixtures: dict[str, Any]) -> Context:
    """Placeholders for cases.toml: the fixture UIDs, JSON lists, and the device limit."""
    values = NexthinkFixtures(client, fixtures)

    def uid(key: str) -> Any:
        return lambda: values.uid(key)

    def uid_list(key: str) -> Any:
        return lambda: json.dumps(values.uids(key))

    providers = {key: uid(key) for key in UID_KEYS}
    providers.update({key: uid_list(key) for key in LIST_KEYS})
    providers["device_limit"] = lambda: str(values.device_limit)
    providers["unknown_remote_action_uid"] = lambda: UNKNOWN_REMOTE_ACTION_UID
    providers["unknown_engine_database_uid"] = lambda: UNKNOWN_ENGINE_UID
    return Context(providers)

"""GET /v1/actions and GET /v1/actions/{uid}: shape, attributes, values, round trip, 404."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.outcomes import untested
from conformance.profiles import search
from conformance.suites.redis_enterprise import schemas
from conformance.suites.redis_enterprise.context import (
    ActionList,
    action_list,
    expect_each_uid_fetches_its_action,
    get_json,
)
from conformance.suites.redis_enterprise.strategies import from_listed_uids

requirement = pytest.mark.requirement

REQUIRED = ("name", "action_uid", "status", "progress")
NUMERIC = re.compile(r"^\s*[0-9]+(\.[0-9]+)?\s*$")


def _label(entry: Any, index: int) -> str:
    uid = entry.get("action_uid") if isinstance(entry, dict) else None
    return f"actions[{index}]" + (f" ({uid})" if uid else "")


def _actions(listing: ActionList) -> list[Any]:
    if not listing.actions:
        untested("the server lists no action")
    return listing.actions


def _expect_fields(entry: Any, what: str, response: Response) -> None:
    checks.expect(isinstance(entry, dict), f"{what} is not a JSON object", response)
    missing = [name for name in REQUIRED if name not in entry]
    checks.expect(not missing, f"{what} lacks {', '.join(missing)}", response)


def progress_value(value: Any) -> float | None:
    """A progress as a number: a JSON number or a numeric string; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and NUMERIC.match(value):
        return float(value)
    return None


def _progresses(listing: ActionList) -> list[tuple[str, Any]]:
    """(where, progress) for every listed action and state machine that has a progress."""
    entries = [(_label(entry, index), entry) for index, entry in enumerate(listing.actions)]
    machines = listing.state_machines or []
    entries += [(f"state-machines[{index}]", entry) for index, entry in enumerate(machines)]
    found = [
        (where, e["progress"]) for where, e in entries if isinstance(e, dict) and "progress" in e
    ]
    if not found:
        untested("no listed action or state machine has a progress")
    return found


# -- GET /v1/actions -------------------------------------------------------------------------


@requirement("REDIS-ACTIONS-GET-SHAPE")
def test_list_holds_actions_and_state_machines(redis: ApiClient) -> None:
    listing = action_list(redis)
    document, response = listing.document, listing.response
    checks.expect(
        isinstance(document, dict),
        f"expected a JSON object with actions and state-machines, got {type(document).__name__}",
        response,
    )
    for key in ("actions", "state-machines"):
        checks.expect(key in document, f"the body has no {key!r} member", response)
        checks.expect(
            isinstance(document[key], list),
            f"{key!r} is {type(document[key]).__name__}, not an array",
            response,
        )


@requirement("REDIS-ACTIONS-GET-FIELDS")
def test_each_listed_action_has_the_four_attributes(redis: ApiClient) -> None:
    listing = action_list(redis)
    for index, entry in enumerate(_actions(listing)):
        _expect_fields(entry, _label(entry, index), listing.response)


@requirement("REDIS-ACTIONS-GET-STATUS")
def test_each_listed_status_is_documented(redis: ApiClient, vendor_version: str | None) -> None:
    listing = action_list(redis)
    documented = schemas.action_statuses(vendor_version)
    judged = f"version {vendor_version}" if vendor_version else "any documented version"
    for index, entry in enumerate(_actions(listing)):
        if not isinstance(entry, dict) or "status" not in entry:
            continue  # REDIS-ACTIONS-GET-FIELDS reports it
        checks.expect(
            entry["status"] in documented,
            f"{_label(entry, index)} status {entry['status']!r} is not one of "
            f"{', '.join(documented)} ({judged})",
            listing.response,
        )


@requirement("REDIS-ACTIONS-PROGRESS-RANGE")
def test_every_progress_is_between_0_and_100(redis: ApiClient) -> None:
    listing = action_list(redis)
    for where, progress in _progresses(listing):
        value = progress_value(progress)
        checks.expect(
            value is not None and math.isfinite(value) and 0 <= value <= 100,
            f"{where} progress {progress!r} is not a number from 0 to 100",
            listing.response,
        )


@requirement("REDIS-ACTIONS-PROGRESS-NUMBER")
def test_every_progress_is_a_json_number(redis: ApiClient) -> None:
    listing = action_list(redis)
    for where, progress in _progresses(listing):
        checks.expect(
            isinstance(progress, int | float) and not isinstance(progress, bool),
            f"{where} progress {progress!r} is a {type(progress).__name__}, not a JSON number",
            listing.response,
        )


# -- GET /v1/actions/{uid} -------------------------------------------------------------------


@requirement("REDIS-ACTION-GET-FIELDS")
def test_fetched_action_has_the_four_attributes(redis: ApiClient, redis_context: Any) -> None:
    uid = redis_context["action_uid"]
    response, document = get_json(redis, f"/v1/actions/{uid}")
    _expect_fields(document, f"action {uid}", response)


@requirement("REDIS-ACTION-GET-UID")
def test_each_listed_uid_fetches_that_action(redis: ApiClient) -> None:
    listing = action_list(redis)
    uids = [e["action_uid"] for e in _actions(listing) if isinstance(e, dict) and "action_uid" in e]
    if not uids:
        untested("no listed action has an action_uid")
    expect_each_uid_fetches_its_action(redis, "/v1/actions", uids, "action")


@requirement("REDIS-ACTION-GET-404")
def test_unlisted_uids_answer_404(redis: ApiClient) -> None:
    listed = action_list(redis).uids()

    @search()
    @given(uid=from_listed_uids(listed))
    def unlisted_uid_is_404(uid: str) -> None:
        checks.expect_status(redis.request("GET", f"/v1/actions/{uid}"), 404)

    unlisted_uid_is_404()

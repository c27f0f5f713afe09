"""GET /api/actions: what each listed Action promises, new actions, and ?fields=."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given
from lxml import etree

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.ledger import Ledger
from conformance.outcomes import untested
from conformance.profiles import search
from conformance.suites.bigfix import fields as filters
from conformance.suites.bigfix.actions import create_action, delete_action
from conformance.suites.bigfix.bodies import SafeTargets, single_action
from conformance.suites.bigfix.fields import Field
from conformance.suites.bigfix.strategies import from_action_fields

requirement = pytest.mark.requirement


def _listed_actions(bigfix: ApiClient) -> tuple[Response, list[Any]]:
    response = bigfix.request("GET", "/api/actions")
    checks.expect_status(response, 200)
    root = checks.parse_xml(response)
    actions = root.findall("./Action")
    if not actions:
        untested("the server lists no action")
    return response, actions


@requirement("BIGFIX-ACTIONS-GET-RESOURCE")
def test_resource_points_at_the_action(bigfix: ApiClient) -> None:
    response, actions = _listed_actions(bigfix)
    for action in actions:
        identifier = (action.findtext("ID") or "").strip()
        resource = action.get("Resource") or ""
        checks.expect(
            re.search(rf"(^|/)api/action/{re.escape(identifier)}$", resource) is not None,
            f"Action {identifier}: Resource {resource!r} does not end in /api/action/{identifier}",
            response,
        )


@requirement("BIGFIX-ACTIONS-GET-LASTMODIFIED")
def test_last_modified_is_rfc1123(bigfix: ApiClient) -> None:
    response, actions = _listed_actions(bigfix)
    for action in actions:
        checks.expect_rfc1123(
            action.get("LastModified"),
            f"Action {action.findtext('ID')} LastModified",
            response,
        )


@requirement("BIGFIX-ACTIONS-GET-LISTED")
def test_created_action_is_listed(
    bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets
) -> None:
    title = 'actionconform: listed <&> "check"'
    body = single_action(title, safe_targets.default())
    posted = create_action(bigfix, ledger, body, "bigfix: action for the list check")
    try:
        response = bigfix.request("GET", "/api/actions")
        checks.expect_status(response, 200)
        root = checks.parse_xml(response)
        listed = {
            (action.findtext("ID") or "").strip(): action.findtext("Name")
            for action in root.findall("./Action")
        }
        checks.expect(
            posted.action_id in listed,
            f"action {posted.action_id}, just created, is not in GET /api/actions",
            response,
        )
        name = listed[posted.action_id]
        checks.expect(
            name is None or name == title,
            f"action {posted.action_id} is listed with Name {name!r}, created as {title!r}",
            response,
        )
    finally:
        delete_action(bigfix, ledger, posted)


def _unfiltered(bigfix: ApiClient) -> etree._Element:
    response = bigfix.request("GET", "/api/actions")
    if response.status != 200:
        untested(f"GET /api/actions answered {response.status}; nothing to filter")
    try:
        return checks.parse_xml(response)
    except checks.CheckFailure:
        untested("GET /api/actions is not XML; nothing to filter")


@requirement("BIGFIX-ACTIONS-GET-FIELDS")
@search()
@given(fields=from_action_fields())
@example(fields=(Field("Name"),))
@example(fields=(Field("ID"), Field("name")))
def test_fields_keep_only_requested_fields(bigfix: ApiClient, fields: tuple[Field, ...]) -> None:
    before = _unfiltered(bigfix)
    response = bigfix.request("GET", "/api/actions", params={"fields": filters.render(fields)})
    checks.expect_status(response, 200)
    filtered = checks.parse_xml(response)  # BESAPI-filtered.xsd: judged against the spec
    found = filters.list_problems(filtered, before, _unfiltered(bigfix), fields)
    checks.expect(not found, "; ".join(found[:3]), response)

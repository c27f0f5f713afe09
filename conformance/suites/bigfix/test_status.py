"""GET /api/action/{action id}/status: its shape, the action it names, and ?fields=."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import checks
from conformance.http import ApiClient
from conformance.outcomes import untested
from conformance.profiles import search
from conformance.suites.bigfix import fields as filters
from conformance.suites.bigfix.fields import Field
from conformance.suites.bigfix.strategies import from_status_fields
from conformance.suites.context import Context

requirement = pytest.mark.requirement


@requirement("BIGFIX-STATUS-GET-SCHEMA")
def test_status_is_one_action_results(bigfix: ApiClient, bigfix_context: Context) -> None:
    response = bigfix.request("GET", f"/api/action/{bigfix_context['status_action_id']}/status")
    checks.expect_status(response, 200)
    root = checks.parse_xml(response)  # root, children and XSD: judged against the spec
    checks.expect(
        root.find("./ActionResults/Status") is not None,
        "ActionResults has no Status (the download-list shape is not a status)",
        response,
    )


@requirement("BIGFIX-STATUS-GET-ACTIONID")
def test_status_names_the_action(bigfix: ApiClient, bigfix_context: Context) -> None:
    action_id = bigfix_context["status_action_id"]
    response = bigfix.request("GET", f"/api/action/{action_id}/status")
    checks.expect_status(response, 200)
    results = checks.parse_xml(response).find("./ActionResults")
    if results is None:
        raise checks.fail("the status holds no ActionResults", response)
    shown = (results.findtext("ActionID") or "").strip()
    checks.expect(shown == action_id, f"ActionID is {shown!r}, asked for {action_id}", response)
    resource = results.get("Resource") or ""
    checks.expect(
        re.search(rf"(^|/)api/action/{action_id}/status$", resource) is not None,
        f"Resource {resource!r} does not end in /api/action/{action_id}/status",
        response,
    )


# -- ?fields= --------------------------------------------------------------------------------

Computers = list[tuple[str, str]]


def _results(bigfix: ApiClient, action_id: str) -> filters.Document:
    response = bigfix.request("GET", f"/api/action/{action_id}/status")
    if response.status != 200:
        untested(f"the unfiltered status answered {response.status}; nothing to compare")
    try:
        results = checks.parse_xml(response).find("./ActionResults")
    except checks.CheckFailure:
        untested("the unfiltered status is not XML; nothing to compare")
    if results is None:
        untested("the unfiltered status has no ActionResults; nothing to compare")
    return filters.Document(results)


class UnfilteredStatus:
    """The unfiltered status of the action the filters read: fetched once for all of them, and
    again only when a filtered answer disagrees with it (clients may report in between). A
    100000-computer status is then read, parsed and validated once per module, not per
    example, and kept as plain data (``filters.Document``), not as a second lxml tree."""

    def __init__(self, bigfix: ApiClient, action_id: str) -> None:
        self.bigfix = bigfix
        self.action_id = action_id
        self._results: filters.Document | None = None
        self._computers: Computers | None = None

    def get(self) -> filters.Document:
        if self._results is None:
            self._results = _results(self.bigfix, self.action_id)
            self._computers = None
        return self._results

    def refresh(self) -> filters.Document:
        self._results = None
        return self.get()

    def computers(self) -> Computers:
        """``(ID, Name)`` of each computer the unfiltered status shows."""
        if self._computers is None:
            self._computers = self.get().pairs()
        return self._computers


@pytest.fixture(scope="module")
def unfiltered(bigfix: ApiClient, bigfix_context: Context) -> UnfilteredStatus:
    return UnfilteredStatus(bigfix, bigfix_context["status_action_id"])


def check_filter(unfiltered: UnfilteredStatus, fields: tuple[Field, ...]) -> None:
    """A filtered status validates (filtered schema) and agrees with the unfiltered one read
    before it, or with one read just after it (clients may report in between)."""
    bigfix, action_id = unfiltered.bigfix, unfiltered.action_id
    before = unfiltered.get()
    response = bigfix.request(
        "GET", f"/api/action/{action_id}/status", params={"fields": filters.render(fields)}
    )
    checks.expect_status(response, 200)
    root = checks.parse_xml(response)  # BESAPI-filtered.xsd: judged against the spec
    filtered = root.find("./ActionResults")
    if filtered is None:
        raise checks.fail("the filtered status holds no ActionResults", response)
    where = "/BESAPI/ActionResults"
    found = filters.problems(filtered, before, fields, where)
    if found:
        again = filters.problems(filtered, unfiltered.refresh(), fields, where)
        found = again if len(again) < len(found) else found
    checks.expect(not found, "; ".join(found[:3]), response)


def _first_computer(computers: Computers) -> str:
    return computers[0][0] if computers else "11111"


# The documented examples, then a wrong-case one, an attribute match on a computer the status
# shows, and one on a computer it does not show.
EXAMPLES: dict[str, Callable[[Computers], tuple[Field, ...]]] = {
    "Status,Computer": lambda c: (Field("Status"), Field("Computer")),
    "Computer(Status,State,StartTime)": lambda c: (
        Field("Computer", children=(Field("Status"), Field("State"), Field("StartTime"))),
    ),
    "Computer<ID=11111>,Computer(Status,StartTime)": lambda c: (
        Field("Computer", attributes=(("ID", "11111"),)),
        Field("Computer", children=(Field("Status"), Field("StartTime"))),
    ),
    "status,computer(state) selects nothing": lambda c: (
        Field("status"),
        Field("computer", children=(Field("state"),)),
    ),
    "Computer(status,State) keeps State only": lambda c: (
        Field("Computer", children=(Field("status"), Field("State"))),
    ),
    "Computer<ID=first listed computer>": lambda c: (
        Field("Computer", attributes=(("ID", _first_computer(c)),)),
    ),
    "Computer<ID=999999999>(Status) selects nothing": lambda c: (
        Field("Computer", attributes=(("ID", "999999999"),), children=(Field("Status"),)),
    ),
}


@requirement("BIGFIX-STATUS-GET-FIELDS")
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_documented_and_edge_filters(unfiltered: UnfilteredStatus, name: str) -> None:
    fields = EXAMPLES[name](unfiltered.computers())
    check_filter(unfiltered, fields)


@requirement("BIGFIX-STATUS-GET-FIELDS")
@search()
@given(data=st.data())
def test_generated_filters(unfiltered: UnfilteredStatus, data: st.DataObject) -> None:
    computers = unfiltered.computers()
    fields = data.draw(from_status_fields(computers), label="fields")
    check_filter(unfiltered, fields)

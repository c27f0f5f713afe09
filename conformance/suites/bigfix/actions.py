"""Creating and removing the suite's own actions, always through the cleanup ledger.

``post_action`` writes a ledger entry before the POST and records the removal request once the
server has named the new action, so an interrupted run still knows what to delete.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from lxml import etree

from conformance import checks, xmlsafe
from conformance.budget import AlreadyProven, NotSent
from conformance.http import DEFAULT, ApiClient, Response
from conformance.ledger import Entry, Ledger
from conformance.outcomes import untested

API = "bigfix"
XML_HEADERS = {"Content-Type": "application/xml"}


@dataclass
class Posted:
    """The answer to one POST /api/actions and, when the server created one, the action."""

    response: Response
    entry: Entry
    action_id: str | None

    @property
    def path(self) -> str:
        return f"/api/action/{self.action_id}"


def created_id(response: Response) -> str | None:
    """The new action's ID from a 2xx answer, or None."""
    if not 200 <= response.status < 300:
        return None
    try:
        root = xmlsafe.parse(response.content)
    except (etree.XMLSyntaxError, xmlsafe.UnsafeXMLError, ValueError):
        return None
    identifier = (root.findtext("./Action/ID") or "").strip()
    return identifier if identifier.isdigit() else None


def require_mutations(client: ApiClient) -> None:
    if not client.allow_mutations:
        pytest.skip("mutations not allowed: POST /api/actions (pass --allow-mutations)")


def post_action(
    client: ApiClient,
    ledger: Ledger,
    body: bytes,
    description: str,
    *,
    headers: dict[str, str] | None = None,
    mutating: bool | None = None,
    expect_refusal: bool | None = None,
    authorization: object = DEFAULT,
) -> Posted:
    """POST a body under the ledger; a refusal closes the entry, a creation records it.

    ``expect_refusal``: a conformant server refuses it (see ``ApiClient.request``)."""
    if mutating is not False:
        require_mutations(client)
    entry = ledger.intend(API, description)
    try:
        response = client.request(
            "POST",
            "/api/actions",
            body=body,
            headers=XML_HEADERS if headers is None else headers,
            mutating=mutating,
            expect_refusal=expect_refusal,
            authorization=authorization,
        )
    except AlreadyProven as exc:  # accepted although it must be refused: ledger it, then fail
        action_id = created_id(exc.response) if exc.response is not None else None
        if action_id is not None:
            ledger.created(entry, "DELETE", f"/api/action/{action_id}")
        elif exc.response is None:
            ledger.not_created(entry)  # kept back: nothing was sent
        raise
    except NotSent:
        ledger.not_created(entry)  # the budget kept it back: nothing was sent
        raise
    action_id = created_id(response)
    if action_id is not None:
        ledger.created(entry, "DELETE", f"/api/action/{action_id}")
    elif not 200 <= response.status < 300:
        ledger.removed(entry)  # refused: nothing was created
    # a 2xx without a readable ID stays "intended": the ledger shows it for a manual check
    return Posted(response, entry, action_id)


def create_action(client: ApiClient, ledger: Ledger, body: bytes, description: str) -> Posted:
    """Create an action another requirement needs; skip (not fail) when creation fails."""
    posted = post_action(client, ledger, body, description)
    if posted.action_id is None:
        untested(
            f"could not create an action to work on: POST /api/actions answered "
            f"{posted.response.status} (see BIGFIX-ACTIONS-POST-*)"
        )
    return posted


def delete_action(client: ApiClient, ledger: Ledger, posted: Posted) -> Response | None:
    """Remove a created action now; the ledger closes the entry when it is gone."""
    if posted.action_id is None:
        return None
    try:
        response = client.request("DELETE", posted.path)
    except NotSent:
        return None  # the budget kept it back: the run's cleanup removes it (it is ledgered)
    if 200 <= response.status < 300 or response.status == 404:
        ledger.removed(posted.entry)
    return response


def status_of(client: ApiClient, action_id: str) -> tuple[Response, str | None]:
    """GET .../status and the text of ActionResults/Status (None when unreadable)."""
    response = client.request("GET", f"/api/action/{action_id}/status")
    if response.status != 200:
        return response, None
    try:
        root = checks.parse_xml(response)
    except checks.CheckFailure:
        return response, None
    status = root.findtext("./ActionResults/Status")
    return response, status.strip() if status is not None else None

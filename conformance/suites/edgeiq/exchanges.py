"""Sending fleet actions and judging the answer: refused with 400, or accepted with 2xx."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.outcomes import untested
from conformance.suites.edgeiq.bodies import JSON_HEADERS


def actions_path(fleet_id: str) -> str:
    return f"/fleets/{quote(fleet_id, safe='')}/actions"


def bulk_response_path(bulk_response_id: str) -> str:
    return f"/bulk_responses/{quote(bulk_response_id, safe='')}"


def post_refused(client: ApiClient, path: str, body: str, rule: str) -> Response:
    """POST a body the docs say a conformant server refuses; expect 400, never 2xx or 5xx.

    ``mutating=False``: the body breaks a documented rule and carries only inert values
    (see ``strategies``), so it is sent in read-only runs too.
    """
    response = client.request("POST", path, body=body, headers=JSON_HEADERS, mutating=False)
    status = response.status
    if status != 400:
        if 200 <= status < 300:
            message = f"expected 400, got {status}: a body that {rule} was accepted"
        elif status >= 500:
            message = f"expected 400, got {status}: a body that {rule} made the server fail"
        else:
            message = f"expected 400 for a body that {rule}, got {status}"
        raise checks.fail(message, response)
    return response


def expect_accepted(response: Response) -> None:
    """The success status is unpublished: any 2xx is accepted."""
    checks.expect(
        200 <= response.status < 300,
        f"expected a 2xx status (the exact code is not published), got {response.status}",
        response,
    )


def bulk_response_id(response: Response) -> str:
    """The bulk_response_id of an accepted answer, or skip (another requirement judges it)."""
    if not 200 <= response.status < 300:
        untested(f"the action was not accepted ({response.status}); no bulk response to use")
    try:
        document: Any = response.json()
    except ValueError:
        untested("the accepted answer is not JSON; no bulk_response_id to use")
    value = document.get("bulk_response_id") if isinstance(document, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        untested("the accepted answer carries no bulk_response_id to follow")
    return str(value)

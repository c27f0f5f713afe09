"""An action's life: created Open, stopped to Stopped, deleted to 404.

Each step is its own test on its own (inert, ledgered) action, so a server that breaks one step
fails that step's requirement only; a step whose precondition fails is skipped, not failed.
"""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.http import ApiClient
from conformance.ledger import Ledger
from conformance.outcomes import untested
from conformance.suites.bigfix.actions import Posted, create_action, delete_action, status_of
from conformance.suites.bigfix.bodies import SafeTargets, single_action

requirement = pytest.mark.requirement


def _create(bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets, step: str) -> Posted:
    body = single_action(f"actionconform: lifecycle {step}", safe_targets.default())
    return create_action(bigfix, ledger, body, f"bigfix: lifecycle action ({step})")


def _stop(bigfix: ApiClient, posted: Posted) -> None:
    response = bigfix.request("POST", f"{posted.path}/stop")
    if not 200 <= response.status < 300:
        untested(f"stop answered {response.status}; see BIGFIX-STOP-POST-200")


@requirement("BIGFIX-STATUS-GET-OPEN")
def test_new_action_is_open(bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets) -> None:
    posted = _create(bigfix, ledger, safe_targets, "open")
    try:
        response, status = status_of(bigfix, str(posted.action_id))
        checks.expect_status(response, 200)
        checks.expect(status == "Open", f"a new action's status is {status!r}, not Open", response)
    finally:
        delete_action(bigfix, ledger, posted)


@requirement("BIGFIX-STOP-POST-200")
def test_stop_answers_200(bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets) -> None:
    posted = _create(bigfix, ledger, safe_targets, "stop")
    try:
        checks.expect_status(bigfix.request("POST", f"{posted.path}/stop"), 200)
    finally:
        delete_action(bigfix, ledger, posted)


@requirement("BIGFIX-STOP-POST-STOPPED")
def test_stopped_action_is_stopped(
    bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets
) -> None:
    posted = _create(bigfix, ledger, safe_targets, "stopped")
    try:
        _stop(bigfix, posted)
        response, status = status_of(bigfix, str(posted.action_id))
        checks.expect_status(response, 200)
        checks.expect(
            status == "Stopped", f"after a stop the status is {status!r}, not Stopped", response
        )
        # Open -> Stopped is the documented lifecycle: later reads never show it Open again.
        for read in (2, 3):
            response, status = status_of(bigfix, str(posted.action_id))
            checks.expect(
                status == "Stopped",
                f"read {read} after the stop shows {status!r}; a stopped action stays Stopped",
                response,
            )
    finally:
        delete_action(bigfix, ledger, posted)


@requirement("BIGFIX-ACTION-DELETE-OK")
def test_delete_answers_ok(bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets) -> None:
    posted = _create(bigfix, ledger, safe_targets, "delete")
    response = delete_action(bigfix, ledger, posted)
    assert response is not None
    checks.expect_status(response, 200)
    body = checks.expect_utf8(response).strip()
    checks.expect(body == "ok", f"expected the body 'ok', got {body[:80]!r}", response)


@requirement("BIGFIX-ACTION-DELETE-GONE")
def test_deleted_action_is_gone(
    bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets
) -> None:
    posted = _create(bigfix, ledger, safe_targets, "gone")
    _stop(bigfix, posted)
    deleted = delete_action(bigfix, ledger, posted)
    assert deleted is not None
    if not 200 <= deleted.status < 300:
        untested(f"DELETE answered {deleted.status}; see BIGFIX-ACTION-DELETE-OK")
    response = bigfix.request("GET", posted.path)
    checks.expect_status(response, 404)
    listed = bigfix.request("GET", "/api/actions")
    if listed.status == 200:
        ids = {(element.text or "").strip() for element in checks.parse_xml(listed).iter("ID")}
        checks.expect(
            posted.action_id not in ids,
            f"deleted action {posted.action_id} is still listed",
            listed,
        )

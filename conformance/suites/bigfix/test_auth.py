"""Authentication beyond the cases: the challenge's realm, and POST /api/actions.

POST /api/actions without valid credentials is a test here, not a case, because a server that
wrongly accepts it creates an action: the body is inert and the attempt goes through the ledger.
"""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.auth import wrong_authorization_for
from conformance.http import ApiClient
from conformance.ledger import Ledger
from conformance.outcomes import untested
from conformance.suites.bigfix.actions import delete_action, post_action
from conformance.suites.bigfix.bodies import SafeTargets, single_action
from conformance.target import Target

requirement = pytest.mark.requirement


@requirement("BIGFIX-AUTH-REALM")
@pytest.mark.parametrize("path", ["/api/actions", "/api/login"])
def test_challenge_names_the_bigfix_realm(bigfix: ApiClient, path: str) -> None:
    response = bigfix.request("GET", path, authorization=None)
    if response.status != 401:
        untested(f"no 401 to inspect ({response.status}); see BIGFIX-AUTH-401")
    checks.expect_header_matches(
        response, "WWW-Authenticate", r'^\s*Basic\s+realm="BigFix Server"\s*$'
    )


@requirement("BIGFIX-AUTH-401")
@pytest.mark.parametrize("credentials", ["none", "wrong"])
def test_create_without_valid_credentials_answers_401(
    bigfix: ApiClient,
    ledger: Ledger,
    safe_targets: SafeTargets,
    target: Target,
    credentials: str,
) -> None:
    body = single_action("actionconform: create without credentials", safe_targets.default())
    authorization = None if credentials == "none" else wrong_authorization_for("bigfix", target)
    posted = post_action(
        bigfix,
        ledger,
        body,
        f"bigfix: POST with {credentials} auth",
        authorization=authorization,
        expect_refusal=True,
    )
    try:
        checks.expect_status(posted.response, 401)
    finally:
        delete_action(bigfix, ledger, posted)

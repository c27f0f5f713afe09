"""POST /api/actions with bodies a conformant server refuses: 400 with a plain-text message.

Malformed bodies (not well-formed XML) cannot be acted upon, so they are sent in read-only runs
too (``mutating=False``). Schema-invalid bodies are well-formed, so a lenient server could act on
them: they are sent only when mutations are allowed, and stay inert (relevance false, a target
that matches nothing) and ledgered like every other creation.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.ledger import Ledger
from conformance.profiles import search
from conformance.suites.bigfix.actions import delete_action, post_action
from conformance.suites.bigfix.bodies import NO_SUCH_COMPUTER, XML_DECLARATION, SafeTargets
from conformance.suites.bigfix.strategies import MALFORMED, SCHEMA_INVALID, from_single_action

requirement = pytest.mark.requirement


def expect_refused_with_text(response: Response, what: str) -> None:
    """400 with a non-empty text/plain message; never 2xx, never 5xx."""
    if 200 <= response.status < 300:
        raise checks.fail(f"{what} was accepted ({response.status}); expected 400", response)
    if response.status >= 500:
        raise checks.fail(f"{what} answered {response.status}; expected 400", response)
    checks.expect_status(response, 400)
    checks.expect_plain_text_message(response)


@requirement("BIGFIX-ACTIONS-POST-400")
@pytest.mark.parametrize("kind", sorted(MALFORMED))
@search(scale=0.3)
@given(data=st.data())
def test_malformed_body_answers_400(
    bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets, kind: str, data: st.DataObject
) -> None:
    action = data.draw(from_single_action(safe_targets), label="action")
    body = MALFORMED[kind](action, data.draw(st.floats(0, 0.999), label="cut"))
    posted = post_action(bigfix, ledger, body, f"bigfix: malformed body ({kind})", mutating=False)
    try:
        expect_refused_with_text(posted.response, f"a malformed body ({kind})")
    finally:
        delete_action(bigfix, ledger, posted)


@requirement("BIGFIX-ACTIONS-POST-400")
@pytest.mark.parametrize("kind", sorted(SCHEMA_INVALID))
@search(scale=0.3)
@given(data=st.data())
def test_schema_invalid_body_answers_400(
    bigfix: ApiClient, ledger: Ledger, safe_targets: SafeTargets, kind: str, data: st.DataObject
) -> None:
    action = data.draw(from_single_action(safe_targets), label="action")
    body = SCHEMA_INVALID[kind](action)
    posted = post_action(
        bigfix, ledger, body, f"bigfix: schema-invalid body ({kind})", expect_refusal=True
    )
    try:
        expect_refused_with_text(posted.response, f"a schema-invalid body ({kind})")
    finally:
        delete_action(bigfix, ledger, posted)


MAG_WITH_FIXLETSOURCE = (
    XML_DECLARATION + '<BES xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<MultipleActionGroup><Title>actionconform: MemberAction with FixletSource</Title>"
    "<Relevance>false</Relevance><MemberAction><Title>member</Title>"
    "<Relevance>false</Relevance><ActionScript>// never runs</ActionScript>"
    "<FixletSource><FixletID>83</FixletID><Sitename>TestSite</Sitename></FixletSource>"
    "</MemberAction><Target>"
    f"<ComputerName>{NO_SUCH_COMPUTER}mag</ComputerName></Target></MultipleActionGroup></BES>"
)


@requirement("BIGFIX-ACTIONS-POST-MAG-FIXLETSOURCE")
def test_member_action_with_fixlet_source_is_refused(bigfix: ApiClient, ledger: Ledger) -> None:
    posted = post_action(
        bigfix,
        ledger,
        MAG_WITH_FIXLETSOURCE.encode(),
        "bigfix: MAG with a FixletSource member",
        mutating=False,
    )
    try:
        response = posted.response
        checks.expect(
            400 <= response.status < 500,
            f"a Multiple Action Group whose MemberAction holds a FixletSource answered "
            f"{response.status}; the docs say it cannot be submitted (expected 4xx)",
            response,
        )
    finally:
        delete_action(bigfix, ledger, posted)

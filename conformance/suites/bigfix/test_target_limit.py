"""The 10000-computer limit on a target list: 10000 is accepted, more answers 413.

The lists are ComputerName entries no BigFix computer can have, and relevance is false, so even
an accepted action matches and runs nowhere. A list over the limit must be refused, so it is
sent in read-only runs too; a list of exactly 10000 creates an action (mutation, ledgered).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance import checks
from conformance.http import ApiClient
from conformance.ledger import Ledger
from conformance.profiles import search
from conformance.suites.bigfix.actions import delete_action, post_action
from conformance.suites.bigfix.bodies import single_action, unmatched_names

requirement = pytest.mark.requirement
LIMIT = 10000


@requirement("BIGFIX-ACTIONS-POST-413")
@search(scale=0.5)
@given(count=st.integers(LIMIT + 1, LIMIT + 2000))
@example(count=LIMIT + 1)
def test_more_than_10000_targets_answer_413(bigfix: ApiClient, ledger: Ledger, count: int) -> None:
    body = single_action(f"actionconform: {count} targets", unmatched_names(count))
    posted = post_action(
        bigfix, ledger, body, f"bigfix: action with {count} targets", mutating=False
    )
    try:
        checks.expect(
            posted.response.status == 413,
            f"a target list of {count} computers answered {posted.response.status}, "
            f"expected 413 Content Too Large (limit {LIMIT})",
            posted.response,
        )
    finally:
        delete_action(bigfix, ledger, posted)


@requirement("BIGFIX-ACTIONS-POST-10000")
def test_exactly_10000_targets_are_accepted(bigfix: ApiClient, ledger: Ledger) -> None:
    body = single_action(f"actionconform: {LIMIT} targets", unmatched_names(LIMIT))
    posted = post_action(bigfix, ledger, body, f"bigfix: action with {LIMIT} targets")
    try:
        checks.expect(
            200 <= posted.response.status < 300,
            f"a target list of exactly {LIMIT} computers answered {posted.response.status}; "
            "the limit allows 10000",
            posted.response,
        )
    finally:
        delete_action(bigfix, ledger, posted)

"""Successful runs: the answer's shape, which Engines answer, timeoutSeconds, params, excluded.

Every request here is valid, so a conformant server executes it: each is a mutation, skipped
unless mutations are allowed, and runs on the target's test devices. Executed remote actions
cannot be undone. Property-based tests execute at most ``MUTATING_EXAMPLES`` runs each, even
when they fail (no shrinking).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.profiles import search
from conformance.suites.nexthink.context import NexthinkFixtures
from conformance.suites.nexthink.runs import (
    RUN_TIMEOUT_SECONDS,
    UNKNOWN_ENGINE_UID,
    engines_of,
    results_of,
    run,
)
from conformance.suites.nexthink.strategies import (
    engine_selections,
    unknown_params,
)

requirement = pytest.mark.requirement
MUTATING_EXAMPLES = 5
# How much later than timeoutSeconds the answer may arrive (network, TLS, the portal's own work).
TIMEOUT_SLACK_SECONDS = 2.0


def valid_run(nexthink_fixtures: NexthinkFixtures, **fields: Any) -> dict[str, Any]:
    """A valid run on the target's action and test devices, asked to wait 1 s."""
    return {
        "remoteActionUid": nexthink_fixtures.uid("remote_action_uid"),
        "deviceUids": nexthink_fixtures.uids("device_uids"),
        "timeoutSeconds": RUN_TIMEOUT_SECONDS,
        **fields,
    }


def expect_engines_once(response: Response) -> None:
    counts = Counter(engines_of(response))
    twice = sorted(uid for uid, count in counts.items() if count > 1)
    checks.expect(not twice, f"Engine(s) listed more than once: {twice}", response)


@requirement("NEXTHINK-RUN-200")
def test_valid_run_answers_200_with_a_json_list(
    all_engines_run: Response, one_engine_run: Response
) -> None:
    for response in (all_engines_run, one_engine_run):
        checks.expect_status(response, 200)  # content type and schema: judged against the spec
        results_of(response)


@requirement("NEXTHINK-RUN-ALL-ENGINES")
def test_without_engine_filter_every_engine_answers(
    all_engines_run: Response, nexthink_fixtures: NexthinkFixtures
) -> None:
    known = nexthink_fixtures.uids("engine_database_uids")
    answered = set(engines_of(all_engines_run))
    missing = [uid for uid in known if uid not in answered]
    checks.expect(
        not missing, f"connected Engine(s) missing from the results: {missing}", all_engines_run
    )


@requirement("NEXTHINK-RUN-ENGINE-FILTER")
def test_engine_filter_names_exactly_the_engines(
    nexthink: ApiClient, nexthink_fixtures: NexthinkFixtures, one_engine_run: Response
) -> None:
    first = nexthink_fixtures.uids("engine_database_uids")[:1]
    answered = engines_of(one_engine_run)
    checks.expect(
        set(answered) == set(first), f"targeted {first}, results name {answered}", one_engine_run
    )

    @search(at_most=MUTATING_EXAMPLES)
    @given(
        targeted=engine_selections(
            nexthink_fixtures.uids("engine_database_uids"), extra=[UNKNOWN_ENGINE_UID]
        )
    )
    def any_selection(targeted: list[str]) -> None:
        response = run(nexthink, valid_run(nexthink_fixtures, engineDatabaseUids=targeted))
        answered = engines_of(response)
        checks.expect(
            set(answered) == set(targeted),
            f"targeted {sorted(targeted)}, results name {sorted(answered)}",
            response,
        )

    any_selection()


@requirement("NEXTHINK-RUN-ONE-PER-ENGINE")
def test_no_engine_answers_twice(
    nexthink: ApiClient, nexthink_fixtures: NexthinkFixtures, all_engines_run: Response
) -> None:
    expect_engines_once(all_engines_run)

    @search(at_most=MUTATING_EXAMPLES)
    @given(
        targeted=engine_selections(
            nexthink_fixtures.uids("engine_database_uids"), extra=[UNKNOWN_ENGINE_UID]
        )
    )
    def any_selection(targeted: list[str]) -> None:
        expect_engines_once(
            run(nexthink, valid_run(nexthink_fixtures, engineDatabaseUids=targeted))
        )

    any_selection()


@requirement("NEXTHINK-RUN-TIMEOUT")
def test_run_answers_once_timeout_elapsed(all_engines_run: Response) -> None:
    """Every connected Engine, asked to wait 1 s: the answer comes by then (plus slack)."""
    elapsed = all_engines_run.exchange.elapsed
    bound = RUN_TIMEOUT_SECONDS + TIMEOUT_SLACK_SECONDS
    checks.expect(
        elapsed <= bound,
        f"asked for timeoutSeconds {RUN_TIMEOUT_SECONDS}, answered after {elapsed:.1f} s "
        f"(allowed {bound:g} s)",
        all_engines_run,
    )


@requirement("NEXTHINK-RUN-PARAMS-UNKNOWN")
def test_unknown_params_are_ignored(
    nexthink: ApiClient, nexthink_fixtures: NexthinkFixtures
) -> None:
    engines: dict[str, Any] = {}
    if nexthink_fixtures.has("engine_database_uids"):
        engines["engineDatabaseUids"] = nexthink_fixtures.uids("engine_database_uids")[:1]

    @search(at_most=MUTATING_EXAMPLES)
    @given(params=unknown_params())
    def any_unknown_names(params: dict[str, str]) -> None:
        response = run(nexthink, valid_run(nexthink_fixtures, params=params, **engines))
        checks.expect(
            response.status == 200,
            f"params {sorted(params)} (names no remote action has) answered {response.status}",
            response,
        )
        results_of(response)

    any_unknown_names()


@requirement("NEXTHINK-RESULT-EXCLUDED")
def test_unknown_engine_is_excluded(
    nexthink: ApiClient, nexthink_fixtures: NexthinkFixtures
) -> None:
    """Only an unknown Engine is named, so a conformant server executes nothing."""
    response = run(nexthink, valid_run(nexthink_fixtures, engineDatabaseUids=[UNKNOWN_ENGINE_UID]))
    codes = [
        entry.get("code")
        for entry in results_of(response)
        if entry.get("databaseUid") == UNKNOWN_ENGINE_UID
    ]
    checks.expect(bool(codes), f"no result for the unknown Engine {UNKNOWN_ENGINE_UID}", response)
    checks.expect(
        all(code == "excluded" for code in codes),
        f"the unknown Engine is reported as {codes}, not excluded",
        response,
    )

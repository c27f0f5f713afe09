"""The mutation budget: whatever a server answers, a run makes it act on at most the sum of the
budgets of the selected requirements; a wrongful acceptance ends its requirement at once.

Proven against the worst server there is for this: every bundled app wrapped so that it accepts
every POST, PUT, PATCH and DELETE it would refuse (``servers.recording.Accepting``), and on the
budget itself with two "workers" sharing one journal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import catalogue
from conformance.budget import AlreadyProven, BudgetUsedUp, MutationBudget
from conformance.servers import ReferenceServer, app_class, bundled_apis
from conformance.servers.recording import Accepting
from tests.helpers import CliResult, assert_no_traceback, run_against


def _budget(api: str) -> int:
    return sum(requirement.mutations for requirement in catalogue.load_api(api))


@pytest.mark.parametrize("api", bundled_apis())
def test_an_accepting_server_acts_at_most_the_budget(api: str, tmp_path: Path) -> None:
    app = app_class(api)()
    accepting = Accepting(app)
    with ReferenceServer(app) as server:
        result = run_against(server.url, api, tmp_path / "report", in_process=True)
    assert_no_traceback(result)
    assert result.code == 1, result.stdout + result.stderr  # accepting refusals is a deviation
    mutations = result.report["mutations"]
    assert mutations["budget"] == _budget(api)
    # What the server acted on: never more than the budget (plus the end-of-run removal of what
    # the run created), and exactly what the report counts.
    cleanup = mutations["cleanup"]["acted"]
    assert cleanup <= mutations["acted"]
    assert len(accepting.acted) <= mutations["budget"] + cleanup, len(accepting.acted)
    assert mutations["acted"] + cleanup == len(accepting.acted)
    assert mutations["kept_back"] > 0, "the budget kept nothing back from an accepting server"
    for rid, record in mutations["requirements"].items():
        assert record["acted"] <= record["budget"], (rid, record)
    # A requirement whose rule-breaking request was accepted failed, with the exchange.
    proven = [
        record
        for record in result.report["requirements"]
        for item in record["evidence"]
        if "must refuse" in str(item.get("message", ""))
    ]
    failed = [record for record in result.report["requirements"] if record["status"] == "failed"]
    assert failed
    assert all(record["status"] == "failed" for record in proven)
    if api == "edgeiq":  # issue 11: 450 fleet actions executed before the budget (8 conformant)
        executed = [call for call in accepting.acted if call.path.endswith("/actions")]
        assert len(executed) <= mutations["budget"] == 25
        types = mutations["requirements"]["EDGEIQ-FLEET-ACTIONS-POST-TYPES"]
        assert types["acted"] == 1 and types["kept_back"] >= 1  # proven at once, then no more


@pytest.mark.parametrize("api", bundled_apis())
def test_a_conformant_server_keeps_nothing_back(
    api: str, clean_run: Callable[[str], CliResult]
) -> None:
    """The budgets fit the suite: against a conformant server, mutations allowed, nothing is
    kept back (a test that sends more than its requirement declares fails here). The run is
    the session's clean run (tests/conftest.py), the one the fault test compares with."""
    result = clean_run(api)
    assert result.code == 0, result.stdout + result.stderr
    mutations = result.report["mutations"]
    kept = {rid: r for rid, r in mutations["requirements"].items() if r["kept_back"]}
    # Schemathesis's negative POST /api/actions bodies include some the reference server accepts
    # (inert actions no ledger records): the budget stops them, and only them.
    kept.pop("BIGFIX-ACTIONS-POST-200", None)
    assert kept == {}, kept
    assert all(r["acted"] <= r["budget"] for r in mutations["requirements"].values())
    assert 0 < mutations["acted"] <= mutations["budget"] == _budget(api)


# -- the budget itself ----------------------------------------------------------------------


def test_a_budget_keeps_back_what_exceeds_it() -> None:
    budget = MutationBudget({"R": 2})
    budget.enter("R")
    for _ in range(2):
        ticket = budget.before_send("POST", "POST /x", mutating=True)
        budget.after_answer(ticket, 201)
    with pytest.raises(BudgetUsedUp, match="mutation budget of R"):
        budget.before_send("POST", "POST /x", mutating=True)
    assert budget.counts()["R"] == {"sent": 2, "acted": 2, "kept_back": 1, "budget": 2}


def test_a_refusal_gives_the_slot_back_and_reads_are_free() -> None:
    budget = MutationBudget({"R": 1})
    budget.enter("R")
    for _ in range(50):
        budget.after_answer(budget.before_send("POST", "POST /x", mutating=False), 400)
        assert budget.before_send("GET", "GET /x", mutating=False) is None
    assert budget.counts()["R"]["acted"] == 0


def test_a_wrongful_acceptance_ends_the_requirement() -> None:
    budget = MutationBudget({"R": 5, "S": 1})
    budget.enter("R")
    ticket = budget.before_send("POST", "POST /x", mutating=False)
    with pytest.raises(AlreadyProven) as first:  # at once, with the answer for the caller
        budget.after_answer(ticket, 202, lambda: {"request": "POST /x"}, response="the answer")
    assert first.value.response == "the answer"
    for method, mutating in (("POST", False), ("DELETE", True)):
        with pytest.raises(AlreadyProven) as raised:
            budget.before_send(method, f"{method} /x", mutating=mutating)
        assert "answered 202" in raised.value.evidence()["message"]
    budget.enter("S")  # another requirement is not affected
    assert budget.before_send("POST", "POST /y", mutating=False) is not None


def test_no_answer_counts_as_acted() -> None:
    budget = MutationBudget({"R": 1})
    budget.enter("R")
    budget.before_send("POST", "POST /x", mutating=True)  # sent; the answer never came
    with pytest.raises(BudgetUsedUp):
        budget.before_send("POST", "POST /x", mutating=False)


def test_two_workers_share_one_budget(tmp_path: Path) -> None:
    journal = tmp_path / "mutations.jsonl"
    workers = [MutationBudget({"R": 7}, journal=journal) for _ in range(2)]
    acted: list[int] = []
    lock = threading.Lock()

    def work(budget: MutationBudget) -> None:
        budget.enter("R")
        for _ in range(20):
            try:
                ticket = budget.before_send("POST", "POST /x", mutating=True)
            except BudgetUsedUp:
                continue
            with lock:
                acted.append(1)
            budget.after_answer(ticket, 201)

    threads = [threading.Thread(target=work, args=(budget,)) for budget in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(acted) == 7
    fresh = MutationBudget({"R": 7}, journal=journal)  # the controller reading the journal
    assert fresh.counts()["R"] == {"sent": 7, "acted": 7, "kept_back": 33, "budget": 7}

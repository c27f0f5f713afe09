"""The mutation budget: how many requests a server may act on, per requirement, enforced by the
client whatever the test asks.

Each requirement's catalogue record may declare ``mutations = N``: how many requests its tests
may send that a server would act on. Two kinds count against it:

Every POST, PUT, PATCH or DELETE (and any request declared ``mutating``) takes a slot of its
requirement's budget before it is sent, and is kept back (not sent) when no slot is free. An
answer that is not 2xx gives the slot back: the server refused, nothing was done. A 2xx keeps
it, and so does no answer at all (the server may have acted). A 2xx to a *rule-breaking*
request (``mutating=False``: the docs say a conformant server refuses it) proves the
requirement broken: every further POST/PUT/PATCH/DELETE of that requirement is kept back (the
failure is proven; more attempts only do harm).

So a requirement with ``mutations = N`` makes a server act at most N times, conformant or not,
and one run at most the sum over its requirements. The counts go to a journal file shared by
every worker of the run (``mutations.jsonl`` beside the ledger, under an exclusive file lock),
so two workers share one budget. This module knows neither pytest nor the checks.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import unittest
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OUTSIDE = "(outside any test)"
CLEANUP = "(cleanup)"  # the end-of-run removal of what the run created: counted, not limited
JOURNAL_NAME = "mutations.jsonl"


class NotSent(Exception):
    """The client refused to send a request; ``evidence()`` says why."""

    def __init__(self, message: str, request: str, exchange_evidence: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.request = request
        self.exchange_evidence = exchange_evidence

    def evidence(self) -> dict[str, Any]:
        record: dict[str, Any] = {"message": self.message}
        if self.exchange_evidence:
            record.update(self.exchange_evidence)
        else:
            record["request"] = self.request
        return record


class BudgetUsedUp(NotSent, unittest.SkipTest):
    """The requirement's budget is used up: not a finding about the server. A
    ``unittest.SkipTest``: pytest reports a skip with this reason, Hypothesis passes it through."""


class AlreadyProven(NotSent):
    """The server acted on a request it must refuse: the requirement has failed (a failure).

    Raised at once by the request that was wrongly accepted (``response`` is its answer, so a
    caller can still ledger what it created) and by every later POST/PUT/PATCH/DELETE of the
    requirement, which is then not sent. Always from one line, so Hypothesis sees one failure.
    """

    def __init__(
        self,
        message: str,
        request: str,
        exchange_evidence: dict[str, Any] | None = None,
        response: Any = None,
    ):
        super().__init__(message, request, exchange_evidence)
        self.response = response


def _proven(message: str, request: str, proof: dict[str, Any], response: Any = None) -> NoReturn:
    raise AlreadyProven(message, request, proof, response)


@dataclass
class _Account:
    reserved: int = 0  # requests sent that a server could act on
    released: int = 0  # of those, ones the server refused (not 2xx): nothing was done
    kept_back: int = 0  # requests not sent because of the budget
    proof: dict[str, Any] | None = None  # evidence of the first wrongful acceptance

    @property
    def used(self) -> int:
        """Requests a server acted on, or may have (no answer yet, or none at all)."""
        return self.reserved - self.released


@dataclass(frozen=True)
class Ticket:
    """One request that passed the budget; ``after_answer`` settles it."""

    key: str
    request: str
    rule_breaking: bool


@dataclass
class MutationBudget:
    """Budgets by requirement ID; the current scope is the running test's requirement."""

    budgets: Mapping[str, int]
    journal: Path | None = None
    default: int = 0
    scope: str | None = None
    enforce: bool = True  # False: count only (the bundled reference servers are ours)
    _accounts: dict[str, _Account] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stream: Any = None  # the journal, open and locked, inside ``_locked``
    _offset: int = 0  # how much of the journal is already in ``_accounts``
    _file: Any = None  # the journal, opened once (closed with the budget)

    def enter(self, requirement: str | None) -> None:
        """Account the following requests to ``requirement`` (the test that is running)."""
        self.scope = requirement

    def limit(self, key: str) -> int:
        if key == CLEANUP:
            return 1 << 62  # removes only ledger entries, one per object the run created
        return int(self.budgets.get(key, self.default))

    # -- the two calls the client makes --------------------------------------------------------

    def before_send(
        self, method: str, request: str, *, mutating: bool, rule_breaking: bool | None = None
    ) -> Ticket | None:
        """Raise ``NotSent`` if this request may not go out; otherwise reserve its slot.

        Only POST, PUT, PATCH and DELETE (and anything declared ``mutating``) are counted.
        ``rule_breaking`` (default: not ``mutating``) marks a request a conformant server
        refuses, whose acceptance proves the requirement broken.
        """
        if method.upper() not in UNSAFE_METHODS and not mutating:
            return None
        key = self.scope or OUTSIDE
        limit = self.limit(key)
        with self._locked() as accounts:
            account = accounts.setdefault(key, _Account())
            if account.proof is not None:
                self._record(accounts, {"requirement": key, "event": "kept-back"})
                _proven(
                    f"not sent: {request}: {key} is already proven broken (the server acted on "
                    "a request the docs say it must refuse); another attempt would only act again",
                    request,
                    account.proof,
                )
            if self.enforce and account.used >= limit:
                self._record(accounts, {"requirement": key, "event": "kept-back"})
                raise BudgetUsedUp(
                    f"not sent: {request} would exceed the mutation budget of {key} "
                    f"({limit} request(s) a server may act on, all used)",
                    request,
                )
            if rule_breaking is None:
                rule_breaking = not mutating
            kind = "rule-breaking" if rule_breaking else "acting"
            self._record(
                accounts, {"requirement": key, "event": "reserve", "kind": kind, "request": request}
            )
        return Ticket(key, request, rule_breaking=rule_breaking)

    def after_answer(
        self, ticket: Ticket | None, status: int, evidence: Any = None, response: Any = None
    ) -> None:
        """Settle a reserved slot: a refusal frees it; a 2xx keeps it. A 2xx to a request the
        docs say must be refused proves the requirement broken: ``AlreadyProven`` is raised
        now (with ``response``) and for every further attempt."""
        if ticket is None:
            return
        proof: dict[str, Any] | None = None
        with self._locked() as accounts:
            account = accounts.setdefault(ticket.key, _Account())
            if not 200 <= status < 300:
                self._record(accounts, {"requirement": ticket.key, "event": "release"})
            elif ticket.rule_breaking:
                proof = {
                    "message": (
                        f"the server acted on {ticket.request} (answered {status}), a request "
                        "the docs say it must refuse"
                    ),
                    **(evidence() if callable(evidence) else {}),
                }
                if account.proof is None:  # the first proof is the one later refusals show
                    self._record(
                        accounts, {"requirement": ticket.key, "event": "proven", "proof": proof}
                    )
        if proof is not None:
            _proven(str(proof["message"]), ticket.request, proof, response)

    # -- the counts ---------------------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        """``{requirement: {sent, acted, kept_back, budget}}`` for every requirement that sent
        or was kept from sending anything (all workers, when the journal is shared)."""
        with self._locked() as accounts:
            return {
                key: {
                    "sent": account.reserved,
                    "acted": account.used,
                    "kept_back": account.kept_back,
                    "budget": self.limit(key),
                }
                for key, account in sorted(accounts.items())
            }

    # -- the journal ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, _Account]]:
        with self._lock:
            if self.journal is None:
                yield self._accounts
                return
            stream = self._open_journal()
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
            try:
                stream.seek(self._offset)  # what other workers appended since
                for line in stream.read().splitlines():
                    _apply(self._accounts, line)
                self._offset = stream.tell()
                self._stream = stream
                yield self._accounts
            finally:
                self._stream = None
                fcntl.flock(stream.fileno(), fcntl.LOCK_UN)

    def _open_journal(self) -> Any:
        """The journal, opened at the first count and kept open (every POST of a run used to
        create its folder and open it again); closed when the budget is collected."""
        if self._file is None:
            assert self.journal is not None
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.journal.open("a+", encoding="utf-8")
            weakref.finalize(self, self._file.close)
        return self._file

    def _record(self, accounts: dict[str, _Account], record: dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True)
        _apply(accounts, line)
        stream = self._stream
        if stream is not None:
            stream.seek(0, os.SEEK_END)
            stream.write(line + "\n")
            stream.flush()
            self._offset = stream.tell()


def _apply(accounts: dict[str, _Account], line: str) -> None:
    try:
        record = json.loads(line)
        key, event = str(record["requirement"]), record["event"]
    except (ValueError, KeyError, TypeError):
        return  # a line torn by a crash
    account = accounts.setdefault(key, _Account())
    if event == "reserve":
        account.reserved += 1
    elif event == "release":
        account.released += 1
    elif event == "kept-back":
        account.kept_back += 1
    elif event == "proven" and account.proof is None and isinstance(record.get("proof"), dict):
        account.proof = record["proof"]


def totals(counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Summed counts (``acted`` is what servers acted on, or may have)."""
    keys = ("sent", "acted", "kept_back", "budget")
    return {key: sum(int(record.get(key, 0)) for record in counts.values()) for key in keys}

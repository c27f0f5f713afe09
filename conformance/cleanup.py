"""``conformance cleanup LEDGER``: remove what a crashed or interrupted run created.

Only entries of the ledger are touched, each only with the removal request recorded for it and
only on the base URL it was recorded for. Exit codes: 0 everything removed (or nothing to do),
1 something is left or may exist, 2 usage error, 3 the server cannot be reached.
"""

from __future__ import annotations

import argparse
import sys

from conformance import registry
from conformance.auth import authorization_for
from conformance.errors import EXIT_NONCONFORMANT, UsageError
from conformance.http import ApiClient, RateLimiter
from conformance.ledger import Entry, Ledger, ledger_files, remove_entries
from conformance.preflight import preflight
from conformance.redact import Redactor
from conformance.target import load_target_file, target_from_flags


def _choose_base_url(options: argparse.Namespace, entries: list[Entry]) -> str:
    if options.base_url:
        return str(options.base_url)
    if options.config:
        from_file = load_target_file(options.config)[0].get("base_url")
        if from_file:
            return str(from_file)
    recorded = sorted({entry.base_url for entry in entries if entry.base_url})
    if len(recorded) == 1:
        return recorded[0]
    if not recorded:
        raise UsageError("the ledger names no server: pass --base-url or --config")
    raise UsageError(f"the ledger names several servers {recorded}: pass --base-url")


def run_cleanup(options: argparse.Namespace) -> int:
    files = ledger_files(options.ledger)
    if not files or not all(file.is_file() for file in files):
        raise UsageError(f"no ledger at {options.ledger} (a ledger-*.jsonl file or a report dir)")
    ledgers = [Ledger(file) for file in files]
    entries = [entry for ledger in ledgers for entry in ledger.entries()]
    open_entries = [entry for entry in entries if entry.state == "created"]
    unknown = sorted({entry.api for entry in open_entries} - set(registry.names()))
    if unknown:
        raise UsageError(f"the ledger names unknown API(s) {unknown}")
    apis = sorted({entry.api for entry in open_entries})
    if open_entries:
        base_url = _choose_base_url(options, open_entries)
        target = target_from_flags(options, apis=apis, base_url=base_url, allow_mutations=True)
        if target.insecure:
            print("warning: TLS certificate verification is off (--insecure)", file=sys.stderr)
        limiter = RateLimiter(target.max_rps) if target.max_rps else None
        preflight(target, rate_limiter=limiter)
        redactor = target.redactor()
        clients: dict[str, ApiClient] = {}

        def client_for(entry: Entry) -> ApiClient | str:
            assert target.base_url is not None
            if entry.base_url and entry.base_url.rstrip("/") != target.base_url:
                return f"recorded for {entry.base_url}, not {target.base_url}: not touched"
            if entry.api not in clients:
                clients[entry.api] = ApiClient(
                    target.base_url,
                    authorization=authorization_for(entry.api, target),
                    redactor=redactor,
                    timeout=target.timeout,
                    verify=target.verify(),
                    max_response_bytes=target.max_response_bytes,
                    allow_mutations=True,
                    rate_limiter=limiter,
                    network=target.network,
                )
            return clients[entry.api]

        result = remove_entries(ledgers, client_for)
    else:
        result = remove_entries(ledgers, lambda entry: "not reached")
        redactor = Redactor()
    for text in result.removed:
        print(f"removed: {redactor.text(text)}")
    for line in result.lines():
        print(redactor.text(line), file=sys.stderr)
    print(
        f"cleanup: {len(result.removed)} removed, {len(result.left)} left, "
        f"{len(result.unresolved)} not confirmed"
    )
    if result.interrupted:
        raise KeyboardInterrupt
    return 0 if result.clean else EXIT_NONCONFORMANT

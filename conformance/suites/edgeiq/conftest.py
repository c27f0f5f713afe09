"""Fixtures of the EdgeIQ suite."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from conformance.http import ApiClient, Response
from conformance.suites.context import Context
from conformance.suites.edgeiq.bodies import JSON_HEADERS, FieldNames, encode, valid_body
from conformance.suites.edgeiq.context import make_context
from conformance.suites.edgeiq.exchanges import actions_path
from conformance.target import Target


@pytest.fixture(scope="session")
def edgeiq(api_client: Callable[[str], ApiClient]) -> ApiClient:
    return api_client("edgeiq")


@pytest.fixture(scope="session")
def edgeiq_context(edgeiq: ApiClient, fixtures: dict[str, Any]) -> Context:
    return make_context(edgeiq, fixtures)


@pytest.fixture(scope="session")
def edgeiq_fields(target: Target) -> FieldNames:
    """JSON names of the unpublished fields: the target file's [fields], else the defaults."""
    return FieldNames.from_target(target.fields)


@pytest.fixture(scope="session")
def fleet_actions(edgeiq_context: Context) -> str:
    """``/fleets/{fleet_id}/actions`` of the test fleet (skips without one)."""
    return actions_path(edgeiq_context["fleet_id"])


@pytest.fixture(scope="session")
def execute(
    edgeiq: ApiClient, edgeiq_context: Context, edgeiq_fields: FieldNames, fleet_actions: str
) -> Callable[[str], Response]:
    """``execute(name)``: POST one of ``VALID_BODIES`` to the test fleet, once per process.

    A mutation: skipped unless mutations are allowed. Executed actions cannot be undone, so
    nothing goes to the ledger; the answer is kept so other tests reuse it instead of
    executing the action again.
    """
    done: dict[str, Response] = {}
    lock = threading.Lock()

    def run(name: str) -> Response:
        with lock:
            if name not in done:
                body = valid_body(name, edgeiq_fields, edgeiq_context)
                done[name] = edgeiq.request(
                    "POST", fleet_actions, body=encode(body), headers=JSON_HEADERS
                )
            return done[name]

    return run

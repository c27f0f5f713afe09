"""Spec-derived property tests for every operation (``conformance/spec_properties.py``).

One property test per spec operation and generation mode: schemathesis draws the request, the
suite's client sends it, schemathesis's checks judge the answer, and each failure is a finding
on the requirement the spec names (reported beside the contract judge's own findings). The
tests are marked ``spec_drawn``: their own pass is no evidence (every drawn ID may have answered
a documented 404); only those findings, and what the contract judge held on their exchanges,
count (``conformance/verdict.py``). A path
parameter the API's ``context.py`` can fill (``{action_id}``...) takes that value in positive
cases, so requests reach real objects (``st_data.CONTEXT_KEYS`` picks another context value for
an operation where the first listed object would not do).

Safety: a mutating operation is sent only to a bundled server. Against any other server, even
with ``--allow-mutations``, none is drawn: a schemathesis-drawn object has no removal the ledger
could record, and a negative case may break one part of a request while keeping a real object's
ID in another (it could delete what the suite did not create).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import registry, spec, spec_properties
from conformance.contract import Judgement
from conformance.http import ApiClient
from conformance.plugin import run_apis, state_of
from conformance.profiles import scenario_settings, search
from conformance.suites.context import Context
from conformance.target import Target

MODES = ("positive", "negative")  # schemathesis's GenerationMode values (not imported to collect)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.name == "test_operation_follows_its_spec":
        metafunc.parametrize(("operation", "mode"), _params(run_apis(metafunc.config)))


def _params(apis: tuple[str, ...] | None = None) -> list[Any]:
    """One parameter per operation and mode, from the specs alone (``spec_properties.planned``:
    nothing is loaded into schemathesis while the run collects)."""
    params = []
    for api in registry.names() if apis is None else apis:
        for operation in spec_properties.planned(api):
            for mode in MODES if operation.negatable else MODES[:1]:
                params.append(
                    pytest.param(
                        operation,
                        mode,
                        id=f"{operation.id}-{mode}",
                        marks=(
                            pytest.mark.requirement(operation.operation.requirement),
                            pytest.mark.spec_drawn,
                        ),
                    )
                )
    return params


def _requirements(api: str) -> list[str]:
    """What the spec's operations name (as ``spec_properties.operations`` keeps them)."""
    return sorted({str(op.requirement) for op in spec.operations(api) if op.requirement})


def _known_value(context: Context, name: str) -> str | None:
    """The context's value for a path parameter, or None (absent or skipped)."""
    if name not in context:
        return None
    try:
        return context[name]
    except pytest.skip.Exception:
        return None


@search(scale=0.3, at_most=8)
@given(data=st.data())
def test_operation_follows_its_spec(
    operation: spec_properties.SpecOperation,
    mode: str,
    data: st.DataObject,
    api_client: Callable[[str], ApiClient],
    api_context: Callable[[str], Context],
    target: Target,
    request: pytest.FixtureRequest,
) -> None:
    client = api_client(operation.api)
    if operation.mutating:
        if not client.allow_mutations:
            pytest.skip(f"mutations not allowed: {operation.operation.name} (--allow-mutations)")
        if not target.bundled:
            # A drawn request, even a negative one, may keep a real object's ID beside the part
            # it breaks (DELETE /api/action/41?bad=...): it could act on what the suite did not
            # create. The suites' own tests judge mutating operations on other servers.
            pytest.skip("spec-drawn acting requests go to bundled servers only (not bundled)")
    strategy = spec_properties.strategy(operation, mode, bundled=target.bundled)
    case = data.draw(strategy, label="case")
    if mode == "positive":
        required_only: bool = data.draw(st.booleans(), label="required query parameters only")
        if case.query and required_only:
            required = spec_properties.required_query(operation)
            case.query = {name: value for name, value in case.query.items() if name in required}
        context = api_context(operation.api)
        keys = spec_properties.context_keys(operation)
        for name in list(case.path_parameters or {}):
            value = _known_value(context, keys.get(name, name))
            if value is not None:
                case.path_parameters[name] = value
    response = spec_properties.send(client, case, mutating=None)
    findings = spec_properties.judge(operation, case, response)
    state = state_of(request.config)
    if findings and state is not None:
        # Ahead of the contract judge's view of the same exchange, so the report's evidence
        # (a few items per requirement and test) shows what schemathesis found.
        judgement = Judgement(response.exchange, operation.operation, response.status, findings)
        same = [i for i, j in enumerate(state.judgements) if j.exchange is response.exchange]
        state.judgements.insert(same[0] if same else len(state.judgements), judgement)


@pytest.mark.parametrize(
    "api",
    [
        pytest.param(
            api, marks=(pytest.mark.requirement(*_requirements(api)), pytest.mark.spec_drawn)
        )
        for api in spec_properties.linked_apis()
    ],
)
def test_links_between_operations(
    api: str,
    api_client: Callable[[str], ApiClient],
    api_context: Callable[[str], Context],
    target: Target,
    request: pytest.FixtureRequest,
) -> None:
    """Schemathesis's stateful phase where the spec has links (EdgeIQ: the bulk_response_id of an
    accepted fleet action reads its progress), each step sent and judged as above. The first
    step creates an object, so bundled servers only."""
    if not target.bundled:
        pytest.skip("a stateful scenario creates objects it has no removal for; bundled only")
    client = api_client(api)
    state = state_of(request.config)
    context = api_context(api)
    base = spec_properties.load_schema(api, True).as_state_machine()
    sent: dict[str, Any] = {}

    class Scenario(base):  # type: ignore[valid-type,misc]
        def call(self, case: Any, **kwargs: Any) -> Any:
            operation_id = str(case.operation.definition.raw.get("operationId"))
            operation = spec_properties.by_operation_id(api, operation_id, bundled=True)
            keys = spec_properties.context_keys(operation) if operation else {}
            for name, key in keys.items():  # the objects the suite may act on, never a link's
                value = _known_value(context, key)
                if value is not None and name in (case.path_parameters or {}):
                    case.path_parameters[name] = value
            response = spec_properties.send(client, case)
            sent[case.id] = response
            return spec_properties.as_schemathesis_response(response)

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            operation_id = str(case.operation.definition.raw.get("operationId"))
            operation = spec_properties.by_operation_id(api, operation_id, bundled=True)
            own = sent.pop(case.id)
            if operation is None or state is None:
                return
            findings = spec_properties.judge(operation, case, own)
            if findings:
                judgement = Judgement(own.exchange, operation.operation, own.status, findings)
                state.judgements.append(judgement)

    name = state.profile if state is not None else "fast"
    Scenario.run(settings=scenario_settings(name, at_most=3, steps=4))

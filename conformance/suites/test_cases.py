"""The one runner for documented exchanges (``<api>/cases.toml``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance import checks, registry
from conformance.auth import wrong_authorization_for
from conformance.http import DEFAULT, ApiClient
from conformance.plugin import run_apis
from conformance.suites.cases import Case, load_cases
from conformance.suites.context import Context
from conformance.target import Target


def _param(case: Case) -> object:
    return pytest.param(case, id=case.id, marks=pytest.mark.requirement(case.requirement))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The cases of the run's APIs (their folders' ``cases.toml``)."""
    if metafunc.definition.name == "test_documented_exchange":
        folders = tuple(registry.profile(api).suite_dir.name for api in run_apis(metafunc.config))
        metafunc.parametrize("case", [_param(case) for case in load_cases(folders)])


def test_documented_exchange(
    case: Case,
    api_context: Callable[[str], Context],
    api_client: Callable[[str], ApiClient],
    target: Target,
    restricted_authorization: Callable[[str], str],
) -> None:
    client = api_client(case.api)
    context = api_context(case.api)
    authorization: object = DEFAULT
    if case.auth == "none":
        authorization = None
    elif case.auth == "wrong":
        authorization = wrong_authorization_for(case.api, target)
    elif case.auth == "restricted":
        authorization = restricted_authorization(case.api)
    response = client.request(
        case.method,
        case.path.format_map(context),
        params={key: value.format_map(context) for key, value in case.query.items()} or None,
        body=case.body,
        headers=case.headers,
        authorization=authorization,
        mutating=case.mutating,
        expect_refusal=case.expect_refusal,
    )
    expect = case.expect
    if "status" in expect:
        checks.expect_status(response, *expect["status"])
    if "content_type" in expect:
        checks.expect_content_type(response, *expect["content_type"])
    if expect.get("empty_body"):
        checks.expect_empty_body(response)
    if "body" in expect:
        text = checks.expect_utf8(response).strip()
        checks.expect(
            text == expect["body"], f"expected body {expect['body']!r}, got {text[:80]!r}", response
        )
    if "xml_schema" in expect:
        checks.expect_xml_valid(response, expect["xml_schema"], expect.get("xml_root"))
    if "json_schema" in expect:
        checks.expect_json_valid(response, expect["json_schema"], target.vendor_version)

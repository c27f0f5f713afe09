"""The Nexthink error table agrees everywhere: the vendor page, error_codes.toml, the catalogue,
the reference server, the OpenAPI spec and the JSON Schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance import catalogue
from conformance.servers.nexthink import ERRORS, PRECEDENCE
from conformance.suites.nexthink.error_table import (
    ErrorTableError,
    Variant,
    load_error_codes,
    parse_error_codes,
)
from tests.helpers import shared_dir

ROOT = Path(__file__).resolve().parents[1]
PAGE = "nexthink-act-api-v2-classic.md"
_ROW = re.compile(r"^\|\s*\|\s*([A-Z\\_]+)\s*\|\s*(\d{3})\s*\|", re.MULTILINE)


@pytest.fixture(scope="module")
def page_table() -> dict[str, int]:
    page = shared_dir() / "vendor-docs" / PAGE
    if not page.is_file():
        pytest.skip(f"vendor page not found at {page}")
    text = page.read_text(encoding="utf-8")
    return {code.replace("\\_", "_"): int(status) for code, status in _ROW.findall(text)}


def test_page_table_has_fourteen_codes(page_table: dict[str, int]) -> None:
    assert len(page_table) == 14


def test_error_codes_toml_is_the_page_table(page_table: dict[str, int]) -> None:
    rows = load_error_codes()
    assert [row.code for row in rows] == list(page_table)
    assert {row.code: row.status for row in rows} == page_table


def test_reference_server_uses_the_page_statuses(page_table: dict[str, int]) -> None:
    assert {code: status for code, (status, _) in ERRORS.items()} == page_table
    assert set(PRECEDENCE) == set(page_table) - {"INTERNAL_ERROR"}


def test_spec_and_schema_enumerate_the_page_codes(page_table: dict[str, int]) -> None:
    spec = yaml.safe_load((ROOT / "specs" / "nexthink-act-v2.yaml").read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    by_status: dict[int, set[str]] = {}
    for name, status in (("Error400", 400), ("Error403", 403), ("Error500", 500)):
        code = schemas[name]["allOf"][1]["properties"]["code"]
        by_status[status] = set(code.get("enum", [code.get("const")]))
    expected: dict[int, set[str]] = {}
    for code, status in page_table.items():
        expected.setdefault(status, set()).add(code)
    assert by_status == expected
    schema = json.loads((ROOT / "schemas" / "nexthink" / "error.schema.json").read_text())
    assert set(schema["properties"]["code"]["enum"]) == set(page_table)


def test_each_row_names_its_requirement_and_agrees_on_untested() -> None:
    known = catalogue.load_all()
    for row in load_error_codes():
        requirement = known[row.requirement]
        assert row.code.replace("_", "\\_") in requirement.quote, row.code
        assert bool(requirement.untested) == bool(row.untested), row.code
        assert str(row.status) in requirement.title, row.code


def test_every_tested_row_has_a_variant_without_target_specific_placeholders() -> None:
    """Each tested code can be provoked with the manual action alone, except the one that needs
    a remote action without manual execution."""
    base = dict.fromkeys(("remote_action_uid", "unknown_remote_action_uid", "device_uid"), "x")
    needs_more = {row.code for row in load_error_codes() if row.variants and not row.usable(base)}
    assert needs_more == {"NO_MANUAL_EXECUTION"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"code": [{"code": "X", "status": 400, "requirement": "NOPE", "untested": "r"}]}, "NOPE"),
        (
            {
                "code": [
                    {
                        "code": "NO_DEVICES",
                        "status": 400,
                        "requirement": "NEXTHINK-ERR-NO-DEVICES",
                        "variant": [{"description": "d", "sett": {}}],
                    }
                ]
            },
            "sett",
        ),
        (
            {
                "code": [
                    {
                        "code": "NO_DEVICES",
                        "status": 400,
                        "requirement": "NEXTHINK-ERR-NO-DEVICES",
                        "variant": [{"description": "changes nothing"}],
                    }
                ]
            },
            "must change",
        ),
        (
            {
                "code": [
                    {"code": "NO_DEVICES", "status": 400, "requirement": "NEXTHINK-ERR-NO-DEVICES"}
                ]
            },
            "either variants or an untested",
        ),
        ({"codes": []}, "unknown table"),
    ],
)
def test_parser_refuses_a_broken_table(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ErrorTableError, match=message):
        parse_error_codes(document)


BASE = {"requestUid": "r", "remoteActionUid": "u", "deviceUids": ["a", "b"], "timeoutSeconds": 2}


def test_variant_changes_exactly_what_it_says() -> None:
    values = {"remote_action_uid": "u", "device_uid": "d"}
    removed = Variant("no uid", remove=("remoteActionUid",)).apply(BASE, values, device_limit=3)
    assert json.loads(removed.body) == {k: v for k, v in BASE.items() if k != "remoteActionUid"}
    assert removed.timeout_seconds == 2
    inserted = Variant("bad", insert_device="x").apply(BASE, values, device_limit=3, position=4)
    assert json.loads(inserted.body)["deviceUids"] == ["a", "x", "b"]
    many = Variant("many", devices_over_limit=2).apply(BASE, values, device_limit=3)
    assert len(set(json.loads(many.body)["deviceUids"])) == 5
    raw = Variant("raw", raw_body='["${remote_action_uid}"]').apply(BASE, values, device_limit=3)
    assert raw.body == b'["u"]'
    untyped = Variant("ct", content_type="").apply(BASE, values, device_limit=3)
    assert untyped.content_type == "" and json.loads(untyped.body) == BASE


def test_latin1_variant_is_not_utf8() -> None:
    variant = Variant("e", fields={"requestUid": "caf\u00e9"}, latin1=True)
    call = variant.apply(BASE, {}, device_limit=3)
    with pytest.raises(UnicodeDecodeError):
        call.body.decode("utf-8")
    assert json.loads(call.body.decode("latin-1"))["requestUid"] == "caf\u00e9"


def test_variants_needing_a_missing_fixture_are_left_out() -> None:
    row = next(row for row in load_error_codes() if row.code == "UNKNOWN_OR_DISABLED_REMOTE_ACTION")
    usable = row.usable({"unknown_remote_action_uid": "x", "remote_action_uid": "u"})
    assert [variant.description for variant in usable] == [
        "a well-formed remoteActionUid no server has"
    ]

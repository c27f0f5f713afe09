"""A large BigFix status: `mock --computers N` seeds it, and ?fields= is judged in linear time.

The suite's judge compares a filtered status with the unfiltered one through indexes; these tests
prove it still finds what it must (a lost, an unrequested and a changed computer) on a status of
thousands of computers, and that the server's seeded rows are distinct.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from conformance import xmlsafe
from conformance.servers.base import ReferenceServer, Request
from conformance.servers.bigfix import BigFixApp
from conformance.servers.bigfix.fields import parse_fields
from conformance.suites.bigfix.fields import Field, problems
from tests.helpers import run_against

AUTH = {"Authorization": "Basic " + base64.b64encode(b"conformance:conformance").decode()}
COUNT = 5000


def _status(app: BigFixApp, fields: str | None = None) -> etree._Element:
    query = {} if fields is None else {"fields": [fields]}
    reply = app.dispatch(Request("GET", "/api/action/44/status", query, AUTH, b""))
    assert reply.status == 200, reply.body
    results = xmlsafe.parse(reply.encoded()).find("ActionResults")
    assert results is not None
    return results


def test_computers_seed_distinct_rows() -> None:
    results = _status(BigFixApp(computers=COUNT))
    ids = [computer.get("ID") for computer in results.findall("Computer")]
    assert len(ids) == COUNT == len(set(ids))


def test_a_conformant_filter_of_a_large_status_has_no_problems() -> None:
    app = BigFixApp(computers=COUNT)
    full = _status(app)
    fields = (Field("Computer", children=(Field("Status"), Field("StartTime"))),)
    assert problems(_status(app, "Computer(Status,StartTime)"), full, fields, "/x") == []


def test_a_large_status_judge_still_finds_lost_unrequested_and_changed() -> None:
    app = BigFixApp(computers=COUNT)
    full = _status(app)
    filtered = _status(app, "Computer(Status)")
    computers = filtered.findall("Computer")
    filtered.remove(computers[10])  # lost
    computers[20].find("Status").text = "changed"  # disagrees with the unfiltered document
    etree.SubElement(computers[30], "ExitCode").text = "0"  # not requested
    fields = (Field("Computer", children=(Field("Status"),)),)
    found = problems(filtered, full, fields, "/x")
    assert any("8000010" in text and "missing" in text for text in found), found
    assert any("8000020" in text and "does not match" in text for text in found), found
    assert any("8000030" in text and "ExitCode" in text for text in found), found


# -- the generated ?fields= examples' share (ExampleShare) ------------------------------------

FIELDS = "BIGFIX-STATUS-GET-FIELDS"


def _fields_run(app: BigFixApp, report_dir: Path, budget: int | None) -> tuple[list[str], dict]:
    """A run of the ?fields= requirement only: the filters the generated examples sent (in
    order) and the requirement's report record."""
    fixtures = app.fixtures() | ({} if budget is None else {"fields_example_bytes": budget})
    server = ReferenceServer(app)
    server.start()
    try:
        result = run_against(
            server.url,
            "bigfix",
            report_dir,
            "--include",
            FIELDS,
            in_process=True,
            fixtures=fixtures,
        )
    finally:
        server.stop()
    assert result.code == 0, result.stdout + result.stderr
    har = json.loads((report_dir / "exchanges.har").read_text(encoding="utf-8"))
    sent = [
        parse_qs(urlsplit(entry["request"]["url"]).query)["fields"][0]
        for entry in har["log"]["entries"]
        if "test_generated_filters" in str(entry.get("_test", ""))
        and "fields=" in entry["request"]["url"]
    ]
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    record = next(r for r in report["requirements"] if r["id"] == FIELDS)
    assert record["status"] == "passed"
    return sent, record


def _notes(record: dict) -> list[str]:
    return [item["message"] for item in record["evidence"] if "not sent" in item["message"]]


def test_a_large_status_gets_a_smaller_share_of_generated_filters(tmp_path: Path) -> None:
    """Past the byte budget, drawn filters that may keep every Computer are not sent (the
    report says which and why); the others are, and the draws do not change."""
    full, full_record = _fields_run(BigFixApp(computers=COUNT), tmp_path / "full", 1 << 40)
    budget = 1 << 20  # a 5000-computer status is ~1.7 MB, its documented filters bring ~3 MB
    part, part_record = _fields_run(BigFixApp(computers=COUNT), tmp_path / "part", budget)
    assert _notes(full_record) == []
    unsent = [fields for fields in full if fields not in part]
    assert unsent and len(part) < len(full)
    assert part == [fields for fields in full if fields not in unsent]  # same draws, in order
    for fields in unsent:
        assert any(
            field.name.lower() == "computer" and not field.attributes
            for field in parse_fields(fields)
        ), fields
    kept = [
        f for f in part if any(s.name == "Computer" and not s.attributes for s in parse_fields(f))
    ]
    assert kept == []  # the documented filters' answers alone brought more than the budget
    (note,) = _notes(part_record)
    assert f"{len(unsent)} of the " in note and f"fields_example_bytes = {budget};" in note


def test_the_bundled_status_gets_the_full_share(tmp_path: Path) -> None:
    """The default budget never touches the bundled 3-computer status: the same filters are
    sent as with no budget at all, and the report notes nothing."""
    default, record = _fields_run(BigFixApp(), tmp_path / "default", None)
    unlimited, _ = _fields_run(BigFixApp(), tmp_path / "unlimited", 1 << 40)
    assert default == unlimited and len(default) > 5
    assert _notes(record) == []

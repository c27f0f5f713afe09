"""A large BigFix status: `mock --computers N` seeds it, and ?fields= is judged in linear time.

The suite's judge compares a filtered status with the unfiltered one through indexes; these tests
prove it still finds what it must (a lost, an unrequested and a changed computer) on a status of
thousands of computers, and that the server's seeded rows are distinct.
"""

from __future__ import annotations

import base64

from lxml import etree

from conformance import xmlsafe
from conformance.servers.base import Request
from conformance.servers.bigfix import BigFixApp
from conformance.suites.bigfix.fields import Field, problems

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

"""The ?fields= judge reads no more into the docs than they say (suites/bigfix/fields.py).

The docs' own example ``Computer<ID=11111>,Computer(Status,StartTime)`` only makes sense if
clauses naming one element combine: selectors pick, lists name the children. How two lists of
one element combine is left open, so a server that merges them and one that keeps each
selector's own list both pass; the documented single-clause forms stay strict.
"""

from __future__ import annotations

from lxml import etree

from conformance.suites.bigfix.fields import Field, problems

UNFILTERED = etree.fromstring(
    "<ActionResults><ActionID>45</ActionID><Status>Open</Status>"
    '<Computer ID="1" Name="host-1001"><Status>Fixed</Status><State>3</State>'
    "<StartTime>a</StartTime><EndTime>b</EndTime></Computer>"
    '<Computer ID="2" Name="host-1002"><Status>Failed</Status><State>4</State>'
    "<StartTime>c</StartTime><EndTime>d</EndTime></Computer></ActionResults>"
)
# The case: two selectors of one element with different child lists.
TWO_SELECTORS = (
    Field("Computer", (("Name", "host-1001"),), (Field("Status"),)),
    Field("Computer", (("ID", "2"), ("Name", "host-1002")), (Field("EndTime"),)),
)


def answer(*computers: str) -> etree._Element:
    return etree.fromstring(f"<ActionResults>{''.join(computers)}</ActionResults>")


def test_a_server_keeping_each_selectors_own_list_passes() -> None:
    kept = answer(
        '<Computer ID="1" Name="host-1001"><Status>Fixed</Status></Computer>',
        '<Computer ID="2" Name="host-1002"><EndTime>d</EndTime></Computer>',
    )
    assert problems(kept, UNFILTERED, TWO_SELECTORS, "/x") == []


def test_a_server_merging_the_lists_of_one_element_passes() -> None:
    merged = answer(
        '<Computer ID="1" Name="host-1001"><Status>Fixed</Status><EndTime>b</EndTime></Computer>',
        '<Computer ID="2" Name="host-1002"><Status>Failed</Status><EndTime>d</EndTime></Computer>',
    )
    assert problems(merged, UNFILTERED, TWO_SELECTORS, "/x") == []


def test_the_documented_example_picks_by_selector_and_names_children_by_list() -> None:
    fields = (Field("Computer", (("ID", "1"),)), Field("Computer", (), (Field("Status"),)))
    good = answer('<Computer ID="1" Name="host-1001"><Status>Fixed</Status></Computer>')
    assert problems(good, UNFILTERED, fields, "/x") == []
    missing = answer('<Computer ID="1" Name="host-1001"/>')
    assert problems(missing, UNFILTERED, fields, "/x") != []


def test_single_clause_forms_stay_strict() -> None:
    fields = (Field("Computer", (), (Field("Status"), Field("State"))),)
    extra = answer(
        '<Computer ID="1" Name="host-1001"><Status>Fixed</Status><State>3</State>'
        "<EndTime>b</EndTime></Computer>",
        '<Computer ID="2" Name="host-1002"><Status>Failed</Status><State>4</State></Computer>',
    )
    assert any("EndTime was not requested" in p for p in problems(extra, UNFILTERED, fields, "/x"))
    selector = (Field("Computer", (("ID", "2"),)),)
    wrong = answer('<Computer ID="1" Name="host-1001"><Status>Fixed</Status></Computer>')
    found = problems(wrong, UNFILTERED, selector, "/x")
    assert any("not requested" in p for p in found) and any("missing" in p for p in found)
    unknown = answer("<Status>Open</Status>")
    assert problems(unknown, UNFILTERED, (Field("status"),), "/x") != []

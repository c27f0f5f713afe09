"""The ?fields= judge reads no more into the docs than they say (suites/bigfix/fields.py).

The docs' own example ``Computer<ID=11111>,Computer(Status,StartTime)`` only makes sense if
clauses naming one element combine: selectors pick, lists name the children. How two lists of
one element combine is left open, so a server that merges them and one that keeps each
selector's own list both pass; the documented single-clause forms stay strict.
"""

from __future__ import annotations

from lxml import etree

from conformance.servers.bigfix.fields import FieldsFilter, FieldSpec, parse_fields
from conformance.suites.bigfix.fields import (
    Document,
    Field,
    Node,
    disagreeing,
    judge,
    lost,
    problems,
    unrequested,
)

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


def _full_judge(kept: tuple[Node, ...], document: Document, fields: tuple[Field, ...]) -> list[str]:
    """The judge element by element, without the in-order shortcut."""
    return (
        unrequested(kept, fields, "/x")
        + disagreeing(kept, document, "/x")
        + lost(kept, document.children, fields, "/x")
    )


FILTERS = [
    "Status,Computer",
    "Computer",
    "Computer(Status,State,StartTime)",
    "Computer<ID=1>,Computer(Status,StartTime)",
    "Computer<ID=2>(EndTime),Computer<Name=host-1001>",
    "Computer<ID=1&Name=host-1001>(State),ActionID",
    "computer(status),STATUS",
    "Computer(NoSuchField),DateIssued",
    "Computer<ID=999999999>",
    "Computer(EndTime),Status,status",
]


def _to_fields(specs: tuple[FieldSpec, ...] | None) -> tuple[Field, ...] | None:
    if specs is None:
        return None
    return tuple(Field(s.name, s.attributes, _to_fields(s.children)) for s in specs)


def test_the_in_order_shortcut_judges_as_the_full_judge() -> None:
    """``judge`` says "nothing wrong" without looking element by element only where the full
    judge says so too: every filter, as every broken server filter answers it, and with one
    computer lost, changed or reordered."""
    faults = [{}, *({name: True} for name in ("case_insensitive", "ignore_attributes"))]
    faults += [{"ignore_children": True}, {"drop_lists": True}, {"merge_lists": True}]
    document = Document(UNFILTERED)
    compared = 0
    for text in FILTERS:
        specs = parse_fields(text)
        fields = _to_fields(specs)
        assert fields is not None
        for options in faults:
            answer_element = FieldsFilter(**options).keep(UNFILTERED, specs)
            variants = [answer_element]
            computers = answer_element.findall("Computer")
            if computers:
                lost_one = etree.fromstring(etree.tostring(answer_element))
                lost_one.remove(lost_one.findall("Computer")[0])
                changed = etree.fromstring(etree.tostring(answer_element))
                changed.findall("Computer")[-1].set("Name", "other")
                reordered = etree.fromstring(etree.tostring(answer_element))
                reordered.append(reordered.findall("Computer")[0])
                variants += [lost_one, changed, reordered]
            for variant in variants:
                kept = document.read(variant)
                assert judge(kept, document, fields, "/x") == _full_judge(kept, document, fields)
                compared += 1
    assert compared > 100

"""report.html: the answer at a glance, then the detail. One file, no scripts, opens offline.

Top to bottom: a coloured verdict banner with the counts; a status filter; the failures (each
open, with its evidence as request and response panels); every requirement grouped by API and
operation (collapsible); the coverage matrix when the report has one. The filter is CSS only
(radio buttons and ``:checked`` selectors), so the page needs no script and its
Content-Security-Policy forbids all of them, and any network access.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from html import escape
from http import HTTPStatus
from typing import Any

from conformance.report.pretty import pretty_body

STATUSES = ("failed", "unexpected-pass", "expected-failure", "passed", "skipped", "untested")
PROBLEMS = ("failed", "unexpected-pass")
_COUNT_KEYS = {
    "failed": "failed",
    "unexpected-pass": "unexpected_passes",
    "expected-failure": "expected_failures",
    "passed": "passed",
    "skipped": "skipped",
    "untested": "untested",
}
_VERDICT_TEXT = {
    "conformant": "Conformant",
    "non-conformant": "Non-conformant",
    "not-assessed": "Not assessed",
}
_RECORD_KEYS = {
    "id",
    "api",
    "operation",
    "level",
    "title",
    "source",
    "status",
    "checks",
    "evidence",
    "reason",
    "expected",
    "duration",
    "strength",
}
_EVIDENCE_KEYS = {
    "message",
    "request",
    "request_headers",
    "request_body_excerpt",
    "response",
    "reproduce",
    "notes",
}
_EXPECTED_GOT = re.compile(r"^expected (?P<expected>.+?),? (?:got|but got|received) (?P<got>.+)$")
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_STYLE = """
:root{--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--odd:#6f42c1;--mute:#6e7781;--line:#d0d7de}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328}
main,nav,.banner>div{max-width:1200px;margin:0 auto;padding:0 16px}
.banner{color:#fff;padding:14px 0 12px}
.banner.conformant{background:var(--ok)}.banner.non-conformant{background:var(--bad)}
.banner.not-assessed{background:#57606a}
.banner h1{margin:0;font-size:26px;line-height:1.2}
.banner .why{margin:4px 0 0;font-weight:600}
.banner .meta{margin:6px 0 0;font-size:13px;opacity:.92}
.banner code{background:rgba(255,255,255,.18);padding:0 4px;border-radius:3px}
.counts{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.count{background:#fff;color:#1f2328;border-radius:12px;padding:1px 10px;font-size:13px}
.count b{font-size:15px}
.badge{display:inline-block;min-width:88px;text-align:center;border-radius:10px;padding:0 8px;
font-size:12px;font-weight:600;color:#fff;background:var(--mute)}
.s-passed .badge,.badge.s-passed{background:var(--ok)}
.s-failed .badge,.badge.s-failed{background:var(--bad)}
.s-expected-failure .badge,.badge.s-expected-failure{background:var(--warn)}
.s-unexpected-pass .badge,.badge.s-unexpected-pass{background:var(--odd)}
.s-untested .badge,.badge.s-untested{background:#afb8c1;color:#1f2328}
nav.filter{padding-top:10px;padding-bottom:4px;font-size:13px}
nav.filter label{display:inline-block;border:1px solid var(--line);border-radius:14px;
padding:2px 10px;margin:0 4px 4px 0;cursor:pointer;background:#f6f8fa}
.filter-input{position:absolute;opacity:0;pointer-events:none}
h2{font-size:18px;margin:18px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.card{border:1px solid var(--line);border-left:5px solid var(--bad);border-radius:6px;
padding:8px 12px;margin:0 0 12px}
.card.s-unexpected-pass{border-left-color:var(--odd)}
.card h3{margin:0 0 2px;font-size:15px}
.sub{color:var(--mute);font-size:12.5px}
.message{margin:8px 0 4px;font-size:14px}
.message .exp{color:var(--ok);font-weight:600}.message .got{color:var(--bad);font-weight:600}
.exchange{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin:6px 0}
@media (max-width:800px){.exchange{grid-template-columns:1fr}}
.panel{border:1px solid var(--line);border-radius:6px;min-width:0;background:#fafbfc}
.panel h4{margin:0;padding:3px 8px;font-size:12px;text-transform:uppercase;letter-spacing:.04em;
background:#eaeef2;border-bottom:1px solid var(--line)}
.panel .line{font:600 13px ui-monospace,SFMono-Regular,Menlo,monospace;padding:4px 8px;
word-break:break-all}
.panel table{border-collapse:collapse;font:12px ui-monospace,SFMono-Regular,Menlo,monospace;
margin:0 8px 4px}
.panel td{padding:0 8px 0 0;vertical-align:top;word-break:break-all}
.panel td:first-child{color:var(--mute);white-space:nowrap}
pre{margin:0;padding:6px 8px;white-space:pre-wrap;word-break:break-word;max-height:24em;
overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
.panel pre{border-top:1px dashed var(--line)}
.panel .kind{font-size:11px;color:var(--mute);padding:2px 8px 0;border-top:1px dashed var(--line)}
.panel .kind+pre{border-top:0}
details>summary{cursor:pointer}
details.api{margin:0 0 6px}details.api>summary{font-size:15px;font-weight:600;padding:4px 0}
details.op{margin:0 0 4px 14px}details.op>summary{padding:2px 0}
.req{margin:0 0 0 28px;border-bottom:1px solid #eaeef2}
.req>details>summary{padding:2px 0}
.req .body{padding:4px 0 8px 18px}
.level{font-size:11px;font-weight:700;color:var(--mute);border:1px solid var(--line);
border-radius:3px;padding:0 3px}
.weak{font-size:11px;font-weight:700;color:var(--warn);border:1px dashed var(--warn);
border-radius:3px;padding:0 3px}
.tally{font-weight:400;color:var(--mute);font-size:12.5px;margin-left:6px}
.tally .bad{color:var(--bad);font-weight:600}
table.matrix{border-collapse:collapse;margin:4px 0 14px;font-size:12.5px}
table.matrix th,table.matrix td{border:1px solid var(--line);padding:2px 8px;text-align:center}
table.matrix th:first-child,table.matrix td:first-child{text-align:left}
td.seen{background:#dafbe1;color:var(--ok)}td.unseen{background:#f6f8fa;color:var(--mute)}
td.undocumented{background:#ffebe9;color:var(--bad);font-weight:600}
.legend{font-size:12.5px;color:var(--mute)}
a{color:#0969da}
"""


def _filter_css() -> str:
    """One radio button per status: when checked, everything of another status is hidden."""
    rules = ["#show-all:checked~nav label[for=show-all]{background:#1f2328;color:#fff}"]
    for status in STATUSES:
        key = f"#show-{status}:checked"
        if status not in PROBLEMS:
            rules.append(f"{key}~main #failures{{display:none}}")
        rules += [
            f"{key}~nav label[for=show-{status}]{{background:#1f2328;color:#fff}}",
            f"{key}~main .req:not(.s-{status}),{key}~main .card:not(.s-{status}){{display:none}}",
            f"{key}~main details.op:not(:has(.s-{status})),"
            f"{key}~main details.api:not(:has(.s-{status})){{display:none}}",
        ]
    return "\n".join(rules)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _count(records: Iterable[dict[str, Any]], status: str) -> int:
    return sum(1 for record in records if record["status"] == status)


def _target_line(report: dict[str, Any]) -> str:
    target = report["target"]
    if target.get("bundled"):
        where = "the bundled reference servers (loopback)"
    else:
        where = f"<code>{_e(target['base_url'])}</code>"
    parts = [f"Target {where}", f"APIs {_e(', '.join(report['apis']))}"]
    if target.get("vendor_version"):
        parts.append(f"vendor version {_e(target['vendor_version'])}")
    if "allow_mutations" in target:
        parts.append("mutations allowed" if target["allow_mutations"] else "read-only")
    finished = report.get("finished_at") or "not finished"
    parts.append(f"{_e(report['started_at'])} to {_e(finished)}")
    parts.append(f"actionconform {_e(report['tool_version'])}")
    return " · ".join(parts)


def _banner(report: dict[str, Any]) -> str:
    summary = report["summary"]
    verdict = str(summary["verdict"])
    records = report["requirements"]
    failed = summary.get("failed", 0)
    headline = _VERDICT_TEXT.get(verdict, verdict)
    if verdict == "non-conformant":
        headline += f": {failed} of {len(records)} requirements failed"
    elif verdict == "conformant":
        headline += f": {summary.get('passed', 0)} of {len(records)} requirements passed"
    why = ""
    if not report.get("complete", True):
        reason = report.get("stop_reason") or "the run did not finish"
        why = f'<p class="why">Incomplete run: {_e(reason)}</p>'
    chips = []
    for status in STATUSES:
        value = summary.get(_COUNT_KEYS[status], _count(records, status))
        if not value and status not in ("failed", "passed"):
            continue
        label = status.replace("-", " ")
        chips.append(f'<span class="count"><b>{value}</b> {_e(label)}</span>')
    if summary.get("weak_passes"):
        chips.append(f'<span class="count"><b>{summary["weak_passes"]}</b> weak passes</span>')
    if summary.get("warnings"):
        chips.append(
            f'<span class="count"><b>{summary["warnings"]}</b> warnings (failed, not gating)</span>'
        )
    return (
        f'<header class="banner {_e(verdict)}" id="verdict"><div>'
        f'<h1>{_e(headline)}</h1>{why}<div class="counts">{"".join(chips)}</div>'
        f'<p class="meta">{_target_line(report)}</p></div></header>'
    )


def _filter(records: list[dict[str, Any]]) -> tuple[str, str]:
    """The radio buttons (before everything they filter) and their labels."""
    inputs = [
        '<input type="radio" name="show" id="show-all" class="filter-input" checked '
        'aria-label="show all requirements">'
    ]
    labels = [f'<label for="show-all">all ({len(records)})</label>']
    for status in STATUSES:
        count = _count(records, status)
        if not count:
            continue
        inputs.append(
            f'<input type="radio" name="show" id="show-{status}" class="filter-input" '
            f'aria-label="show {status} only">'
        )
        labels.append(f'<label for="show-{status}">{_e(status)} ({count})</label>')
    return "".join(inputs), f'<nav class="filter">Show: {"".join(labels)}</nav>'


def _headers_table(headers: dict[str, Any]) -> str:
    if not headers:
        return ""
    rows = "".join(
        f"<tr><td>{_e(name)}:</td><td>{_e(value)}</td></tr>" for name, value in headers.items()
    )
    return f"<table>{rows}</table>"


def _content_type(headers: dict[str, Any]) -> str:
    for key, value in headers.items():
        if key.lower() == "content-type":
            return str(value)
    return ""


def _status_line(status: object) -> str:
    if status is None:
        return "no response"
    try:
        return f"{status} {HTTPStatus(int(str(status))).phrase}"
    except ValueError:
        return str(status)


def _body(text: str, content_type: str) -> str:
    shown, kind = pretty_body(text, content_type)
    if kind == "empty":
        return '<pre class="empty">(empty body)</pre>'
    caption = ""
    if kind in ("json", "xml"):
        caption = f'<div class="kind">{kind.upper()}, indented for reading</div>'
    return f'{caption}<pre class="body {kind}">{_e(shown)}</pre>'


def _message(text: str) -> str:
    match = _EXPECTED_GOT.match(text)
    if match is None:
        return f'<p class="message">{_e(text)}</p>'
    return (
        f'<p class="message">Expected <span class="exp">{_e(match["expected"])}</span>, '
        f'received <span class="got">{_e(match["got"])}</span></p>'
    )


def _evidence(item: dict[str, Any]) -> str:
    parts = [_message(str(item.get("message", "")))]
    request = item.get("request")
    response = item.get("response")
    if request or isinstance(response, dict):
        request_headers = item.get("request_headers") or {}
        request_panel = (
            '<div class="panel request"><h4>Request</h4>'
            f'<div class="line">{_e(request or "(not recorded)")}</div>'
            f"{_headers_table(request_headers)}"
            f"{_body(str(item.get('request_body_excerpt', '')), _content_type(request_headers))}"
            "</div>"
        )
        response_panel = '<div class="panel response"><h4>Response</h4>'
        if isinstance(response, dict):
            headers = response.get("headers") or {}
            status = response.get("status")
            response_panel += (
                f'<div class="line">{_e(_status_line(status))}</div>'
                f"{_headers_table(headers)}"
                f"{_body(str(response.get('body_excerpt', '')), _content_type(headers))}"
            )
        else:
            response_panel += '<div class="line">no response</div>'
        response_panel += "</div>"
        parts.append(f'<div class="exchange">{request_panel}{response_panel}</div>')
    if item.get("notes"):
        notes = "".join(f"<li>{_e(note)}</li>" for note in item["notes"])
        parts.append(f'<ul class="notes">{notes}</ul>')
    if item.get("reproduce"):
        parts.append(
            f"<details><summary>Reproduce with curl</summary><pre>{_e(item['reproduce'])}</pre>"
            "</details>"
        )
    extra = {key: value for key, value in item.items() if key not in _EVIDENCE_KEYS}
    if extra:
        parts.append(
            "<details><summary>More</summary>"
            f"<pre>{_e(json.dumps(extra, indent=2, ensure_ascii=False))}</pre></details>"
        )
    return f'<div class="evidence">{"".join(parts)}</div>'


def _facts(record: dict[str, Any]) -> str:
    lines = [f'<div class="sub">Source: {_e(record.get("source", ""))}</div>']
    facts = [f"{record.get('checks', 0)} test case(s)"]
    if "duration" in record:
        facts.append(f"{float(record['duration']):.2f} s")
    if record.get("strength"):
        facts.append(f"{record['strength']} evidence")
    lines.append(f'<div class="sub">{_e(" · ".join(facts))}</div>')
    if record.get("reason"):
        lines.append(f'<div class="sub">Reason: {_e(record["reason"])}</div>')
    expected = record.get("expected")
    if isinstance(expected, dict):
        tracking = f" ({expected['tracking']})" if expected.get("tracking") else ""
        lines.append(
            f'<div class="sub">Expected {_e(expected.get("status", ""))}: '
            f"{_e(expected.get('reason', ''))}{_e(tracking)}</div>"
        )
    extra = {key: value for key, value in record.items() if key not in _RECORD_KEYS}
    for key, value in extra.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f'<div class="sub">{_e(key)}: {_e(shown)}</div>')
    return "".join(lines)


def _card(record: dict[str, Any]) -> str:
    items = record.get("evidence", [])
    evidence = "".join(_evidence(item) for item in items[:1])
    if len(items) > 1:  # the first one open; the others one click away
        more = "".join(_evidence(item) for item in items[1:])
        evidence += f"<details><summary>{len(items) - 1} more evidence</summary>{more}</details>"
    if not evidence and record["status"] == "unexpected-pass":
        evidence = '<p class="message">Expected to fail (a known deviation), but it passed.</p>'
    return (
        f'<article class="card s-{_e(record["status"])}" id="fail-{_e(record["id"])}">'
        f'<h3><span class="badge">{_e(record["status"])}</span> <code>{_e(record["id"])}</code> '
        f'<span class="level">{_e(record["level"])}</span> {_e(record["title"])}</h3>'
        f'<div class="sub"><code>{_e(record["operation"])}</code> · {_e(record["api"])}</div>'
        f"{evidence}{_facts(record)}</article>"
    )


def _failures(records: list[dict[str, Any]]) -> str:
    problems = [record for record in records if record["status"] in PROBLEMS]
    if not problems:
        return ""
    cards = "".join(_card(record) for record in problems)
    return f'<section id="failures"><h2>Failures ({len(problems)})</h2>{cards}</section>'


def _tally(records: list[dict[str, Any]]) -> str:
    parts = []
    for status in STATUSES:
        count = _count(records, status)
        if count:
            css = ' class="bad"' if status in PROBLEMS else ""
            parts.append(f"<span{css}>{count} {_e(status)}</span>")
    return f'<span class="tally">{", ".join(parts)}</span>'


def _weak(record: dict[str, Any]) -> str:
    if record.get("strength") != "weak":
        return ""
    return ' <span class="weak" title="passed on weak evidence">weak</span>'


def _requirement(record: dict[str, Any]) -> str:
    status = record["status"]
    detail = _facts(record)
    if status in PROBLEMS:
        detail = f'<a href="#fail-{_e(record["id"])}">evidence above</a>' + detail
    elif record.get("evidence"):
        detail = "".join(_evidence(item) for item in record["evidence"]) + detail
    return (
        f'<div class="req s-{_e(status)}"><details><summary>'
        f'<span class="badge">{_e(status)}</span>{_weak(record)} <code>{_e(record["id"])}</code> '
        f'<span class="level">{_e(record["level"])}</span> {_e(record["title"])}</summary>'
        f'<div class="body">{detail}</div></details></div>'
    )


def _grouped(report: dict[str, Any]) -> str:
    by_api: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for record in report["requirements"]:
        by_api.setdefault(record["api"], {}).setdefault(record["operation"], []).append(record)
    sections = []
    for api, operations in by_api.items():
        everything = [record for group in operations.values() for record in group]
        groups = []
        for operation, group in operations.items():
            opened = " open" if any(record["status"] in PROBLEMS for record in group) else ""
            rows = "".join(_requirement(record) for record in group)
            groups.append(
                f'<details class="op"{opened}><summary><code>{_e(operation)}</code>'
                f"{_tally(group)}</summary>{rows}</details>"
            )
        sections.append(
            f'<details class="api" open><summary>{_e(api)} ({len(everything)} requirements)'
            f"{_tally(everything)}</summary>{''.join(groups)}</details>"
        )
    return (
        '<section id="requirements"><h2>Requirements by API and operation</h2>'
        f"{''.join(sections)}</section>"
    )


def _status_key(code: object) -> tuple[int, str]:
    text = str(code)
    if text[:1].isdigit() and text[1:].upper() == "XX":  # a range sorts after its codes
        return (int(text[0]) * 100 + 99, text)
    return (int(text), text) if text.isdigit() else (1000, text)


def _as_documented(code: str, documented: set[str]) -> str:
    """A seen status as the spec lists it: ``202`` counts for a documented ``2XX`` range."""
    if code not in documented and f"{code[:1]}XX" in documented:
        return f"{code[:1]}XX"
    return code


def _codes(item: dict[str, Any]) -> set[str]:
    documented = {str(code).upper() for code in item.get("documented", [])}
    return documented | {_as_documented(str(code), documented) for code in item.get("seen", [])}


def _coverage(report: dict[str, Any]) -> str:
    coverage = report.get("coverage")
    operations = coverage.get("operations") if isinstance(coverage, dict) else None
    if not operations:
        return ""
    by_api: dict[str, list[dict[str, Any]]] = {}
    for item in operations:
        by_api.setdefault(str(item.get("api", "")), []).append(item)
    tables = []
    documented_total = seen_total = 0
    for api, items in by_api.items():
        columns = sorted(
            {code for item in items for code in _codes(item)},
            key=_status_key,
        )
        head = "".join(f"<th>{_e(code)}</th>" for code in columns)
        rows = []
        for item in items:
            documented = {str(code).upper() for code in item.get("documented", [])}
            seen = {_as_documented(str(code), documented) for code in item.get("seen", [])}
            documented_total += len(documented)
            seen_total += len(documented & seen)
            cells = []
            for code in columns:
                if code in documented and code in seen:
                    cells.append('<td class="seen" title="documented, seen">✓</td>')
                elif code in documented:
                    cells.append('<td class="unseen" title="documented, not seen">·</td>')
                elif code in seen:
                    cells.append('<td class="undocumented" title="seen, not documented">!</td>')
                else:
                    cells.append("<td></td>")
            rows.append(
                f"<tr><td><code>{_e(item.get('operation', ''))}</code></td>{''.join(cells)}</tr>"
            )
        tables.append(
            f'<h3>{_e(api)}</h3><table class="matrix"><thead><tr><th>operation</th>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>"
        )
    return (
        '<section id="coverage"><h2>Coverage: documented statuses seen</h2>'
        f'<p class="legend">{seen_total} of {documented_total} documented (operation, status) '
        "pairs were seen. ✓ documented and seen · <b>·</b> documented, not seen · "
        "<b>!</b> seen but not documented</p>"
        f"{''.join(tables)}</section>"
    )


def render_html(report: dict[str, Any]) -> str:
    records = report["requirements"]
    summary = report["summary"]
    inputs, nav = _filter(records)
    failed = summary.get("failed", 0)
    title = f"actionconform: {summary['verdict']}" + (f" ({failed} failed)" if failed else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_STYLE}
{_filter_css()}</style></head><body>
{inputs}
{_banner(report)}
{nav}
<main>
{_failures(records)}
{_grouped(report)}
{_coverage(report)}
</main></body></html>
"""

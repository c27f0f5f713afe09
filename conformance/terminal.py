"""What ``conformance run`` prints when it ends: one summary in the suite's words.

A verdict line with the requirement counts, one line per failed (or unexpectedly passing)
requirement, the path of report.html once. Colour only on a terminal, never with
``--no-color`` or ``NO_COLOR`` set.
"""

from __future__ import annotations

import os
from typing import IO, Any

VERDICT_COLOURS = {"conformant": "32", "non-conformant": "31", "not-assessed": "33"}
STATUS_COLOURS = {"failed": "31", "unexpected-pass": "33"}
LISTED = ("failed", "unexpected-pass")


def use_colour(stream: IO[str], no_color: bool = False) -> bool:
    """Colour on this stream? Only a terminal, and neither --no-color nor NO_COLOR."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _paint(text: str, code: str | None, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text


def _plural(count: int, word: str, plural: str) -> str:
    return f"{count} {word if count == 1 else plural}"


def summary_lines(report: dict[str, Any], elapsed: float, colour: bool) -> list[str]:
    """The verdict line, then one line per listed requirement."""
    summary = report["summary"]
    records = report["requirements"]
    not_selected = sum(1 for record in records if record.get("reason") == "not selected")
    counts = [
        f"{summary['passed']} passed"
        + (f" ({summary['weak_passes']} weak)" if summary.get("weak_passes") else ""),
        f"{summary['failed']} failed",
        _plural(summary["expected_failures"], "expected failure", "expected failures"),
        _plural(summary["unexpected_passes"], "unexpected pass", "unexpected passes"),
        f"{summary['skipped']} skipped"
        + (f" ({not_selected} not selected)" if not_selected else ""),
        f"{summary['untested']} untested",
    ]
    apis = ", ".join(report.get("apis", []))
    verdict = _paint(summary["verdict"], VERDICT_COLOURS.get(summary["verdict"]), colour)
    lines = [
        f"{verdict}: {', '.join(counts)} of {len(records)} requirements ({apis}) in {elapsed:.1f}s"
    ]
    for record in records:
        if record["status"] in LISTED:
            message = record["evidence"][0]["message"] if record.get("evidence") else ""
            status = _paint(record["status"], STATUS_COLOURS[record["status"]], colour)
            lines.append(f"  {status}: {record['id']} ({record['level']}) {message}".rstrip())
    return lines

"""Write the report directory atomically, every file scrubbed of secrets."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from conformance.redact import Redactor
from conformance.report.har import HAR_NAME, collect_har, remove_parts
from conformance.report.html import render_html
from conformance.report.junit import render_junit
from conformance.report.markdown import render_markdown

REPORT_FORMAT = "actionconform-report/1"
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def _atomic_write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def prepare_report_dir(directory: str | Path) -> Path:
    """Create the report directory and prove a file can be written in it (before any request).

    Raises ``UsageError`` (exit 2, one line) if it cannot: a path under a regular file, a
    read-only file system, a directory without write permission.
    """
    from conformance.errors import UsageError

    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=target, prefix=".write-probe.", suffix=".tmp")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise UsageError(f"cannot write to report directory {target}: {reason}") from None
    return target


def write_report_dir(directory: str | Path, report: dict[str, Any], redactor: Redactor) -> Path:
    """Write report.json, report.html, junit.xml, summary.md and exchanges.har.

    Once the run has finished (``finished_at`` set), the per-process exchange files are merged
    into exchanges.har and removed, and summary.md is appended to ``$GITHUB_STEP_SUMMARY`` when
    that is set. Returns the directory.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    # Scrub the serialised document as a whole: no secret survives in any rendering.
    clean: dict[str, Any] = json.loads(redactor.text(json.dumps(report)))
    har = redactor.tree(collect_har(target, str(clean.get("tool_version", ""))))
    renderings = {
        "report.json": json.dumps(clean, indent=2, ensure_ascii=False) + "\n",
        "report.html": render_html(clean),
        "junit.xml": render_junit(clean),
        "summary.md": render_markdown(clean),
    }
    # Compact: read by HAR viewers, not by eye (indenting uses json's pure-Python encoder,
    # most of a run's report-writing time).
    _atomic_write(target / HAR_NAME, json.dumps(har, ensure_ascii=False) + "\n")
    # report.json last: a reader that sees it complete sees the renderings of it too.
    for name in ("report.html", "junit.xml", "summary.md", "report.json"):
        _atomic_write(target / name, redactor.text(renderings[name]))
    if clean.get("finished_at"):
        remove_parts(target)
        _append_step_summary(redactor.text(renderings["summary.md"]))
    return target


def _append_step_summary(text: str) -> None:
    """GitHub Actions: the job's summary page shows summary.md."""
    path = os.environ.get(STEP_SUMMARY_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text + "\n")
    except OSError as exc:
        print(
            f"warning: cannot append to ${STEP_SUMMARY_ENV} {path}: {exc.strerror}", file=sys.stderr
        )

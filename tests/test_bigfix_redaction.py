"""SecureParameter values the suite POSTs never reach any file of the report directory.

The documented SourcedFixletAction example carries a SecureParameter. Against a server that
answers it with 500 the requirement fails, so its evidence (request body included) is written
to the report: the value must show there as ``[redacted]`` and nowhere in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance.suites.bigfix.bodies import SECURE_VALUE
from tests.helpers import assert_no_traceback, run_against


def test_secure_parameter_value_never_reaches_the_report(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve("bigfix", "sourced-500")
    report_dir = tmp_path / "report"
    result = run_against(url, "bigfix", report_dir, in_process=True)
    assert_no_traceback(result)
    record = result.requirement("BIGFIX-ACTIONS-POST-SOURCED")
    assert record["status"] == "failed", record
    bodies = [evidence.get("request_body_excerpt", "") for evidence in record["evidence"]]
    assert any("<SecureParameter" in body and "[redacted]" in body for body in bodies), bodies
    files = [path for path in report_dir.rglob("*") if path.is_file()]
    assert {"report.json", "report.html", "junit.xml", "summary.md"} <= {p.name for p in files}
    for path in files:
        assert SECURE_VALUE not in path.read_text(encoding="utf-8", errors="replace"), path
    assert SECURE_VALUE not in result.stdout + result.stderr

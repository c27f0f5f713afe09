"""What a failing run leaves for people and CI: report.html as a browser shows it, exchanges.har,
a curl command that reproduces the failure, junit times, summary.md and $GITHUB_STEP_SUMMARY,
and a report even when nothing could be assessed (exit 3).

The runs go through the command's entry point in this interpreter (``run_in_process``: the same
report directory, stdout and exit code); the pytest plugin's own run is a real ``pytest`` process.
"""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from conformance import catalogue
from conformance.report.html import render_html
from conformance.servers import ReferenceServer, app_class
from conformance.tls import make_certificate
from tests.helpers import CliResult, run_in_process

USER = "qa-bot"
PASSWORD = "pa ss$word-42"  # a space and a dollar: the shell must not split or expand it
TOKEN = "edge-token-9f3c"
STALE = json.dumps({"startedDateTime": "2000-01-01T00:00:00.000+00:00", "_test": "stale"})
HAR_SCHEMA = Path(__file__).parent / "data" / "har-1.2.schema.json"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# CI (.ci/run) installs chromium and sets this: there a missing browser fails, never skips.
BROWSER_REQUIRED = bool(os.environ.get("ACTIONCONFORM_REQUIRE_BROWSER"))
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not BROWSER_REQUIRED,
    reason="chromium is not installed (apt-get install chromium; .ci/run does)",
)


@dataclass
class Run:
    result: CliResult
    url: str
    step_summary: Path

    @property
    def dir(self) -> Path:
        assert self.result.report_dir is not None
        return self.result.report_dir

    def har(self) -> dict[str, Any]:
        har: dict[str, Any] = json.loads((self.dir / "exchanges.har").read_text("utf-8"))
        return har


def _target_file(path: Path, api: str, url: str, fixtures: dict[str, Any]) -> Path:
    credentials = (
        ['token_env = "EDGEIQ_TOKEN"']
        if api == "edgeiq"
        else [f'username = "{USER}"', 'password_env = "BIGFIX_PASSWORD"']
    )
    lines = ["[target]", f'api = "{api}"', f'base_url = "{url}"', *credentials, "[fixtures]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in fixtures.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _failing_run(tmp: Path, api: str, fault: str, *extra: str, tls: bool = False) -> Iterator[Run]:
    if api == "edgeiq":
        app = app_class(api)(fault, token=TOKEN)  # type: ignore[call-arg]
    else:
        app = app_class(api)(fault, username=USER, password=PASSWORD)
    context = None
    if tls:  # HTTPS with a private CA, trusted by --ca-bundle
        certificate = make_certificate(tmp / "tls")
        context = certificate.server_context()
        extra = (*extra, "--ca-bundle", str(certificate.ca_cert))
    server = ReferenceServer(app, tls=context)
    url = server.start()
    try:
        config = _target_file(tmp / "target.toml", api, url, app.fixtures())
        # An earlier run's exchanges left in the directory must not reach this run's HAR.
        (tmp / "report").mkdir()
        for worker in ("main", "gw5", "preflight"):
            (tmp / "report" / f".exchanges-{worker}.jsonl").write_text(STALE + "\n", "utf-8")
        step_summary = tmp / "step-summary.md"
        step_summary.write_text("earlier step\n", encoding="utf-8")
        result = run_in_process(
            "run",
            "--config",
            str(config),
            "--allow-mutations",
            *extra,
            report_dir=tmp / "report",
            env={
                "BIGFIX_PASSWORD": PASSWORD,
                "EDGEIQ_TOKEN": TOKEN,
                "GITHUB_STEP_SUMMARY": str(step_summary),
            },
        )
        assert result.code == 1, result.stdout + result.stderr
        yield Run(result, url, step_summary)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bigfix_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Over HTTPS, BigFix answers a created action with 201, not 200 (BIGFIX-ACTIONS-POST-200)."""
    yield from _failing_run(tmp_path_factory.mktemp("bigfix"), "bigfix", "create-201", tls=True)


@pytest.fixture(scope="module")
def edgeiq_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """EdgeIQ accepts an action outside the enum, and the run has two workers."""
    tmp = tmp_path_factory.mktemp("edgeiq")
    yield from _failing_run(tmp, "edgeiq", "action-enum-unchecked", "--workers", "2")


def _evidence(run: Run, requirement: str) -> dict[str, Any]:
    record = run.result.requirement(requirement)
    assert record["status"] == "failed", record
    item: dict[str, Any] = next(item for item in record["evidence"] if item.get("reproduce"))
    return item


def _replay(command: str, env: dict[str, str]) -> str:
    completed = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, env=env
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def _status_of(curl_output: str) -> int:
    match = re.match(r"HTTP/[\d.]+ (\d{3})", curl_output)
    assert match is not None, curl_output[:200]
    return int(match.group(1))


# -- the reproducer ---------------------------------------------------------------------------


def test_reproducer_replays_the_failing_post_with_the_password_from_the_shell(
    bigfix_run: Run,
) -> None:
    item = _evidence(bigfix_run, "BIGFIX-ACTIONS-POST-200")
    command = item["reproduce"]
    assert '-u "qa-bot:$BIGFIX_PASSWORD"' in command
    assert "--data-binary" in command and "-X POST" in command
    assert re.search(r"--cacert \S*ca\.pem", command) and command.split()[-1].startswith("https://")
    assert PASSWORD not in command and "[redacted]" not in command
    output = _replay(command, {"BIGFIX_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin"})
    assert _status_of(output) == item["response"]["status"] == 201  # the failing answer
    assert "<Action" in output  # the body was sent whole: the server created an action
    # The credentials come from the variable: a wrong one is refused.
    refused = _replay(command, {"BIGFIX_PASSWORD": "wrong", "PATH": "/usr/bin:/bin"})
    assert _status_of(refused) == 401


def test_reproducer_sends_the_token_from_the_shell(edgeiq_run: Run) -> None:
    item = _evidence(edgeiq_run, "EDGEIQ-FLEET-ACTIONS-POST-ACTION-ENUM")
    command = item["reproduce"]
    assert '-H "Authorization: $EDGEIQ_TOKEN"' in command
    assert TOKEN not in command
    output = _replay(command, {"EDGEIQ_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"})
    assert _status_of(output) == item["response"]["status"] == 202


def test_reproducer_carries_tls_flags_as_run() -> None:
    from conformance.http import ApiClient
    from conformance.redact import Redactor

    common: dict[str, Any] = {
        "authorization": None,
        "redactor": Redactor(),
        "timeout": 5.0,
        "max_response_bytes": 1024,
        "allow_mutations": False,
    }
    server = ReferenceServer(app_class("bigfix")())
    url = server.start()
    try:
        commands = {}
        for name, verify in (("ca", "/etc/ssl/corp ca.pem"), ("insecure", False), ("on", True)):
            client = ApiClient(url, verify=verify, **common)
            client.request("GET", "/api/help", retry=False)
            assert client.last_exchange is not None
            commands[name] = client.last_exchange.curl()
    finally:
        server.stop()
    assert "--cacert '/etc/ssl/corp ca.pem'" in commands["ca"]
    assert " -k " in commands["insecure"]
    assert "--cacert" not in commands["on"] and " -k " not in commands["on"]


# -- exchanges.har ------------------------------------------------------------------------------


def test_har_is_valid_har_1_2_naming_requirements(bigfix_run: Run) -> None:
    har = bigfix_run.har()
    jsonschema.validate(har, json.loads(HAR_SCHEMA.read_text("utf-8")))
    entries = har["log"]["entries"]
    known = {requirement.id for requirement in catalogue.load_api("bigfix")}
    named = [entry for entry in entries if entry["_requirements"]]
    assert named and all(set(entry["_requirements"]) <= known for entry in named)
    assert not list(bigfix_run.dir.glob(".exchanges-*"))  # parts merged and removed
    started = [entry["startedDateTime"] for entry in entries]
    assert started == sorted(started)


def test_har_holds_the_failing_exchange_whole_and_redacted(bigfix_run: Run) -> None:
    item = _evidence(bigfix_run, "BIGFIX-ACTIONS-POST-200")
    posts = [
        entry
        for entry in bigfix_run.har()["log"]["entries"]
        if "BIGFIX-ACTIONS-POST-200" in entry["_requirements"]
        and entry["response"]["status"] == 201
    ]
    assert posts, "the failing exchange is not in exchanges.har"
    # The evidence's exchange is one of them, its bodies whole (the request) and as received.
    (entry,) = [
        e for e in posts if e["response"]["content"]["text"] == item["response"]["body_excerpt"]
    ]
    assert entry["request"]["method"] == "POST"
    assert entry["request"]["postData"]["text"] in shlex.split(item["reproduce"])  # curl sends it
    authorization = [h for h in entry["request"]["headers"] if h["name"] == "Authorization"]
    assert authorization == [{"name": "Authorization", "value": "[redacted]"}]
    text = (bigfix_run.dir / "exchanges.har").read_text("utf-8")
    assert PASSWORD not in text and json.dumps(PASSWORD)[1:-1] not in text


def test_har_has_every_worker_exchanges(edgeiq_run: Run) -> None:
    har = edgeiq_run.har()
    jsonschema.validate(har, json.loads(HAR_SCHEMA.read_text("utf-8")))
    in_har = {rid for entry in har["log"]["entries"] for rid in entry["_requirements"]}
    assessed = {
        record["id"]
        for record in edgeiq_run.result.report["requirements"]
        if record["status"] in ("passed", "failed")
    }
    assert assessed and assessed <= in_har, sorted(assessed - in_har)
    assert TOKEN not in (edgeiq_run.dir / "exchanges.har").read_text("utf-8")


def test_a_reused_report_dir_does_not_mix_in_an_earlier_run(bigfix_run: Run) -> None:
    text = (bigfix_run.dir / "exchanges.har").read_text("utf-8")
    assert "2000-01-01" not in text and '"stale"' not in text


# -- junit, summary.md and the CI job summary -------------------------------------------------


def test_junit_cases_carry_times(bigfix_run: Run) -> None:
    suite = ElementTree.parse(bigfix_run.dir / "junit.xml").getroot()
    cases = list(suite.iter("testcase"))
    times = [float(case.get("time", "nan")) for case in cases]
    assert len(cases) == len(bigfix_run.result.report["requirements"])
    assert all(value >= 0 for value in times) and sum(times) > 0
    assert float(suite.get("time", "0")) > 0
    records = {record["id"]: record for record in bigfix_run.result.report["requirements"]}
    for case in cases:
        record = records[case.get("name", "").split(":")[0]]
        assert float(case.get("time", "0")) == pytest.approx(record["duration"], abs=0.001)


def test_summary_says_yes_and_is_appended_to_the_step_summary(bigfix_run: Run) -> None:
    summary = (bigfix_run.dir / "summary.md").read_text("utf-8")
    assert "Complete: yes." in summary and "True" not in summary
    assert bigfix_run.step_summary.read_text("utf-8") == "earlier step\n" + summary + "\n"


# -- exit 3 still writes a report ------------------------------------------------------------


def _not_assessed(result: CliResult, reason: str) -> None:
    assert result.code == 3, result.stdout + result.stderr
    report = result.report
    assert report["summary"]["verdict"] == "not-assessed"
    assert reason in report["stop_reason"]
    assert report["complete"] is False
    assert {record["status"] for record in report["requirements"]} == {"untested"}
    suite = ElementTree.parse(result.report_dir / "junit.xml").getroot()  # type: ignore[operator]
    assert suite.get("errors") == "1"
    error = suite.find("testcase/error")
    assert error is not None and reason in error.get("message", "")
    summary = (result.report_dir / "summary.md").read_text("utf-8")  # type: ignore[operator]
    assert "Complete: no." in summary
    assert "Every requirement is untested: not assessed: " in summary
    assert f"report: {result.report_dir}" in result.stdout


def test_unreachable_target_still_writes_a_report(tmp_path: Path) -> None:
    result = run_in_process(
        "run",
        "--api",
        "bigfix",
        "--base-url",
        "http://127.0.0.1:9",
        "--timeout",
        "5",
        report_dir=tmp_path / "report",
    )
    _not_assessed(result, "cannot reach http://127.0.0.1:9")


def test_the_pytest_plugin_also_writes_the_not_assessed_report(tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.suites",
            "-p",
            "no:cacheprovider",
            "--base-url",
            "http://127.0.0.1:9",
            "--conformance-api",
            "bigfix",
            "--conformance-timeout",
            "5",
            "--conformance-report-dir",
            str(report_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert completed.returncode == 3, completed.stdout + completed.stderr
    report = json.loads((report_dir / "report.json").read_text("utf-8"))
    assert report["summary"]["verdict"] == "not-assessed"
    assert "cannot reach http://127.0.0.1:9" in report["stop_reason"]
    assert (report_dir / "junit.xml").exists() and (report_dir / "exchanges.har").exists()


def test_wrong_password_still_writes_a_report_with_the_refusal(tmp_path: Path) -> None:
    server = ReferenceServer(app_class("bigfix")(username=USER, password=PASSWORD))
    url = server.start()
    try:
        result = run_in_process(
            "run",
            "--api",
            "bigfix",
            "--base-url",
            url,
            "--user",
            USER,
            "--password-env",
            "BIGFIX_PASSWORD",
            report_dir=tmp_path / "report",
            env={"BIGFIX_PASSWORD": "not-the-password"},
        )
    finally:
        server.stop()
    _not_assessed(result, "credentials were rejected")
    har = json.loads((tmp_path / "report" / "exchanges.har").read_text("utf-8"))
    assert [entry["response"]["status"] for entry in har["log"]["entries"]] == [401]
    for path in (tmp_path / "report").iterdir():
        assert "not-the-password" not in path.read_text("utf-8"), path.name


# -- report.html ----------------------------------------------------------------------------------

_PROBE = """<script>
addEventListener('load', () => {
  const box = (selector) => {
    const element = document.querySelector(selector);
    if (!element) return null;
    const rect = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return {top: rect.top, bottom: rect.bottom, text: element.innerText,
            shown: rect.height > 0 && style.display !== 'none', background: style.backgroundColor};
  };
  const visible = [...document.querySelectorAll('.req, .card')]
    .filter((element) => element.getBoundingClientRect().height > 0)
    .map((element) => element.className);
  const probe = {height: innerHeight, banner: box('header.banner'), card: box('#failures .card h3'),
    message: box('#failures .card .message'), response: box('#failures .card .panel.response'),
    failures: box('#failures'),
    visible: visible};
  document.documentElement.setAttribute('data-probe', JSON.stringify(probe));
});
</script>"""


def _in_browser(page: str, tmp: Path, *, show: str = "all") -> dict[str, Any]:
    """Lay ``page`` out in headless Chromium (1280x800) and measure it with a probe script.

    The report forbids scripts (its Content-Security-Policy); the probe goes into a copy that
    drops that policy, and ``show`` picks which filter button is checked.
    """
    assert CHROMIUM is not None, "chromium is required here (ACTIONCONFORM_REQUIRE_BROWSER)"
    copy = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    copy = copy.replace(
        ' id="show-all" class="filter-input" checked', ' id="show-all" class="filter-input"'
    )
    copy = copy.replace(
        f'id="show-{show}" class="filter-input"', f'id="show-{show}" class="filter-input" checked'
    )
    copy = copy.replace("</body>", _PROBE + "</body>")
    file = tmp / f"probe-{show}.html"
    file.write_text(copy, encoding="utf-8")
    completed = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1280,800",
            "--virtual-time-budget=5000",
            "--dump-dom",
            file.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = re.search(r'data-probe="([^"]*)"', completed.stdout)
    assert match is not None, completed.stderr[-2000:]
    probe: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return probe


@needs_chromium
def test_first_screen_of_a_failing_run_shows_verdict_and_failure(
    bigfix_run: Run, tmp_path: Path
) -> None:
    page = (bigfix_run.dir / "report.html").read_text("utf-8")
    probe = _in_browser(page, tmp_path)
    first_screen = probe["height"]
    banner, card, message = probe["banner"], probe["card"], probe["message"]
    assert banner["text"].startswith("Non-conformant: 1 of")
    assert "1 failed" in banner["text"]
    assert banner["background"] == "rgb(198, 40, 40)"  # red
    assert "BIGFIX-ACTIONS-POST-200" in card["text"]
    assert message["text"] == "Expected status 200, received 201"
    for part in (banner, card, message):
        assert part["shown"] and part["bottom"] <= first_screen, part
    assert probe["response"]["top"] < first_screen  # the response panel starts on screen too


@needs_chromium
def test_status_filter_works_without_scripts(bigfix_run: Run, tmp_path: Path) -> None:
    page = (bigfix_run.dir / "report.html").read_text("utf-8")
    only_failed = _in_browser(page, tmp_path, show="failed")["visible"]
    assert only_failed and all("s-failed" in name for name in only_failed)
    passed_probe = _in_browser(page, tmp_path, show="passed")
    only_passed = passed_probe["visible"]
    assert only_passed and all("s-passed" in name for name in only_passed)
    assert not passed_probe["failures"]["shown"]  # no empty "Failures" heading either


def test_report_html_is_self_contained(bigfix_run: Run) -> None:
    page = (bigfix_run.dir / "report.html").read_text("utf-8")
    assert "<script" not in page.lower()
    assert "default-src 'none'" in page  # the browser itself refuses scripts and fetches
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "bundled reference servers (bundled" not in page
    # Operations without a failure start folded; the failing one starts open.
    assert re.search(r'<details class="op" open><summary><code>POST /api/actions</code>', page)
    assert '<details class="op"><summary><code>GET /api/login</code>' in page


def test_bundled_target_is_named_once() -> None:
    report = json.loads(
        json.dumps(
            {
                "format": "actionconform-report/1",
                "tool_version": "0",
                "target": {"base_url": "bundled reference servers", "bundled": True},
                "apis": ["bigfix"],
                "started_at": "2026-01-01T00:00:00Z",
                "finished_at": "2026-01-01T00:00:01Z",
                "complete": True,
                "summary": {"verdict": "not-assessed", "passed": 0, "failed": 0},
                "requirements": [],
            }
        )
    )
    page = render_html(report)
    assert page.count("bundled reference servers") == 1


def test_coverage_matrix_marks_seen_unseen_and_undocumented() -> None:
    report = {
        "format": "actionconform-report/1",
        "tool_version": "0",
        "target": {"base_url": "http://x", "bundled": False},
        "apis": ["bigfix"],
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:01Z",
        "complete": True,
        "summary": {"verdict": "conformant", "passed": 0, "failed": 0},
        "requirements": [],
        "coverage": {
            "operations": [
                {
                    "api": "bigfix",
                    "operation": "GET /api/action/{action id}",
                    "documented": [200, 404],
                    "seen": [200, 500],
                },
                {
                    "api": "bigfix",
                    "operation": "POST /api/actions",
                    "documented": ["2XX", "400"],
                    "seen": [202],
                },
            ]
        },
    }
    page = render_html(report)
    row = re.search(r"<tr><td><code>GET /api/action/\{action id\}</code></td>(.*?)</tr>", page)
    assert row is not None
    cells = re.findall(r'<td class="(\w+)"', row.group(1))
    assert cells == ["seen", "unseen", "undocumented"]  # 200, 404, 500
    ranged = re.search(r"<tr><td><code>POST /api/actions</code></td>(.*?)</tr>", page)
    assert ranged is not None  # 202 is seen for the documented 2XX range, not undocumented
    assert re.findall(r'<td class="(\w+)"', ranged.group(1)) == ["seen", "unseen"]  # 2XX, 400
    assert "2 of 4 documented (operation, status) pairs were seen" in page


def test_bodies_are_indented_only_when_they_parse() -> None:
    from conformance.report.pretty import pretty_body

    assert pretty_body('{"a":[1,2]}', "application/json") == (
        '{\n  "a": [\n    1,\n    2\n  ]\n}',
        "json",
    )
    shown, kind = pretty_body("<BESAPI><Action><ID>41</ID></Action></BESAPI>", "application/json")
    assert kind == "xml" and "\n  <Action>\n    <ID>41</ID>" in shown  # judged by content
    cut = "<BESAPI><Action><ID>41</ID>... [90000 bytes in all]"
    assert pretty_body(cut, "application/xml") == (cut, "text")  # shown as received
    assert pretty_body('{"a": 1', "application/json") == ('{"a": 1', "text")
    assert pretty_body("  ", "text/plain") == ("", "empty")
    entity = '<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    assert pretty_body(entity, "application/xml") == (entity, "text")  # never expanded

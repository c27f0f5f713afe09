"""Politeness and bounds: a shared rate limit, Retry-After honoured for idempotent requests
only and never for long, and an overall run deadline that ends the run with a partial report.

Whole runs go through the command's entry point in this interpreter (``run_in_process``); the
refusal of a limit that is not positive is a real ``conformance`` process (exit 2).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from conformance.http import ApiClient, RateLimiter, parse_retry_after
from conformance.redact import Redactor
from conformance.servers import ReferenceServer, app_class
from conformance.servers.hostile import HostileServer
from conformance.servers.recording import Recorder
from tests.helpers import PASSWORD_ENV, assert_no_traceback, run_cli, run_in_process

ENV = {PASSWORD_ENV: "conformance"}
CREDENTIALS = ("--user", "conformance", "--password-env", PASSWORD_ENV)


def _client(url: str, **options: object) -> ApiClient:
    settings: dict[str, object] = {
        "authorization": None,
        "redactor": Redactor(),
        "timeout": 1.0,
        "max_response_bytes": 10000,
        "allow_mutations": True,
    }
    settings.update(options)
    return ApiClient(url, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [429, 503])
def test_a_get_is_repeated_after_retry_after(status: int) -> None:
    with HostileServer("retry-after", retry_status=status, retry_after="1") as server:
        response = _client(server.url).request("GET", "/api/actions")
    assert response.status == 200
    assert len(server.seen) == 2
    assert server.seen[1].at - server.seen[0].at >= 0.9  # it did wait
    assert f"answered {status} with Retry-After: 1" in response.exchange.notes[0]


def test_a_post_is_never_repeated() -> None:
    with HostileServer("retry-after", retry_after="1") as server:
        response = _client(server.url).request("POST", "/api/actions", body="x")
    assert response.status == 503
    assert len(server.seen) == 1


def test_retry_can_be_turned_off_per_request() -> None:
    with HostileServer("retry-after", retry_status=429) as server:
        response = _client(server.url).request("GET", "/x", retry=False)
    assert response.status == 429 and len(server.seen) == 1


def test_without_retry_after_there_is_no_retry() -> None:
    with HostileServer("retry-after", retry_after="") as server:
        response = _client(server.url).request("GET", "/x")
    assert response.status == 503 and len(server.seen) == 1


def test_a_long_retry_after_is_capped_at_the_timeout() -> None:
    with HostileServer("retry-after", retry_after="3600") as server:
        response = _client(server.url, timeout=0.5).request("GET", "/x")
    assert response.status == 200
    assert "repeated after 0.5 s" in response.exchange.notes[0]


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None and 25 <= seconds <= 31
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_the_rate_limiter_spaces_request_starts() -> None:
    limiter = RateLimiter(10)
    started = time.monotonic()
    for _ in range(6):
        limiter.wait()
    assert time.monotonic() - started >= 0.5  # five intervals of 0.1 s, at least


def test_max_rps_limits_a_whole_run(tmp_path: Path) -> None:
    app = app_class("bigfix")()
    recorder = Recorder(app)
    arrivals: list[float] = []
    original = app.dispatch

    def timed(request):  # type: ignore[no-untyped-def]
        arrivals.append(time.monotonic())
        return original(request)

    app.dispatch = timed  # type: ignore[method-assign]
    with ReferenceServer(app) as server:
        result = run_in_process(
            "run",
            "--api",
            "bigfix",
            "--base-url",
            server.url,
            *CREDENTIALS,
            "--max-rps",
            "20",
            "--deadline",
            "10",  # 6 s left one request on a loaded machine (load 8: a slow interpreter start)
            report_dir=tmp_path / "report",
            env=ENV,
        )
    assert_no_traceback(result)
    assert result.code in (0, 3), result.stdout + result.stderr
    assert recorder.calls and len(arrivals) >= 10
    span = arrivals[-1] - arrivals[0]
    assert span >= (len(arrivals) - 1) / 20 * 0.9, (len(arrivals), span)


@pytest.mark.parametrize("flag", ["--max-rps", "--deadline"])
def test_limits_must_be_positive(flag: str) -> None:
    result = run_cli("run", "--api", "bigfix", flag, "0")
    assert result.code == 2 and "positive" in result.stderr


def test_the_run_deadline_ends_a_slow_run_with_a_partial_report(tmp_path: Path) -> None:
    app = app_class("bigfix")()
    Recorder(app, delay=0.4)
    with ReferenceServer(app) as server:
        result = run_in_process(
            "run",
            "--api",
            "bigfix",
            "--base-url",
            server.url,
            *CREDENTIALS,
            "--deadline",
            "3",
            report_dir=tmp_path / "report",
            env=ENV,
        )
    assert_no_traceback(result)
    assert result.code == 3, result.stdout + result.stderr
    report = result.report
    assert report["complete"] is False
    assert report["stop_reason"] == "the run deadline (--deadline) was reached"
    assert "stopped: the run deadline (--deadline) was reached" in result.stderr
    assert report["summary"]["failed"] == 0

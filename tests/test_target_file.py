"""A target file and expectations drive a run against a server that is not bundled.

The runs go through the command's entry point in this interpreter (``run_in_process``); the
command line itself is proven by the real ``conformance run`` processes of
tests/test_reference_conformant.py and tests/test_fault_injection.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance import catalogue
from tests.helpers import PASSWORD_ENV, run_in_process


def _config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "target.toml"
    config.write_text(
        "[target]\n"
        'api = "bigfix"\n'
        f'base_url = "{url}"\n'
        'username = "conformance"\n'
        f'password_env = "{PASSWORD_ENV}"\n'
        "timeout = 10\n"
        "[fixtures]\n"
        "missing_action_id = 123456789\n",
        encoding="utf-8",
    )
    return config


def test_config_names_the_target_and_fixtures(serve: Callable[..., str], tmp_path: Path) -> None:
    url = serve("bigfix")
    result = run_in_process(
        "run",
        "--config",
        str(_config(tmp_path, url)),
        report_dir=tmp_path / "report",
        env={PASSWORD_ENV: "conformance"},
    )
    assert result.code == 0, result.stdout + result.stderr
    report = result.report
    assert report["apis"] == ["bigfix"]
    assert report["target"] == {
        "base_url": url,
        "bundled": False,
        "allow_mutations": False,
        "vendor_version": None,
    }
    assert report["summary"]["failed"] == 0


def test_expected_failure_keeps_the_run_conformant(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve("bigfix", "action-404-body")
    expectations = tmp_path / "expected.toml"
    expectations.write_text(
        "[[expected]]\n"
        'requirement = "BIGFIX-ACTION-GET-404"\n'
        'status = "failed"\n'
        'reason = "server sends a text body"\n'
        'tracking = "https://tracker.example.com/QA-1"\n',
        encoding="utf-8",
    )
    result = run_in_process(
        "run",
        "--config",
        str(_config(tmp_path, url)),
        "--expectations",
        str(expectations),
        report_dir=tmp_path / "report",
        env={PASSWORD_ENV: "conformance"},
    )
    assert result.code == 0, result.stdout + result.stderr
    assert result.requirement("BIGFIX-ACTION-GET-404")["status"] == "expected-failure"
    assert result.report["summary"]["expected_failures"] == 1


def test_expected_failure_that_passes_is_reported(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve("bigfix")
    expectations = tmp_path / "expected.toml"
    expectations.write_text(
        '[[expected]]\nrequirement = "BIGFIX-ACTION-GET-404"\nreason = "was broken in 11.0"\n',
        encoding="utf-8",
    )
    result = run_in_process(
        "run",
        "--config",
        str(_config(tmp_path, url)),
        "--expectations",
        str(expectations),
        report_dir=tmp_path / "report",
        env={PASSWORD_ENV: "conformance"},
    )
    assert result.code == 0
    assert result.requirement("BIGFIX-ACTION-GET-404")["status"] == "unexpected-pass"
    assert "unexpected-pass: BIGFIX-ACTION-GET-404" in result.stdout


def test_workers_give_the_same_verdict(tmp_path: Path) -> None:
    result = run_in_process(
        "run", "--api", "bigfix", "--workers", "2", report_dir=tmp_path / "report"
    )
    assert result.code == 0, result.stdout + result.stderr
    catalogued_untested = sum(1 for r in catalogue.load_api("bigfix") if r.untested)
    assert result.report["summary"]["failed"] == 0
    assert result.report["summary"]["untested"] == catalogued_untested
    # xdist workers hand the statuses they saw to the controller: every operation is seen
    coverage = result.report["coverage"]["operations"]
    assert coverage and all(record["seen"] for record in coverage), coverage

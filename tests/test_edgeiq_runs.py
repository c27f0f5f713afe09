"""Whole EdgeIQ runs against a server the test holds, so its state can be inspected afterwards.

What a user relies on: a read-only run executes nothing; the unpublished JSON names come from
the target file's [fields]; fixtures come from [fixtures], and without them the suite skips
(naming the fixture) instead of picking a fleet. The runs go through the command's entry point
in this interpreter (``run_in_process``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance.servers.edgeiq import (
    BUNDLED_TOKEN,
    SEEDED_COMMAND_ID,
    SEEDED_CONFIGURATION_ID,
    SEEDED_FLEET_ID,
    SEEDED_SETTING_ID,
    EdgeIQApp,
)
from tests.helpers import (
    BUNDLED_ENV,
    RESTRICTED_TOKEN_ENV,
    CliResult,
    assert_no_traceback,
    run_in_process,
)

TOKEN_ENV = "ACTIONCONFORM_TEST_EDGEIQ_TOKEN"
RENAMED = {
    "heartbeat_period": "heartbeat_interval",
    "heartbeat_values": "heartbeat_fields",
    "configuration_id": "config_id",
    "setting_id": "setting",
    "setting_version": "version",
    "command_id": "send_command_id",
}
FIXTURES = {
    "fleet_id": SEEDED_FLEET_ID,
    "command_id": SEEDED_COMMAND_ID,
    "configuration_id": SEEDED_CONFIGURATION_ID,
    "setting_id": SEEDED_SETTING_ID,
}
MUTATING = (
    "EDGEIQ-FLEET-ACTIONS-POST-ACCEPTED",
    "EDGEIQ-FLEET-ACTIONS-POST-BULK-RESPONSE-ID",
)
# EDGEIQ-BULK-RESPONSE-GET is also the operation-level x-requirement of GET /bulk_responses/{id}:
# read-only, only the spec-derived property test reaches it, with drawn IDs that answer 404. A
# spec-drawn test's own pass is no evidence (conformance/verdict.py): untested, never passed.


def _toml_table(name: str, values: dict[str, str]) -> str:
    return f"[{name}]\n" + "".join(f'{key} = "{value}"\n' for key, value in values.items())


def _run(tmp_path: Path, url: str, *extra: str, **tables: dict[str, str]) -> CliResult:
    config = tmp_path / "edgeiq.toml"
    target = {
        "api": "edgeiq",
        "base_url": url,
        "token_env": TOKEN_ENV,
        "restricted_token_env": RESTRICTED_TOKEN_ENV,
    }
    config.write_text(
        "\n".join(
            _toml_table(name, values) for name, values in {"target": target, **tables}.items()
        )
    )
    result = run_in_process(
        "run",
        "--config",
        str(config),
        *extra,
        report_dir=tmp_path / "report",
        env={TOKEN_ENV: BUNDLED_TOKEN, RESTRICTED_TOKEN_ENV: BUNDLED_ENV[RESTRICTED_TOKEN_ENV]},
    )
    assert_no_traceback(result)
    return result


def test_read_only_run_executes_nothing(serve: Callable[..., str], tmp_path: Path) -> None:
    app = EdgeIQApp()
    result = _run(tmp_path, serve(app), fixtures=FIXTURES)
    assert result.code == 0, result.stdout + result.stderr
    statuses = result.statuses()
    for requirement_id in MUTATING:
        assert statuses[requirement_id] == "skipped", requirement_id
        assert "mutations not allowed" in result.requirement(requirement_id)["reason"]
    assert statuses["EDGEIQ-FLEET-ACTIONS-POST-TYPES"] == "passed"
    bulk = result.requirement("EDGEIQ-BULK-RESPONSE-GET")
    assert bulk["status"] == "untested", bulk
    assert "only spec-drawn requests reached it" in bulk["reason"]
    assert "mutations not allowed" in bulk["reason"]  # why its own test did not run
    fleet = app.fleets[SEEDED_FLEET_ID]
    assert app.bulk_responses == {}
    assert (fleet.tags, fleet.metadata, fleet.heartbeat_period) == (set(), {}, None)


def test_renamed_fields_from_the_target_file_pass(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve(EdgeIQApp(fields=RENAMED))
    result = _run(tmp_path, url, "--allow-mutations", fixtures=FIXTURES, fields=RENAMED)
    assert result.code == 0, result.stdout + result.stderr
    assert "skipped" not in result.statuses().values()


def test_default_names_fail_against_renamed_fields(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve(EdgeIQApp(fields=RENAMED))
    result = _run(tmp_path, url, "--allow-mutations", fixtures=FIXTURES)
    assert result.code == 1, result.stdout + result.stderr
    failed = {rid for rid, status in result.statuses().items() if status == "failed"}
    assert {
        "EDGEIQ-FLEET-ACTIONS-POST-ACCEPTED",
        "EDGEIQ-FLEET-ACTIONS-POST-HEARTBEAT-MIN",
    } <= failed


def test_without_fixtures_the_suite_skips_and_names_them(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    app = EdgeIQApp()
    result = _run(tmp_path, serve(app), "--allow-mutations")
    assert result.code == 0, result.stdout + result.stderr
    statuses = result.statuses()
    assert statuses["EDGEIQ-AUTH-401"] == "passed"
    assert statuses["EDGEIQ-FLEET-ACTIONS-POST-404"] == "passed"
    reason = result.requirement("EDGEIQ-FLEET-ACTIONS-POST-ACCEPTED")["reason"]
    assert "[fixtures] fleet_id" in reason
    assert app.bulk_responses == {}

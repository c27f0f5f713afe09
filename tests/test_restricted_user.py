"""The 403 checks and the target's restricted user (or token).

A target names a second, valid user without the actions' permission (``restricted_username`` +
``restricted_password_env``, or ``restricted_token_env`` for EdgeIQ). With one, the 403 checks
run (the fault tests prove each fails a server that lets that user act); without one they are
skipped and the reason names the keys; its secret never reaches the report.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from conformance.errors import EXIT_USAGE
from conformance.servers import ReferenceServer, app_class
from tests.helpers import (
    BUNDLED_ENV,
    RESTRICTED_PASSWORD_ENV,
    run_against,
    run_in_process,
    write_target,
)

CHECKS = {
    "nexthink": ("NEXTHINK-ERR-NO-PERMISSION", "restricted_password_env"),
    "redis-enterprise": ("REDIS-AUTH-403", "restricted_password_env"),
    "edgeiq": ("EDGEIQ-FLEET-ACTIONS-POST-403", "restricted_token_env"),
}


@pytest.mark.parametrize("api", sorted(CHECKS))
def test_without_a_restricted_user_the_403_check_is_skipped_naming_the_keys(
    api: str, tmp_path: Path
) -> None:
    requirement, key = CHECKS[api]
    app = app_class(api)()
    with ReferenceServer(app) as server:
        config = write_target(tmp_path / "target.toml", api, server.url, app.fixtures())
        result = run_in_process(
            "run", "--config", str(config), "--allow-mutations", "--include", requirement,
            report_dir=tmp_path / "report",
            env=BUNDLED_ENV,
        )  # fmt: skip
    record = result.requirement(requirement)
    assert record["status"] == "skipped", record
    assert key in record["reason"], record["reason"]


@pytest.mark.parametrize("api", sorted(CHECKS))
def test_with_the_restricted_user_the_403_check_passes_a_conformant_server(
    api: str, tmp_path: Path
) -> None:
    requirement, _ = CHECKS[api]
    with ReferenceServer(app_class(api)()) as server:
        result = run_against(
            server.url, api, tmp_path / "report", "--include", requirement, in_process=True
        )
    assert result.requirement(requirement)["status"] == "passed", result.stdout
    written = "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in (tmp_path / "report").iterdir()
        if path.is_file()
    )
    # The restricted user's Basic credentials travel base64-encoded: never in any report file.
    pair = base64.b64encode(f"viewer:{BUNDLED_ENV[RESTRICTED_PASSWORD_ENV]}".encode()).decode()
    assert pair not in written
    assert BUNDLED_ENV["ACTIONCONFORM_TEST_RESTRICTED_TOKEN"] not in written


def test_a_restricted_password_without_its_user_is_a_usage_error(tmp_path: Path) -> None:
    result = run_in_process(
        "run", "--api", "redis-enterprise", "--base-url", "http://127.0.0.1:9",
        "--restricted-password-env", RESTRICTED_PASSWORD_ENV,
        report_dir=tmp_path / "report",
        env=BUNDLED_ENV,
    )  # fmt: skip
    assert result.code == EXIT_USAGE
    assert "--restricted-password-env needs --restricted-user" in result.stderr

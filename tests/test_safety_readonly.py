"""Against a server that is not bundled, a run is read-only unless mutations are allowed, and a
run with mutations leaves nothing behind. Proven on every bundled reference app, wrapped in a
recorder, with its state compared before and after.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.servers import APPS, ReferenceServer, app_class
from conformance.servers.recording import Recorder, history, snapshot
from tests.helpers import PASSWORD_ENV, CliResult, assert_no_traceback, run_in_process

TOKEN_ENV = "ACTIONCONFORM_SAFETY_TOKEN"
ENV = {PASSWORD_ENV: "conformance", TOKEN_ENV: "conformance-token"}


def _bigfix_fixtures() -> dict[str, Any]:
    bodies = importlib.import_module("conformance.suites.bigfix.bodies")
    return {"computer_ids": list(getattr(bodies, "BUNDLED_COMPUTER_IDS", ()))}


# [fixtures] a run against a reference app needs to create anything (an app may also offer
# them itself as a ``FIXTURES`` class attribute).
FIXTURES: dict[str, Callable[[], dict[str, Any]]] = {"bigfix": _bigfix_fixtures}


def _fixtures(api: str) -> dict[str, Any]:
    offered = app_class(api)().fixtures()
    if offered:
        return offered
    try:
        return FIXTURES[api]() if api in FIXTURES else {}
    except (ImportError, AttributeError):
        return {}


def _toml(value: Any) -> str:
    return json.dumps(value)  # strings, numbers and lists of them read the same in TOML


def _run(api: str, url: str, tmp_path: Path, *extra: str) -> CliResult:
    config = tmp_path / "target.toml"
    lines = [
        "[target]",
        f"api = {_toml(api)}",
        f"base_url = {_toml(url)}",
        'username = "conformance"',
        f"password_env = {_toml(PASSWORD_ENV)}",
        f"token_env = {_toml(TOKEN_ENV)}",
        "[fixtures]",
    ]
    lines += [f"{key} = {_toml(value)}" for key, value in _fixtures(api).items()]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_in_process(
        "run", "--config", str(config), *extra, report_dir=tmp_path / "report", env=ENV
    )


@pytest.mark.parametrize("api", sorted(APPS))
def test_read_only_run_sends_nothing_that_acts(api: str, tmp_path: Path) -> None:
    app = app_class(api)()
    recorder = Recorder(app)
    before = snapshot(app)
    with ReferenceServer(app) as server:
        result = _run(api, server.url, tmp_path)
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr
    assert recorder.calls, "the run sent no request at all"
    # The only non-read requests are those a test declared mutating=False: ones the docs say
    # a conformant server must refuse. The reference server did refuse each of them.
    accepted = [call for call in recorder.unsafe() if not 400 <= call.status < 500]
    assert accepted == [], f"a read-only run had requests acted on: {accepted}"
    assert snapshot(app) == before, "a read-only run changed the server's state"
    skipped = [r for r in result.report["requirements"] if r["status"] == "skipped"]
    assert all("mutations not allowed" in r.get("reason", "") or r.get("reason") for r in skipped)


@pytest.mark.parametrize("api", sorted(APPS))
def test_run_with_mutations_leaves_nothing_behind(api: str, tmp_path: Path) -> None:
    app = app_class(api)()
    recorder = Recorder(app)
    exclude = history(app)
    before = snapshot(app, objects_only=True, exclude=exclude)
    with ReferenceServer(app) as server:
        result = _run(api, server.url, tmp_path, "--allow-mutations")
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr
    after = snapshot(app, objects_only=True, exclude=exclude)
    assert after == before, "the run left objects behind (or changed objects it did not create)"
    cleanup = result.report.get("cleanup", {"left": [], "unresolved": []})
    assert cleanup["left"] == [] and cleanup["unresolved"] == [], cleanup
    assert "left behind" not in result.stderr
    if recorder.unsafe():
        assert result.report["target"]["allow_mutations"] is True

"""What the BigFix suite does to a server it does not own.

Read-only (no --allow-mutations): nothing is created, stopped, deleted or retried.
With --allow-mutations: every action it creates is relevant nowhere (relevance false) and targets
nothing, or only the computers named in [fixtures] computer_ids; all of them are gone at the end;
the server's own actions are never touched.

The runs go through the command's entry point in this interpreter (``run_in_process``), against a
reference server that records what it was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import xmlsafe
from conformance.servers import ReferenceServer
from conformance.servers.base import Reply, Request
from conformance.servers.bigfix import BigFixApp
from conformance.suites.bigfix.bodies import NO_SUCH_COMPUTER
from tests.helpers import PASSWORD_ENV, assert_no_traceback, run_in_process

SEEDED = {41: "Open", 44: "Open", 45: "Open"}


class WatchedApp(BigFixApp):
    """The reference server, remembering every request it answered."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, int]] = []

    def dispatch(self, request: Request) -> Reply:
        reply = super().dispatch(request)
        self.seen.append((request.method, request.path, reply.status))
        return reply


@pytest.fixture
def watched() -> Iterator[tuple[WatchedApp, str]]:
    app = WatchedApp()
    server = ReferenceServer(app)
    yield app, server.start()
    server.stop()


def _run(url: str, tmp_path: Path, *extra: str) -> None:
    result = run_in_process(
        "run",
        "--api",
        "bigfix",
        "--base-url",
        url,
        "--user",
        "conformance",
        "--password-env",
        PASSWORD_ENV,
        *extra,
        report_dir=tmp_path / "report",
        env={PASSWORD_ENV: "conformance"},
    )
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr


def _assert_untouched(app: WatchedApp) -> None:
    assert {key: action.status for key, action in app.actions.items()} == SEEDED
    downloads = [item for action in app.actions.values() for item in action.downloads]
    assert all(item.retry_count == 0 for item in downloads)


def test_read_only_run_changes_nothing(watched: tuple[WatchedApp, str], tmp_path: Path) -> None:
    app, url = watched
    _run(url, tmp_path)
    assert app.created == []
    _assert_untouched(app)
    mutations = [seen for seen in app.seen if seen[0] in ("POST", "PUT", "PATCH", "DELETE")]
    assert mutations, "the refusals the docs promise are still checked read-only"
    for method, path, status in mutations:
        # only requests a conformant server refuses: malformed bodies, 10001 targets, a MAG
        # with a FixletSource, and every operation on an action that does not exist
        assert status in (400, 404, 413), (method, path, status)


def _inert(body: bytes, computer_ids: set[str]) -> None:
    root = xmlsafe.parse(body)
    for relevance in root.iter("Relevance"):
        assert (relevance.text or "").strip().startswith("false"), body[:300]
    targets = list(root.iter("Target"))
    assert targets, body[:300]
    for target in targets:
        for choice in target:
            text = (choice.text or "").strip()
            if choice.tag == "ComputerID":
                assert text in computer_ids, body[:300]
            elif choice.tag == "ComputerName":
                assert text.startswith(NO_SUCH_COMPUTER), body[:300]
            else:
                assert choice.tag == "CustomRelevance" and text.startswith("false"), body[:300]


def test_mutating_run_creates_only_inert_actions_and_removes_them(
    watched: tuple[WatchedApp, str], tmp_path: Path
) -> None:
    app, url = watched
    _run(url, tmp_path, "--allow-mutations")
    assert len(app.created) > 20
    for body in app.created:
        _inert(body, computer_ids=set())
    _assert_untouched(app)


def test_named_test_computers_are_the_only_computer_ids(
    watched: tuple[WatchedApp, str], tmp_path: Path
) -> None:
    app, url = watched
    config = tmp_path / "target.toml"
    config.write_text(
        "[target]\n"
        'api = "bigfix"\n'
        f'base_url = "{url}"\n'
        'username = "conformance"\n'
        f'password_env = "{PASSWORD_ENV}"\n'
        "allow_mutations = true\n"
        "[fixtures]\n"
        "computer_ids = [101, 102]\n",
        encoding="utf-8",
    )
    result = run_in_process(
        "run",
        "--config",
        str(config),
        report_dir=tmp_path / "report",
        env={PASSWORD_ENV: "conformance"},
    )
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr
    computer_ids = [
        (element.text or "").strip()
        for body in app.created
        for element in xmlsafe.parse(body).iter("ComputerID")
    ]
    assert computer_ids and set(computer_ids) <= {"101", "102"}
    for body in app.created:
        _inert(body, computer_ids={"101", "102"})
    _assert_untouched(app)

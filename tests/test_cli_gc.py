"""``conformance run`` in its own process keeps Python's cycle collector off while it starts and
collects, then freezes what start-up made and turns the collector back on for the tests
(``conformance.collector``), and freezes what a large body was read into; a program that calls
``cli.main`` keeps its collector."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import collector

PROBE = """
import gc, json, os

SEEN = {}


def pytest_configure(config):
    SEEN["configure"] = gc.isenabled()


def pytest_runtest_call(item):
    SEEN.setdefault("test", [gc.isenabled(), gc.get_freeze_count()])


def pytest_unconfigure(config):
    with open(os.environ["GC_PROBE_OUT"], "w", encoding="utf-8") as out:
        json.dump(SEEN, out)
"""


def test_the_command_starts_without_the_collector_and_tests_with_it(tmp_path: Path) -> None:
    (tmp_path / "gc_probe.py").write_text(PROBE, encoding="utf-8")
    seen = tmp_path / "seen.json"
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
        "PYTEST_ADDOPTS": "-p gc_probe",
        "GC_PROBE_OUT": str(seen),
    }
    command = ["run", "--api", "redis-enterprise", "--include", "REDIS-ACTIONS-GET-SHAPE"]
    completed = subprocess.run(
        [sys.executable, "-m", "conformance", *command, "--report-dir", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    record = json.loads(seen.read_text(encoding="utf-8"))
    assert record["configure"] is False  # off while pytest starts and collects
    enabled, frozen = record["test"]
    assert enabled is True and frozen > 10_000  # on for the tests; start-up's objects frozen


def test_a_caller_of_main_keeps_its_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: calls.append("disable"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    assert collector.own_process() is False  # only ``cli.entry`` claims it
    collector.hold()
    collector.release()
    assert calls == [] and gc.isenabled()
    monkeypatch.undo()
    with collector.paused(True):
        assert not gc.isenabled()  # off while a large body is read
    assert gc.isenabled() and gc.get_freeze_count() == 0  # nothing frozen for a caller


def test_the_command_freezes_what_a_large_body_was_read_into(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector, "_OWN_PROCESS", True)
    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    read = None
    with collector.paused(True):
        assert not gc.isenabled()
        read = [(str(index),) for index in range(1000)]
        assert calls == []
    assert calls == ["freeze"] and gc.isenabled() and len(read) == 1000
    with collector.paused(False):  # nothing read: nothing paused, nothing frozen
        assert gc.isenabled()
    assert calls == ["freeze"]

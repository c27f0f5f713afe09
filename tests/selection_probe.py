"""A pytest plugin for the selection tests: prints each collected item with its requirements."""

from __future__ import annotations

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    for item in session.items:
        ids = [mark.args[0] for mark in item.iter_markers("requirement")]
        print(f"ITEM {item.nodeid} {' '.join(ids)}")

"""How a suite test says it could not judge its requirement, as opposed to skipping it.

``pytest.skip`` is only for what the suite itself lacks: a fixture, or the permission to act
(``--allow-mutations``); its reason says which. ``untested`` is for a case that cannot be judged
because something the server did first (a prerequisite answered wrongly, which another
requirement judges, or a state that did not occur) leaves nothing to check: the requirement is
then ``untested`` with that reason, never ``passed``.
"""

from __future__ import annotations

from typing import NoReturn

import pytest


class Untested(pytest.skip.Exception):  # type: ignore[name-defined]
    """The case could not be judged; the reason says why."""


def untested(reason: str) -> NoReturn:
    """End the running case as ``untested`` with ``reason``."""
    raise Untested(reason)

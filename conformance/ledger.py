"""The cleanup ledger: every object the suite creates is written down before it is created.

``intend`` appends a line to the ledger file before the creating request is sent; ``created``
records how to remove the object once the server named it; ``removed`` closes the entry. At the
end of a run every open entry with a removal request is removed; ``conformance cleanup LEDGER``
does the same after a crash. Nothing that is not in the ledger is ever deleted by cleanup.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Entry:
    """One object the suite meant to create, and how to remove it."""

    key: str
    api: str
    description: str
    state: str = "intended"  # intended | created | removed
    method: str | None = None
    path: str | None = None


class Ledger:
    """An append-only JSON-lines file of entries; the last line for a key wins."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _append(self, entry: Entry) -> None:
        line = json.dumps(asdict(entry), sort_keys=True)
        with self._lock, self.path.open("a", encoding="utf-8") as stream:
            stream.write(line + "\n")
            stream.flush()
            os.fsync(stream.fileno())

    def intend(self, api: str, description: str) -> Entry:
        """Record, before sending, that a request may create an object."""
        entry = Entry(key=uuid.uuid4().hex, api=api, description=description)
        self._append(entry)
        return entry

    def created(self, entry: Entry, method: str, path: str) -> None:
        """Record how to remove an object the server has created."""
        entry.state, entry.method, entry.path = "created", method, path
        self._append(entry)

    def removed(self, entry: Entry) -> None:
        entry.state = "removed"
        self._append(entry)

    def entries(self) -> list[Entry]:
        """The current state of every entry, in the order they were first written."""
        if not self.path.exists():
            return []
        latest: dict[str, Entry] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                record: dict[str, Any] = json.loads(line)
                entry = Entry(**record)
            except (ValueError, TypeError):
                continue  # a line torn by a crash
            latest[entry.key] = entry
        return list(latest.values())

    def open_entries(self) -> list[Entry]:
        return [entry for entry in self.entries() if entry.state == "created"]

    def unresolved(self) -> list[Entry]:
        """Entries whose creating request was sent but whose outcome was never recorded."""
        return [entry for entry in self.entries() if entry.state == "intended"]

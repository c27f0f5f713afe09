"""The cleanup ledger: every object the suite creates is written down before it is created.

``intend`` appends a line to the ledger file before the creating request is sent; ``created``
records how to remove the object once the server named it; ``removed`` closes the entry. At the
end of a run every open entry with a removal request is removed; ``conformance cleanup LEDGER``
does the same after a crash. Nothing that is not in the ledger is ever deleted by cleanup, and
an entry is only ever sent to the base URL it was recorded for.

Each line is written and flushed before the request it announces, so a crash or Ctrl-C at any
point leaves a ledger that names everything that may exist; the lines that add something to
remove (``intend``, ``created``) are also fsync'ed, so they survive the machine losing power.
The lines that close an entry (``removed``, ``not-created``) are not: lost to a power cut, an
entry is removed again (404 closes it) or reported unresolved, never forgotten. A line torn by
a crash is ignored.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.redact import Redactor

if TYPE_CHECKING:
    from conformance.http import ApiClient

LEDGER_GLOB = "ledger-*.jsonl"


@dataclass
class Entry:
    """One object the suite meant to create, and how to remove it."""

    key: str
    api: str
    description: str
    state: str = "intended"  # intended | created | removed | not-created
    method: str | None = None
    path: str | None = None
    base_url: str | None = None


_ENTRY_FIELDS = {item.name for item in fields(Entry)}


class Ledger:
    """An append-only JSON-lines file of entries; the last line for a key wins."""

    def __init__(
        self,
        path: str | Path,
        *,
        redactor: Redactor | None = None,
        base_url_for: Callable[[str], str | None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.redactor = redactor or Redactor()
        self.base_url_for = base_url_for
        self._lock = threading.Lock()

    def _append(self, entry: Entry, *, durable: bool = True) -> None:
        line = json.dumps(self.redactor.tree(asdict(entry)), sort_keys=True)
        with self._lock, self.path.open("a", encoding="utf-8") as stream:
            stream.write(line + "\n")
            stream.flush()
            if durable:
                os.fsync(stream.fileno())

    def intend(self, api: str, description: str) -> Entry:
        """Record, before sending, that a request may create an object."""
        base_url = self.base_url_for(api) if self.base_url_for is not None else None
        entry = Entry(key=uuid.uuid4().hex, api=api, description=description, base_url=base_url)
        self._append(entry)
        return entry

    def created(self, entry: Entry, method: str, path: str) -> None:
        """Record how to remove an object the server has created."""
        entry.state, entry.method, entry.path = "created", method, path
        self._append(entry)

    def removed(self, entry: Entry) -> None:
        entry.state = "removed"
        self._append(entry, durable=False)

    def not_created(self, entry: Entry) -> None:
        """Record that the server refused the request: there is nothing to remove."""
        entry.state = "not-created"
        self._append(entry, durable=False)

    def entries(self) -> list[Entry]:
        """The current state of every entry, in the order they were first written."""
        if not self.path.exists():
            return []
        latest: dict[str, Entry] = {}
        with self.path.open(encoding="utf-8", errors="replace") as stream:
            for line in stream:
                if not line.strip():
                    continue
                try:
                    record: dict[str, Any] = json.loads(line)
                    entry = Entry(**{k: v for k, v in record.items() if k in _ENTRY_FIELDS})
                except (ValueError, TypeError):
                    continue  # a line torn by a crash
                latest[entry.key] = entry
        return list(latest.values())

    def open_entries(self) -> list[Entry]:
        return [entry for entry in self.entries() if entry.state == "created"]

    def unresolved(self) -> list[Entry]:
        """Entries whose creating request was sent but whose outcome was never recorded."""
        return [entry for entry in self.entries() if entry.state == "intended"]


@dataclass
class CleanupResult:
    """What a cleanup removed, what it could not remove, and what it cannot know about."""

    removed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def clean(self) -> bool:
        return not (self.left or self.unresolved or self.interrupted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "removed": len(self.removed),
            "left": list(self.left),
            "unresolved": list(self.unresolved),
            "interrupted": self.interrupted,
        }

    def lines(self) -> list[str]:
        """One line per object a person has to look at."""
        lines = [f"left behind: {text}" for text in self.left]
        lines += [f"may exist (creation not confirmed): {text}" for text in self.unresolved]
        if self.interrupted:
            lines.append("cleanup was interrupted before it finished")
        return lines


def ledger_files(path: str | Path) -> list[Path]:
    """A ledger file, or every ledger file of a report directory."""
    location = Path(path)
    if location.is_dir():
        return sorted(location.glob(LEDGER_GLOB))
    return [location]


def summarise_ledgers(directory: str | Path) -> dict[str, Any] | None:
    """What the ledgers of a report directory still name: left behind, or not confirmed."""
    files = ledger_files(directory)
    if not files:
        return None
    left: list[str] = []
    unresolved: list[str] = []
    for file in files:
        for entry in Ledger(file).entries():
            if entry.state == "created":
                left.append(_describe(entry))
            elif entry.state == "intended":
                unresolved.append(_describe(entry))
    return {"ledgers": [file.name for file in files], "left": left, "unresolved": unresolved}


def remove_entries(
    ledgers: list[Ledger],
    client_for: Callable[[Entry], ApiClient | str],
) -> CleanupResult:
    """Send each open entry's removal request; record what was removed.

    ``client_for`` returns the client to use for an entry, or a reason not to touch it. A
    2xx answer, or 404/410 (already gone), closes the entry. Ctrl-C stops the cleanup and is
    reported; the ledger then still names what is left.
    """
    from conformance.http import NoResponse

    result = CleanupResult()
    try:
        for ledger in ledgers:
            for entry in ledger.entries():
                if entry.state == "intended":
                    result.unresolved.append(_describe(entry))
                    continue
                if entry.state != "created" or not entry.method or not entry.path:
                    continue
                client = client_for(entry)
                if isinstance(client, str):
                    result.left.append(f"{_describe(entry)}: {client}")
                    continue
                try:
                    response = client.request(entry.method, entry.path, retry=False)
                except NoResponse as exc:
                    result.left.append(f"{_describe(entry)}: {exc}")
                    continue
                if response.status < 300 or response.status in (404, 410):
                    ledger.removed(entry)
                    result.removed.append(_describe(entry))
                else:
                    result.left.append(f"{_describe(entry)}: answered {response.status}")
    except KeyboardInterrupt:
        result.interrupted = True
    return result


def _describe(entry: Entry) -> str:
    removal = f" ({entry.method} {entry.path})" if entry.method else ""
    return f"{entry.api}: {entry.description}{removal}"

"""A large XML body validated against its XSD in a second process while this one reads it.

A 100000-computer BigFix status (34 MB) takes ~0.35 s to validate, ~0.4 s to parse and ~0.75 s
to read into data (the ``?fields=`` tests compare every filtered answer with it). libxml2 holds
the GIL while it parses, so a thread cannot overlap the validation with the reading (tried: a
GIL convoy, 300x slower). A worker process can: it runs the very validating stream parse this
process would run itself (``xmlsafe.stream_root`` with the XSD, the same hardened parser) while
this one parses the same bytes without the schema and reads them (``schemas._stream_holds``).
Its answer is the verdict.

The worker starts at the first such body of a process (~0.15 s, overlapping that body's own
read), gets each body through its standard input, written by a thread of this process (each
write releases the GIL; the worker reads the whole body before it parses), and answers one JSON
line. It ends when this process closes the pipe or exits. With one CPU, off POSIX, or when it
cannot start, dies or takes too long, the body is validated here as before (``submit`` answers
None, ``Pending.result`` raises ``WorkerLost``): the verdict never depends on the worker being
there.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import subprocess
import sys
import threading
from typing import IO, Any

from lxml import etree

from conformance import xmlsafe

PARALLEL_BYTES = 8 << 20  # smaller bodies are validated in this process (the overlap is small)
ANSWER_SECONDS = 120.0  # a worker that has not answered by then is stopped
PIPE_BYTES = 1 << 20  # the pipe's buffer (Linux lets a process ask for up to 1 MiB)


class WorkerLost(RuntimeError):
    """The worker did not answer (died, stopped, too slow): validate in this process."""


class Pending:
    """A body handed to the worker: ``result`` is what ``xmlsafe.stream_root`` returned for it
    with the XSD (raising as it does), once the worker answers."""

    def __init__(self, worker: _Worker) -> None:
        self._worker = worker

    def result(self) -> list[str] | None:
        answer = self._worker.answer()
        if "error" in answer:
            if answer["error"] == "unsafe":
                raise xmlsafe.UnsafeXMLError(answer.get("message", "unsafe XML"))
            raise etree.XMLSyntaxError(answer.get("message", "invalid XML"), None, 0, 0)
        children = answer.get("children")
        if children is not None and not (
            isinstance(children, list) and all(isinstance(tag, str) for tag in children)
        ):
            raise WorkerLost("the worker answered something else")
        return children


class _Worker:
    """One worker process (``python -m conformance.xsd_worker``) and its pipes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conformance.xsd_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        with contextlib.suppress(ImportError, AttributeError, OSError, ValueError):
            import fcntl  # fewer, larger writes (Linux)

            assert self.process.stdin is not None
            fcntl.fcntl(self.process.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self.busy = False
        self._writer: threading.Thread | None = None
        self._write_error: OSError | None = None

    def send(self, content: bytes, root: str, xsd_name: str) -> None:
        """Hand ``content`` over from a thread: the first body waits for the worker to start
        (~0.15-0.3 s), which this process spends parsing it; each write releases the GIL."""
        stdin = self.process.stdin
        assert stdin is not None
        header = json.dumps({"xsd": xsd_name, "root": root, "size": len(content)}).encode()

        def write() -> None:
            try:
                stdin.write(header + b"\n")
                stdin.write(content)
                stdin.flush()
            except OSError as exc:  # it has gone away
                self._write_error = exc

        self._write_error = None
        self._writer = threading.Thread(target=write, name="xsd-worker-send", daemon=True)
        self._writer.start()
        self.busy = True

    def answer(self) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            if self._writer is not None:
                self._writer.join(ANSWER_SECONDS)
                if self._writer.is_alive() or self._write_error is not None:
                    raise WorkerLost(f"the body was not handed over: {self._write_error}")
            ready, _, _ = select.select([stdout], [], [], ANSWER_SECONDS)
            line = stdout.readline() if ready else b""
            answer = json.loads(line) if line else None
        except (OSError, ValueError) as exc:
            raise WorkerLost(str(exc)) from exc
        finally:
            self.busy = False
        if not isinstance(answer, dict):
            raise WorkerLost("the worker did not answer")
        return answer

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # a body half handed over: a broken pipe
                    stream.close()


_LOCK = threading.Lock()
_WORKER: _Worker | None = None
_BROKEN = False  # a worker failed once in this process: no other is started


def usable() -> bool:
    """A second CPU this process may run on, and pipes ``select`` can wait on."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return os.name == "posix" and cpus > 1


def submit(content: bytes, root: str, xsd_name: str) -> Pending | None:
    """Hand ``content`` to the worker to validate (None: validate it here; the worker is not
    there or is busy with another body)."""
    global _WORKER
    if _BROKEN or len(content) < PARALLEL_BYTES or not usable():
        return None
    with _LOCK:
        try:
            if _WORKER is None or not _WORKER.alive():
                _WORKER = _Worker()
            if _WORKER.busy:
                return None
            _WORKER.send(content, root, xsd_name)
        except OSError:  # it could not start (a failed hand-over shows in ``Pending.result``)
            lose()
            return None
        return Pending(_WORKER)


def lose() -> None:
    """Stop the worker after it failed; this process validates everything itself from now on."""
    global _WORKER, _BROKEN
    _BROKEN = True
    if _WORKER is not None:
        _WORKER.stop()
        _WORKER = None


@atexit.register
def _stop() -> None:
    if _WORKER is not None:
        _WORKER.stop()


def _serve(source: IO[bytes], sink: IO[str]) -> None:
    """The worker's loop: a JSON header line, then that many bytes; one JSON line back."""
    from conformance import schemas

    while True:
        line = source.readline()
        if not line:
            return
        header = json.loads(line)
        content = source.read(int(header["size"]))
        try:
            schema = schemas.xsd(str(header["xsd"]))
            answer: dict[str, Any] = {
                "children": xmlsafe.stream_root(content, str(header["root"]), schema)
            }
        except xmlsafe.UnsafeXMLError as exc:
            answer = {"error": "unsafe", "message": str(exc)}
        except etree.XMLSyntaxError as exc:
            answer = {"error": "syntax", "message": str(exc)}
        sink.write(json.dumps(answer) + "\n")
        sink.flush()


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout)

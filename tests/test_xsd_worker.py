"""A large body read while it is judged is validated by ``xsd_worker`` in a second process: the
verdict, what is read and ``done`` are those of validating it in this process, and a worker that
is lost leaves the verdict to this process.

Every body here counts as large (``STREAM_BYTES`` and ``PARALLEL_BYTES`` 0), so the worker meets
every document the stream and tree judges are tested on (``tests/test_large_xml.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from lxml import etree

from conformance import schemas, xmlsafe, xsd_worker
from conformance.memo import BoundedMemo
from tests.test_large_xml import DOCUMENTS, MADE, PATHS, SPEC_SCHEMAS


@pytest.fixture(autouse=True)
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemas, "STREAM_BYTES", 0)
    monkeypatch.setattr(
        schemas, "_STREAMED", BoundedMemo(256)
    )  # no verdict of an equal body before
    monkeypatch.setattr(xmlsafe, "CHUNK", 97)  # many feeds, cut anywhere


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """The bodies handed to the worker (it is used on any machine here, one CPU too)."""
    monkeypatch.setattr(xsd_worker, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(xsd_worker, "usable", lambda: True)
    monkeypatch.setattr(xsd_worker, "_BROKEN", False)
    handed: list[bytes] = []
    submit = xsd_worker.submit

    def counted(content: bytes, root: str, xsd_name: str) -> xsd_worker.Pending | None:
        pending = submit(content, root, xsd_name)
        if pending is not None:
            handed.append(content)
        return pending

    monkeypatch.setattr(xsd_worker, "submit", counted)
    yield handed


def _read(read: list[bytes], elements: list[etree._Element]) -> None:
    read += [etree.tostring(element) for element in elements]


def _judged(document: bytes, path: tuple[str, ...]) -> list[tuple[object, ...]]:
    """For each spec schema: the problems, ``done``, ``found`` and what was read."""
    seen: list[tuple[object, ...]] = []
    for schema, filtered in SPEC_SCHEMAS:
        schemas._STREAMED.clear()
        read: list[bytes] = []
        with schemas.reading(path, partial(_read, read)) as visit:
            problems = schemas.xml_problems(document, schema, filtered=filtered, cache={})
        seen.append((problems, visit.done, visit.found, read if visit.done else None))
    return seen


@pytest.mark.parametrize("label", sorted(DOCUMENTS))
def test_the_worker_gives_this_process_verdict(
    label: str, submitted: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = DOCUMENTS[label]
    for path in PATHS:
        with monkeypatch.context() as here:
            here.setattr(xsd_worker, "submit", lambda *args: None)
            expected = _judged(document, path)
        assert _judged(document, path) == expected, path
    if schemas.utf8_problem(document) is None:
        assert document in submitted  # the worker did judge it


def test_a_lost_worker_leaves_the_verdict_to_this_process(
    submitted: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xsd_worker, "_WORKER", None)
    good, broken = MADE["valid status"], MADE["last computer breaks the XSD"]
    path = ("*", "ActionResults")
    with monkeypatch.context() as here:
        here.setattr(xsd_worker, "submit", lambda *args: None)
        expected = [_judged(good, path), _judged(broken, path)]

    send = xsd_worker._Worker.send

    def gone(worker: xsd_worker._Worker, content: bytes, root: str, xsd_name: str) -> None:
        worker.process.kill()  # the worker dies before the body is handed over
        worker.process.wait()
        send(worker, content, root, xsd_name)

    with monkeypatch.context() as here:
        here.setattr(xsd_worker._Worker, "send", gone)  # handed over, then the worker dies
        first = _judged(good, path)
    assert len(submitted) == 1 and xsd_worker._BROKEN and xsd_worker._WORKER is None
    # the body it had: its verdict from this process, its reading not trusted (read again)
    problems, done, found, _ = first[0]
    assert (problems, found) == (expected[0][0][0], expected[0][0][2]) and not done
    assert first[1:] == expected[0][1:]  # the other schemas: judged here
    # afterwards everything is judged here, as before
    assert [_judged(good, path), _judged(broken, path)] == expected
    assert len(submitted) == 1


def test_the_worker_is_used_only_with_a_second_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xsd_worker, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(xsd_worker, "usable", lambda: False)
    assert xsd_worker.submit(MADE["valid status"], "BESAPI", "schemas/bigfix/BESAPI.xsd") is None

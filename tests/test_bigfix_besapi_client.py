"""A real BigFix client works against the bundled server: jgstew/besapi (PyPI ``besapi``).

besapi builds every URL as ``<rootserver>/api/<path>``; a rootserver that starts with ``http``
and names a port is used as given, so plain HTTP on loopback needs no workaround (it adds
``https://`` and ``:52311`` only when they are missing).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.servers import ReferenceServer
from conformance.servers.base import BUNDLED_PASSWORD, BUNDLED_USER
from conformance.servers.bigfix import BigFixApp

besapi = pytest.importorskip("besapi.besapi")

ACTION = """<?xml version="1.0" encoding="UTF-8"?>
<BES xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="BES.xsd">
  <SingleAction>
    <Title>besapi &amp; actionconform</Title>
    <Relevance>false</Relevance>
    <ActionScript MIMEType="application/x-Fixlet-Windows-Shell">// never runs</ActionScript>
    <SuccessCriteria Option="RunToCompletion"/>
    <Target><CustomRelevance>false</CustomRelevance></Target>
  </SingleAction>
</BES>"""


@pytest.fixture
def app() -> BigFixApp:
    return BigFixApp()


@pytest.fixture
def url(app: BigFixApp) -> Iterator[str]:
    server = ReferenceServer(app)
    yield server.start()
    server.stop()


def connect(url: str, password: str = BUNDLED_PASSWORD) -> Any:
    return besapi.BESConnection(BUNDLED_USER, password, url, verify=False, timeout=10)


def test_login_list_create_status_delete(url: str, app: BigFixApp) -> None:
    bes = connect(url)
    assert bes.login() is True

    listed = bes.get("actions")
    assert listed.request.status_code == 200
    assert [str(action.ID) for action in listed.besobj.Action] == ["41", "44", "45"]

    created = bes.post("actions", ACTION)
    assert created.request.status_code == 200
    action_id = int(created.besobj.Action.ID)
    assert str(created.besobj.Action.Name) == "besapi & actionconform"
    assert created.besobj.Action.attrib["Resource"] == f"{url}/api/action/{action_id}"

    status = bes.get(f"action/{action_id}/status")
    assert status.request.status_code == 200
    assert str(status.besobj.ActionResults.Status) == "Open"
    assert int(status.besobj.ActionResults.ActionID) == action_id

    assert bes.post(f"action/{action_id}/stop", "").request.status_code == 200
    assert str(bes.get(f"action/{action_id}/status").besobj.ActionResults.Status) == "Stopped"

    deleted = bes.delete(f"action/{action_id}")
    assert (deleted.request.status_code, deleted.text) == (200, "ok")
    assert bes.get(f"action/{action_id}").request.status_code == 404
    assert action_id not in app.actions


def test_besapi_validates_our_answers_as_bes_xml(url: str) -> None:
    """besapi trusts ``Content-Type: application/xml`` and parses the body with lxml."""
    bes = connect(url)
    for path in ("actions", "action/44", "action/45/status", "action/41/downloads"):
        result = bes.get(path)
        assert result.valid, path
        assert result.besxml, path


def test_wrong_password_fails_login(url: str) -> None:
    with pytest.raises(besapi.requests.HTTPError, match="401"):
        connect(url, password="wrong")


def test_besapi_against_conformance_mock() -> None:
    """The way users run it: ``conformance mock bigfix``, then their own client."""
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "mock", "bigfix", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"on (http://\S+)", line)
        assert match, line
        bes = connect(match.group(1))
        created = bes.post("actions", ACTION)
        action_id = int(created.besobj.Action.ID)
        status = bes.get(f"action/{action_id}/status")
        assert str(status.besobj.ActionResults.Status) == "Open"
    finally:
        process.terminate()
        process.wait(timeout=10)

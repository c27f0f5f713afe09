"""Untrusted bodies: DOCTYPEs are refused before parsing, wrong encodings are failed checks,
and the default size cap holds the largest documented answer with room to spare.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from requests.structures import CaseInsensitiveDict

from conformance import checks, xmlsafe
from conformance.http import Exchange, Response
from conformance.servers.hostile import INVALID_UTF8, LAUGHS
from conformance.target import DEFAULT_MAX_RESPONSE_BYTES

COMPUTER = """        <Computer ID="{id}" Name="WKS-{id:06d}.branch-office.corp.example.com">
            <Status>The action executed successfully.</Status>
            <State IsError="0">3</State>
            <ExitCode>0</ExitCode>
            <ApplyCount>1</ApplyCount>
            <RetryCount>1</RetryCount>
            <LineNumber>2</LineNumber>
            <StartTime>Thu, 26 Jul 2018 16:39:10 +0000</StartTime>
            <EndTime>Thu, 26 Jul 2018 16:39:10 +0000</EndTime>
        </Computer>
"""


def _xxe(path: Path) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file://{path}">]>\n<r>&e;</r>'
    ).encode()


def test_an_external_entity_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY", encoding="utf-8")
    with pytest.raises(xmlsafe.UnsafeXMLError):
        xmlsafe.parse(_xxe(secret))


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(xmlsafe.UnsafeXMLError):
        xmlsafe.parse(LAUGHS)


@pytest.mark.parametrize(
    "document",
    [
        b"<!DOCTYPE r><r/>",
        b"\xef\xbb\xbf<!DOCTYPE r><r/>",
        b'<?xml version="1.0"?><!-- a comment --><?pi x?>\n <!doctype r><r/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r><r/>'.encode("utf-16"),
    ],
    ids=["bare", "bom", "after-prolog", "utf-16"],
)
def test_any_doctype_is_refused(document: bytes) -> None:
    with pytest.raises(xmlsafe.UnsafeXMLError):
        xmlsafe.parse(document)


def test_doctype_text_inside_the_document_is_content() -> None:
    root = xmlsafe.parse(b"<r><![CDATA[<!DOCTYPE html><html/>]]></r>")
    assert root.text == "<!DOCTYPE html><html/>"


def _response(content: bytes) -> Response:
    exchange = Exchange("GET", "http://127.0.0.1/x", {}, "")
    return Response(
        200, CaseInsensitiveDict({"Content-Type": "application/xml"}), content, exchange
    )


def test_invalid_utf8_is_a_failed_check_not_a_crash() -> None:
    response = _response(INVALID_UTF8)
    with pytest.raises(checks.CheckFailure, match="not valid UTF-8"):
        _ = response.text
    with pytest.raises(checks.CheckFailure, match="not valid UTF-8"):
        checks.parse_xml(response)


def test_deeply_nested_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        _response(b"[" * 200000 + b"]" * 200000).json()


def test_the_default_cap_holds_a_100000_computer_status() -> None:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<BESAPI>\n    <ActionResults Resource='
        '"https://bigfix.corp.example.com:52311/api/action/143/status">\n'
        "        <ActionID>143</ActionID>\n        <Status>Open</Status>\n"
    ]
    parts += [COMPUTER.format(id=10000000 + number) for number in range(100000)]
    parts.append("    </ActionResults>\n</BESAPI>\n")
    size = len("".join(parts).encode())
    assert size * 2 < DEFAULT_MAX_RESPONSE_BYTES, size

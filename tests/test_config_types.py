"""Typed configuration: every key of the target and expectations files has one TOML type.

A wrong type is exit 2 naming the key, the expected type and the value. A property over TOML
documents (wrong types, unknown keys, odd encodings, huge values) proves no input leads to a
traceback, and none switches mutations (or TLS verification off) on unless the file says
``allow_mutations = true`` (``insecure = true``) as a TOML boolean, or the flag does.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import config_keys
from conformance.errors import UsageError
from conformance.expectations import load_expectations
from conformance.target import build_target
from tests.helpers import assert_no_traceback, run_cli

# -- a small TOML writer (any value hypothesis draws, including ones TOML must refuse) --------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE.fullmatch(name) else _string(name)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    return value.isoformat()  # dates and times


def to_toml(document: dict[str, dict[str, Any]]) -> str:
    lines: list[str] = []
    for table, pairs in document.items():
        lines.append(f"[{_key(table)}]")
        lines += [f"{_key(name)} = {_value(value)}" for name, value in pairs.items()]
    return "\n".join(lines) + "\n"


# -- strategies -----------------------------------------------------------------------------

TRICKY_STRINGS = st.sampled_from(
    ["true", "false", "TRUE", "yes", "1", "0", "30", "-1", "nan", "inf", "", " ", "\u200b"]
)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    TRICKY_STRINGS,
    st.text(max_size=30),
    st.sampled_from([1_000, 100_000]).map(lambda size: "9" * size),  # huge
    st.dates(),
    st.datetimes(timezones=st.just(datetime.UTC)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# Values of the right type, so that many documents are accepted and the property has teeth.
_GOOD = {
    id(config_keys.STRING): st.text(max_size=20),
    id(config_keys.BOOLEAN): st.booleans(),
    id(config_keys.INTEGER): st.integers(),
    id(config_keys.POSITIVE_INTEGER): st.integers(1, 10**6),
    id(config_keys.SECONDS): st.floats(0.001, config_keys.MAX_SECONDS),
    id(config_keys.RATE): st.floats(0.001, config_keys.MAX_RPS),
    id(config_keys.BYTES): st.integers(1, 2**40),
    id(config_keys.STRINGS): st.lists(st.text(max_size=8), max_size=3),
    id(config_keys.INTEGERS): st.lists(st.integers(), max_size=3),
    id(config_keys.TABLE): st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
}
_TYPES = {
    "target": config_keys.TARGET,
    "fixtures": config_keys.fixture_keys(None),
    "fields": config_keys.field_keys(),
}
_SAFE = {"api": st.sampled_from(["bigfix", "edgeiq"]), "base_url": st.just("http://127.0.0.1:9")}
_ABSENT = ("password_env", "token_env", "ca_bundle")  # secrets and files: exit 2 when missing


def _good(table: str, key: str) -> st.SearchStrategy[Any]:
    if table == "target" and key in _SAFE:
        return _SAFE[key]
    kind = _TYPES[table].get(key)
    return _GOOD.get(id(kind), values) if kind is not None else values


KNOWN = {
    "target": sorted(config_keys.TARGET),
    "fixtures": sorted(config_keys.fixture_keys(None)),
    "fields": sorted(config_keys.field_keys()),
}


@st.composite
def target_documents(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    document: dict[str, dict[str, Any]] = {}
    for table, names in KNOWN.items():
        if draw(st.booleans()):
            known = st.sampled_from([name for name in names if name not in _ABSENT])
            keys = draw(st.lists(known, max_size=6))
            if draw(st.booleans()):  # an unknown key, or a known one never set in these tests
                keys.append(draw(st.text(max_size=12) | st.sampled_from(names)))
            document[table] = {
                key: draw(_good(table, key) if draw(st.booleans()) else values) for key in keys
            }
    if draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()):
        document[draw(st.text(min_size=1, max_size=8))] = {}
    return document


def _encode(text: str, how: str) -> bytes:
    if how == "utf-8":
        return text.encode("utf-8")
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if how == "utf-16":
        return text.encode("utf-16")
    if how == "latin-1-byte":
        return text.encode("utf-8") + b"# caf\xe9\n"
    if how == "nul":
        return text.encode("utf-8").replace(b"=", b"=\x00", 1)
    return text.encode("utf-8")[: len(text) // 2]  # cut short


ENCODINGS = st.sampled_from(["utf-8", "bom", "utf-16", "latin-1-byte", "nul", "cut"]) | st.just(
    "utf-8"
)


def _set_to_true(document: dict[str, dict[str, Any]], key: str) -> bool:
    return document.get("target", {}).get(key) is True


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=target_documents(), how=ENCODINGS, flag=st.booleans())
def test_no_target_file_crashes_or_mutates_by_accident(
    tmp_path_factory: pytest.TempPathFactory,
    document: dict[str, dict[str, Any]],
    how: str,
    flag: bool,
) -> None:
    path = tmp_path_factory.mktemp("target") / "target.toml"
    path.write_bytes(_encode(to_toml(document), how))
    try:
        target = build_target(config=str(path), allow_mutations=flag)
    except UsageError as exc:
        assert "\n" not in str(exc).strip()
        return
    # Accepted: then a mutation is on only if the file says so with a TOML boolean, or the flag.
    assert target.allow_mutations is (flag or _set_to_true(document, "allow_mutations"))
    assert target.insecure is _set_to_true(document, "insecure")
    assert isinstance(target.timeout, float) and 0 < target.timeout <= config_keys.MAX_SECONDS


@st.composite
def expectation_documents(draw: st.DrawFn) -> str:
    names = sorted(config_keys.EXPECTED)
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        keys = draw(st.lists(st.sampled_from(names) | st.text(max_size=10), max_size=5))
        pairs = {key: draw(values) for key in keys}
        if draw(st.booleans()):
            pairs["requirement"] = "BIGFIX-ACTION-GET-404"
        entries.append(
            "[[expected]]\n" + "".join(f"{_key(k)} = {_value(v)}\n" for k, v in pairs.items())
        )
    if draw(st.integers(0, 5)) == 0:
        entries.append(f"expected = {_value(draw(values))}\n")
    return "".join(entries)


@settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=expectation_documents(), how=ENCODINGS)
def test_no_expectations_file_crashes(
    tmp_path_factory: pytest.TempPathFactory, text: str, how: str
) -> None:
    path = tmp_path_factory.mktemp("expected") / "expected.toml"
    path.write_bytes(_encode(text, how))
    try:
        expectations = load_expectations(str(path))
    except UsageError:
        return
    for expectation in expectations.values():
        assert isinstance(expectation.reason, str) and expectation.reason
        assert expectation.status in config_keys.EXPECTED_STATUSES


# -- the messages, through the CLI as a user meets them ---------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'allow_mutations = "false"',
            'allow_mutations must be a boolean (true or false, unquoted), got the string "false"',
        ),
        (
            'insecure = "false"',
            'insecure must be a boolean (true or false, unquoted), got the string "false"',
        ),
        (
            'timeout = "30"',
            "timeout must be a positive number of seconds, at most 86400 (unquoted), "
            'got the string "30"',
        ),
        ("timeout = nan", "timeout must be a positive number of seconds"),
        ("max_rps = inf", "max_rps must be a positive number of requests per second"),
        ("max_response_bytes = 1.5", "max_response_bytes must be a positive whole number of bytes"),
        (
            "allow_mutations = 1",
            "allow_mutations must be a boolean (true or false, unquoted), got the integer 1",
        ),
    ],
    ids=[
        "mutations-string",
        "insecure-string",
        "timeout-string",
        "nan",
        "inf",
        "float-bytes",
        "one",
    ],
)
def test_a_wrong_type_is_exit_2_naming_key_type_and_value(
    tmp_path: Path, line: str, message: str
) -> None:
    config = tmp_path / "target.toml"
    config.write_text(f'[target]\napi = "bigfix"\nbase_url = "http://127.0.0.1:9"\n{line}\n')
    result = run_cli("run", "--config", str(config), report_dir=tmp_path / "report")
    assert_no_traceback(result)
    assert result.code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "report" / "report.json").exists()  # nothing ran


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[fixtures]\ndevice_limit = "10"\n',
            'device_limit must be a positive integer, got the string "10"',
        ),
        ('[fixtures]\ncomputer_ids = [1, "2"]\n', "computer_ids must be an array of integers"),
        ("[fields]\ncommand_id = 7\n", "command_id must be a string, got the integer 7"),
        ("target = 3\n", "[target] must be a table, got the integer 3"),
    ],
    ids=["fixture-string", "mixed-array", "field-int", "table-not-table"],
)
def test_fixtures_and_fields_are_typed_too(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "target.toml"
    config.write_text(text)
    with pytest.raises(UsageError, match=re.escape(message)):
        build_target(config=str(config))


def test_expectations_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "expected.toml"
    path.write_text('[[expected]]\nrequirement = "BIGFIX-ACTION-GET-404"\nreason = 5\n')
    with pytest.raises(UsageError, match="reason must be a non-empty string, got the integer 5"):
        load_expectations(str(path))
    path.write_text(
        '[[expected]]\nrequirement = "BIGFIX-ACTION-GET-404"\nreason = "r"\nstaus = "x"\n'
    )
    with pytest.raises(UsageError, match=r"unknown key\(s\) \['staus'\]"):
        load_expectations(str(path))


def test_flags_are_checked_like_the_keys_they_override() -> None:
    with pytest.raises(UsageError, match="--timeout must be a positive number of seconds"):
        build_target(timeout=float("inf"))
    with pytest.raises(UsageError, match="--max-rps must be a positive number"):
        build_target(max_rps=float("nan"))

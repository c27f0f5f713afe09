"""Help and documentation: every flag of every command has a help line and a README entry;
``run --help`` ends with the exit codes; ``conformance --help`` lists every command; -V.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from conformance import __version__
from conformance.cli import COMMANDS, _parser, main

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _flags(command: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in command._actions if not isinstance(a, argparse._HelpAction)]


def test_every_argument_of_every_command_has_a_help_line() -> None:
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, command in _commands().items()
        for action in _flags(command)
        if not (action.help and action.help.strip())
    ]
    assert missing == []


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", text, re.MULTILINE), name
    assert set(_commands()) == set(COMMANDS)


def test_run_help_ends_with_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    lines = capsys.readouterr().out.strip().splitlines()
    tail = lines[lines.index("exit codes:") :]
    assert [line.split()[0] for line in tail[1:]] == ["0", "1", "2", "3", "4", "130"]


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([flag])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"actionconform {__version__}"


def test_the_readme_documents_every_flag_of_every_command() -> None:
    text = README.read_text(encoding="utf-8")
    commands = text[text.index("## Commands") : text.index("## Exit codes")]
    sections = {
        match.group(1): commands[match.start() : commands.find("\n### ", match.end())]
        for match in re.finditer(r"^### `conformance (\w+)", commands, re.MULTILINE)
    }
    missing = [
        f"{name} {flag}"
        for name, command in _commands().items()
        for action in _flags(command)
        for flag in action.option_strings
        if flag.startswith("--")
        and not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", sections.get(name, ""))
    ]
    assert missing == []


def test_the_readme_lists_every_pytest_option(pytestconfig: pytest.Config) -> None:
    # The plugin is installed (entry point), so this session has its options.
    group = pytestconfig._parser.getgroup("actionconform")
    options = [
        name
        for option in group.options
        if option.attrs().get("help") != argparse.SUPPRESS
        for name in option.names()
    ]
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## As a pytest plugin") :]
    section = section[: section.index("\n## ")]
    assert [name for name in options if f"`{name}`" not in section] == []

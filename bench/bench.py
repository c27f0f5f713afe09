"""Time what CI jobs wait on: `conformance run` against the bundled servers, and XML validation.

Run: ``.venv/bin/python bench/bench.py [--repeat 3]``. Prints a Markdown table (the README quotes
it) and writes it to ``bench/results.md``. Timings are wall-clock medians on this machine; they are
measurements, never assertions.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance import registry

HERE = Path(__file__).resolve().parent


def _time_run(*args: str, repeat: int) -> tuple[float, int]:
    samples: list[float] = []
    code = 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as report_dir:
            started = time.perf_counter()
            completed = subprocess.run(
                [sys.executable, "-m", "conformance", "run", "--report-dir", report_dir, *args],
                capture_output=True,
                text=True,
            )
            samples.append(time.perf_counter() - started)
            code = completed.returncode
    return statistics.median(samples), code


def _time_status_validation(computers: int) -> tuple[float, int]:
    from conformance import checks, xmlsafe

    rows = "".join(
        f'<Computer ID="{index}" Name="host{index}"><Status>The action completed.</Status>'
        f'<State IsError="0">3</State><ApplyCount>1</ApplyCount><RetryCount>0</RetryCount>'
        f"<LineNumber>1</LineNumber></Computer>"
        for index in range(computers)
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?><BESAPI xmlns:xsi="http://www.w3.org/2001/'
        'XMLSchema-instance" xsi:noNamespaceSchemaLocation="BESAPI.xsd"><ActionResults '
        'Resource="http://h:52311/api/action/1/status"><ActionID>1</ActionID><Status>Open'
        f"</Status>{rows}</ActionResults></BESAPI>"
    ).encode()
    schema = checks.xml_schema("bigfix/BESAPI.xsd")
    started = time.perf_counter()
    root = xmlsafe.parse(document)
    errors = list(schema.iter_errors(root))
    elapsed = time.perf_counter() - started
    assert not errors, errors[0]
    return elapsed, len(document)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    rows = [
        "| measurement | median wall time | exit |",
        "|---|---|---|",
    ]
    cases: list[tuple[str, list[str]]] = [
        ("all APIs, profile fast, 1 worker", []),
        ("all APIs, profile fast, 2 workers", ["--workers", "2"]),
        ("all APIs, profile ci, 2 workers", ["--profile", "ci", "--workers", "2"]),
    ]
    cases += [(f"--api {api}, profile fast", ["--api", api]) for api in registry.names()]
    for label, args in cases:
        seconds, code = _time_run(*args, repeat=options.repeat)
        rows.append(f"| `conformance run` {label} | {seconds:.2f} s | {code} |")
    for computers in (10_000, 100_000):
        seconds, size = _time_status_validation(computers)
        rows.append(
            f"| parse + XSD-validate a {computers}-computer status ({size / 1e6:.1f} MB) "
            f"| {seconds:.2f} s | - |"
        )
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
        f"Python {platform.python_version()}, {options.repeat} repeats (median).\n\n"
    )
    table = header + "\n".join(rows) + "\n"
    (HERE / "results.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time what CI jobs wait on: `conformance run` against the bundled servers, and XML validation.

Run: ``.venv/bin/python -m bench.bench [--repeat 3] [--skip-ratios]``. Prints Markdown tables
(the README quotes them) and writes them to ``bench/results.md``. Timings are wall-clock
medians on this machine; they are measurements, never assertions.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ratios import load_average, ratio_rows
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-ratios", action="store_true", help="only the run times")
    options = parser.parse_args()
    started, load_before = time.time(), load_average()
    ratios = [] if options.skip_ratios else ["## Ratios (issue 12)", "", *ratio_rows(), ""]
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
    header = (
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))} on "
        f"{platform.machine()} ({os.cpu_count()} CPUs), Python {platform.python_version()}, "
        f"run times {options.repeat} repeats (median). The machine was shared with other "
        f"work: load average {load_before} (1 / 5 / 15 min) when the bench started, "
        f"{load_average()} (1 / 5 / 15 min) when it ended, so wall times are inflated; CPU "
        "seconds are given beside them.\n\n"
    )
    table = header + "\n".join([*ratios, "## Run times", "", *rows]) + "\n"
    (HERE / "results.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

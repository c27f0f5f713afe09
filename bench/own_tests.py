"""Where the CPU of the project's own test suite goes, and the wall time it cannot go below.

Runs ``python -m pytest -n N`` (the quick start's test command; extra arguments are passed on)
with this module as a plugin: every test's CPU (its worker's and the worker's children's, setup
and teardown included) is written per xdist worker, then summed per test file. The floor is the
whole session's CPU divided by the cores: with every core busy all the time, no scheduling
makes the suite faster than that.

Run: ``.venv/bin/python -m bench.own_tests [-n 4] [PYTEST ARGS ...]``. Measurements, never
assertions.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_ENV = "ACTIONCONFORM_BENCH_CPU_DIR"
# The whole runs of the suite that a test of the suite's own verdicts cannot do without.
WHOLE_RUNS = {
    "tests/test_fault_injection.py": "one run per fault",
    "tests/test_variants.py": "one run per conformant variant",
    "tests/test_vendor_versions.py": "one run per vendor version",
}


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    """(plugin) Write the test's CPU, its children's and its wall time."""
    folder = os.environ.get(OUTPUT_ENV)
    own, children = _cpu()
    started = time.perf_counter()
    yield
    if folder:
        now_own, now_children = _cpu()
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(Path(folder) / f"{worker}.tsv", "a", encoding="utf-8") as stream:
            stream.write(
                f"{item.nodeid}\t{now_own - own:.3f}\t{now_children - children:.3f}\t"
                f"{time.perf_counter() - started:.3f}\n"
            )


def per_file(folder: Path) -> dict[str, tuple[int, float]]:
    """Tests and CPU seconds per test file, dearest first."""
    tests: collections.Counter[str] = collections.Counter()
    cpu: collections.defaultdict[str, float] = collections.defaultdict(float)
    for table in folder.glob("*.tsv"):
        for line in table.read_text(encoding="utf-8").splitlines():
            nodeid, own, children, _ = line.split("\t")
            name = nodeid.split("::")[0]
            tests[name] += 1
            cpu[name] += float(own) + float(children)
    dearest = sorted(cpu.items(), key=lambda pair: pair[1], reverse=True)
    return {name: (tests[name], seconds) for name, seconds in dearest}


def main() -> int:
    parser = argparse.ArgumentParser(description="CPU of the project's own tests, per file.")
    parser.add_argument("-n", dest="workers", default="4", help="xdist workers (default 4)")
    parser.add_argument("--top", type=int, default=12, help="files listed (default 12)")
    options, pytest_args = parser.parse_known_args()
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    with tempfile.TemporaryDirectory(prefix="actionconform-own-tests-") as folder:
        environment = {**os.environ, OUTPUT_ENV: folder, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "pytest", "-n", options.workers, "-p", "bench.own_tests"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [*command, "-q", *pytest_args], cwd=ROOT, env=environment, check=False
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        files = per_file(Path(folder))
    session = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    in_tests = sum(seconds for _, seconds in files.values())
    print(
        f"\n`pytest -n {options.workers}` exit {done.returncode}: "
        f"{wall:.0f} s wall on {cores} cores"
    )
    print("\n| test file | tests | CPU | share |\n|---|---|---|---|")
    for name, (count, seconds) in list(files.items())[: options.top]:
        print(f"| {name} | {count} | {seconds:.1f} s | {seconds / in_tests:.0%} |")
    rest = list(files.values())[options.top :]
    print(
        f"| the other {len(rest)} files | {sum(c for c, _ in rest)} | "
        f"{sum(s for _, s in rest):.1f} s | {sum(s for _, s in rest) / in_tests:.0%} |"
    )
    whole = sum(files.get(name, (0, 0.0))[1] for name in WHOLE_RUNS)
    print(
        f"\nCPU: {session:.0f} s for the session ({in_tests:.0f} s inside tests; the rest is "
        f"starting the workers and collecting). Floor on {cores} cores: {session / cores:.0f} s. "
        f"Whole runs per fault, variant and vendor version: {whole:.0f} s of CPU, "
        f"{whole / cores:.0f} s of wall time on their own."
    )
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())

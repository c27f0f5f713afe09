"""The three ratios of issue 12, each measured side by side in one process run.

- a BigFix run whose status action has 100000 computers / the same run with 3 computers
  (wall time, and the peak memory of the `conformance run` process);
- XSD validation of a 100000-computer status / a bare lxml parse of the same bytes;
- requests per second of `conformance run` / of schemathesis's `st run` against the same
  bundled server with our spec and `schemathesis.toml`.

The servers run in this process behind a request counter; the suite and `st` run as
subprocesses, so their memory and time are their own. Measurements, never assertions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from conformance import registry
from conformance.servers import ReferenceServer, app_class
from conformance.servers.base import BUNDLED_PASSWORD, BUNDLED_TOKEN
from conformance.servers.recording import Recorder

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD_VAR = "CONFORMANCE_MOCK_PASSWORD"
TOKEN_VAR = "CONFORMANCE_MOCK_TOKEN"


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall time of the command
    peak_mib: float  # the command's peak RSS
    requests: int  # requests the server answered meanwhile
    exit_code: int
    cpu: float  # the command's user + system CPU seconds
    server_cpu: float  # CPU seconds of this process meanwhile (the server's threads)


def _run(command: list[str], server: ReferenceServer, recorder: Recorder) -> Measured:
    """Run ``command`` against ``server``: wall time, the child's peak RSS and CPU, the
    requests the server answered and the CPU it spent (this process, where it runs)."""
    before = len(recorder.calls)
    environment = {**os.environ, PASSWORD_VAR: BUNDLED_PASSWORD, TOKEN_VAR: BUNDLED_TOKEN}
    started, started_cpu = time.perf_counter(), time.process_time()
    # Through a small launcher: on Linux a child's peak RSS counts the RSS of the process it
    # was forked from, and this one holds the servers; the launcher's own is ~10 MiB.
    completed = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    code, peak_kib, cpu = completed.stdout.strip().splitlines()[-1].split()
    return Measured(
        elapsed,
        int(peak_kib) / 1024,
        len(recorder.calls) - before,
        int(code),
        float(cpu),
        time.process_time() - started_cpu,
    )


LAUNCHER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def _serve(api: str, **seed: int) -> tuple[ReferenceServer, Recorder]:
    app = app_class(api)(**seed)
    recorder = Recorder(app)
    server = ReferenceServer(app)
    server.start()
    return server, recorder


def _suite(api: str, server: ReferenceServer, recorder: Recorder, work: Path) -> Measured:
    """`conformance run` against the served app, as a user would with `mock --write-target`."""
    from conformance.cli import _write_mock_target

    target = work / f"target-{api}.toml"
    _write_mock_target(target, api, server)
    report = work / f"report-{api}-{len(recorder.calls)}"
    command = [str(BIN / "conformance"), "run", "--config", str(target), "--allow-mutations"]
    return _run([*command, "--report-dir", str(report)], server, recorder)


def computers_ratio(work: Path, large: int = 100_000, small: int = 3) -> list[str]:
    api = next(name for name in registry.bundled() if "computers" in app_class(name).SEED_OPTIONS)
    measured: dict[int, Measured] = {}
    for count in (small, large):
        server, recorder = _serve(api, computers=count)
        try:
            measured[count] = _suite(api, server, recorder, work)
        finally:
            server.stop()
    ratio = measured[large].seconds / measured[small].seconds
    return [
        f"| `conformance run --api {api}`, status of {count} computers | "
        f"{m.seconds:.1f} s ({m.cpu:.1f} s CPU; server {m.server_cpu:.1f} s CPU) | "
        f"{m.peak_mib:.0f} MiB | exit {m.exit_code} |"
        for count, m in measured.items()
    ] + [
        f"| **ratio {large} / {small} computers** (goal at most 3x, peak under 512 MiB) | "
        f"**{ratio:.2f}x** | | |"
    ]


def _status_document(computers: int) -> bytes:
    rows = "".join(
        f'<Computer ID="{index}" Name="host{index}"><Status>The action completed.</Status>'
        f'<State IsError="0">3</State><ApplyCount>1</ApplyCount><RetryCount>0</RetryCount>'
        f"<LineNumber>1</LineNumber></Computer>"
        for index in range(computers)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><BESAPI><ActionResults '
        'Resource="http://h:52311/api/action/1/status"><ActionID>1</ActionID><Status>Open'
        f"</Status>{rows}</ActionResults></BESAPI>"
    ).encode()


def validation_ratio(computers: int = 100_000, repeat: int = 3) -> list[str]:
    from conformance import schemas, xmlsafe

    document = _status_document(computers)
    spec_schema = {"x-xsd": "schemas/bigfix/BESAPI.xsd", "x-xml-root": "BESAPI"}
    schemas.xml_problems(document, spec_schema)  # compile once, as a run does

    def best(action: object) -> float:
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            action()  # type: ignore[operator]
            samples.append(time.perf_counter() - started)
        return min(samples)

    def judge() -> list[str]:
        schemas.forget_verdicts()  # measure the judge's work, not its memory of equal bodies
        return schemas.xml_problems(document, spec_schema)

    parse = best(lambda: xmlsafe.parse(document))
    validate = best(judge)
    problems = schemas.xml_problems(document, spec_schema)
    assert not problems, problems[:1]
    size = len(document) / 1e6
    return [
        f"| bare lxml parse of a {computers}-computer status ({size:.1f} MB) | {parse:.2f} s | | |",
        f"| parse + XSD-validate the same bytes | {validate:.2f} s | | |",
        f"| **ratio validate / parse** (goal at most 3x) | **{validate / parse:.2f}x** | | |",
    ]


def compile_package() -> None:
    """Byte-compile the package once, as installing it or a first run does: where
    PYTHONDONTWRITEBYTECODE is set (as on the machines these figures come from), every
    measured run would otherwise compile the package's sources again (~0.15 s of CPU)."""
    import compileall

    compileall.compile_dir(ROOT / "conformance", quiet=1)


def throughput_ratio(work: Path, apis: tuple[str, ...] | None = None) -> list[str]:
    rows: list[str] = []
    for api in registry.bundled() if apis is None else apis:
        server, recorder = _serve(api)
        try:
            suite = _suite(api, server, recorder, work)
            spec = registry.profile(api).spec_file
            st = _run(
                [str(BIN / "st"), "run", str(spec), "--url", server.url, "--no-color", "-w", "1"],
                server,
                recorder,
            )
        finally:
            server.stop()
        ours, theirs = suite.requests / suite.seconds, st.requests / st.seconds
        rows.append(
            f"| {api}: `conformance run` {suite.requests} requests in {suite.seconds:.1f} s "
            f"({ours:.1f}/s); `st run` {st.requests} in {st.seconds:.1f} s ({theirs:.1f}/s) "
            f"| **{ours / theirs:.2f}x** | {suite.peak_mib:.0f} / {st.peak_mib:.0f} MiB "
            f"| exit {suite.exit_code} / {st.exit_code} |"
        )
    return rows


def ratio_rows() -> list[str]:
    compile_package()
    with tempfile.TemporaryDirectory(prefix="actionconform-bench-") as work:
        rows = ["| ratio | value | peak memory | |", "|---|---|---|---|"]
        rows += validation_ratio()
        rows += computers_ratio(Path(work))
        rows.append("| requests per second, `conformance run` / `st run` (goal at least 1x) ||||")
        rows += throughput_ratio(Path(work))
        return rows


def load_average() -> str:
    """The load average now, as the bench reports print it."""
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> int:
    """``python -m bench.ratios [API ...]``: only the requests-per-second rows, for the APIs
    named (every bundled API by default), with the load average before and after;
    ``--computers``: only the validate/parse and 100000/3 computers rows."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("apis", nargs="*", metavar="API", help=", ".join(registry.bundled()))
    parser.add_argument(
        "--computers", action="store_true", help="the validate/parse and computers rows only"
    )
    options = parser.parse_args()
    unknown = set(options.apis) - set(registry.bundled())
    if unknown:
        parser.error(f"unknown API(s): {', '.join(sorted(unknown))}")
    compile_package()
    load = load_average()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="actionconform-bench-") as work:
        if options.computers:
            rows = validation_ratio() + computers_ratio(Path(work))
        else:
            rows = throughput_ratio(Path(work), tuple(options.apis) or None)
    after = load_average()
    print(f"Measured {started}; load average {load} before, {after} after (1 / 5 / 15 min)")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

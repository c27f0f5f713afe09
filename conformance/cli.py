"""The ``conformance`` command: run, mock, cleanup, requirements, diff.

Every user mistake ends in one line on stderr and a documented exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import signal
import ssl
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from conformance import __version__, catalogue, collector, registry
from conformance.errors import (
    EXIT_INTERNAL,
    EXIT_NONCONFORMANT,
    ConformanceError,
    UsageError,
)
from conformance.runconfig import RunConfig, add_flags

EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


RUN_EPILOG = """\
exit codes:
  0    conformant: no failed requirement other than expected ones
  1    non-conformant: at least one requirement failed unexpectedly
  2    usage or configuration error (bad flag, unreadable config, missing variable)
  3    nothing could be assessed (unreachable, TLS failure, credentials rejected)
  4    internal error of the suite
  130  interrupted (Ctrl-C or SIGTERM): cleanup runs, the partial report is written
"""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="conformance", description=__doc__)
    parser.add_argument(
        "-V",
        "--version",
        action="version",
        version=f"actionconform {__version__}",
        help="print the version and exit",
    )
    commands = parser.add_subparsers(
        dest="command", parser_class=_Parser, required=True, metavar="COMMAND"
    )

    run = commands.add_parser(
        "run",
        help="run the suite and write a report",
        description="Run the suite against a server (or the bundled reference servers) and "
        "write a report directory.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_flags(run)

    mock = commands.add_parser(
        "mock",
        help="serve a bundled reference server",
        description="Serve a bundled reference server until Ctrl-C.",
    )
    mock.add_argument("api", choices=registry.names(), help="which API to serve")
    mock.add_argument("--port", type=int, default=0, help="port to listen on (default: any free)")
    mock.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    mock.add_argument("--fault", metavar="NAME", help="break one documented behaviour")
    mock.add_argument(
        "--list-faults",
        action="store_true",
        help="print the faults and the requirement each breaks",
    )
    mock.add_argument(
        "--variant", metavar="NAME", help="serve one conformant variation (see --list-variants)"
    )
    mock.add_argument(
        "--list-variants", action="store_true", help="print the conformant variations"
    )
    mock.add_argument(
        "--vendor-version", metavar="V", help="play this vendor version (newest by default)"
    )
    mock.add_argument(
        "--write-target",
        metavar="FILE",
        help="write a target file (URL, credentials variable, seeded fixtures) for this server",
    )
    mock.add_argument(
        "--tls", action="store_true", help="serve HTTPS with a generated self-signed certificate"
    )
    mock.add_argument(
        "--cert-out", metavar="FILE", help="with --tls: write the CA certificate (PEM) here"
    )
    mock.add_argument(
        "--client-cert-out",
        metavar="FILE",
        help="with --tls: require a client certificate (mutual TLS) and write one it accepts, "
        "with its key, to FILE",
    )
    mock.add_argument(
        "--computers",
        type=int,
        metavar="N",
        help="seed the action whose status shows computers with N of them (BigFix; benchmarks)",
    )

    cleanup = commands.add_parser(
        "cleanup",
        help="remove what a crashed or interrupted run left (only ledger entries)",
        description="Remove what a crashed or interrupted run left (only ledger entries).",
    )
    cleanup.add_argument("ledger", help="a ledger file, or the report directory of the run")
    add_flags(cleanup, "cleanup")

    requirements = commands.add_parser(
        "requirements",
        help="print the requirement catalogue",
        description="Print the requirement catalogue with sources.",
    )
    requirements.add_argument(
        "--api",
        action="append",
        choices=registry.names(),
        dest="apis",
        help="only this API (repeatable; default all)",
    )
    requirements.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format"
    )

    diff = commands.add_parser(
        "diff",
        help="regressions and fixes between two reports",
        description="Regressions and fixes between two reports; exit 1 on a regression.",
    )
    diff.add_argument("old_report", help="the earlier report (directory or report.json)")
    diff.add_argument("new_report", help="the later report (directory or report.json)")
    diff.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    diff.add_argument(
        "--allow-narrower",
        action="store_true",
        help="requirements absent from the new report are listed but are not regressions",
    )
    return parser


def _pytest_args(run: RunConfig) -> list[str]:
    """pytest's own options for a run; everything of the run itself travels in the object."""
    from conformance.paths import SUITES_DIR

    args = [
        *_suite_paths(run),
        "-c",
        str(SUITES_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITES_DIR),
        "--assert=plain",
        "-p",
        "no:schemathesis",
        "-p",
        "no:anyio",
        # Its end-of-session gc.collect() costs ~0.3 s, more inside a big process; the suite
        # reports its own errors.
        "-p",
        "no:unraisableexception",
    ]
    if run.workers > 1:
        args += ["-n", str(run.workers)]
    else:  # one process: xdist (and execnet) would be imported and hooked for nothing
        args += ["-p", "no:xdist", "-p", "no:xdist.looponfail"]
    # The run speaks for itself (live display, one summary): pytest's terminal stays silent.
    args += ["-p", "no:terminal"]
    return args


def _suite_paths(run: RunConfig) -> list[str]:
    """What pytest collects: the folders of the APIs the run assesses and the shared modules
    (``conformance/suites/test_*.py``), not every API's tests only to deselect them.

    Paths, not ``--pyargs`` module names: pytest anchors its first conftest search on the
    arguments, and a module name is no path, so it would fall back to the directory the run was
    started from and load ``./conftest.py`` and ``./test*/conftest.py`` there (a project's own
    test hooks and fixtures, inside the conformance run)."""
    from conformance import registry
    from conformance.paths import SUITES_DIR

    if set(run.target.apis) == set(registry.names()):
        return [str(SUITES_DIR)]
    shared = [str(path) for path in sorted(SUITES_DIR.glob("test_*.py"))]
    return [str(registry.profile(api).suite_dir) for api in run.target.apis] + shared


def _default_report_dir() -> Path:
    return Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # a CI job cancelled: the same path as Ctrl-C


def command_run(options: argparse.Namespace) -> int:
    started = time.monotonic()
    run = RunConfig.from_options(options)
    run.start_clock()  # the deadline counts from here, preflight included
    if run.workers <= 1:  # xdist's workers collect, in processes of their own
        collector.hold()
    try:
        return execute(run, started=started)
    finally:
        collector.release()  # a run that stopped before its tests were collected


def execute(run: RunConfig, *, started: float | None = None) -> int:
    """Run the suite in this process as ``conformance run`` does: report directory, preflight,
    pytest with the plugin object holding ``run``, then the verdict lines. The exit code."""
    import pytest

    from conformance.events import open_events
    from conformance.http import RateLimiter
    from conformance.plugin import RunPlugin
    from conformance.preflight import preflight_or_report
    from conformance.report import prepare_report_dir
    from conformance.terminal import summary_lines, use_colour

    started = time.monotonic() if started is None else started
    target = run.target
    report_dir = Path(run.report_dir) if run.report_dir else _default_report_dir()
    run.report_dir = str(report_dir)
    prepare_report_dir(report_dir)
    if run.events:
        open_events(run.events).close()
    if target.insecure:
        print("warning: TLS certificate verification is off (--insecure)", file=sys.stderr)
    in_main_thread = threading.current_thread() is threading.main_thread()
    on_sigterm = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    display, terminal = None, None
    try:
        rate_limiter = RateLimiter(target.max_rps) if target.max_rps else None
        preflight_or_report(
            target,
            report_dir,
            rate_limiter=rate_limiter,
            selection=run.selection,
            events=run.events,
        )
        run.preflight_done = True
        holder = RunPlugin(run)
        display, terminal = _live_display(run.no_color)
        plugins: list[object] = [holder] + ([display] if display is not None else [])
        if collector.held():
            plugins.append(collector.Back())
        code = int(pytest.main(_pytest_args(run), plugins=plugins))
    finally:
        if display is not None:
            display.close()
        if terminal is not None:
            terminal.close()
        if in_main_thread:  # a run inside another program leaves its handler as found
            signal.signal(signal.SIGTERM, on_sigterm or signal.SIG_DFL)
    if holder.state is not None:  # pytest's terminal is off: what broke the run, once
        for text in holder.state.collect_error_texts:
            print(text.rstrip(), file=sys.stderr)
    report = holder.report
    if report is None:
        print(
            f"conformance: internal error: no report was written (pytest exit {code})",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    _print_cleanup(report, report_dir)
    if not report["complete"] and code == int(pytest.ExitCode.INTERRUPTED):
        print(f"interrupted: partial report in {report_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not report["complete"] and report.get("stop_reason"):
        print(f"stopped: {report['stop_reason']}; partial report", file=sys.stderr)
    colour = use_colour(sys.stdout, run.no_color)
    for line in summary_lines(report, time.monotonic() - started, colour):
        print(line)
    print(f"report: {report_dir / 'report.html'}")
    if code in (0, 1, 2, 3, 4):
        return code
    return EXIT_INTERNAL


def _live_display(no_color: bool) -> tuple[Any, Any]:
    """On a terminal (stderr), the live progress display, drawn on a copy of the terminal's
    descriptor: pytest captures file descriptors 1 and 2 while tests run."""
    if not sys.stderr.isatty():
        return None, None
    from conformance.progress import ProgressDisplay
    from conformance.terminal import use_colour

    terminal = os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding="utf-8", errors="replace")
    display = ProgressDisplay(terminal, color=use_colour(sys.stderr, no_color))
    return display, terminal


def _print_cleanup(report: dict[str, object], report_dir: Path) -> None:
    cleanup, target = report.get("cleanup"), report.get("target")
    if isinstance(target, dict) and target.get("bundled"):
        return  # the bundled servers, and whatever they held, are gone with the run
    if not isinstance(cleanup, dict) or not (cleanup.get("left") or cleanup.get("unresolved")):
        return
    for text in cleanup.get("left", []):
        print(f"conformance: left behind: {text}", file=sys.stderr)
    for text in cleanup.get("unresolved", []):
        print(f"conformance: may exist (creation not confirmed): {text}", file=sys.stderr)
    print(
        f"conformance: remove them with: conformance cleanup {report_dir} "
        "(plus the run's credential flags)",
        file=sys.stderr,
    )


def command_mock(options: argparse.Namespace) -> int:
    from conformance.auth import uses_token
    from conformance.servers import ReferenceServer, app_class, bundled_apis
    from conformance.servers.base import BUNDLED_PASSWORD, BUNDLED_TOKEN, BUNDLED_USER

    if options.api not in bundled_apis():
        raise UsageError(f"no bundled reference server for {options.api} yet")
    app = app_class(options.api)
    if options.list_faults:
        for fault in app.FAULTS.values():
            print(f"{fault.name:28} {fault.requirement:36} {fault.description}")
        return 0
    if options.list_variants:
        for variant in app.variants().values():
            print(f"{variant.name:28} {variant.description}")
        return 0
    if options.fault and options.fault not in app.FAULTS:
        raise UsageError(f"unknown fault {options.fault!r} for {options.api} (see --list-faults)")
    if options.variant and options.variant not in app.variants():
        raise UsageError(
            f"unknown variant {options.variant!r} for {options.api} (see --list-variants)"
        )
    if options.vendor_version and options.vendor_version not in app.VERSIONS:
        plays = ", ".join(app.VERSIONS) or "no versions"
        raise UsageError(
            f"the {options.api} reference server cannot play version "
            f"{options.vendor_version!r} (it plays {plays})"
        )
    if options.cert_out and not options.tls:
        raise UsageError("--cert-out needs --tls")
    if options.client_cert_out and not options.tls:
        raise UsageError("--client-cert-out needs --tls")
    seed: dict[str, Any] = {}
    if options.computers is not None:
        if "computers" not in app.SEED_OPTIONS:
            raise UsageError(f"the bundled {options.api} server does not take --computers")
        if options.computers < 1:
            raise UsageError("--computers must be at least 1")
        seed["computers"] = options.computers
    context, ca_file = _mock_tls(options) if options.tls else (None, None)
    try:
        instance = app(
            options.fault, variant=options.variant, vendor_version=options.vendor_version, **seed
        )
        server = ReferenceServer(instance, options.host, options.port, tls=context)
    except OSError as exc:
        where = f"{options.host}:{options.port}"
        raise UsageError(f"cannot listen on {where}: {exc.strerror}") from None
    with_fault = f" with fault {options.fault}" if options.fault else ""
    if options.variant:
        with_fault += f" as variant {options.variant}"
    if instance.vendor_version:
        with_fault += f" playing version {instance.vendor_version}"
    credentials = (
        f"token {BUNDLED_TOKEN}"
        if uses_token(options.api)
        else f"Basic auth {BUNDLED_USER}/{BUNDLED_PASSWORD}"
    )
    print(
        f"serving {options.api}{with_fault} on {server.url} ({credentials}); Ctrl-C stops",
        flush=True,
    )
    if options.write_target:
        _write_mock_target(Path(options.write_target), options.api, server)
    if ca_file is not None:
        print(f"CA certificate: {ca_file} (pass it as --ca-bundle)", flush=True)
    if options.client_cert_out:
        print(
            f"client certificate required; one it accepts: {options.client_cert_out} "
            "(pass it as --client-cert)",
            flush=True,
        )
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


def _write_mock_target(path: Path, api: str, server: Any) -> None:
    """A target file for ``conformance run --config`` against this mock (secret by variable)."""
    from conformance.auth import uses_token

    lines = [
        "# written by `conformance mock`; export the variable below before `conformance run`",
        "[target]",
        f"api = {json.dumps(api)}",
        f"base_url = {json.dumps(server.url)}",
    ]
    if uses_token(api):
        lines.append('token_env = "CONFORMANCE_MOCK_TOKEN"  # conformance-token')
    else:
        lines += ['username = "conformance"', 'password_env = "CONFORMANCE_MOCK_PASSWORD"']
    lines.append("[fixtures]")
    lines += [f"{key} = {json.dumps(value)}" for key, value in server.app.fixtures().items()]
    try:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write target file {path}: {exc.strerror}") from None
    print(f"target file: {path}", flush=True)


def _mock_tls(options: argparse.Namespace) -> tuple[ssl.SSLContext, Path]:
    """A fresh CA and server certificate; the CA certificate goes to --cert-out."""
    import shutil
    import tempfile

    from conformance.tls import make_certificate

    work = Path(tempfile.mkdtemp(prefix="actionconform-tls-"))
    mutual = options.client_cert_out is not None
    files = make_certificate(work, (options.host,), client=mutual)
    context = files.server_context(require_client_cert=mutual)
    ca_file = Path(options.cert_out) if options.cert_out else work / "ca.pem"
    # The key is loaded into the context: nothing but the CA certificate stays on disk.
    files.key.unlink()
    if files.client_cert is not None and files.client_key is not None:
        _write_private(
            Path(options.client_cert_out),
            files.client_cert.read_bytes() + files.client_key.read_bytes(),
        )
        files.client_key.unlink()
    if options.cert_out:
        try:
            shutil.copyfile(files.ca_cert, ca_file)
        except OSError as exc:
            raise UsageError(f"cannot write {ca_file}: {exc.strerror}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return context, ca_file


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (it holds a private key)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        path.chmod(0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def command_cleanup(options: argparse.Namespace) -> int:
    from conformance.cleanup import run_cleanup

    return run_cleanup(options)


def command_requirements(options: argparse.Namespace) -> int:
    requirements = catalogue.for_apis(options.apis or list(registry.names()))
    if options.format == "json":
        print(json.dumps([requirement.as_dict() for requirement in requirements], indent=2))
        return 0
    for requirement in requirements:
        print(f"{requirement.id:40} {requirement.level:6} {requirement.operation}")
        print(f"{'':40} {requirement.title}")
        print(f"{'':40} source: {requirement.source}")
    print(f"{len(requirements)} requirements")
    return 0


def command_diff(options: argparse.Namespace) -> int:
    from conformance.diff import diff_reports, is_regression, load_report, render_diff

    result = diff_reports(load_report(options.old_report), load_report(options.new_report))
    if options.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(render_diff(result, allow_narrower=options.allow_narrower))
    return EXIT_NONCONFORMANT if is_regression(result, allow_narrower=options.allow_narrower) else 0


COMMANDS = {
    "run": command_run,
    "mock": command_mock,
    "requirements": command_requirements,
    "diff": command_diff,
    "cleanup": command_cleanup,
}


class _ClosedPipeQuiet:
    """A stream that drops what it is given once its reader has gone (``| head``).

    The command goes on and ends with its own exit code; the closed pipe is pointed at
    /dev/null so nothing (not even the flush at exit) complains about it.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._closed = False

    def _drop(self) -> None:
        self._closed = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (_ClosedPipeQuiet(stream) for stream in saved)
    try:
        return _main(argv)
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # here, so a closed pipe is noticed by the wrapper
        sys.stdout, sys.stderr = saved


def entry() -> NoReturn:
    """The ``conformance`` command and ``python -m conformance``: ``main``, then leave at once.

    Tearing the interpreter down (every module of pytest, Hypothesis and schemathesis freed
    object by object) took 0.2-0.4 s after each run, as long as a tenth of a whole run. The
    exit handlers still run (logging, temporary files); every file the command wrote is closed
    by then, and the standard streams are flushed here. Under a profiler or a tracer (cProfile,
    coverage, a debugger) the process ends as usual, so that it can write what it gathered."""
    collector.claim()
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)


def _main(argv: Sequence[str] | None) -> int:
    try:
        options = _parser().parse_args(argv)
        return COMMANDS[options.command](options)
    except BrokenPipeError:
        return 0  # a reader that went away (e.g. ``| head``) between our writes
    except ConformanceError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the suite's own bug: one line, details on request
        if os.environ.get("ACTIONCONFORM_DEBUG"):
            raise
        print(
            f"conformance: internal error: {exc.__class__.__name__}: {exc} "
            "(set ACTIONCONFORM_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    entry()

"""The ``conformance`` command: run, mock, cleanup, requirements, diff.

Every user mistake ends in one line on stderr and a documented exit code, never a traceback.
"""

from __future__ import annotations

import argparse
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

from conformance import __version__, catalogue, registry
from conformance.errors import (
    EXIT_INTERNAL,
    EXIT_NONCONFORMANT,
    ConformanceError,
    UsageError,
)
from conformance.target import PROFILES

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


def _add_target_flags(command: argparse.ArgumentParser) -> None:
    """Where the server is and how to authenticate: shared by run and cleanup."""
    command.add_argument(
        "--base-url", metavar="URL", help="the server under test (default: bundled servers)"
    )
    command.add_argument("--config", metavar="FILE", help="a target file (TOML); flags win")
    command.add_argument("--user", metavar="USER", help="HTTP Basic user")
    command.add_argument(
        "--password-env", metavar="VAR", help="environment variable holding the password"
    )
    command.add_argument(
        "--token-env", metavar="VAR", help="environment variable holding the token (EdgeIQ)"
    )
    command.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="hard limit per request (default 30)"
    )
    command.add_argument("--ca-bundle", metavar="FILE", help="trust the CA certificates in FILE")
    command.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (warns once)"
    )


def _add_network_flags(command: argparse.ArgumentParser) -> None:
    """Headers, proxy and client certificate: shared by run and cleanup."""
    group = command.add_argument_group("network")
    group.add_argument(
        "--header",
        action="append",
        dest="headers",
        metavar="'NAME: VALUE'",
        help="send this header with every request (repeatable)",
    )
    group.add_argument(
        "--header-env",
        action="append",
        dest="header_env",
        metavar="NAME=VAR",
        help="send header NAME with the value of environment variable VAR (a secret, redacted)",
    )
    group.add_argument(
        "--proxy", metavar="URL", help="send every request through this HTTP(S) proxy"
    )
    group.add_argument(
        "--trust-env",
        action="store_true",
        help="honour HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (ignored by default)",
    )
    group.add_argument(
        "--client-cert", metavar="FILE", help="client certificate (PEM) for mutual TLS"
    )
    group.add_argument(
        "--client-key", metavar="FILE", help="its private key, if not in the --client-cert file"
    )


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
    run.add_argument(
        "--api",
        action="append",
        choices=registry.names(),
        dest="apis",
        help="API to assess (repeatable; default all)",
    )
    _add_target_flags(run)
    run.add_argument(
        "--allow-mutations",
        action="store_true",
        help="permit requests a conformant server would act on (create, stop, delete, ...)",
    )
    run.add_argument(
        "--report-dir", metavar="DIR", help="where the report goes (default reports/<UTC time>/)"
    )
    run.add_argument("--expectations", metavar="FILE", help="known deviations (TOML)")
    run.add_argument(
        "--profile",
        choices=PROFILES,
        default="fast",
        help="how hard property-based tests search (default fast)",
    )
    run.add_argument(
        "--workers", type=int, default=1, metavar="N", help="parallel workers (default 1)"
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="failed SHOULD requirements also make the run non-conformant",
    )
    run.add_argument(
        "--max-response-bytes",
        type=int,
        metavar="N",
        help="largest response body read (default 128 MiB)",
    )
    run.add_argument(
        "--max-rps",
        type=float,
        metavar="N",
        help="at most N requests per second (whole run, all workers)",
    )
    run.add_argument(
        "--vendor-version",
        metavar="V",
        help="judge by the rules of this vendor version (default: what any documented one allows)",
    )
    run.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="end the run after SECONDS: partial report (complete: false), exit 1 or 3",
    )
    selection = run.add_argument_group("selection (what is not selected is skipped: not selected)")
    selection.add_argument(
        "--include",
        action="append",
        metavar="GLOB",
        help="assess only requirements whose ID matches GLOB (repeatable), e.g. 'BIGFIX-ACTION-*'",
    )
    selection.add_argument(
        "--exclude",
        action="append",
        metavar="GLOB",
        help="leave out requirements whose ID matches GLOB (repeatable)",
    )
    selection.add_argument(
        "--level",
        choices=catalogue.LEVELS,
        help="this level and stricter: MUST; MUST and SHOULD; or all (MAY)",
    )
    selection.add_argument(
        "--operation",
        metavar="TEXT",
        help="only requirements whose operation contains TEXT, e.g. '/api/action'",
    )
    _add_network_flags(run)
    output = run.add_argument_group("output")
    output.add_argument(
        "--events",
        metavar="FILE",
        help="write one JSON object per line as the run goes (started, requirement, finished)",
    )
    output.add_argument(
        "--no-color", action="store_true", help="no colour on the terminal (so does NO_COLOR)"
    )

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
    _add_target_flags(cleanup)
    cleanup.add_argument("--max-rps", type=float, metavar="N", help="at most N requests per second")
    _add_network_flags(cleanup)

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


def _pytest_args(
    options: argparse.Namespace, report_dir: Path, deadline: float | None = None
) -> list[str]:
    from conformance.paths import SUITES_DIR

    args = [
        "--pyargs",
        "conformance.suites",
        "-c",
        str(SUITES_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITES_DIR),
        "--conformance-report-dir",
        str(report_dir),
        "--conformance-profile",
        options.profile,
        "--assert=plain",
        "--conformance-from-cli",
        "-p",
        "no:schemathesis",
        "-p",
        "no:anyio",
    ]
    pairs = {
        "--base-url": options.base_url,
        "--conformance-config": options.config,
        "--conformance-user": options.user,
        "--conformance-password-env": options.password_env,
        "--conformance-token-env": options.token_env,
        "--conformance-timeout": options.timeout,
        "--ca-bundle": options.ca_bundle,
        "--expectations": options.expectations,
        "--conformance-max-response-bytes": options.max_response_bytes,
        "--conformance-max-rps": options.max_rps,
        "--conformance-vendor-version": options.vendor_version,
        "--conformance-deadline": deadline,
        "--conformance-level": options.level,
        "--conformance-operation": options.operation,
        "--conformance-proxy": options.proxy,
        "--conformance-client-cert": options.client_cert,
        "--conformance-client-key": options.client_key,
        "--conformance-events": options.events,
    }
    for flag, value in pairs.items():
        if value is not None:
            args += [flag, str(value)]
    for api in options.apis or []:
        args += ["--conformance-api", api]
    repeated = {
        "--conformance-include": options.include,
        "--conformance-exclude": options.exclude,
        "--conformance-header": options.headers,
        "--conformance-header-env": options.header_env,
    }
    for flag, values in repeated.items():
        for value in values or []:
            args.append(f"{flag}={value}")
    for flag, enabled in (
        ("--allow-mutations", options.allow_mutations),
        ("--insecure", options.insecure),
        ("--conformance-strict", options.strict),
        ("--conformance-trust-env", options.trust_env),
    ):
        if enabled:
            args.append(flag)
    if options.workers > 1:
        args += ["-n", str(options.workers)]
    # The run speaks for itself (live display, one summary): pytest's terminal stays silent.
    args += ["-p", "no:terminal"]
    return args


def _default_report_dir() -> Path:
    return Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # a CI job cancelled: the same path as Ctrl-C


def command_run(options: argparse.Namespace) -> int:
    from conformance.events import open_events
    from conformance.expectations import load_expectations
    from conformance.http import RateLimiter
    from conformance.preflight import preflight_or_report
    from conformance.report import prepare_report_dir
    from conformance.selection import Selection
    from conformance.target import target_from_flags
    from conformance.terminal import summary_lines, use_colour

    started = time.monotonic()
    if options.workers < 1:
        raise UsageError("--workers must be at least 1")
    if options.deadline is not None and not 0 < options.deadline < float("inf"):
        raise UsageError("--deadline must be a positive number of seconds")
    target = target_from_flags(options)
    load_expectations(options.expectations)
    report_dir = Path(options.report_dir) if options.report_dir else _default_report_dir()
    prepare_report_dir(report_dir)
    selection = Selection.of(options.include, options.exclude, options.level, options.operation)
    selection.check(catalogue.for_apis(target.apis), target.apis)
    if options.events:
        open_events(options.events).close()
    if target.insecure:
        print("warning: TLS certificate verification is off (--insecure)", file=sys.stderr)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    rate_limiter = RateLimiter(target.max_rps) if target.max_rps else None
    preflight_or_report(
        target, report_dir, rate_limiter=rate_limiter, selection=selection, events=options.events
    )

    import pytest

    deadline = None
    if options.deadline is not None:
        deadline = max(0.001, options.deadline - (time.monotonic() - started))
    display, terminal = _live_display(options)
    try:
        plugins: list[object] = [display] if display is not None else []
        code = int(pytest.main(_pytest_args(options, report_dir, deadline), plugins=plugins))
    finally:
        if display is not None:
            display.close()
        if terminal is not None:
            terminal.close()
    report_file = report_dir / "report.json"
    if not report_file.exists():
        print(
            f"conformance: internal error: no report was written (pytest exit {code})",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    report = json.loads(report_file.read_text(encoding="utf-8"))
    _print_cleanup(report, report_dir)
    if not report["complete"] and code == int(pytest.ExitCode.INTERRUPTED):
        print(f"interrupted: partial report in {report_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not report["complete"] and report.get("stop_reason"):
        print(f"stopped: {report['stop_reason']}; partial report", file=sys.stderr)
    colour = use_colour(sys.stdout, options.no_color)
    for line in summary_lines(report, time.monotonic() - started, colour):
        print(line)
    print(f"report: {report_dir / 'report.html'}")
    if code in (0, 1, 2, 3, 4):
        return code
    return EXIT_INTERNAL


def _live_display(options: argparse.Namespace) -> tuple[Any, Any]:
    """On a terminal (stderr), the live progress display, drawn on a copy of the terminal's
    descriptor: pytest captures file descriptors 1 and 2 while tests run."""
    if not sys.stderr.isatty():
        return None, None
    from conformance.progress import ProgressDisplay
    from conformance.terminal import use_colour

    terminal = os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding="utf-8", errors="replace")
    display = ProgressDisplay(terminal, color=use_colour(sys.stderr, options.no_color))
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
    raise SystemExit(main())

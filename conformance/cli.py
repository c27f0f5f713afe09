"""The ``conformance`` command: run, mock, requirements, diff.

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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="conformance", description=__doc__)
    parser.add_argument("--version", action="version", version=f"actionconform {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    run = commands.add_parser("run", help="run the suite and write a report")
    run.add_argument("--api", action="append", choices=registry.names(), dest="apis")
    run.add_argument("--base-url")
    run.add_argument("--config")
    run.add_argument("--user")
    run.add_argument("--password-env")
    run.add_argument("--token-env")
    run.add_argument("--allow-mutations", action="store_true")
    run.add_argument("--report-dir")
    run.add_argument("--timeout", type=float)
    run.add_argument("--ca-bundle")
    run.add_argument("--insecure", action="store_true")
    run.add_argument("--expectations")
    run.add_argument("--profile", choices=PROFILES, default="fast")
    run.add_argument("--workers", type=int, default=1)
    run.add_argument(
        "--strict",
        action="store_true",
        help="failed SHOULD requirements also make the run non-conformant",
    )
    run.add_argument("--max-response-bytes", type=int)
    run.add_argument(
        "--max-rps", type=float, help="at most N requests per second (whole run, all workers)"
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

    mock = commands.add_parser("mock", help="serve a bundled reference server")
    mock.add_argument("api", choices=registry.names())
    mock.add_argument("--port", type=int, default=0)
    mock.add_argument("--host", default="127.0.0.1")
    mock.add_argument("--fault")
    mock.add_argument("--list-faults", action="store_true")
    mock.add_argument("--variant", help="serve one conformant variation (see --list-variants)")
    mock.add_argument("--list-variants", action="store_true")
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

    cleanup = commands.add_parser(
        "cleanup", help="remove what a crashed or interrupted run left (only ledger entries)"
    )
    cleanup.add_argument("ledger", help="a ledger file, or the report directory of the run")
    cleanup.add_argument("--base-url")
    cleanup.add_argument("--config")
    cleanup.add_argument("--user")
    cleanup.add_argument("--password-env")
    cleanup.add_argument("--token-env")
    cleanup.add_argument("--timeout", type=float)
    cleanup.add_argument("--ca-bundle")
    cleanup.add_argument("--insecure", action="store_true")
    cleanup.add_argument("--max-rps", type=float)

    requirements = commands.add_parser("requirements", help="print the requirement catalogue")
    requirements.add_argument("--api", action="append", choices=registry.names(), dest="apis")
    requirements.add_argument("--format", choices=("table", "json"), default="table")

    diff = commands.add_parser("diff", help="regressions and fixes between two reports")
    diff.add_argument("old_report")
    diff.add_argument("new_report")
    diff.add_argument("--format", choices=("text", "json"), default="text")
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
    }
    for flag, value in pairs.items():
        if value is not None:
            args += [flag, str(value)]
    for api in options.apis or []:
        args += ["--conformance-api", api]
    for flag, enabled in (
        ("--allow-mutations", options.allow_mutations),
        ("--insecure", options.insecure),
        ("--conformance-strict", options.strict),
    ):
        if enabled:
            args.append(flag)
    if options.workers > 1:
        args += ["-n", str(options.workers)]
    if sys.stdout.isatty():
        args += ["-q", "--no-header", "--tb=no", "-rN", "--no-summary"]
    else:
        args += ["-p", "no:terminal"]
    return args


def _default_report_dir() -> Path:
    return Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # a CI job cancelled: the same path as Ctrl-C


def command_run(options: argparse.Namespace) -> int:
    from conformance.expectations import load_expectations
    from conformance.http import RateLimiter
    from conformance.preflight import preflight_or_report
    from conformance.report import prepare_report_dir
    from conformance.target import target_from_flags

    started = time.monotonic()
    if options.workers < 1:
        raise UsageError("--workers must be at least 1")
    if options.deadline is not None and not 0 < options.deadline < float("inf"):
        raise UsageError("--deadline must be a positive number of seconds")
    target = target_from_flags(options)
    load_expectations(options.expectations)
    report_dir = Path(options.report_dir) if options.report_dir else _default_report_dir()
    prepare_report_dir(report_dir)
    if target.insecure:
        print("warning: TLS certificate verification is off (--insecure)", file=sys.stderr)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    rate_limiter = RateLimiter(target.max_rps) if target.max_rps else None
    preflight_or_report(target, report_dir, rate_limiter=rate_limiter)

    import pytest

    deadline = None
    if options.deadline is not None:
        deadline = max(0.001, options.deadline - (time.monotonic() - started))
    code = int(pytest.main(_pytest_args(options, report_dir, deadline)))
    report_file = report_dir / "report.json"
    if not report_file.exists():
        print(
            f"conformance: internal error: no report was written (pytest exit {code})",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    report = json.loads(report_file.read_text(encoding="utf-8"))
    summary = report["summary"]
    _print_cleanup(report, report_dir)
    if not report["complete"] and code == int(pytest.ExitCode.INTERRUPTED):
        print(f"interrupted: partial report in {report_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not report["complete"] and report.get("stop_reason"):
        print(f"stopped: {report['stop_reason']}; partial report", file=sys.stderr)
    print(
        f"{summary['verdict']}: {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['expected_failures']} expected failures, "
        f"{summary['unexpected_passes']} unexpected passes, {summary['skipped']} skipped, "
        f"{summary['untested']} untested in {time.monotonic() - started:.1f}s"
    )
    for record in report["requirements"]:
        if record["status"] in ("failed", "unexpected-pass"):
            message = record["evidence"][0]["message"] if record["evidence"] else ""
            print(f"  {record['status']}: {record['id']} ({record['level']}) {message}")
    print(f"report: {report_dir / 'report.html'}")
    if code in (0, 1, 2, 3, 4):
        return code
    return EXIT_INTERNAL


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
    context, ca_file = _mock_tls(options) if options.tls else (None, None)
    try:
        instance = app(
            options.fault, variant=options.variant, vendor_version=options.vendor_version
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
    files = make_certificate(work, (options.host,))
    context = files.server_context()
    ca_file = Path(options.cert_out) if options.cert_out else work / "ca.pem"
    # The key is loaded into the context: nothing but the CA certificate stays on disk.
    files.key.unlink()
    if options.cert_out:
        try:
            shutil.copyfile(files.ca_cert, ca_file)
        except OSError as exc:
            raise UsageError(f"cannot write {ca_file}: {exc.strerror}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return context, ca_file


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

"""One run, from flag to verdict: the flags, and the ``RunConfig`` they build once.

``FLAGS`` is the one table of run settings: ``conformance run`` adds each under its CLI spelling
and the pytest plugin under its pytest spelling (``pytest --pyargs conformance.suites ...``).
Both hand their parsed values to ``RunConfig.from_options``, which checks them and builds the
target; ``conformance run`` then passes the object to pytest in-process (the plugin holds it),
and xdist workers receive it through ``workerinput`` (``to_wire``/``from_wire``).

Adding a setting: a ``Flag`` below (``dest``, both spellings, its help), a field of
``RunConfig`` and one line in ``from_options`` (or, for the target, ``target_from_flags``);
the plugin reads it as ``state.run.<field>``. The README documents every flag (a test checks).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any

from conformance import catalogue, registry
from conformance.catalogue import LEVELS
from conformance.errors import UsageError
from conformance.expectations import Expectation, load_expectations
from conformance.selection import Selection
from conformance.target import PROFILES, Target, target_from_flags


@dataclass(frozen=True)
class Flag:
    """One run setting: ``dest`` names it in parsed options; ``cli`` and ``pytest`` are its
    spellings (``pytest=None``: ``conformance run`` only); ``options`` are the keyword arguments
    of ``add_argument``/``addoption`` (``action``, ``type``, ``metavar``, ``help``...);
    ``group`` is its section in ``--help``; ``cleanup``: ``conformance cleanup`` takes it too."""

    dest: str
    cli: str
    pytest: str | None
    options: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    cleanup: bool = False

    @property
    def pytest_dest(self) -> str:
        """Where pytest keeps it (``base_url`` is shared with the pytest-base-url plugin)."""
        return self.dest if self.dest == "base_url" else f"conformance_{self.dest}"


SELECTION = "selection (what is not selected is skipped: not selected)"
NETWORK = "network"
OUTPUT = "output"


def _flag(dest: str, cli: str, pytest: str | None, help: str, **options: Any) -> Flag:
    group = options.pop("group", None)
    cleanup = options.pop("cleanup", False)
    return Flag(dest, cli, pytest, {**options, "help": help}, group, cleanup)


FLAGS: tuple[Flag, ...] = (
    _flag(
        "apis",
        "--api",
        "--conformance-api",
        "API to assess (repeatable; default all)",
        action="append",
        choices=registry.names(),
    ),
    _flag(
        "base_url",
        "--base-url",
        "--base-url",
        "the server under test (default: bundled servers)",
        metavar="URL",
        cleanup=True,
    ),
    _flag(
        "config",
        "--config",
        "--conformance-config",
        "a target file (TOML); flags win",
        metavar="FILE",
        cleanup=True,
    ),
    _flag("user", "--user", "--conformance-user", "HTTP Basic user", metavar="USER", cleanup=True),
    _flag(
        "password_env",
        "--password-env",
        "--conformance-password-env",
        "environment variable holding the password",
        metavar="VAR",
        cleanup=True,
    ),
    _flag(
        "token_env",
        "--token-env",
        "--conformance-token-env",
        "environment variable holding the token (EdgeIQ)",
        metavar="VAR",
        cleanup=True,
    ),
    _flag(
        "restricted_user",
        "--restricted-user",
        "--conformance-restricted-user",
        "a second Basic user, valid but without the actions' permission (the 403 checks)",
        metavar="USER",
    ),
    _flag(
        "restricted_password_env",
        "--restricted-password-env",
        "--conformance-restricted-password-env",
        "environment variable holding the restricted user's password",
        metavar="VAR",
    ),
    _flag(
        "restricted_token_env",
        "--restricted-token-env",
        "--conformance-restricted-token-env",
        "environment variable holding a valid token without access to the fleet (EdgeIQ)",
        metavar="VAR",
    ),
    _flag(
        "timeout",
        "--timeout",
        "--conformance-timeout",
        "hard limit per request (default 30)",
        type=float,
        metavar="SECONDS",
        cleanup=True,
    ),
    _flag(
        "ca_bundle",
        "--ca-bundle",
        "--ca-bundle",
        "trust the CA certificates in FILE",
        metavar="FILE",
        cleanup=True,
    ),
    _flag(
        "insecure",
        "--insecure",
        "--insecure",
        "do not verify TLS certificates (warns once)",
        action="store_true",
        cleanup=True,
    ),
    _flag(
        "allow_mutations",
        "--allow-mutations",
        "--allow-mutations",
        "permit requests a conformant server would act on (create, stop, delete, ...)",
        action="store_true",
    ),
    _flag(
        "report_dir",
        "--report-dir",
        "--conformance-report-dir",
        "where the report goes (default reports/<UTC time>/)",
        metavar="DIR",
    ),
    _flag(
        "expectations",
        "--expectations",
        "--expectations",
        "known deviations (TOML)",
        metavar="FILE",
    ),
    _flag(
        "profile",
        "--profile",
        "--conformance-profile",
        "how hard property-based tests search (default fast)",
        choices=PROFILES,
        default="fast",
    ),
    _flag(
        "workers",
        "--workers",
        None,
        "parallel workers (default 1)",
        type=int,
        default=1,
        metavar="N",
    ),
    _flag(
        "strict",
        "--strict",
        "--conformance-strict",
        "failed SHOULD requirements also make the run non-conformant",
        action="store_true",
    ),
    _flag(
        "max_response_bytes",
        "--max-response-bytes",
        "--conformance-max-response-bytes",
        "largest response body read (default 128 MiB)",
        type=int,
        metavar="N",
    ),
    _flag(
        "max_rps",
        "--max-rps",
        "--conformance-max-rps",
        "at most N requests per second (whole run, all workers)",
        type=float,
        metavar="N",
        cleanup=True,
    ),
    _flag(
        "vendor_version",
        "--vendor-version",
        "--conformance-vendor-version",
        "judge by the rules of this vendor version (default: what any documented one allows)",
        metavar="V",
    ),
    _flag(
        "deadline",
        "--deadline",
        "--conformance-deadline",
        "end the run after SECONDS: partial report (complete: false), exit 1 or 3",
        type=float,
        metavar="SECONDS",
    ),
    _flag(
        "include",
        "--include",
        "--conformance-include",
        "assess only requirements whose ID matches GLOB (repeatable), e.g. 'BIGFIX-ACTION-*'",
        action="append",
        metavar="GLOB",
        group=SELECTION,
    ),
    _flag(
        "exclude",
        "--exclude",
        "--conformance-exclude",
        "leave out requirements whose ID matches GLOB (repeatable)",
        action="append",
        metavar="GLOB",
        group=SELECTION,
    ),
    _flag(
        "level",
        "--level",
        "--conformance-level",
        "this level and stricter: MUST; MUST and SHOULD; or all (MAY)",
        choices=LEVELS,
        group=SELECTION,
    ),
    _flag(
        "operation",
        "--operation",
        "--conformance-operation",
        "only requirements whose operation contains TEXT, e.g. '/api/action'",
        metavar="TEXT",
        group=SELECTION,
    ),
    _flag(
        "headers",
        "--header",
        "--conformance-header",
        "send this header with every request (repeatable)",
        action="append",
        metavar="'NAME: VALUE'",
        group=NETWORK,
        cleanup=True,
    ),
    _flag(
        "header_env",
        "--header-env",
        "--conformance-header-env",
        "send header NAME with the value of environment variable VAR (a secret, redacted)",
        action="append",
        metavar="NAME=VAR",
        group=NETWORK,
        cleanup=True,
    ),
    _flag(
        "proxy",
        "--proxy",
        "--conformance-proxy",
        "send every request through this HTTP(S) proxy",
        metavar="URL",
        group=NETWORK,
        cleanup=True,
    ),
    _flag(
        "trust_env",
        "--trust-env",
        "--conformance-trust-env",
        "honour HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (ignored by default)",
        action="store_true",
        group=NETWORK,
        cleanup=True,
    ),
    _flag(
        "client_cert",
        "--client-cert",
        "--conformance-client-cert",
        "client certificate (PEM) for mutual TLS",
        metavar="FILE",
        group=NETWORK,
        cleanup=True,
    ),
    _flag(
        "client_key",
        "--client-key",
        "--conformance-client-key",
        "its private key, if not in the --client-cert file",
        metavar="FILE",
        group=NETWORK,
        cleanup=True,
    ),
    _flag(
        "events",
        "--events",
        "--conformance-events",
        "write one JSON object per line as the run goes (started, requirement, finished)",
        metavar="FILE",
        group=OUTPUT,
    ),
    _flag(
        "no_color",
        "--no-color",
        None,
        "no colour on the terminal (so does NO_COLOR)",
        action="store_true",
        group=OUTPUT,
    ),
)


@dataclass
class RunConfig:
    """Everything one run is asked to do. Built once (``from_options``), never re-parsed."""

    target: Target
    selection: Selection = field(default_factory=Selection)
    expectations: dict[str, Expectation] = field(default_factory=dict)
    report_dir: str | None = None
    profile: str = "fast"
    strict: bool = False
    workers: int = 1
    deadline: float | None = None  # seconds the whole run may take
    ends_at: float | None = None  # time.time() at which it must end (set when it starts)
    events: str | None = None  # --events FILE
    no_color: bool = False
    # The caller (``conformance run``) has probed the target and printed the warnings already.
    preflight_done: bool = False
    # The flag values it was built from, by dest: what an xdist worker builds its copy from.
    options: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_options(cls, options: Any) -> RunConfig:
        """Check parsed flags (an ``argparse.Namespace`` or any object with the ``FLAGS``
        dests as attributes; absent ones count as not given) and build the run."""
        value = {flag.dest: getattr(options, flag.dest, None) for flag in FLAGS}
        workers = 1 if value["workers"] is None else value["workers"]
        if workers < 1:
            raise UsageError("--workers must be at least 1")
        deadline = value["deadline"]
        if deadline is not None and not 0 < deadline < float("inf"):
            raise UsageError("--deadline must be a positive number of seconds")
        target = target_from_flags(SimpleNamespace(**value))
        expectations = load_expectations(value["expectations"])
        selection = Selection.of(
            value["include"], value["exclude"], value["level"], value["operation"]
        )
        selection.check(catalogue.for_apis(target.apis), target.apis)
        report_dir = value["report_dir"]
        return cls(
            target=target,
            selection=selection,
            expectations=expectations,
            report_dir=str(report_dir) if report_dir is not None else None,
            profile=value["profile"] or "fast",
            strict=bool(value["strict"]),
            workers=workers,
            deadline=deadline,
            events=value["events"],
            no_color=bool(value["no_color"]),
            options=value,
        )

    def start_clock(self) -> None:
        """Fix the moment the run must end (``--deadline``), once, at its very start."""
        if self.deadline is not None and self.ends_at is None:
            self.ends_at = time.time() + self.deadline

    def to_wire(self) -> dict[str, Any]:
        """Plain data for an xdist worker: the flag values and what the controller decided.
        Secrets stay in the environment, where the flags name them."""
        return {
            "options": self.options,
            "report_dir": self.report_dir,
            "ends_at": self.ends_at,
            "preflight_done": self.preflight_done,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> RunConfig:
        run = cls.from_options(SimpleNamespace(**wire["options"]))
        run.report_dir = wire["report_dir"]
        run.ends_at = wire["ends_at"]
        run.preflight_done = wire["preflight_done"]
        return run

    def describe(self) -> dict[str, Any]:
        """Everything the run was asked to do, as plain data (tests compare entry points)."""
        record = asdict(self)
        record.pop("options")
        return record


def add_flags(parser: argparse.ArgumentParser, command: str = "run") -> None:
    """The flags of ``conformance run`` (or those ``cleanup`` shares), grouped as in FLAGS."""
    groups: dict[str, Any] = {}
    for flag in FLAGS:
        if command == "cleanup" and not flag.cleanup:
            continue
        where: Any = parser
        if flag.group is not None:
            if flag.group not in groups:
                groups[flag.group] = parser.add_argument_group(flag.group)
            where = groups[flag.group]
        where.add_argument(flag.cli, dest=flag.dest, **flag.options)


def options_of(getoption: Any) -> Any:
    """The ``FLAGS`` values pytest parsed, by dest, from ``config.getoption``."""

    return SimpleNamespace(
        **{
            flag.dest: getoption(flag.pytest_dest) if flag.pytest is not None else None
            for flag in FLAGS
        }
    )

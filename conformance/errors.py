"""Errors a user can cause, each carrying the exit code CONTRACT.md gives it."""

from __future__ import annotations

EXIT_CONFORMANT = 0
EXIT_NONCONFORMANT = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERNAL = 4


class ConformanceError(Exception):
    """An error reported as one line, with a documented exit code."""

    exit_code = EXIT_INTERNAL


class UsageError(ConformanceError):
    """Bad flag, unreadable or invalid config, missing environment variable."""

    exit_code = EXIT_USAGE


class UnreachableError(ConformanceError):
    """Nothing could be assessed: unreachable target, TLS failure, rejected credentials."""

    exit_code = EXIT_UNREACHABLE

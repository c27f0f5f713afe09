"""The target: which server, how to reach it, which objects the suite may use.

Built from the TOML target file of CONTRACT.md with flags on top. Secrets are read from the
environment variables the user names, never from flags or files.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import registry
from conformance.errors import UsageError
from conformance.redact import Redactor

DEFAULT_TIMEOUT = 30.0
# A BigFix status of 100000 computers (GET /api/action/{id}/status, pretty-printed, FQDN
# names) measures 46.5 MiB; 128 MiB leaves a margin of 2.75 and bounds memory per request.
DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024
PROFILES = ("fast", "ci", "deep")

_TARGET_KEYS = {
    "api",
    "base_url",
    "username",
    "password_env",
    "token_env",
    "timeout",
    "ca_bundle",
    "insecure",
    "allow_mutations",
    "max_response_bytes",
    "max_rps",
}


@dataclass
class Target:
    """Everything the suite needs to know about the server under test."""

    apis: list[str] = field(default_factory=lambda: list(registry.names()))
    base_url: str | None = None
    username: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: str | None = None
    insecure: bool = False
    allow_mutations: bool = False
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_rps: float | None = None
    fixtures: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def bundled(self) -> bool:
        return self.base_url is None

    @property
    def password(self) -> str | None:
        return _read_env(self.password_env, "--password-env") if self.password_env else None

    @property
    def token(self) -> str | None:
        return _read_env(self.token_env, "--token-env") if self.token_env else None

    def secrets(self) -> list[str]:
        """Every secret value this target holds, for redaction."""
        return [value for value in (self.password, self.token) if value]

    def redactor(self) -> Redactor:
        """A redactor that knows this target's secrets in every spelling they travel in."""
        redactor = Redactor(self.secrets())
        if self.username:
            redactor.add(self.password, self.username)
        return redactor

    def verify(self) -> bool | str:
        """The ``verify`` argument for requests."""
        if self.insecure:
            return False
        return self.ca_bundle or True


def field_keys() -> set[str]:
    """The ``[fields]`` keys a target file may hold (any API's)."""
    return {key for profile in registry.profiles().values() for key in profile.field_keys}


def _read_env(name: str, flag: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise UsageError(f"{flag} names environment variable {name}, which is not set")
    return value


def _positive(value: Any, name: str, kind: type[int] | type[float]) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} {value!r} is not a number") from None
    if number <= 0:
        raise UsageError(f"{name} must be positive")
    return number


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url {url!r} is not an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            "--base-url must not hold credentials; use --user and --password-env or --token-env"
        )
    if parts.query or parts.fragment:
        raise UsageError(f"--base-url {parts.scheme}://{parts.netloc}{parts.path} takes no query")
    return url.rstrip("/")


def check_apis(apis: list[str]) -> list[str]:
    for api in apis:
        if api not in registry.profiles():
            raise UsageError(f"unknown API {api!r}; choose from {', '.join(registry.names())}")
    return list(dict.fromkeys(apis))


def load_target_file(path: str | Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Read a target file: returns its [target], [fixtures] and [fields] tables, checked."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read target file {file}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"target file {file} is not valid TOML: {exc}") from None
    unknown_tables = set(data) - {"target", "fixtures", "fields"}
    if unknown_tables:
        raise UsageError(f"target file {file}: unknown table(s) {sorted(unknown_tables)}")
    target = data.get("target", {})
    fixtures = data.get("fixtures", {})
    fields = data.get("fields", {})
    unknown = set(target) - _TARGET_KEYS
    if unknown:
        raise UsageError(f"target file {file}: unknown key(s) in [target]: {sorted(unknown)}")
    api = target.get("api")
    if api is not None:
        check_apis([api])
        unknown_fixtures = set(fixtures) - registry.profile(api).fixture_keys
        if unknown_fixtures:
            names = sorted(unknown_fixtures)
            raise UsageError(f"target file {file}: unknown [fixtures] key(s) for {api}: {names}")
    unknown_fields = set(fields) - field_keys()
    if unknown_fields:
        raise UsageError(f"target file {file}: unknown [fields] key(s): {sorted(unknown_fields)}")
    return target, fixtures, {key: str(value) for key, value in fields.items()}


def target_from_flags(options: Any, **overrides: Any) -> Target:
    """``build_target`` from parsed command-line flags (absent flags count as not given)."""
    names = (
        "config",
        "apis",
        "base_url",
        "user",
        "password_env",
        "token_env",
        "timeout",
        "ca_bundle",
        "insecure",
        "allow_mutations",
        "max_response_bytes",
        "max_rps",
    )
    flags: dict[str, Any] = {name: getattr(options, name, None) for name in names}
    flags["username"] = flags.pop("user")
    flags["insecure"] = bool(flags["insecure"])
    flags["allow_mutations"] = bool(flags["allow_mutations"])
    flags.update(overrides)
    return build_target(**flags)


def build_target(
    *,
    config: str | None = None,
    apis: list[str] | None = None,
    base_url: str | None = None,
    username: str | None = None,
    password_env: str | None = None,
    token_env: str | None = None,
    timeout: float | None = None,
    ca_bundle: str | None = None,
    insecure: bool = False,
    allow_mutations: bool = False,
    max_response_bytes: int | None = None,
    max_rps: float | None = None,
) -> Target:
    """Merge a target file with flags (flags win) and check the result."""
    file_target: dict[str, Any] = {}
    fixtures: dict[str, Any] = {}
    fields: dict[str, str] = {}
    if config:
        file_target, fixtures, fields = load_target_file(config)
    target = Target(fixtures=fixtures, fields=fields)
    if apis:
        target.apis = check_apis(apis)
    elif file_target.get("api"):
        target.apis = [file_target["api"]]
    url = base_url or file_target.get("base_url")
    target.base_url = check_base_url(url) if url else None
    target.username = username or file_target.get("username")
    target.password_env = password_env or file_target.get("password_env")
    target.token_env = token_env or file_target.get("token_env")
    raw_timeout = timeout if timeout is not None else file_target.get("timeout", DEFAULT_TIMEOUT)
    try:
        target.timeout = float(raw_timeout)
    except (TypeError, ValueError):
        raise UsageError(f"timeout {raw_timeout!r} is not a number of seconds") from None
    if target.timeout <= 0:
        raise UsageError("timeout must be a positive number of seconds")
    bundle = ca_bundle or file_target.get("ca_bundle")
    if bundle:
        bundle_path = Path(bundle)
        if config and not bundle_path.is_absolute() and not ca_bundle:
            bundle_path = Path(config).parent / bundle_path
        if not bundle_path.is_file():
            raise UsageError(f"CA bundle {bundle} is not a readable file")
        target.ca_bundle = str(bundle_path)
    target.insecure = insecure or bool(file_target.get("insecure", False))
    target.allow_mutations = allow_mutations or bool(file_target.get("allow_mutations", False))
    size = max_response_bytes or file_target.get("max_response_bytes")
    if size:
        target.max_response_bytes = _positive(size, "max_response_bytes", int)
    rate = max_rps if max_rps is not None else file_target.get("max_rps")
    if rate is not None:
        target.max_rps = _positive(rate, "max_rps", float)
    # Touch the secrets now so a missing variable is a usage error before anything is sent.
    target.secrets()
    if target.password_env and not target.username:
        raise UsageError("--password-env needs --user (or username in the target file)")
    return target

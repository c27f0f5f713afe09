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

from conformance import config_keys, registry, versions
from conformance.errors import UsageError
from conformance.network import Network, build_network
from conformance.redact import Redactor

DEFAULT_TIMEOUT = 30.0
# A BigFix status of 100000 computers (GET /api/action/{id}/status, pretty-printed, FQDN
# names) measures 46.5 MiB; 128 MiB leaves a margin of 2.75 and bounds memory per request.
DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024
PROFILES = ("fast", "ci", "deep")

# The keys and their types: conformance.config_keys (and each API profile for [fixtures]).


@dataclass
class Target:
    """Everything the suite needs to know about the server under test."""

    apis: list[str] = field(default_factory=lambda: list(registry.names()))
    base_url: str | None = None
    username: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    # A valid user (or token) without the actions' permission: the 403 checks use it.
    restricted_username: str | None = None
    restricted_password_env: str | None = None
    restricted_token_env: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: str | None = None
    insecure: bool = False
    allow_mutations: bool = False
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_rps: float | None = None
    vendor_version: str | None = None  # judge by this vendor version's rules (None: any's)
    fixtures: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    network: Network = field(default_factory=Network)

    @property
    def bundled(self) -> bool:
        return self.base_url is None

    @property
    def password(self) -> str | None:
        return _read_env(self.password_env, "--password-env") if self.password_env else None

    @property
    def token(self) -> str | None:
        return _read_env(self.token_env, "--token-env") if self.token_env else None

    @property
    def restricted_password(self) -> str | None:
        if not self.restricted_password_env:
            return None
        return _read_env(self.restricted_password_env, "--restricted-password-env")

    @property
    def restricted_token(self) -> str | None:
        if not self.restricted_token_env:
            return None
        return _read_env(self.restricted_token_env, "--restricted-token-env")

    def secrets(self) -> list[str]:
        """Every secret value this target holds, for redaction."""
        values = (self.password, self.token, self.restricted_password, self.restricted_token)
        return [value for value in values if value] + self.network.secrets()

    def redactor(self) -> Redactor:
        """A redactor that knows this target's secrets in every spelling they travel in."""
        redactor = Redactor(self.secrets())
        if self.username:
            redactor.add(self.password, self.username)
        if self.restricted_username:
            redactor.add(self.restricted_password, self.restricted_username)
        self.network.add_to(redactor)
        return redactor

    def verify(self) -> bool | str:
        """The ``verify`` argument for requests."""
        if self.insecure:
            return False
        return self.ca_bundle or True


def field_keys() -> set[str]:
    """The ``[fields]`` keys a target file may hold (any API's)."""
    return set(config_keys.field_keys())


def _read_env(name: str, flag: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise UsageError(f"{flag} names environment variable {name}, which is not set")
    return value


def check_base_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        hostname, _ = parts.hostname, parts.port  # a bad port or IPv6 literal raises here
    except ValueError as exc:
        raise UsageError(f"--base-url {url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not hostname:
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
    """Read a target file: returns its [target], [fixtures] and [fields] tables, checked.

    Every key must be known and of its one type (``conformance.config_keys``).
    """
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read target file {file}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"target file {file} is not valid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:  # e.g. a path with a NUL, nesting past the limit
        raise UsageError(f"cannot read target file {file}: {exc.__class__.__name__}") from None
    unknown_tables = sorted(set(data) - set(config_keys.TARGET_TABLES))
    if unknown_tables:
        raise UsageError(f"target file {file}: unknown table(s) {unknown_tables}")
    tables = {}
    for name in config_keys.TARGET_TABLES:
        value = data.get(name, {})
        if not isinstance(value, dict):
            got = config_keys.describe(value)
            raise UsageError(f"target file {file}: [{name}] must be a table, got {got}")
        tables[name] = value
    target = config_keys.check_table(
        tables["target"], config_keys.TARGET, f"target file {file}: [target] ", what="key"
    )
    api = target.get("api")
    if api is not None:
        check_apis([api])
    where = f"target file {file}: [fixtures] "
    fixture_types = config_keys.fixture_keys(api)
    unknown_fixtures = sorted(set(tables["fixtures"]) - set(fixture_types))
    if unknown_fixtures:
        for_api = f" for {api}" if api else ""
        raise UsageError(
            f"target file {file}: unknown [fixtures] key(s){for_api}: {unknown_fixtures}"
        )
    fixtures = config_keys.check_table(tables["fixtures"], fixture_types, where)
    field_types = config_keys.field_keys()
    unknown_fields = sorted(set(tables["fields"]) - set(field_types))
    if unknown_fields:
        raise UsageError(f"target file {file}: unknown [fields] key(s): {unknown_fields}")
    fields = config_keys.check_table(
        tables["fields"], field_types, f"target file {file}: [fields] "
    )
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
        "restricted_user",
        "restricted_password_env",
        "restricted_token_env",
        "timeout",
        "ca_bundle",
        "insecure",
        "allow_mutations",
        "max_response_bytes",
        "max_rps",
        "vendor_version",
        "headers",
        "header_env",
        "proxy",
        "client_cert",
        "client_key",
    )
    flags: dict[str, Any] = {name: getattr(options, name, None) for name in names}
    flags["username"] = flags.pop("user")
    flags["restricted_username"] = flags.pop("restricted_user")
    flags["insecure"] = bool(flags["insecure"])
    flags["allow_mutations"] = bool(flags["allow_mutations"])
    flags["trust_env"] = bool(getattr(options, "trust_env", False))
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
    restricted_username: str | None = None,
    restricted_password_env: str | None = None,
    restricted_token_env: str | None = None,
    timeout: float | None = None,
    ca_bundle: str | None = None,
    insecure: bool = False,
    allow_mutations: bool = False,
    max_response_bytes: int | None = None,
    max_rps: float | None = None,
    vendor_version: str | None = None,
    headers: list[str] | None = None,
    header_env: list[str] | None = None,
    proxy: str | None = None,
    trust_env: bool = False,
    client_cert: str | None = None,
    client_key: str | None = None,
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
    for key, flag in (
        ("restricted_username", restricted_username),
        ("restricted_password_env", restricted_password_env),
        ("restricted_token_env", restricted_token_env),
    ):
        setattr(target, key, flag or file_target.get(key))
    if timeout is not None:
        target.timeout = float(config_keys.check_value("--timeout", timeout, config_keys.SECONDS))
    else:
        target.timeout = float(file_target.get("timeout", DEFAULT_TIMEOUT))
    bundle = ca_bundle or file_target.get("ca_bundle")
    if bundle:
        bundle_path = Path(bundle)
        if config and not bundle_path.is_absolute() and not ca_bundle:
            bundle_path = Path(config).parent / bundle_path
        try:
            readable = bundle_path.is_file()
        except (OSError, ValueError):  # a NUL in the name, a name too long
            readable = False
        if not readable:
            raise UsageError(f"CA bundle {bundle!r} is not a readable file")
        target.ca_bundle = str(bundle_path)
    # Only a TOML boolean true (or the flag) switches these on: the types were checked above.
    target.insecure = insecure is True or file_target.get("insecure") is True
    target.allow_mutations = allow_mutations is True or file_target.get("allow_mutations") is True
    if max_response_bytes is not None:
        flag = "--max-response-bytes"
        target.max_response_bytes = config_keys.check_value(
            flag, max_response_bytes, config_keys.BYTES
        )
    elif "max_response_bytes" in file_target:
        target.max_response_bytes = file_target["max_response_bytes"]
    if max_rps is not None:
        target.max_rps = float(config_keys.check_value("--max-rps", max_rps, config_keys.RATE))
    elif "max_rps" in file_target:
        target.max_rps = float(file_target["max_rps"])
    version = vendor_version or file_target.get("vendor_version")
    if version is not None:
        if not isinstance(version, str):
            raise UsageError(f'vendor_version {version!r} must be a string such as "8.0"')
        target.vendor_version = str(versions.parse(version))
    target.network = build_network(
        headers=headers or (),
        header_env=header_env or (),
        proxy=proxy,
        trust_env=trust_env,
        client_cert=client_cert,
        client_key=client_key,
        file=file_target,
        base=Path(config).parent if config else None,
    )
    # Touch the secrets now so a missing variable is a usage error before anything is sent.
    target.secrets()
    if target.password_env and not target.username:
        raise UsageError("--password-env needs --user (or username in the target file)")
    if target.restricted_password_env and not target.restricted_username:
        raise UsageError(
            "--restricted-password-env needs --restricted-user "
            "(or restricted_username in the target file)"
        )
    return target

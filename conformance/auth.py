"""Authorization header values for each API's scheme."""

from __future__ import annotations

import base64
import shlex

from conformance import registry
from conformance.http import curl_basic, curl_token
from conformance.servers.base import (
    BUNDLED_PASSWORD,
    BUNDLED_RESTRICTED_PASSWORD,
    BUNDLED_RESTRICTED_TOKEN,
    BUNDLED_RESTRICTED_USER,
    BUNDLED_TOKEN,
    BUNDLED_USER,
)
from conformance.target import Target


def uses_token(api: str) -> bool:
    """Whether ``api`` takes a raw token in ``Authorization`` (no scheme) instead of Basic."""
    return registry.profile(api).auth == "token"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def authorization_for(api: str, target: Target) -> str | None:
    """The header the target's credentials give for ``api`` (bundled servers: built-in ones)."""
    return _header(api, target, restricted=False)


def restricted_authorization_for(api: str, target: Target) -> str | None:
    """The header of the target's second, restricted credentials for ``api``, or None.

    Valid credentials without the permission the actions need (a role without it, a token
    without access to the fleet): a conformant server refuses their requests with 403.
    """
    return _header(api, target, restricted=True)


def _header(api: str, target: Target, *, restricted: bool) -> str | None:
    if target.bundled:
        if uses_token(api):
            return BUNDLED_RESTRICTED_TOKEN if restricted else BUNDLED_TOKEN
        if restricted:
            return basic(BUNDLED_RESTRICTED_USER, BUNDLED_RESTRICTED_PASSWORD)
        return basic(BUNDLED_USER, BUNDLED_PASSWORD)
    if uses_token(api):
        return target.restricted_token if restricted else target.token
    username = target.restricted_username if restricted else target.username
    if not username:
        return None
    password = target.restricted_password if restricted else target.password
    return basic(username, password or "")


RESTRICTED_KEYS = {
    "token": "restricted_token_env (or --restricted-token-env)",
    "basic": "restricted_username and restricted_password_env (or --restricted-user and "
    "--restricted-password-env)",
}


def restricted_keys(api: str) -> str:
    """What a target sets to give ``api`` restricted credentials (for a skip reason)."""
    return RESTRICTED_KEYS["token" if uses_token(api) else "basic"]


def wrong_authorization_for(api: str, target: Target) -> str:
    """Credentials a conformant server must refuse."""
    if uses_token(api):
        return "actionconform-invalid-token"
    username = BUNDLED_USER if target.bundled else (target.username or "actionconform")
    return basic(username, "actionconform-wrong-password")


def curl_auth_for(api: str, target: Target) -> list[str]:
    """curl arguments for the credentials ``authorization_for`` gives, secrets as variables."""
    if target.bundled:  # the bundled servers' credentials are public constants
        if uses_token(api):
            return ["-H", shlex.quote(f"Authorization: {BUNDLED_TOKEN}")]
        return ["-u", shlex.quote(f"{BUNDLED_USER}:{BUNDLED_PASSWORD}")]
    if uses_token(api):
        return curl_token(target.token_env) if target.token_env else []
    if target.username:
        return curl_basic(target.username, target.password_env)
    return []

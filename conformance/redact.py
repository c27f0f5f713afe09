"""Keep secrets out of everything the suite writes or prints."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping

REDACTED = "[redacted]"
SECRET_HEADERS = {"authorization", "proxy-authorization", "sessiontoken", "cookie", "set-cookie"}
_SECURE_PARAMETER = re.compile(
    r"(<SecureParameter\b[^>]*>)(.*?)(</SecureParameter>)", re.DOTALL | re.IGNORECASE
)


class Redactor:
    """Replaces known secret values, secret headers and SecureParameter contents."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None, username: str | None = None) -> None:
        if not secret:
            return
        self._secrets.add(secret)
        if username is not None:
            pair = f"{username}:{secret}".encode()
            self._secrets.add(base64.b64encode(pair).decode())

    def text(self, value: str) -> str:
        value = _SECURE_PARAMETER.sub(rf"\1{REDACTED}\3", value)
        for secret in sorted(self._secrets, key=len, reverse=True):
            value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            name: REDACTED if name.lower() in SECRET_HEADERS else self.text(str(value))
            for name, value in headers.items()
        }

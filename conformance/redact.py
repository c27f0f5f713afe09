"""Keep secrets out of everything the suite writes or prints.

A secret is replaced in every spelling it may take in a report: as given, Base64 in a Basic
header, JSON-, URL-, HTML- and XML-escaped. Secret headers (``Authorization``, ``SessionToken``,
cookies) and the contents of ``<SecureParameter>`` elements are replaced whatever they hold,
also when an excerpt cut the element short.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
SECRET_HEADERS = {
    "authorization",
    "proxy-authorization",
    "sessiontoken",
    "x-auth-token",
    "cookie",
    "set-cookie",
}
_SECURE_PARAMETER = re.compile(
    r"(<SecureParameter\b[^>]*(?<!/)>)(.*?)(</SecureParameter>|$)",
    re.DOTALL | re.IGNORECASE,
)
# The same element once a report has been escaped for HTML or XML.
_SECURE_PARAMETER_ESCAPED = re.compile(
    r"(&lt;SecureParameter\b.*?&gt;)(.*?)(&lt;/SecureParameter&gt;|$)",
    re.DOTALL | re.IGNORECASE,
)


def spellings(secret: str) -> set[str]:
    """The forms a secret can take once quoted for JSON, a URL, HTML or XML."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        html.escape(secret),
        html.escape(secret, quote=False),
    }
    return {form for form in forms if form}


class Redactor:
    """Replaces known secret values, secret headers and SecureParameter contents."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._longest_first: list[str] = []  # a longer spelling before one it contains
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None, username: str | None = None) -> None:
        if not secret:
            return
        self._secrets |= spellings(secret)
        if username is not None:
            pair = base64.b64encode(f"{username}:{secret}".encode()).decode()
            self._secrets |= spellings(pair)
        self._longest_first = sorted(self._secrets, key=len, reverse=True)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def text(self, value: str) -> str:
        # Only markup (raw or escaped) naming the element can hold it; casefold() matches
        # every spelling the patterns' IGNORECASE does (the long s U+017F for s included).
        if ("<" in value or "&" in value) and "secureparameter" in value.casefold():
            value = _SECURE_PARAMETER.sub(rf"\1{REDACTED}\3", value)
            value = _SECURE_PARAMETER_ESCAPED.sub(rf"\1{REDACTED}\3", value)
        for secret in self._longest_first:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def tree(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string value redacted and keys kept.

        Redacting a serialised document instead would let a short secret (say ``x``) rewrite
        the keys (``e[redacted]pected``) and break the document.
        """
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.tree(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.tree(item) for item in value]
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            name: REDACTED if name.lower() in SECRET_HEADERS else self.text(str(value))
            for name, value in headers.items()
        }

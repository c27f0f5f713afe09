"""Before anything is judged: can the target be reached, over TLS, with these credentials?

The probe is one GET per API through the suite's own client, so it has the same hard deadline,
rate limit and redirect policy as every other request. Only the status line and headers are
read: a server that trickles or never ends its body is the suite's to judge, not the probe's.
"""

from __future__ import annotations

from conformance import registry
from conformance.auth import authorization_for
from conformance.errors import UnreachableError
from conformance.http import ApiClient, NoResponse, RateLimiter
from conformance.redact import Redactor
from conformance.target import Target

TLS_HINT = "(use --ca-bundle FILE to trust its CA, or --insecure to skip verification)"


def preflight(
    target: Target,
    *,
    rate_limiter: RateLimiter | None = None,
    apis: list[str] | None = None,
) -> None:
    """Raise ``UnreachableError`` (exit 3) with one clear line if nothing can be assessed."""
    if target.base_url is None:
        return
    for api in apis or target.apis:
        client = ApiClient(
            target.base_url,
            authorization=authorization_for(api, target),
            redactor=Redactor(target.secrets()),
            timeout=target.timeout,
            verify=target.verify(),
            max_response_bytes=target.max_response_bytes,
            allow_mutations=False,
            rate_limiter=rate_limiter,
        )
        probe = registry.profile(api).probe  # a GET answered without acting on anything
        try:
            response = client.request("GET", probe, headers_only=True, retry=True)
        except NoResponse as exc:
            raise UnreachableError(_line(target, exc)) from None
        if response.status == 401:
            given = "were rejected" if client.authorization else "are required but none were given"
            raise UnreachableError(
                f"{target.base_url} answered 401 to GET {probe}: credentials {given}"
            )


def _line(target: Target, exc: NoResponse) -> str:
    if exc.kind == "tls":
        detail = exc.message.removeprefix("TLS failure: ")
        return f"TLS failure talking to {target.base_url}: {detail} {TLS_HINT}"
    if exc.kind == "timeout":
        return f"{target.base_url} did not answer within {target.timeout:g} s"
    detail = exc.message.removeprefix("connection failed: ")
    return f"cannot reach {target.base_url}: {detail}"

"""Before anything is judged: can the target be reached, over TLS, with these credentials?"""

from __future__ import annotations

import re

import requests

from conformance.auth import authorization_for
from conformance.errors import UnreachableError
from conformance.target import Target

# A read that every API answers to an authenticated client without acting on anything.
PROBES: dict[str, str] = {
    "bigfix": "/api/login",
    "nexthink": "/api/remoteaction/v2/run",
    "redis-enterprise": "/v1/cluster/actions",
    "edgeiq": "/fleets",
}


def preflight(target: Target) -> None:
    """Raise ``UnreachableError`` (exit 3) with one clear line if nothing can be assessed."""
    if target.base_url is None:
        return
    session = requests.Session()
    session.trust_env = False
    for api in target.apis:
        url = target.base_url + PROBES[api]
        headers = {}
        authorization = authorization_for(api, target)
        if authorization:
            headers["Authorization"] = authorization
        try:
            response = session.get(
                url,
                headers=headers,
                timeout=(min(target.timeout, 10.0), target.timeout),
                verify=target.verify(),
                allow_redirects=False,
                stream=True,
            )
            response.close()
        except requests.exceptions.SSLError as exc:
            raise UnreachableError(
                f"TLS failure talking to {target.base_url}: {_reason(exc)} "
                "(use --ca-bundle FILE, or --insecure to skip verification)"
            ) from None
        except requests.exceptions.Timeout:
            raise UnreachableError(
                f"{target.base_url} did not answer within {target.timeout:g} s"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise UnreachableError(f"cannot reach {target.base_url}: {_reason(exc)}") from None
        if response.status_code == 401:
            given = "were rejected" if authorization else "are required but none were given"
            raise UnreachableError(
                f"{target.base_url} answered 401 to GET {PROBES[api]}: credentials {given}"
            )


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "certificate verify failed" in text:
        return "certificate verify failed"
    errno = re.search(r"\[Errno -?\d+\] [^'\"()]+", text)
    if errno:
        return errno.group(0).strip()
    return text.splitlines()[0][:200] if text else exc.__class__.__name__

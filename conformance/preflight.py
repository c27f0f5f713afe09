"""Before anything is judged: can the target be reached, over TLS, with these credentials?

The probe is one GET per API through the suite's own client, so it has the same hard deadline,
rate limit and redirect policy as every other request. Only the status line and headers are
read: a server that trickles or never ends its body is the suite's to judge, not the probe's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance import registry
from conformance.auth import authorization_for, curl_auth_for
from conformance.errors import UnreachableError
from conformance.http import ApiClient, Exchange, NoResponse, RateLimiter
from conformance.redact import Redactor
from conformance.selection import Selection
from conformance.target import Target

TLS_HINT = "(use --ca-bundle FILE to trust its CA, or --insecure to skip verification)"


def preflight(
    target: Target,
    *,
    rate_limiter: RateLimiter | None = None,
    apis: list[str] | None = None,
    recorder: Callable[[Exchange, bytes | None, str | None], None] | None = None,
) -> None:
    """Raise ``UnreachableError`` (exit 3) with one clear line if nothing can be assessed.

    ``recorder`` sees the probes (for exchanges.har, so even an exit-3 report shows the wire).
    """
    if target.base_url is None:
        return
    for api in apis or target.apis:
        client = ApiClient(
            target.base_url,
            authorization=authorization_for(api, target),
            curl_auth=curl_auth_for(api, target),
            redactor=target.redactor(),
            timeout=target.timeout,
            verify=target.verify(),
            max_response_bytes=target.max_response_bytes,
            allow_mutations=False,
            rate_limiter=rate_limiter,
            recorder=recorder,
            network=target.network,
        )
        probe = registry.profile(api).probe  # a GET answered without acting on anything
        try:
            response = client.request("GET", probe, headers_only=True, retry=True)
        except NoResponse as exc:
            raise UnreachableError(client.redactor.text(_line(target, exc))) from None
        if response.status == 407:
            given = "were rejected" if target.network.proxy_has_credentials() else "are required"
            raise UnreachableError(
                f"the proxy answered 407 to GET {target.base_url}{probe}: proxy credentials {given}"
            )
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


def preflight_or_report(
    target: Target,
    report_dir: str | Path,
    *,
    rate_limiter: RateLimiter | None = None,
    selection: Selection | None = None,
    events: str | None = None,
) -> None:
    """``preflight``; if nothing can be assessed, write the not-assessed report (and the
    ``--events`` lines of a run that ended at once), then raise.

    A CI step that uploads junit.xml or the report directory finds them after an exit 3 too.
    """
    from conformance.report import write_report_dir
    from conformance.report.har import HarRecorder
    from conformance.report.model import not_assessed_report, now

    started_at = now()
    directory = Path(report_dir)
    part = directory / ".exchanges-preflight.jsonl"
    part.unlink(missing_ok=True)  # an earlier run's probe, if the directory is used again
    recorder = HarRecorder(part, target.redactor())
    recorder.attribute([], "preflight")
    try:
        preflight(target, rate_limiter=rate_limiter, recorder=recorder.record)
    except UnreachableError as exc:
        report = not_assessed_report(target, str(exc), started_at, selection)
        redactor = target.redactor()
        write_report_dir(directory, redactor.tree(report), Redactor())
        if events:
            from conformance.events import write_ended_run

            write_ended_run(events, redactor.tree(report), str(directory))
        print(f"report: {directory / 'report.html'}", flush=True)
        raise

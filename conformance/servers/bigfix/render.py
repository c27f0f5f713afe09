"""How the BigFix server writes its answers: BESAPI/BES documents, JSON, plain text, times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from conformance.servers.base import Reply
from conformance.servers.bigfix.fields import Fragment, Shared, leaf, parent, written

if TYPE_CHECKING:
    from conformance.servers.bigfix.state import Download

XML = "application/xml"
JSON = "application/json"
TEXT = "text/plain"
BESAPI_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<BESAPI xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:noNamespaceSchemaLocation="BESAPI.xsd">\n'
)
BES_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<BES xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:noNamespaceSchemaLocation="BES.xsd">\n'
)


def http_date(moment: datetime) -> str:
    """BigFix's time format: RFC 1123 with a numeric offset, in GMT."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def parse_http_date(text: str) -> datetime:
    return datetime.strptime(text, "%a, %d %b %Y %H:%M:%S %z")


def micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000


def element(tag: str, text: object, **attributes: str) -> str:
    return written(tag, text, attributes.items())


def computer_fragment(computer: dict[str, Any], shared: Shared, *, state: bool = True) -> Fragment:
    """One ``<Computer>`` row of a status, as fragments (the ``?fields=`` filter joins them)."""
    children = [leaf("Status", computer["Status"], shared)]
    if state:
        children.append(leaf("State", int(computer["State"]), shared, (("IsError", "0"),)))
    for name in ("ExitCode", "ApplyCount", "RetryCount", "LineNumber", "StartTime", "EndTime"):
        if name in computer:
            children.append(leaf(name, computer[name], shared))
    attributes = (("ID", str(computer["ID"])), ("Name", str(computer["Name"])))
    return parent("Computer", attributes, tuple(children), shared)


def download_xml(action_id: int, download: Download) -> str:
    available = "true" if download.state == "COMPLETED" else "false"
    done = download.size if download.state == "COMPLETED" else 0
    return (
        "<ActionDownload><DownloadRequestTarget>"
        f"<ActionID>{action_id}</ActionID><Index>{download.index}</Index>"
        f'<Hashes hashAlgorithm="sha1">{download.sha1}</Hashes>'
        f"<Size>{download.size}</Size>{element('URL', download.url)}</DownloadRequestTarget>"
        f"<Status><State>{download.state}</State>"
        f"<Timestamp>{http_date(download.timestamp)}</Timestamp>"
        f"<RetryCount>{download.retry_count}</RetryCount></Status>"
        f"<Available>{available}</Available><BytesDownloaded>{done}</BytesDownloaded>"
        f"<TotalBytes>{download.size}</TotalBytes><RetryLimit>{download.retry_limit}</RetryLimit>"
        "</ActionDownload>"
    )


def download_json(action_id: int, download: Download, first_index: int = 1) -> dict[str, Any]:
    completed = download.state == "COMPLETED"
    return {
        "DownloadRequestTarget": {
            "actionID": action_id,
            "index": download.index - 1 + first_index,
            "hashes": [{"algorithm": "sha1", "value": download.sha1}],
            "size": download.size,
            "url": download.url,
        },
        "Status": {
            "State": download.state,
            "Timestamp": micros(download.timestamp),
            "RetryCount": download.retry_count,
            "Error": None,
        },
        "Available": completed,
        "BytesDownloaded": download.size if completed else 0,
        "TotalBytes": download.size,
        "MinutesToNextRetry": None,
        "RetryLimit": download.retry_limit,
    }


def plain(status: int, message: str) -> Reply:
    return Reply(status, message + "\n", TEXT)


def besapi(root: etree._Element) -> str:
    """The children of ``root`` in a BESAPI document, one per line."""
    inner = "".join(etree.tostring(child, encoding="unicode") + "\n" for child in root)
    return f"{BESAPI_OPEN}{inner}</BESAPI>\n"

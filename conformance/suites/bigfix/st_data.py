"""What schemathesis needs to know about BigFix beyond its spec (``conformance/st_hooks.py``).

``MEDIA_TYPES``: request bodies for BigFix's XML media types. ``CONTEXT_KEYS``: which value of
``context.py`` a path parameter takes in the suite's positive cases, per operation, where the
first listed action would not do (a status with computers, an action with downloads).

The spec types a BES request body as an XSD-checked string, which schemathesis cannot generate
from; these strategies draw valid, inert SingleAction documents instead (``strategies.py``:
false relevance, targets no computer can match), so positive cases reach the server's logic.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.suites.bigfix.bodies import SafeTargets
from conformance.suites.bigfix.strategies import from_single_action

_ACTIONS: st.SearchStrategy[bytes] = from_single_action(SafeTargets()).map(
    lambda action: action.body
)

MEDIA_TYPES: dict[str, st.SearchStrategy[bytes]] = {
    "application/xml": _ACTIONS,
    "text/xml": _ACTIONS,
}

CONTEXT_KEYS: dict[str, dict[str, str]] = {
    "bigfixGetActionStatus": {"action_id": "status_action_id"},
    "bigfixListActionDownloads": {"action_id": "download_action_id"},
    "bigfixGetActionDownload": {"action_id": "download_action_id"},
    "bigfixRetryActionDownloads": {"action_id": "download_action_id"},
    "bigfixRetryActionDownload": {"action_id": "download_action_id"},
}

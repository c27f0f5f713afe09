"""Request bodies schemathesis draws for BigFix's XML media types (``conformance/st_hooks.py``).

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

"""What schemathesis needs to know about EdgeIQ beyond its spec (``conformance/st_hooks.py``).

``CONTEXT_KEYS``: the spec names the fleet path parameter ``id``; ``context.py`` calls the
fleet the suite may act on ``fleet_id``.
"""

from __future__ import annotations

CONTEXT_KEYS: dict[str, dict[str, str]] = {"edgeiqExecuteFleetAction": {"id": "fleet_id"}}

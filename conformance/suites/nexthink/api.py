"""Nexthink Act API v2, as the registry knows it (``conformance/registry.py``)."""

from conformance.config_keys import POSITIVE_INTEGER, STRING, STRINGS
from conformance.registry import ApiProfile

API = ApiProfile(
    name="nexthink",
    title="Nexthink Act API v2",
    id_prefix="NEXTHINK-",
    spec="nexthink-act-v2.yaml",
    auth="basic",
    probe="/api/remoteaction/v2/run",
    fixture_keys={
        "remote_action_uid": STRING,
        "remote_action_uid_no_manual": STRING,
        "remote_action_uid_disabled": STRING,
        "device_uids": STRINGS,
        "engine_database_uids": STRINGS,
        "device_limit": POSITIVE_INTEGER,
    },
    server="conformance.servers.nexthink:NexthinkApp",
)

"""Nexthink Act API v2, as the registry knows it (``conformance/registry.py``)."""

from conformance.registry import ApiProfile

API = ApiProfile(
    name="nexthink",
    title="Nexthink Act API v2",
    id_prefix="NEXTHINK-",
    spec="nexthink-act-v2.yaml",
    auth="basic",
    probe="/api/remoteaction/v2/run",
    fixture_keys=frozenset(
        {
            "remote_action_uid",
            "remote_action_uid_no_manual",
            "remote_action_uid_disabled",
            "device_uids",
            "engine_database_uids",
            "device_limit",
        }
    ),
    server="conformance.servers.nexthink:NexthinkApp",
)

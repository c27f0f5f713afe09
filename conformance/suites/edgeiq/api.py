"""EdgeIQ fleet actions, as the registry knows it (``conformance/registry.py``).

The token goes raw in ``Authorization`` (no scheme). ``[fields]`` name the body fields the
vendor page does not show.
"""

from conformance.config_keys import STRING
from conformance.registry import ApiProfile

API = ApiProfile(
    name="edgeiq",
    title="EdgeIQ fleet actions",
    id_prefix="EDGEIQ-",
    spec="edgeiq-fleet-actions.yaml",
    auth="token",
    probe="/fleets",
    fixture_keys={
        "fleet_id": STRING,
        "missing_fleet_id": STRING,
        "command_id": STRING,
        "gateway_command": STRING,
        "configuration_id": STRING,
        "setting_id": STRING,
    },
    field_keys={
        "heartbeat_period": STRING,
        "heartbeat_values": STRING,
        "configuration_id": STRING,
        "setting_id": STRING,
        "setting_version": STRING,
        "command_id": STRING,
    },
    server="conformance.servers.edgeiq:EdgeIQApp",
)

"""EdgeIQ fleet actions, as the registry knows it (``conformance/registry.py``).

The token goes raw in ``Authorization`` (no scheme). ``[fields]`` name the body fields the
vendor page does not show.
"""

from conformance.registry import ApiProfile

API = ApiProfile(
    name="edgeiq",
    title="EdgeIQ fleet actions",
    id_prefix="EDGEIQ-",
    spec="edgeiq-fleet-actions.yaml",
    auth="token",
    probe="/fleets",
    fixture_keys=frozenset(
        {
            "fleet_id",
            "missing_fleet_id",
            "command_id",
            "gateway_command",
            "configuration_id",
            "setting_id",
        }
    ),
    field_keys=frozenset(
        {
            "heartbeat_period",
            "heartbeat_values",
            "configuration_id",
            "setting_id",
            "setting_version",
            "command_id",
        }
    ),
    server="conformance.servers.edgeiq:EdgeIQApp",
)

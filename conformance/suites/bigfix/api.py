"""HCL BigFix REST API actions, as the registry knows it (``conformance/registry.py``)."""

from conformance.registry import ApiProfile

API = ApiProfile(
    name="bigfix",
    title="HCL BigFix REST API actions",
    id_prefix="BIGFIX-",
    spec="bigfix-actions.yaml",
    auth="basic",
    probe="/api/login",
    fixture_keys=frozenset({"computer_ids", "missing_action_id"}),
    server="conformance.servers.bigfix:BigFixApp",
)

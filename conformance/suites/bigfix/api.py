"""HCL BigFix REST API actions, as the registry knows it (``conformance/registry.py``)."""

from conformance.config_keys import INTEGER, INTEGERS, STRING
from conformance.registry import ApiProfile

API = ApiProfile(
    name="bigfix",
    title="HCL BigFix REST API actions",
    id_prefix="BIGFIX-",
    spec="bigfix-actions.yaml",
    auth="basic",
    probe="/api/login",
    fixture_keys={
        "computer_ids": INTEGERS,
        "missing_action_id": INTEGER,
        "fixlet_site": STRING,
        "fixlet_id": INTEGER,
        "fields_example_bytes": INTEGER,
    },
    server="conformance.servers.bigfix:BigFixApp",
)

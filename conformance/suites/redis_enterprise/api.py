"""Redis Enterprise REST API actions, as the registry knows it (``conformance/registry.py``)."""

from conformance.config_keys import STRING, TABLE
from conformance.registry import ApiProfile

API = ApiProfile(
    name="redis-enterprise",
    title="Redis Enterprise Software REST API actions",
    id_prefix="REDIS-",
    spec="redis-enterprise-actions.yaml",
    auth="basic",
    probe="/v1/cluster/actions",
    fixture_keys={
        "cluster_action": STRING,
        "cluster_action_body": TABLE,
        "action_uid": STRING,
        "bdb_uid": STRING,
    },
    server="conformance.servers.redis_enterprise:RedisEnterpriseApp",
)

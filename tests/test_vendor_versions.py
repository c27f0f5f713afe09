"""Vendor versions: rules say which versions they hold for, and the suite judges accordingly.

Without ``--vendor-version`` the suite judges by what any documented version allows, so a
healthy server of any modelled version passes; with it, by that version's rules, so a server
showing a later version's behaviour fails on exactly that behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from conformance import catalogue, versions
from conformance.catalogue import Requirement
from conformance.errors import UsageError
from conformance.servers import ReferenceServer, app_class
from conformance.servers.redis_enterprise import RedisEnterpriseApp
from conformance.suites.redis_enterprise import schemas
from conformance.target import build_target
from conformance.verdict import summarise
from tests.helpers import CliResult, assert_no_traceback, run_against, run_cli, run_in_process

API = "redis-enterprise"
REDIS_VERSIONS = RedisEnterpriseApp.VERSIONS
# Routes later versions added (NOTES.md): GET /v1/actions/bdb/{bdb_uid} from 7.4.2, v2 from 7.22.
LATER_ROUTES = ("GET /v1/actions/bdb/{bdb_uid}", "GET /v2/actions", "GET /v2/actions/{uid}")


def _failed(result: CliResult) -> set[str]:
    return {rid for rid, status in result.statuses().items() if status == "failed"}


# -- the version rules themselves ------------------------------------------------------------


def test_versions_compare_part_by_part() -> None:
    ordered = ["7.4", "7.8", "7.22", "8.0", "8.0.2", "8.1", "11.0"]
    assert sorted(ordered, key=versions.Version) == ordered
    assert versions.Version("8.0") == versions.Version("8.0.0")
    assert versions.Version("8.0.2-17") == versions.Version("8.0.2")


@pytest.mark.parametrize("text", ["", "eight", "8.x", "v8.0", "8..0"])
def test_a_malformed_version_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        versions.Version(text)


def test_a_range_holds_from_since_and_before_until() -> None:
    assert versions.applies("8.0", None, "8.0")
    assert versions.applies("8.0", None, "8.0.2")
    assert not versions.applies("8.0", None, "7.22")
    assert versions.applies(None, "8.0", "7.22")
    assert not versions.applies(None, "8.0", "8.0")
    assert versions.applies("8.0", "7.4", None)  # no version: every rule counts


def test_prune_drops_what_does_not_hold_and_keeps_everything_without_a_version() -> None:
    document = {
        "responses": {
            "200": {"description": "ok"},
            "404": {"description": "node", "x-since": "8.0.2"},
        },
        "properties": {"a": {}, "b": {"x-until": "7.8"}},
        "required": ["a", "b"],
        "status": {"anyOf": [{"enum": ["x"]}, {"const": "y", "x-since": "8.0"}]},
    }
    assert versions.prune(document, None) == document
    old = versions.prune(document, "7.4")
    assert set(old["responses"]) == {"200"}
    assert old["required"] == ["a", "b"]
    assert versions.values(old["status"], None) == ["x"]
    new = versions.prune(document, "8.0.2")
    assert set(new["responses"]) == {"200", "404"}
    assert new["required"] == ["a"] and "b" not in new["properties"]
    assert versions.values(document["status"], "8.0") == ["x", "y"]


def test_action_statuses_follow_the_pages_of_each_version() -> None:
    base = {"queued", "starting", "running", "cancelling", "cancelled", "completed", "failed"}
    assert set(schemas.action_statuses("7.4")) == base
    assert set(schemas.action_statuses("7.22")) == base | {"pending", "active"}
    assert set(schemas.action_statuses("8.0")) == base | {"pending", "active", "aborted"}
    assert set(schemas.action_statuses(None)) == base | {"pending", "active", "aborted"}


def test_aborted_validates_from_8_0_only() -> None:
    action = {"name": "n", "action_uid": "u", "progress": 10, "status": "aborted"}
    name = "redis-enterprise/action.schema.json"
    assert schemas.validator(name, None).is_valid(action)
    assert schemas.validator(name, "8.0").is_valid(action)
    assert not schemas.validator(name, "7.22").is_valid(action)
    cluster = "redis-enterprise/cluster-action.schema.json"
    assert not schemas.validator(cluster, "7.4").is_valid(action)
    assert not schemas.validator(cluster, None).is_valid({**action, "status": "active"})


def test_catalogue_ranges_parse_and_are_reported() -> None:
    known = catalogue.load_all()
    assert known["REDIS-CLUSTER-ACTION-LIFECYCLE"].since == "8.0"
    assert known["REDIS-CLUSTER-ACTION-LIFECYCLE"].as_dict()["since"] == "8.0"
    assert "since" not in known["REDIS-AUTH-401"].as_dict()
    for requirement in known.values():
        for bound in (requirement.since, requirement.until):
            if bound is not None:
                versions.Version(bound)


def _requirement(**bounds: str) -> Requirement:
    return Requirement("X-Y", API, "*", "MUST", "t", "NOTES.md", "quote text", **bounds)


def test_a_version_bound_failure_gates_only_when_the_version_is_known() -> None:
    bound, always = _requirement(since="8.0"), _requirement()
    failed = [{"status": "failed"}]
    assert summarise([bound], failed, False)["verdict"] == "conformant"
    assert summarise([bound], failed, False)["warnings"] == 1
    assert summarise([bound], failed, False, "8.0")["verdict"] == "non-conformant"
    assert summarise([always], failed, False)["verdict"] == "non-conformant"


def test_target_file_and_flag_name_the_vendor_version(tmp_path: Path) -> None:
    config = tmp_path / "target.toml"
    config.write_text('[target]\napi = "redis-enterprise"\nvendor_version = "7.22"\n')
    assert build_target(config=str(config)).vendor_version == "7.22"
    assert build_target(config=str(config), vendor_version="8.0").vendor_version == "8.0"
    assert build_target().vendor_version is None
    config.write_text("[target]\nvendor_version = 8.0\n")
    with pytest.raises(UsageError, match="vendor_version"):
        build_target(config=str(config))
    with pytest.raises(UsageError, match="vendor version"):
        build_target(vendor_version="latest")


# -- whole runs against the reference server playing each version ---------------------------


@pytest.mark.parametrize("version", REDIS_VERSIONS)
def test_each_version_passes_under_its_own_rules_and_the_default(
    serve: Callable[..., str], tmp_path: Path, version: str
) -> None:
    url = serve(RedisEnterpriseApp(vendor_version=version))
    own = run_against(url, API, tmp_path / "own", "--vendor-version", version, in_process=True)
    assert_no_traceback(own)
    assert own.code == 0, own.stdout + own.stderr
    assert _failed(own) == set()
    assert own.report["target"]["vendor_version"] == version
    default = run_against(url, API, tmp_path / "default", in_process=True)
    assert default.code == 0, default.stdout + default.stderr
    assert _failed(default) == set()
    assert default.report["target"]["vendor_version"] is None
    lifecycle = own.requirement("REDIS-CLUSTER-ACTION-LIFECYCLE")
    if versions.applies("8.0", None, version):
        assert lifecycle["status"] == "passed"
    else:
        assert lifecycle["status"] == "skipped"
        assert "not applicable to vendor version" in lifecycle["reason"]
    for requirement in catalogue.load_api(API):
        if requirement.operation not in LATER_ROUTES:
            continue
        mine, unnamed = own.requirement(requirement.id), default.requirement(requirement.id)
        if versions.applies(requirement.since, None, version):
            assert (mine["status"], unnamed["status"]) == ("passed", "passed"), requirement.id
        else:
            # Named older: not applicable. Unnamed: the server's 404 on a route it predates
            # fails nothing, and the record says why it could not be judged.
            assert mine["status"] == "skipped", (requirement.id, mine)
            assert "not applicable to vendor version" in mine["reason"]
            assert unnamed["status"] == "untested", (requirement.id, unnamed)
            assert (
                f"answered 404: the route exists from {requirement.since}" in (unnamed["reason"])
            ), (requirement.id, unnamed)


def test_a_server_playing_8_0_judged_as_7_4_fails_on_aborted(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve(RedisEnterpriseApp(vendor_version="8.0"))
    result = run_against(url, API, tmp_path / "report", "--vendor-version", "7.4", in_process=True)
    assert_no_traceback(result)
    assert result.code == 1, result.stdout + result.stderr
    # 'aborted' (8.0) and the listed 'active' task (7.8 field table) are both later words;
    # the spec judge reads GET /v1/actions/{uid} of those actions by the 7.4 schema too.
    assert _failed(result) == {
        "REDIS-ACTIONS-GET-STATUS",
        "REDIS-ACTIONS-GET-SCHEMA",
        "REDIS-ACTION-GET-SCHEMA",
    }
    evidence = result.requirement("REDIS-ACTIONS-GET-STATUS")["evidence"][0]["message"]
    assert "'aborted'" in evidence or "'active'" in evidence


def test_a_server_playing_8_0_2_judged_as_8_0_fails_on_the_node_404(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve(RedisEnterpriseApp(vendor_version="8.0.2"))
    result = run_against(url, API, tmp_path / "report", "--vendor-version", "8.0", in_process=True)
    assert result.code == 1, result.stdout + result.stderr
    assert _failed(result) == {"REDIS-CLUSTER-ACTION-POST-NODE-UNKNOWN"}
    message = result.requirement("REDIS-CLUSTER-ACTION-POST-NODE-UNKNOWN")["evidence"][0]
    assert "expected status 400, got 404" in message["message"]


def test_a_server_playing_7_8_judged_as_7_22_fails_on_the_missing_v2_list(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    """Named 7.22, the 404 of GET /v2/actions is the server's: it fails. What would follow the
    list (a v2 action by its uid) has nothing to follow and is untested."""
    url = serve(RedisEnterpriseApp(vendor_version="7.8"))
    result = run_against(
        url,
        API,
        tmp_path / "report",
        "--vendor-version",
        "7.22",
        "--operation",
        "/v2/actions",
        in_process=True,
    )
    assert result.code == 1, result.stdout + result.stderr
    assert _failed(result) == {"REDIS-V2-ACTIONS-GET-JSON"}
    messages = [e["message"] for e in result.requirement("REDIS-V2-ACTIONS-GET-JSON")["evidence"]]
    assert any("expected status 200, got 404" in message for message in messages), messages
    assert result.requirement("REDIS-V2-ACTION-GET-UID")["status"] == "untested"


def test_bundled_run_plays_the_version_it_judges(tmp_path: Path) -> None:
    result = run_in_process(
        "run", "--api", API, "--vendor-version", "7.4", report_dir=tmp_path / "report"
    )
    assert result.code == 0, result.stdout + result.stderr
    assert result.report["target"]["vendor_version"] == "7.4"


def test_mock_refuses_a_version_it_does_not_model() -> None:
    result = run_cli("mock", API, "--vendor-version", "6.0")
    assert result.code == 2
    assert "cannot play version '6.0'" in result.stderr
    assert_no_traceback(result)


# -- BigFix: realm from 9.5.15, downloads from 11.0 (NOTES.md) --------------------------------

BIGFIX_VERSIONS = app_class("bigfix").VERSIONS


def test_bigfix_before_11_0_has_no_download_routes() -> None:
    with ReferenceServer(app_class("bigfix")(vendor_version="9.5.15")) as server:
        response = requests.get(
            server.url + "/api/action/44/downloads", auth=("conformance", "conformance"), timeout=10
        )
        assert response.status_code == 404
    with ReferenceServer(app_class("bigfix")(vendor_version="11.0")) as server:
        response = requests.get(
            server.url + "/api/action/44/downloads", auth=("conformance", "conformance"), timeout=10
        )
        assert response.status_code == 200


@pytest.mark.parametrize("version", BIGFIX_VERSIONS)
def test_each_bigfix_version_passes_under_its_own_rules_and_the_default(
    serve: Callable[..., str], tmp_path: Path, version: str
) -> None:
    url = serve(app_class("bigfix")(vendor_version=version))
    own = run_against(url, "bigfix", tmp_path / "own", "--vendor-version", version, in_process=True)
    assert own.code == 0, own.stdout + own.stderr
    assert _failed(own) == set()
    downloads = {
        requirement.id
        for requirement in catalogue.load_api("bigfix")
        if requirement.since == "11.0"
    }
    skipped = {rid for rid, status in own.statuses().items() if status == "skipped"}
    assert skipped == (downloads if version == "9.5.15" else set())
    default = run_against(url, "bigfix", tmp_path / "default", in_process=True)
    assert default.code == 0, default.stdout + default.stderr
    assert _failed(default) == set()


def test_a_failed_version_bound_requirement_says_why_it_does_not_gate() -> None:
    from conformance.plugin import note_version_bound

    bound, always = _requirement(since="11.0"), _requirement()
    records = [{"status": "failed"}, {"status": "failed"}]
    note_version_bound([bound, always], records)
    assert "from 11.0 only" in records[0]["reason"]
    assert "reason" not in records[1]


def test_a_requirement_outside_the_version_is_skipped_whatever_judged_it() -> None:
    from conformance.plugin import note_version_bound

    records = [{"status": "untested", "reason": "no test case was run"}, {"status": "passed"}]
    note_version_bound([_requirement(since="11.0"), _requirement()], records, "9.5.15")
    assert records[0]["status"] == "skipped"
    assert records[0]["reason"] == "not applicable to vendor version 9.5.15 (holds from 11.0)"
    assert records[1] == {"status": "passed"}

"""BigFix action schemas (XSD, JSON Schema) and OpenAPI spec against the shared corpus.

The corpus lives outside the repository, in ``<repo>/../shared/corpus/bigfix`` (override the
``shared`` folder with the ACTIONCONFORM_SHARED environment variable). Every file there must be
listed in CORPUS below, with a verdict, so a new corpus file cannot be silently ignored.
"""

from __future__ import annotations

import copy
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import pytest
import xmlschema
import yaml
from lxml import etree
from openapi_spec_validator import validate as validate_openapi
from xmlschema.validators import XsdElement

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas" / "bigfix"
SPEC_PATH = REPO / "specs" / "bigfix-actions.yaml"
SHARED = Path(os.environ.get("ACTIONCONFORM_SHARED") or REPO.parent / "shared")
CORPUS_DIR = SHARED / "corpus" / "bigfix"

XSD_BY_ROOT = {"BES": "BES.xsd", "BESAPI": "BESAPI.xsd"}

# ------------------------------------------------------------------------------ verdict table

ACCEPT = "accept"
REJECT_PARSE = "reject: not well-formed"
REJECT_SCHEMA = "reject: schema"
OUT_OF_SCOPE = "out of scope"


class Case(NamedTuple):
    verdict: str
    reason: str
    where: str = ""  # REJECT_SCHEMA: text expected in an error (path or reason)
    json_schema: str = ""  # JSON documents: which schema applies


CONTENT = "content object, not an action document (BES.xsd models action documents only)"

CORPUS: dict[str, Case] = {
    # ---- action requests (BES)
    "besapi_RelaySelectAction_SingleAction.bes": Case(
        ACCEPT, "SingleAction export without Settings/SettingsLocks/Target (all optional)"
    ),
    "besapi_example_MultipleActionGroup_MemberAction_SourcedMemberAction.xml": Case(
        ACCEPT, "MAG: MemberAction, SourcedMemberAction* with (Secure)Parameter, Target"
    ),
    "besapi_example_parameters_sourced_fixlet_action.xml": Case(
        ACCEPT, "SourcedFixletAction with Parameter then Title last"
    ),
    "besapi_example_send_message_SingleAction_MIMEFieldSingleAction.xml": Case(
        ACCEPT, "SingleAction with PreAction settings and MIMEFieldSingleAction after Target"
    ),
    "bigfix-content_SingleAction_GetIconPNG_MacOS.bes": Case(
        ACCEPT, "SingleAction export, long CDATA script, no Target"
    ),
    "docs_POST_actions_SingleAction_AllComputers.xml": Case(
        ACCEPT, "doc POST body: SkipUI, xmlns:xsd, empty SuccessCriteria/Settings/SettingsLocks"
    ),
    "docs_POST_actions_SourcedFixletAction_Parameter_SecureParameter.xml": Case(
        ACCEPT, "doc POST body: two ComputerID, Parameter, SecureParameter"
    ),
    "docs_iem_SourcedFixletAction_ComputerName.xml": Case(
        ACCEPT, "doc example without XML declaration, ComputerName target"
    ),
    "docs_restapi_request_SourcedFixletAction_Parameter.xml": Case(
        ACCEPT, "doc example SourcedFixletAction with Parameter"
    ),
    "restapi-examples_create-action_SingleAction.xml": Case(
        ACCEPT, "SingleAction with full Settings/SettingsLocks, ComputerID target"
    ),
    "terraform_MAG_minimal.xml": Case(ACCEPT, "MAG with only Title + Relevance"),
    "tubalcaine_SourcedFixletAction_SiteID_template.xml": Case(
        ACCEPT, "rendered template (placeholders filled): SiteID, empty Settings, Title last"
    ),
    # ---- action requests as real clients build them (SOURCES.tsv; sent as text/xml or with
    # no Content-Type; the server ignores the request Content-Type, NOTES.md)
    "splunksoar_run_action_body_no_target.xml": Case(
        ACCEPT, "Splunk SOAR: no XML declaration, one line, SourcedFixletAction without Target"
    ),
    "splunksoar_run_action_body_two_computers.xml": Case(
        ACCEPT, "Splunk SOAR: no XML declaration, one line, two ComputerID targets"
    ),
    "splunksoar_run_action_body_all.xml": Case(
        ACCEPT, "Splunk SOAR: no XML declaration, one line, AllComputers target"
    ),
    "xsoar_deploy_patch_body_rendered.xml": Case(
        ACCEPT, "Cortex XSOAR: declaration then indented body, ComputerID target, Parameter"
    ),
    "xsoar_deploy_patch_body_all_rendered.xml": Case(
        ACCEPT, "Cortex XSOAR: declaration then indented body, AllComputers target, Parameter"
    ),
    "docs_OLD_POST_SourcedFixletAction_MALFORMED_missing_gt.xml": Case(
        REJECT_PARSE, "historic doc example with '</Action' missing '>' (fixed upstream, #429)"
    ),
    "docs_gettingstarted_POST_SourcedFixletAction_comments.xml": Case(
        REJECT_SCHEMA,
        "template placeholder {id} in ComputerID (not a nonNegativeInteger)",
        where="ComputerID",
    ),
    "jwalker_autopatcher_action_template.xml": Case(
        REJECT_SCHEMA,
        "empty template: SourceFixlet without FixletID, empty Target",
        where="SourceFixlet",
    ),
    # ---- responses (BES / BESAPI)
    "docs_GET_action_44_SingleAction.xml": Case(
        ACCEPT, "GET /api/action/{id}: full Settings/SettingsLocks, CustomRelevance criteria"
    ),
    "docs_GET_actions_list.xml": Case(ACCEPT, "GET /api/actions list"),
    "docs_GET_action_44_status_Open.xml": Case(ACCEPT, "status without Computer elements"),
    "docs_GET_action_downloads.xml": Case(
        ACCEPT, "downloads list: ActionDownload nested in ActionResults, no ActionID/Status"
    ),
    "docs_GET_action_download_index_BES_wrapper.xml": Case(
        ACCEPT, "single download wrapped in <BES>"
    ),
    "docs_POST_action_download_1_retry.xml": Case(ACCEPT, "RetryDownload/Response@Value"),
    "docs_POST_action_downloads_retry.xml": Case(ACCEPT, "RetryDownload/Response@Value"),
    "resilient_mock_POST_actions_response_142.xml": Case(ACCEPT, "POST /api/actions response"),
    "resilient_mock_status_143_fixed_exitcode.xml": Case(ACCEPT, "status with ExitCode"),
    "resilient_mock_status_144_not_relevant.xml": Case(
        ACCEPT, "no ExitCode/StartTime/EndTime; weekday does not match date (not checked)"
    ),
    "resilient_mock_status_145_failed_negative_exitcode.xml": Case(
        ACCEPT, "negative ExitCode; weekday does not match date (not checked)"
    ),
    "webinar_POST_actions_response_64.xml": Case(ACCEPT, "POST /api/actions response"),
    "webinar_status_64_failed_exitcode3010_UNBOUND_xsi.xml": Case(
        REJECT_PARSE, "xsi: prefix used without its xmlns:xsi declaration"
    ),
    "docs_gettingstarted_POST_actions_response.xml": Case(
        REJECT_SCHEMA,
        "template placeholder {server} in Resource (doc template, not a URI)",
        where="Resource",
    ),
    "docs_gettingstarted_status_DateIssued.xml": Case(
        REJECT_SCHEMA,
        "template placeholder {server} in Resource (doc template, not a URI)",
        where="Resource",
    ),
    "besapi_tests_bad_ComputerGroups_BAD.xml": Case(
        REJECT_SCHEMA,
        "INVALID by design (empty <ID>); ComputerGroup is not an action resource",
        where="ComputerGroup",
    ),
    "besapi_tests_bad_RelaySelectTask_BAD.bes": Case(
        REJECT_SCHEMA,
        "INVALID by design (Task without Description/Relevance); Task is not "
        "allowed in BES.xsd anyway",
        where="Task",
    ),
    # ---- JSON (?output=json)
    "docs_GET_action_downloads_output_json.json": Case(
        ACCEPT,
        "downloads ?output=json (same body for /download/{index})",
        json_schema="downloads.schema.json",
    ),
    "docs_POST_action_downloads_retry_output_json.json": Case(
        ACCEPT, "retry ?output=json", json_schema="retry.schema.json"
    ),
    # ---- out of scope
    "besapi_LinuxAgentPatchDownloadSetting_Task.bes": Case(OUT_OF_SCOPE, f"Task: {CONTENT}"),
    "besapi_TestEcho-Universal_Task.bes": Case(OUT_OF_SCOPE, f"Fixlet: {CONTENT}"),
    "besapi_tests_good_RelaySelectTask.bes": Case(OUT_OF_SCOPE, f"Task: {CONTENT}"),
    "bigfix-content_Baseline_Docker_Stop_Delete.bes": Case(OUT_OF_SCOPE, f"Baseline: {CONTENT}"),
    "jwalker_Task_CollectActionInfo.bes": Case(OUT_OF_SCOPE, f"Fixlet: {CONTENT}"),
    "jwalker_Task_SecureParameters_RunCommandAs.bes": Case(OUT_OF_SCOPE, f"Fixlet: {CONTENT}"),
    "restapi-examples_import-xml_objects.xml": Case(
        OUT_OF_SCOPE, f"/api/import body (Analysis + Fixlets): {CONTENT}"
    ),
    "docs_status_fields_examples.txt": Case(
        OUT_OF_SCOPE, "URL examples, not a document; checked against the spec's fields examples"
    ),
    "SOURCES.tsv": Case(OUT_OF_SCOPE, "provenance index of the corpus, not a document"),
}

XML_CASES = sorted(n for n, c in CORPUS.items() if c.verdict != OUT_OF_SCOPE and not c.json_schema)
JSON_CASES = sorted(n for n, c in CORPUS.items() if c.json_schema)


# ------------------------------------------------------------------------------ helpers


class UnsafeXML(ValueError):
    """A DOCTYPE (DTD, entities) in a document: BigFix never sends one, we never process one."""


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse untrusted XML: no DTD, no entity expansion, no network, no huge trees."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    tree = etree.ElementTree(etree.fromstring(data, parser))
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXML("DOCTYPE refused")
    return tree


@cache
def xsd(name: str) -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(SCHEMAS / name))


@cache
def json_schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@cache
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def xml_errors(data: bytes | str, filtered: bool = False) -> list[str]:
    """Schema errors for a document; the XSD is chosen by root element. Parse errors raise."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    tree = parse_xml(data)
    root = tree.getroot().tag
    if root not in XSD_BY_ROOT:
        return [f"unknown root element {root!r}"]
    name = "BESAPI-filtered.xsd" if filtered and root == "BESAPI" else XSD_BY_ROOT[root]
    return [f"{e.path}: {e.reason}" for e in xsd(name).iter_errors(tree)]


def corpus_file(name: str) -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS_DIR} (set ACTIONCONFORM_SHARED)")
    return CORPUS_DIR / name


def json_errors(doc: object, schema_name: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema(schema_name))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


# ------------------------------------------------------------------------------ (a) compile


@pytest.mark.parametrize("name", ["BES.xsd", "BESAPI.xsd", "BESAPI-filtered.xsd"])
def test_xsd_compiles(name: str) -> None:
    schema = xsd(name)
    assert schema.validity == "valid"
    assert not schema.target_namespace
    # the shared types file adds no global element: one root per schema
    assert list(schema.elements) == [name.split(".")[0].split("-")[0]]


def test_filtered_xsd_has_same_types_and_everything_optional() -> None:
    def walk(el: XsdElement, path: str, types: dict, required: list) -> None:
        kind: Any = el.type
        # Action, ActionResults, Computer and their children (not the shared download types)
        in_scope = path != "BESAPI" and not re.search(r"ActionDownload|RetryDownload", path)
        if el.min_occurs and in_scope and path.count("/") > 1:
            required.append(path)
        if kind.is_simple() or kind.has_simple_content():
            types[path] = kind.name or kind.base_type.name
        else:
            for child in kind.content.iter_elements():
                if isinstance(child, XsdElement):
                    walk(child, f"{path}/{child.name}", types, required)
        if kind.is_complex():
            for attr_name, attr in kind.attributes.items():
                if attr_name:
                    types[f"{path}/@{attr_name}"] = attr.type.name
                    if attr.use == "required" and in_scope:
                        required.append(f"{path}/@{attr_name}")

    strict_types: dict[str, str] = {}
    filtered_types: dict[str, str] = {}
    strict_required: list[str] = []
    filtered_required: list[str] = []
    walk(xsd("BESAPI.xsd").elements["BESAPI"], "BESAPI", strict_types, strict_required)
    walk(xsd("BESAPI-filtered.xsd").elements["BESAPI"], "BESAPI", filtered_types, filtered_required)
    assert strict_types == filtered_types
    assert "BESAPI/ActionResults/Computer/State" in strict_required
    # every element and attribute of Action/ActionResults/Computer is optional when filtered
    assert filtered_required == []


# ------------------------------------------------------------------------------ (b) corpus


def test_every_corpus_file_has_a_verdict() -> None:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS_DIR} (set ACTIONCONFORM_SHARED)")
    present = {p.name for p in CORPUS_DIR.iterdir() if p.is_file()}
    assert sorted(present - CORPUS.keys()) == [], "new corpus files: add them to CORPUS"
    assert sorted(CORPUS.keys() - present) == [], "CORPUS lists files that do not exist"


def test_table_agrees_with_sources_tsv() -> None:
    sources = corpus_file("SOURCES.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in sources[1:] if line.strip()]
    listed = {row[0] for row in rows}
    assert listed == CORPUS.keys() - {"SOURCES.tsv"}
    for row in rows:
        name, kind = row[0], row[4]
        broken = re.search(r"BAD|MALFORMED|UNBOUND", name) or re.search(
            r"INVALID|NOT well-formed", kind
        )
        if broken:
            assert CORPUS[name].verdict in (REJECT_PARSE, REJECT_SCHEMA), name


@pytest.mark.parametrize("name", XML_CASES)
def test_corpus_xml_verdict(name: str) -> None:
    case = CORPUS[name]
    data = corpus_file(name).read_bytes()
    if case.verdict == REJECT_PARSE:
        with pytest.raises(etree.XMLSyntaxError):
            parse_xml(data)
        return
    errors = xml_errors(data)
    if case.verdict == ACCEPT:
        assert errors == [], f"{name} ({case.reason})"
    else:
        assert errors, f"{name} should be rejected: {case.reason}"
        assert any(case.where in e for e in errors), errors


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("docs_gettingstarted_POST_actions_response.xml", "{server}", "server.bigfix.com"),
        ("docs_gettingstarted_status_DateIssued.xml", "{server}", "server.bigfix.com"),
        ("docs_gettingstarted_POST_SourcedFixletAction_comments.xml", "{id}", "13863357"),
        ("docs_OLD_POST_SourcedFixletAction_MALFORMED_missing_gt.xml", "</Action\n", "</Action>\n"),
        (
            "webinar_status_64_failed_exitcode3010_UNBOUND_xsi.xml",
            "<BESAPI ",
            '<BESAPI xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ',
        ),
    ],
)
def test_rejected_corpus_files_are_valid_once_repaired(name: str, old: str, new: str) -> None:
    """The intended defect is the ONLY reason each of these documents is rejected."""
    text = corpus_file(name).read_text(encoding="utf-8")
    assert old in text
    assert xml_errors(text.replace(old, new)) == []


def test_besapi_corpus_responses_also_pass_filtered_schema() -> None:
    for name in XML_CASES:
        case = CORPUS[name]
        data = corpus_file(name).read_bytes()
        if case.verdict == ACCEPT and parse_xml(data).getroot().tag == "BESAPI":
            assert xml_errors(data, filtered=True) == [], name


def test_content_objects_are_not_accepted_as_action_documents() -> None:
    """Scope decision: a Fixlet/Task/Baseline/Analysis under <BES> is not an action."""
    for name, case in CORPUS.items():
        if case.verdict == OUT_OF_SCOPE and name.endswith((".bes", ".xml")):
            assert xml_errors(corpus_file(name).read_bytes()), name


# ------------------------------------------------------------------------------ (c) JSON


@pytest.mark.parametrize("name", JSON_CASES)
def test_corpus_json(name: str) -> None:
    case = CORPUS[name]
    doc = json.loads(corpus_file(name).read_text(encoding="utf-8"))
    assert json_errors(doc, case.json_schema) == []


@pytest.mark.parametrize("name", ["downloads.schema.json", "retry.schema.json"])
def test_json_schema_is_valid_2020_12(name: str) -> None:
    schema = json_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_json_negatives() -> None:
    doc = json.loads(corpus_file("docs_GET_action_downloads_output_json.json").read_text())
    extra = copy.deepcopy(doc)
    extra["ServerAddedField"] = 1
    extra["Downloads"][0]["DownloadRequestTarget"]["extra"] = "x"
    assert json_errors(extra, "downloads.schema.json") == []
    for mutate in (
        lambda d: d.pop("Downloads"),
        lambda d: d.pop("IsActive"),
        lambda d: d.__setitem__("ActionID", "50"),
        lambda d: d["Downloads"][0].pop("RetryLimit"),
        lambda d: d["Downloads"][0].__setitem__("Available", None),
        lambda d: d["Downloads"][0]["DownloadRequestTarget"].__setitem__("size", "big"),
        lambda d: d["Downloads"][0]["DownloadRequestTarget"].pop("hashes"),
        lambda d: d["Downloads"][0]["Status"].pop("Error"),
    ):
        bad = copy.deepcopy(doc)
        mutate(bad)
        assert json_errors(bad, "downloads.schema.json"), bad
    assert json_errors({"result": "ok", "extra": 1}, "retry.schema.json") == []
    assert json_errors({}, "retry.schema.json")
    assert json_errors({"result": 1}, "retry.schema.json")


# ------------------------------------------------------------------------------ (d) hand-made

XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


def single_action(
    title: str = "t", target: str = "<Target><AllComputers>true</AllComputers></Target>"
) -> str:
    return (
        f"<BES {XSI}><SingleAction><Title>{title}</Title><Relevance>true</Relevance>"
        f"<ActionScript>relay select</ActionScript>{target}</SingleAction></BES>"
    )


def status(status_value: str = "Open", computer: str = "") -> str:
    return (
        '<BESAPI><ActionResults Resource="/api/action/1/status"><ActionID>1</ActionID>'
        f"<Status>{status_value}</Status>{computer}</ActionResults></BESAPI>"
    )


def action_list(
    action_id: str = "44",
    resource: str = "http://server:52311/api/action/44",
    last_modified: str = "Tue, 19 Mar 2013 21:23:10 +0000",
) -> str:
    return (
        f'<BESAPI><Action Resource="{resource}" LastModified="{last_modified}">'
        f"<Name>n</Name><ID>{action_id}</ID></Action></BESAPI>"
    )


COMPUTER = (
    '<Computer ID="1" Name="c"><Status>s</Status><State IsError="0">4</State>'
    "<ExitCode>-1</ExitCode><ApplyCount>1</ApplyCount><RetryCount>1</RetryCount>"
    "<LineNumber>2</LineNumber></Computer>"
)

VALID_HANDMADE = {
    # the vendor's BES.xsd: Target and the site choice of SourceFixlet are optional (NOTES.md)
    "SourcedFixletAction without Target": (
        "<BES><SourcedFixletAction><SourceFixlet><Sitename/><FixletID>1</FixletID>"
        "</SourceFixlet></SourcedFixletAction></BES>"
    ),
    "SourceFixlet without a site": (
        "<BES><SourcedFixletAction><SourceFixlet><FixletID>1</FixletID></SourceFixlet>"
        "</SourcedFixletAction></BES>"
    ),
    "title 255 chars": single_action("x" * 255),
    "no target": single_action(target=""),
    "ComputerID list": single_action(
        target="<Target><ComputerID>1</ComputerID><ComputerID>2</ComputerID></Target>"
    ),
    "CustomRelevance target": single_action(
        target="<Target><CustomRelevance>windows of operating system</CustomRelevance></Target>"
    ),
    "status with computer, negative exit code": status(computer=COMPUTER),
    "status Stopped": status("Stopped"),
    "status Expired": status("Expired"),
    "relative Resource": action_list(resource="/api/action/44"),
    "https Resource with query": action_list(resource="https://h:52311/api/action/44?x=1"),
    "weekday not cross-checked": action_list(last_modified="Mon, 19 Mar 2013 21:23:10 +0000"),
    "empty BESAPI list": "<BESAPI/>",
}

# label -> (document, text expected in an error: the element or attribute at fault)
INVALID_HANDMADE: dict[str, tuple[str, str]] = {
    "empty BES": ("<BES/>", "/BES:"),
    "empty Target": (single_action(target="<Target/>"), "/Target:"),
    "Target with two kinds": (
        single_action(
            target="<Target><ComputerID>1</ComputerID><AllComputers>true</AllComputers></Target>"
        ),
        "AllComputers",
    ),
    "non-integer ComputerID": (
        single_action(target="<Target><ComputerID>x</ComputerID></Target>"),
        "/ComputerID:",
    ),
    "title 256 chars": (single_action("x" * 256), "/Title:"),
    "empty title": (single_action(""), "/Title:"),
    "two actions in one BES": (
        "<BES>{0}{0}</BES>".format(
            "<SingleAction><Title>t</Title><Relevance>true</Relevance>"
            "<ActionScript>x</ActionScript></SingleAction>"
        ),
        "position 2",
    ),
    "non-integer Action ID": (action_list(action_id="abc"), "/ID:"),
    "empty Action ID": (action_list(action_id=""), "/ID:"),
    "negative Action ID": (action_list(action_id="-1"), "/ID:"),
    "Status not in enum": (status("Running"), "/Status:"),
    "ISO time instead of RFC 1123": (
        action_list(last_modified="2013-03-19T21:23:10Z"),
        "LastModified",
    ),
    "RFC 1123 without numeric offset": (
        action_list(last_modified="Tue, 19 Mar 2013 21:23:10 GMT"),
        "LastModified",
    ),
    "ftp Resource": (action_list(resource="ftp://server/api/action/44"), "Resource"),
    "Resource with space": (action_list(resource="http://server/api/action 44"), "Resource"),
    "Computer without State": (
        status(computer=COMPUTER.replace('<State IsError="0">4</State>', "")),
        "'State' expected",
    ),
    "unknown SuccessCriteria Option": (
        single_action().replace(
            "</ActionScript>", '</ActionScript><SuccessCriteria Option="Whatever"/>'
        ),
        "Option",
    ),
    "ActionDownload in BESAPI root": ("<BESAPI><ActionDownload/></BESAPI>", "ActionDownload"),
    "MemberAction with FixletSource": (
        "<BES><MultipleActionGroup><Title>g</Title><Relevance>true</Relevance><MemberAction>"
        "<Title>m</Title><Relevance>true</Relevance><ActionScript>x</ActionScript>"
        "<FixletSource/></MemberAction></MultipleActionGroup></BES>",
        "FixletSource",
    ),
    "unknown setting": (
        single_action(target="<Settings><NoSuchSetting/></Settings>"),
        "NoSuchSetting",
    ),
    "SourcedFixletAction without FixletID": (
        "<BES><SourcedFixletAction><SourceFixlet><Sitename/></SourceFixlet>"
        "</SourcedFixletAction></BES>",
        "FixletID",
    ),
}


@pytest.mark.parametrize("label", sorted(VALID_HANDMADE))
def test_handmade_valid(label: str) -> None:
    assert xml_errors(VALID_HANDMADE[label]) == []


@pytest.mark.parametrize("label", sorted(INVALID_HANDMADE))
def test_handmade_invalid(label: str) -> None:
    document, where = INVALID_HANDMADE[label]
    errors = xml_errors(document)
    assert errors, label
    assert any(where in e for e in errors), errors


def test_filtered_schema_accepts_partial_but_typed_responses() -> None:
    partial = (
        '<BESAPI><ActionResults><Status>Open</Status><Computer ID="11111">'
        "<Status>s</Status><StartTime>Thu, 15 Oct 2020 18:20:03 +0000</StartTime>"
        "</Computer></ActionResults><Action><ID>44</ID></Action></BESAPI>"
    )
    assert xml_errors(partial, filtered=True) == []
    assert xml_errors(partial)  # the strict schema requires ActionID, State, Resource...
    assert xml_errors(partial.replace(">Open<", ">Running<"), filtered=True)
    assert xml_errors(partial.replace(">44<", ">x<"), filtered=True)
    assert xml_errors(partial.replace("Thu, 15 Oct 2020", "2020-10-15"), filtered=True)


def test_doctype_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE BES [<!ENTITY a "aaaa">]><BES>&a;</BES>'
    with pytest.raises(UnsafeXML):
        parse_xml(bomb)


# ------------------------------------------------------------------------------ (e) OpenAPI

OPERATIONS = {
    ("/api/login", "get"),
    ("/api/actions", "get"),
    ("/api/actions", "post"),
    ("/api/action/{action_id}", "get"),
    ("/api/action/{action_id}", "delete"),
    ("/api/action/{action_id}/status", "get"),
    ("/api/action/{action_id}/stop", "post"),
    ("/api/action/{action_id}/downloads", "get"),
    ("/api/action/{action_id}/download/{download_index}", "get"),
    ("/api/action/{action_id}/downloads/retry", "post"),
    ("/api/action/{action_id}/download/{download_index}/retry", "post"),
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow local "#/..." references (external file references are left as they are)."""
    while "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = spec()
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def operations() -> dict[tuple[str, str], dict]:
    return {
        (path, method): op
        for path, item in spec()["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_openapi_spec_validates() -> None:
    validate_openapi(spec(), base_uri=SPEC_PATH.resolve().as_uri())
    assert spec()["openapi"].startswith("3.1")


def test_openapi_operations_paths_and_sources() -> None:
    ops = operations()
    assert set(ops) == OPERATIONS
    ids = [op["operationId"] for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert all(op.get("x-source") for op in ops.values())
    for path, item in spec()["paths"].items():
        assert item["x-doc-path"] == path.replace("{action_id}", "{action id}")


def test_openapi_parameters() -> None:
    def query_params(path: str, method: str) -> set[str]:
        item = spec()["paths"][path]
        params = item.get("parameters", []) + item[method].get("parameters", [])
        return {p["name"] for p in map(resolve, params) if p["in"] == "query"}

    fields_ops = {("/api/actions", "get"), ("/api/action/{action_id}/status", "get")}
    output_ops = {
        ("/api/action/{action_id}/downloads", "get"),
        ("/api/action/{action_id}/download/{download_index}", "get"),
        ("/api/action/{action_id}/downloads/retry", "post"),
        ("/api/action/{action_id}/download/{download_index}/retry", "post"),
    }
    for key in OPERATIONS:
        expected = {"fields"} if key in fields_ops else {"output"} if key in output_ops else set()
        assert query_params(*key) == expected, key
    output = resolve({"$ref": "#/components/parameters/Output"})
    assert output["schema"]["enum"] == ["json"]


def test_openapi_responses() -> None:
    ops = operations()
    for (path, method), op in ops.items():
        codes = set(op["responses"])
        assert {"200", "401"} <= codes, (path, method)
        if path != "/api/login":
            assert "400" in codes, (path, method)
        for response in map(resolve, op["responses"].values()):
            for media, body in response.get("content", {}).items():
                schema = resolve(body["schema"])
                if media == "application/xml":
                    assert (REPO / schema["x-xsd"]).is_file()
                    assert schema["x-xml-root"] in XSD_BY_ROOT
                    assert XSD_BY_ROOT[schema["x-xml-root"]] == Path(schema["x-xsd"]).name
                if media == "application/json":
                    assert "output" in str(op.get("parameters")).lower()
    assert "413" in ops[("/api/actions", "post")]["responses"]
    assert "content" not in ops[("/api/action/{action_id}", "get")]["responses"]["404"]
    deleted = ops[("/api/action/{action_id}", "delete")]["responses"]["200"]["content"]
    assert deleted["text/plain"]["schema"]["const"] == "ok"
    assert spec()["components"]["securitySchemes"]["basicAuth"]["scheme"] == "basic"


def test_openapi_json_refs_reach_our_schemas() -> None:
    spec_dir = SPEC_PATH.parent
    refs = {
        name: (spec_dir / spec()["components"]["schemas"][name]["$ref"]).resolve()
        for name in ("Downloads", "Retry")
    }
    assert refs == {
        "Downloads": SCHEMAS / "downloads.schema.json",
        "Retry": SCHEMAS / "retry.schema.json",
    }


def test_fields_examples_match_the_docs() -> None:
    lines = corpus_file("docs_status_fields_examples.txt").read_text().split()
    documented = {line.split("?fields=", 1)[1] for line in lines if "?fields=" in line}
    examples = resolve({"$ref": "#/components/parameters/Fields"})["examples"]
    assert documented == {e["value"] for e in examples.values()}

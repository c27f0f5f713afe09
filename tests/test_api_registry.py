"""One place per API: each API's ``api.py`` declares it, and no other module names it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conformance import catalogue, registry
from conformance.auth import authorization_for
from conformance.paths import CATALOGUE_DIR, PACKAGE_DIR, SUITES_DIR
from conformance.servers import all_faults, app_class, bundled_apis
from conformance.target import Target

ROOT = PACKAGE_DIR.parent
PROFILES = list(registry.profiles().values())


def _spellings(name: str) -> set[str]:
    return {name, name.replace("-", "_")}


def _python_files() -> list[Path]:
    return sorted([*PACKAGE_DIR.rglob("*.py"), *(ROOT / "bench").rglob("*.py")])


def test_every_api_folder_declares_its_api() -> None:
    folders = {path.parent for path in SUITES_DIR.glob("*/__init__.py")}
    declared = {profile.suite_dir for profile in PROFILES}
    assert folders == declared


def test_every_catalogue_belongs_to_a_registered_api() -> None:
    assert {path.stem for path in CATALOGUE_DIR.glob("*.toml")} == set(registry.names())


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_profile_names_files_that_exist(profile: registry.ApiProfile) -> None:
    assert profile.spec_file.is_file(), profile.spec_file
    assert profile.catalogue_file.is_file(), profile.catalogue_file
    assert profile.schemas_dir.is_dir(), profile.schemas_dir
    assert (profile.suite_dir / "context.py").is_file()
    assert catalogue.load_api(profile.name), "an API without requirements"
    assert profile.probe.startswith("/")
    assert profile.auth in ("basic", "token")


@pytest.mark.parametrize("api", bundled_apis())
def test_bundled_app_serves_its_api_with_fixtures_it_declares(api: str) -> None:
    app = app_class(api)()
    assert api == app.API
    assert set(app.fixtures()) <= set(registry.profile(api).fixture_keys)


def test_auth_style_comes_from_the_profile() -> None:
    target = Target(token_env=None, username=None)
    for profile in PROFILES:
        header = authorization_for(profile.name, target)  # bundled: built-in credentials
        assert header is not None
        assert header.startswith("Basic ") == (profile.auth == "basic"), profile.name


def test_faults_are_found_through_the_registry() -> None:
    assert {api for api, _ in all_faults()} == set(bundled_apis())


def _named_apis(relative: str, source: str) -> list[tuple[int, str]]:
    """(line, API name) for each string constant equal to an API name that the file at
    ``relative`` may not name (its path does not contain that name)."""
    foreign = {
        spelling: name
        for name in registry.names()
        if not any(spelling in relative for spelling in _spellings(name))
        for spelling in _spellings(name)
    }
    tree = ast.parse(source, relative)
    return [
        (node.lineno, foreign[node.value])
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in foreign
    ]


def test_no_module_outside_an_apis_folder_names_it() -> None:
    offenders = {}
    for path in _python_files():
        relative = str(path.relative_to(ROOT))
        found = _named_apis(relative, path.read_text(encoding="utf-8"))
        if found:
            offenders[relative] = found
    assert offenders == {}


def test_the_name_check_finds_a_name() -> None:
    """The check above can fail: a core module that names an API is caught, its own isn't."""
    for name in registry.names():
        source = f"PROBES = {{{name!r}: '/'}}\n"
        assert _named_apis("conformance/preflight.py", source) == [(1, name)]
        own = f"conformance/servers/{name.replace('-', '_')}.py"
        assert _named_apis(own, source) == []

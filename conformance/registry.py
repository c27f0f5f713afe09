"""The API registry: everything specific to one API, declared once in that API's own folder.

Each ``conformance/suites/<package>/api.py`` defines ``API = ApiProfile(...)``; the registry
finds them by path. Core modules ask the registry and never name an API themselves, so adding
an API is its folder (``api.py``, ``cases.toml``, tests), its spec, catalogue and schemas, and
optionally a bundled reference server.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from conformance.config_keys import KeyType
from conformance.paths import CATALOGUE_DIR, SCHEMAS_DIR, SPECS_DIR, SUITES_DIR

if TYPE_CHECKING:
    from conformance.servers.base import ReferenceApp

AuthStyle = Literal["basic", "token"]


@dataclass(frozen=True)
class ApiProfile:
    """One API as the suite knows it.

    ``name`` is the ``--api`` value and the catalogue's ``api``; ``id_prefix`` starts every
    requirement ID; ``spec`` is a file under ``specs/``; ``auth`` is ``"basic"`` (HTTP Basic from
    ``--user``/``--password-env``) or ``"token"`` (the raw ``--token-env`` value in
    ``Authorization``); ``probe`` is a GET every server answers to an authenticated client
    without acting on anything (the preflight); ``fixture_keys`` and ``field_keys`` are the keys
    its target file may hold under ``[fixtures]`` and ``[fields]``, each with its one type
    (``conformance.config_keys``); ``server`` names the bundled
    reference app as ``"module:Class"``, if there is one.
    """

    name: str
    title: str
    id_prefix: str
    spec: str
    auth: AuthStyle
    probe: str
    fixture_keys: Mapping[str, KeyType] = field(default_factory=dict, compare=False)
    field_keys: Mapping[str, KeyType] = field(default_factory=dict, compare=False)
    server: str | None = None
    package: str = field(default="", compare=False)  # set by discovery

    @property
    def catalogue_file(self) -> Path:
        return CATALOGUE_DIR / f"{self.name}.toml"

    @property
    def spec_file(self) -> Path:
        return SPECS_DIR / self.spec

    @property
    def schemas_dir(self) -> Path:
        return SCHEMAS_DIR / self.name

    @property
    def suite_dir(self) -> Path:
        return SUITES_DIR / self.package.rsplit(".", 1)[-1]

    def app_class(self) -> type[ReferenceApp]:
        """The bundled reference app (``LookupError`` if the API has none)."""
        if self.server is None:
            raise LookupError(f"no bundled reference server for {self.name}")
        module_name, class_name = self.server.split(":")
        cls: type[ReferenceApp] = getattr(importlib.import_module(module_name), class_name)
        return cls


class RegistryError(ValueError):
    """An ``api.py`` breaks the registry's rules."""


@cache
def profiles() -> dict[str, ApiProfile]:
    """Every API, by name, in name order: one ``suites/<package>/api.py`` each."""
    found: dict[str, ApiProfile] = {}
    for file in sorted(SUITES_DIR.glob("*/api.py")):
        package = f"conformance.suites.{file.parent.name}"
        module = importlib.import_module(f"{package}.api")
        declared = getattr(module, "API", None)
        if not isinstance(declared, ApiProfile):
            raise RegistryError(f"{file}: defines no API = ApiProfile(...)")
        if declared.name in found:
            raise RegistryError(f"{file}: API {declared.name!r} is declared twice")
        if file.parent.name != declared.name.replace("-", "_"):
            raise RegistryError(f"{file}: folder does not match API name {declared.name!r}")
        found[declared.name] = replace(declared, package=package)
    return dict(sorted(found.items()))


def names() -> tuple[str, ...]:
    """Every API name, in registry order."""
    return tuple(profiles())


def profile(name: str) -> ApiProfile:
    """The profile of ``name`` (``KeyError`` for an unknown API)."""
    return profiles()[name]


def bundled() -> tuple[str, ...]:
    """The APIs that have a bundled reference server."""
    return tuple(name for name, profile in profiles().items() if profile.server)

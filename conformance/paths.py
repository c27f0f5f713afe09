"""Where the bundled data lives, installed (wheel) or in a source checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_INSTALLED_DATA = PACKAGE_DIR / "_data"
_SOURCE_ROOT = PACKAGE_DIR.parent


def _data_dir(name: str) -> Path:
    installed = _INSTALLED_DATA / name
    return installed if installed.is_dir() else _SOURCE_ROOT / name


SPECS_DIR = _data_dir("specs")
SCHEMAS_DIR = _data_dir("schemas")
CATALOGUE_DIR = PACKAGE_DIR / "catalogue"
SUITES_DIR = PACKAGE_DIR / "suites"

"""Schemathesis hooks for this project's specs.

Loaded by ``schemathesis.toml`` (``hooks = "conformance.st_hooks"``) so ``st run`` behaves as
the suite's own schemathesis tests do. Each API folder may hold ``st_media.py`` with
``MEDIA_TYPES``: request-body strategies for media types schemathesis cannot generate from a
schema (BigFix's XSD-checked XML); they are registered here, found by path.
"""

from __future__ import annotations

import importlib.util

import schemathesis

from conformance import registry


def register_media_types() -> list[str]:
    """Register every API folder's ``st_media.MEDIA_TYPES``; the media types registered."""
    registered: list[str] = []
    for profile in registry.profiles().values():
        name = f"{profile.package}.st_media"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        for media_type, strategy in module.MEDIA_TYPES.items():
            schemathesis.openapi.media_type(media_type, strategy)
            registered.append(media_type)
    return registered


register_media_types()

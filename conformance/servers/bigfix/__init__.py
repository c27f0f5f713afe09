"""Reference server for the HCL BigFix REST API action resources.

``app.py`` holds the routes, ``fields.py`` the ``?fields=`` filter, ``render.py`` the documents
it writes, ``state.py`` what it keeps and ``faults.toml`` the faults it can be told to inject.
"""

from conformance.servers.bigfix.app import BigFixApp
from conformance.servers.bigfix.fields import FieldsError, FieldsFilter, FieldSpec, parse_fields

FAULTS = BigFixApp.FAULTS

__all__ = ["FAULTS", "BigFixApp", "FieldSpec", "FieldsError", "FieldsFilter", "parse_fields"]

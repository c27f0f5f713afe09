"""actionconform: contract and schema conformance suite for vendor remote-action REST APIs."""

__version__ = "0.1.0"

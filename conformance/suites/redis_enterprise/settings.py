"""How the Redis Enterprise property-based tests search.

The number of examples comes from ``--profile``; on top of it, no shrinking: against a real
server every shrink step is another request, and the first failing example (an invented uid or
name, short already) is the evidence a user needs.
"""

from __future__ import annotations

from hypothesis import Phase, settings


def property_settings(*, scale: float = 1.0) -> settings:
    """The loaded profile without shrinking, with ``scale`` times its examples (at least 2).

    Call it when the test runs (the profile is loaded by then). Parametrized properties pass a
    fraction, since each parameter is a test of its own.
    """
    if not 0 < scale <= 1:
        raise ValueError(f"scale={scale!r} must be in (0, 1]")
    return settings(
        max_examples=max(2, round(settings().max_examples * scale)),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        report_multiple_bugs=False,
    )

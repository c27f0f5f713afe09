"""How the BigFix property-based tests search.

The number of examples comes from ``--profile``; on top of it, no shrinking: against a real
server every shrink step is another request (often another created action), and the evidence
of the first failing example is what a user needs. One failure is reported, with its exchange.
"""

from __future__ import annotations

from hypothesis import Phase, settings


def property_settings(*, scale: float = 1.0) -> settings:
    """The loaded profile without the shrink phase, with ``scale`` times its examples (at
    least 2): parametrized properties use a fraction, since each parameter is a test of its own.
    Call it at decoration time, after the profile is loaded."""
    if not 0 < scale <= 1:
        raise ValueError(f"scale={scale!r} must be in (0, 1]")
    return settings(
        max_examples=max(2, round(_loaded().max_examples * scale)),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        report_multiple_bugs=False,
    )


def _loaded() -> settings:
    current = settings.default
    if current is None:  # no profile loaded: Hypothesis' own defaults
        return settings()
    return current

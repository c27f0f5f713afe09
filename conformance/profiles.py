"""Hypothesis profiles: how hard property-based tests search (``--profile``)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

EXAMPLES = {"fast": 10, "ci": 40, "deep": 300}


def load_profile(name: str) -> None:
    for profile, examples in EXAMPLES.items():
        settings.register_profile(
            f"actionconform-{profile}",
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=profile != "deep",
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.function_scoped_fixture,
                HealthCheck.data_too_large,
            ],
            print_blob=False,
        )
    settings.load_profile(f"actionconform-{name}")

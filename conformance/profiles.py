"""One Hypothesis setting for every property test of the suite (``--profile``).

Against a server we may not own every example is a request (often one it acts on), so no
property test ever shrinks or explains (each would send more requests: the first failing example
and its exchange are the evidence a user needs), examples per test come from ``--profile``, and
``fast``/``ci`` are derandomised (the same examples every run, so two runs compare).

The plugin loads the profile and applies it to every collected property test (``apply``), so a
test cannot opt out by setting its own ``@settings``. A test that sends costly requests takes a
smaller share with ``@search(scale=..., at_most=...)``. ``tests/test_property_settings.py``
inspects every collected property test of the suite.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import hypothesis.core
from hypothesis import HealthCheck, Phase, settings
from hypothesis.internal.reflection import get_signature

EXAMPLES = {"fast": 10, "ci": 40, "deep": 300}
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)  # no shrink, no explain
SHARE_ATTRIBUTE = "actionconform_search"  # no leading underscore: @given copies it over
_GIVEN_SETTINGS = "_hypothesis_internal_use_settings"  # where @given keeps a test's settings

T = TypeVar("T", bound=Callable[..., Any])


def profile_settings(name: str) -> settings:
    """The base settings of profile ``name`` (one of ``EXAMPLES``)."""
    return settings(
        max_examples=EXAMPLES[name],
        phases=PHASES,
        report_multiple_bugs=False,
        deadline=None,
        database=None,
        derandomize=name != "deep",
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
        print_blob=False,
    )


def load_profile(name: str) -> str:
    """Make profile ``name`` Hypothesis' default (``actionconform-<name>``); returns the name of
    the profile it replaces, for ``settings.load_profile`` when the run ends (a run in the
    process of another program, e.g. a test, leaves Hypothesis as it found it)."""
    remember_digests()
    previous = settings.get_current_profile_name()
    for profile in EXAMPLES:
        settings.register_profile(f"actionconform-{profile}", profile_settings(profile))
    settings.load_profile(f"actionconform-{name}")
    return previous


def current_profile() -> str | None:
    """The name of the loaded actionconform profile, if one is loaded."""
    loaded = settings.get_current_profile_name()
    prefix = "actionconform-"
    return loaded.removeprefix(prefix) if loaded.startswith(prefix) else None


def search(*, scale: float = 1.0, at_most: int | None = None) -> Callable[[T], T]:
    """Declare a property test's share of the profile: ``scale`` times its examples (at least
    2; parametrized tests use a fraction, each parameter being a test of its own), capped at
    ``at_most``. Put it above ``@given``."""
    if not 0 < scale <= 1:
        raise ValueError(f"scale={scale!r} must be in (0, 1]")
    if at_most is not None and at_most < 1:
        raise ValueError(f"at_most={at_most!r} must be at least 1")

    def mark(test: T) -> T:
        setattr(test, SHARE_ATTRIBUTE, (scale, at_most))
        name = current_profile() or "fast"
        # The plugin re-applies this per run (``apply``); this covers a test run on its own.
        applied: T = settings_for(test, name)(test)
        return applied

    return mark


def scenario_settings(profile: str, *, at_most: int, steps: int) -> settings:
    """The settings of a stateful scenario built at run time (schemathesis's state machine):
    the profile, with at most ``at_most`` scenarios of at most ``steps`` requests each."""
    base = profile_settings(profile)
    return settings(base, max_examples=min(base.max_examples, at_most), stateful_step_count=steps)


def settings_for(test: Callable[..., Any], profile: str) -> settings:
    """The settings of one property test under ``profile``: the profile with the test's share."""
    scale, at_most = getattr(test, SHARE_ATTRIBUTE, (1.0, None))
    examples = max(2, round(EXAMPLES[profile] * scale))
    if at_most is not None:
        examples = min(examples, at_most)
    return settings(profile_settings(profile), max_examples=examples)


def property_test(function: Any) -> Callable[..., Any] | None:
    """The Hypothesis-wrapped test behind a collected item's function, or None."""
    function = getattr(function, "__func__", function)
    return function if getattr(function, "is_hypothesis_test", False) else None


def apply(functions: Iterable[Any], profile: str) -> int:
    """Give every Hypothesis test among ``functions`` the settings of ``profile``; returns how
    many. Replaces whatever ``@settings`` a test set for itself."""
    count = 0
    for function in functions:
        test = property_test(function)
        if test is not None:
            # Where @given keeps the settings it runs with, read when the test is called.
            setattr(test, _GIVEN_SETTINGS, settings_for(test, profile))
            count += 1
    return count


def remember_digests() -> None:
    """Compute each property test's digest once per process, not at every call.

    A derandomised test's seed is a digest of its source (Hypothesis reads and tokenizes the
    source file each time). The suite defines many property tests inside test functions, so
    each call makes a new function object from the same code and paid for the digest again:
    about a tenth of a BigFix run's CPU. The digest depends only on the code (its source), the
    signature and Hypothesis' per-parameter salt, so those are the key and the value is the
    one Hypothesis computes: the same seeds, the same examples. Installed once; a no-op when
    this Hypothesis has no ``core.function_digest``.
    """
    original = getattr(hypothesis.core, "function_digest", None)
    if original is None or getattr(original, "actionconform_remembers", False):
        return
    known: dict[tuple[Any, ...], bytes] = {}

    def digest(function: Any) -> bytes:
        try:
            key = (
                inspect.unwrap(function).__code__,
                repr(get_signature(function)),
                getattr(function, "_hypothesis_internal_add_digest", None),
            )
            hash(key)
        except (AttributeError, TypeError, ValueError):
            return bytes(original(function))
        if key not in known:
            known[key] = original(function)
        return known[key]

    digest.actionconform_remembers = True  # type: ignore[attr-defined]
    hypothesis.core.function_digest = digest

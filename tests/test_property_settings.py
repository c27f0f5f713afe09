"""One Hypothesis setting governs every property test of the suite: no shrinking, no explain
phase, derandomised for fast/ci, examples from --profile (README: safety)."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from conformance import profiles
from conformance.paths import SUITES_DIR


class _Grab:
    """Reads the settings of every collected property test of the suite."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            test = profiles.property_test(getattr(item, "obj", None))
            if test is not None:
                used = test._hypothesis_internal_use_settings
                self.found[item.nodeid] = {
                    "phases": [phase.name for phase in used.phases],
                    "derandomize": used.derandomize,
                    "max_examples": used.max_examples,
                    "database": used.database is not None,
                    "report_multiple_bugs": used.report_multiple_bugs,
                    # None: Hypothesis does not hash the test's source for an unused key
                }


def _collected(profile: str) -> dict[str, dict[str, Any]]:
    """The suite collected as ``conformance run`` collects it (in this process, plain asserts)
    under ``--conformance-profile PROFILE``."""
    grab = _Grab()
    args = ["--collect-only", "-p", "no:terminal", "--assert=plain", "--pyargs"]
    args += ["conformance.suites", "-c", str(SUITES_DIR / "pytest.ini"), "--rootdir"]
    args += [str(SUITES_DIR), "--conformance-profile", profile]
    assert pytest.main(args, plugins=[grab]) == 0
    return grab.found


@pytest.mark.parametrize("profile", ["fast", "deep"])
def test_every_suite_property_test_uses_the_one_setting(profile: str) -> None:
    found = _collected(profile)
    # Every property test defined at module or class level was collected and inspected.
    names = {nodeid.split("::")[-1].split("[")[0] for nodeid in found}
    assert {name for name, nested in _given_functions() if not nested} <= names
    for nodeid, used in found.items():
        assert used["phases"] == ["explicit", "reuse", "generate"], nodeid
        assert used["derandomize"] is (profile != "deep"), nodeid
        assert not used["database"] and not used["report_multiple_bugs"], nodeid
        assert 2 <= used["max_examples"] <= profiles.EXAMPLES[profile], nodeid
    # The share a test declares scales with the profile.
    assert max(used["max_examples"] for used in found.values()) == profiles.EXAMPLES[profile]


def _given_functions() -> list[tuple[str, bool]]:
    """(name, built inside another function) of every ``@given`` function of the suite."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef):
                if any(_called(decorator) == "given" for decorator in child.decorator_list):
                    found.append((child.name, nested))
                visit(child, True)
            else:
                visit(child, nested)

    for path in SUITES_DIR.rglob("*.py"):
        visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def _called(node: ast.expr) -> str | None:
    function = node.func if isinstance(node, ast.Call) else node
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else None


def test_no_suite_module_can_set_its_own_search() -> None:
    """Property tests built while a test runs (their strategies need the server) cannot be
    inspected at collection: they take the loaded profile (Hypothesis' default) or
    ``profiles.search``, because no suite module can reach Hypothesis' ``settings`` or phases."""
    assert any(nested for _, nested in _given_functions())
    for path in SUITES_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hypothesis"):
                imported = {alias.name for alias in node.names}
                assert not imported & {"settings", "Phase", "HealthCheck"}, path
            if isinstance(node, ast.Attribute) and node.attr in ("settings", "Phase"):
                assert not (isinstance(node.value, ast.Name) and node.value.id == "hypothesis")


def test_a_property_built_at_run_time_takes_the_loaded_profile() -> None:
    previous = settings.get_current_profile_name()
    profiles.load_profile("ci")
    try:

        @profiles.search(scale=0.5)
        @given(st.integers())
        def built_late(number: int) -> None:
            pass

        @given(st.integers())
        def bare(number: int) -> None:
            pass

        for test, examples in ((built_late, 20), (bare, 40)):
            used = test._hypothesis_internal_use_settings  # type: ignore[attr-defined]
            assert used.max_examples == examples
            assert tuple(used.phases) == profiles.PHASES and used.derandomize
    finally:
        settings.load_profile(previous)


def test_the_setting_replaces_a_tests_own_and_stops_at_the_first_failure() -> None:
    calls: list[int] = []

    @settings(phases=list(Phase), max_examples=500, derandomize=True, database=None)
    @given(st.integers())
    def always_fails(number: int) -> None:
        calls.append(number)
        raise AssertionError("the server broke its promise")

    with pytest.raises(AssertionError):
        always_fails()
    shrinking = len(calls)
    calls.clear()
    assert profiles.apply([always_fails], "fast") == 1
    with pytest.raises(AssertionError):
        always_fails()
    # One failing example, replayed once to report it; with its own settings it kept searching.
    assert len(calls) <= 2 < shrinking


def test_a_share_scales_and_caps_the_examples() -> None:
    @profiles.search(scale=0.3, at_most=50)
    @given(st.integers())
    def share(number: int) -> None:
        pass

    assert profiles.settings_for(share, "fast").max_examples == 3
    assert profiles.settings_for(share, "ci").max_examples == 12
    assert profiles.settings_for(share, "deep").max_examples == 50
    with pytest.raises(ValueError):
        profiles.search(scale=0)


def test_remembered_digests_are_hypothesis_own() -> None:
    """The digest cache (``profiles.remember_digests``) returns what Hypothesis computes, for a
    property test made anew from the same code, for another code, and per parameter salt."""
    import hypothesis.core
    from hypothesis.internal.reflection import function_digest

    profiles.remember_digests()
    remembered = hypothesis.core.function_digest
    assert remembered is not function_digest  # installed

    def make(salt: bytes | None = None) -> Any:
        def inner(x: int) -> None:
            assert x == x

        if salt is not None:
            inner._hypothesis_internal_add_digest = salt  # type: ignore[attr-defined]
        return inner

    def other(x: int) -> None:
        assert x != -x or x == 0

    first, again, salted = make(), make(), make(b"p1")
    assert first is not again
    for function in (first, again, salted, make(b"p2"), other):
        assert remembered(function) == function_digest(function)
    assert remembered(first) == remembered(again)
    assert len({remembered(f) for f in (first, salted, make(b"p2"), other)}) == 4
    profiles.remember_digests()  # a second install keeps the one cache
    assert hypothesis.core.function_digest is remembered

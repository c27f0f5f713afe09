"""The conformance suite: ``pytest --pyargs conformance.suites``.

One folder per API. Documented exchanges are records in ``<api>/cases.toml`` run by
``test_cases.py``; behaviour that needs code (round trips, lifecycles, properties) lives in
``<api>/test_*.py`` functions marked ``@pytest.mark.requirement("ID")``.
"""

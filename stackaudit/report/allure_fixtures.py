"""Works around allure-pytest's phantom `<fixture>::<lambda>` teardowns with pytest 9.1 and later.

From pytest 9.1, every fixture gets a finalizer of pytest's own (FixtureDef.execute's lambda).
allure-pytest 2.16 wraps it like a user's finalizer, pytest never calls it through the wrapper,
and every result's teardown then lists `<fixture>::<lambda>` with status unknown, which reads as a
problem to an auditor ("Phantom <lambda> teardown entries with unknown status when using pytest
9.1+", allure-framework/allure-python issue 918, 2026, https://github.com/allure-framework/allure-python/issues/918;
the proposed fix, pull request 921, skips finalizers owned by `_pytest` in the same way). Remove
this plugin once a released allure-pytest carries that fix.
"""
from __future__ import annotations

import pytest
from allure_commons._allure import fixture as AllureFixture


def owned_by_pytest(function) -> bool:
    return (getattr(function, "__module__", None) or "").split(".")[0] == "_pytest"


class PytestFinalizersUnwrapped:
    # tryfirst makes this wrapper the outermost: it runs after allure-pytest's has wrapped them.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef, request):
        result = yield
        finalizers = getattr(fixturedef, "_finalizers", [])
        for index, finalizer in enumerate(finalizers):
            if isinstance(finalizer, AllureFixture) and owned_by_pytest(finalizer._fixture_function):
                finalizers[index] = finalizer._fixture_function
        return result

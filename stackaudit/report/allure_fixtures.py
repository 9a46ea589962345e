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

import allure_commons
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


class FixturesUnlisted:
    """Results without pytest's fixtures in their "Set up" and "Tear down": allure-pytest lists every
    fixture a test used (`kvm_host`, `request` ...) as a step before and after it, in the containers it
    writes (allure_pytest/listener.py, pytest_fixture_setup). They are pytest's plumbing, not the audit:
    a fixture that fails makes the result itself broken, with the reason, and the evidence is attached to
    the result, never to a fixture. An allure-commons plugin, first to see each container: it empties it
    before allure-pytest's file logger writes it."""

    @allure_commons.hookimpl(tryfirst=True)
    def report_container(self, container):
        container.befores = []
        container.afters = []

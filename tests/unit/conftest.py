"""Unit tests start no process and connect nowhere (the tests that do are marked `integration`,
pytest.ini); the Hypothesis profile is chosen before any test module is imported."""
from __future__ import annotations

import socket
import subprocess

import pytest

import tests.unit.hypothesis_budget  # noqa: F401


class NotAUnitTest(AssertionError):
    pass


@pytest.fixture(autouse=True)
def unit_tests_stay_in_process(request, monkeypatch):
    if request.node.get_closest_marker("integration"):
        return

    def refuse(what):
        def refused(*args, **kwargs):
            raise NotAUnitTest(f"a unit test {what}: mark it integration (pytest.ini) or give it a recorded output")
        return refused

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("starts no process"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connects nowhere"))

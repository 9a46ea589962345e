"""The guard of tests/unit/conftest.py: a test not marked `integration` cannot start a process or
connect, so `make test-fast` stays what it says (no process, no server, no Node)."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.unit.conftest import NotAUnitTest


def test_a_unit_test_cannot_start_a_process():
    with pytest.raises(NotAUnitTest, match=r"^a unit test starts no process: mark it integration"):
        subprocess.run([sys.executable, "-c", "pass"])


def test_a_unit_test_cannot_connect():
    with socket.socket() as client, pytest.raises(NotAUnitTest, match=r"^a unit test connects nowhere"):
        client.connect(("127.0.0.1", 9))


@pytest.mark.integration
def test_an_integration_test_may():
    assert subprocess.run([sys.executable, "-c", "print('ran')"], capture_output=True, text=True).stdout == "ran\n"

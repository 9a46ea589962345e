"""No phantom `<fixture>::<lambda>` teardown with unknown status (allure-python issue 918)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration     # starts processes (see pytest.ini)

CHECKS = '''
import pytest

@pytest.fixture
def yielding():
    yield 1

@pytest.fixture
def with_finalizer(request):
    request.addfinalizer(lambda: None)
    return 2

def test_uses_both(yielding, with_finalizer):
    assert yielding + with_finalizer == 3
'''


def test_each_teardown_in_the_allure_results_is_a_real_one_with_a_status(tmp_path):
    (tmp_path / "test_fixtures.py").write_text(CHECKS)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           f"--alluredir={tmp_path / 'results'}", "test_fixtures.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    containers = [json.loads(p.read_text()) for p in Path(tmp_path / "results").glob("*-container.json")]
    afters = sorted((a["name"], a.get("status")) for c in containers for a in c.get("afters", []))
    # The yield fixture's teardown and the test's own finalizer stay; pytest's own lambda does not.
    assert afters == [("with_finalizer::<lambda>", "passed"), ("yielding::1", "passed")]


"""DB-REPLICATION-HEALTHY on a real MariaDB pair replicating by host names the inventory does not list:
each name is resolved on the replica's own machine (getent ahosts over SSH, through the /etc/hosts the
lab gives it), as the replica's IO thread resolves it, and compared by address."""
from __future__ import annotations


import pytest
import yaml

from tests.checks.suite_run import run_suite
from tests.lab.conftest import SCENARIOS

pytestmark = [pytest.mark.lab, pytest.mark.slow]
CHECK = ("--allure-label", "check_id=DB-REPLICATION-HEALTHY")


def test_a_pair_replicating_by_fully_qualified_names_passes(tmp_path, labs):
    scenario = yaml.safe_load((SCENARIOS / "compliant.yml").read_text())
    scenario["policy"] = {"report": {"evidence": "all"}}     # the passed result's evidence, read below, in full
    scenario.update(name="fqdn-pair", databases=[
        {"name": "db1", "unlisted_names": ["db1.lab.example"], "source_host": "db2.lab.example"},
        {"name": "db2", "unlisted_names": ["db2.lab.example"], "source_host": "db1.lab.example"}])
    path = tmp_path / "fqdn_pair.yml"
    path.write_text(yaml.safe_dump(scenario))
    with labs.own(path, tmp_path / "lab"):
        result = run_suite(tmp_path / "lab" / "inventory.yml", tmp_path, *CHECK)
    assert result.outcomes() == {("DB-REPLICATION-HEALTHY", "cloud://lab-fqdn-pair"): "passed"}, result.output
    # the lookups made on each replica's machine are the result's evidence
    evidence = "\n".join(p.read_text(errors="replace") for p in (tmp_path / "allure-results").glob("*-attachment*"))
    assert "STREAM db1.lab.example" in evidence and "STREAM db2.lab.example" in evidence


@pytest.mark.lab_scenario("matrix/replication_unknown_source.yml")
def test_a_source_name_resolving_elsewhere_fails(suite_run):
    # The detection matrix's run of this scenario (test_matrix.py) serves: its one result of the check.
    result = suite_run("matrix/replication_unknown_source.yml")
    (key, status), = result.outcomes("DB-REPLICATION-HEALTHY").items()
    assert status == "failed", result.output
    message = next(r.message for r in result.results if r.check_id == "DB-REPLICATION-HEALTHY")
    assert "db-old.lab.example is not a database server of the inventory" in message
    assert "db://db2 replicating from" not in message     # db2's source, db1.lab.example, is db1

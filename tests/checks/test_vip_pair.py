"""DB-VIP-SINGLE-HOLDER on the real lab: the VIP moved to db2 with CloudStack's sessions following
it, keepalived on an EL6 db1, passes as collected and judged (not left out), and the facts it was
judged on are the real ones: the VIP in db2's `ip -o addr show` only, the `cloud` sessions opened
from ms1's and ms2's namespaces on db2's real MariaDB, replication's `system user` threads on both."""
from __future__ import annotations

import pytest

from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow]
VIP = "198.18.0.250"


@pytest.mark.lab_scenario("compliant.yml")
def test_the_compliant_pair_is_judged_and_passes(suite_run):
    run = suite_run("compliant.yml")
    assert run.outcomes("DB-VIP-SINGLE-HOLDER") == {("DB-VIP-SINGLE-HOLDER", "cloud://lab-compliant"): "passed"}, \
        run.output[-2000:]


@pytest.mark.lab_scenario("matrix/vip_moved.yml")
def test_the_vip_moved_to_the_second_server_with_its_sessions_passes_on_real_facts(tmp_path, lab):
    inventory = lab("matrix/vip_moved.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "vip", "--allure-label", "check_id=DB-VIP-SINGLE-HOLDER")
    assert run.outcomes() == {("DB-VIP-SINGLE-HOLDER", "cloud://lab-m-vip-moved"): "passed"}, run.output[-2000:]
    facts = collected(tmp_path / "vip")
    db1, db2 = facts["db://db1"], facts["db://db2"]
    assert VIP not in db1["ssh"]["sections"]["ip_addresses"]["stdout"]
    assert f"inet {VIP}/32" in db2["ssh"]["sections"]["ip_addresses"]["stdout"]
    assert "keepalived\tchkconfig\t0\tkeepalived" in db1["ssh"]["sections"]["unit_states"]["stdout"]
    users = {server: [(r["USER"], r["HOST"].rsplit(":", 1)[0]) for r in parts["sql"]["queries"]["sessions"]["rows"]]
             for server, parts in (("db1", db1), ("db2", db2))}
    assert ("cloud", "198.18.0.10") in users["db2"] and ("cloud", "198.18.0.11") in users["db2"], users
    assert not [u for u in users["db1"] if u[0] == "cloud"], users
    assert ("system user", "") in users["db1"] and ("system user", "") in users["db2"], users
    # the management servers were read for the VIP and the users: ms1 through db.cloud.uri
    assert "db.cloud.uri=jdbc:mysql://198.18.0.250" in facts["mgmt://ms1"]["ssh"]["sections"]["db_properties"]["stdout"]

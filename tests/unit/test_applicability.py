"""Where each check applies: decided once, at collection, from its catalog record (stackaudit/applicability.py)."""
from __future__ import annotations

import datetime
import inspect
from types import SimpleNamespace

import pytest

from stackaudit.applicability import NotApplicable, ScopeLedger, decide
from stackaudit.catalog import catalog
from stackaudit.config.policy import policy_from_data
from stackaudit.plugin import TARGET_FIXTURES, pytest_generate_tests, pytest_pycollect_makeitem
from stackaudit.report.changes import build_summary
from stackaudit.report.summary import Result, summary_lines
from stackaudit.rules.scope import CA_FRAMEWORK, CONDITIONS, DATABASE_ADDRESSED, POOL_HA_RELIED_ON, ZONE_ENABLED
from stackaudit.session import STATE
from stackaudit.targets import Snapshot, Target
from tests.unit.test_catalog import implementations

pytest_plugins = ("pytester",)
POLICY = policy_from_data({}, "test")
ONE_DB = SimpleNamespace(databases=SimpleNamespace(servers=["db1"]))
TWO_DBS = SimpleNamespace(databases=SimpleNamespace(servers=["db1", "db2"]))


def cloud(*targets: Target, versions=("4.19.1.0",)) -> Snapshot:
    return Snapshot("lab", [*targets, Target("cloud", "lab", attrs={"versions": versions})])


POOLS = (Target("xs-pool", "pool-a", "zone1"), Target("xs-pool", "pool-b", "zone1"))


def test_each_check_names_one_target_fixture_and_its_record_only_known_conditions():
    for check_id, function in implementations():
        assert len([p for p in inspect.signature(function).parameters if p in TARGET_FIXTURES]) == 1, check_id
        assert set(catalog()[check_id].scope) <= set(CONDITIONS), check_id
        assert not hasattr(function, "stackaudit_scope"), f"{check_id}: scope is the record's, not the decorator's"


def test_scope_conditions_give_the_reasons_a_result_is_left_out_with():
    policy = SimpleNamespace(database=SimpleNamespace(address=None),
                             xenserver=SimpleNamespace(ha_required_from="4.5", ha_required_patch_levels=[]))
    zone = Target("zone", "zone5", attrs={"allocationstate": "Disabled"})
    assert ZONE_ENABLED.out_of_scope(zone, None, policy, ONE_DB) == "zone zone5 is Disabled"
    assert ZONE_ENABLED.out_of_scope(Target("zone", "z", attrs={"allocationstate": "Enabled"}), None, policy,
                                     ONE_DB) is None
    assert DATABASE_ADDRESSED.out_of_scope(None, None, policy, ONE_DB) == \
        "one database server and no database address in the policy"
    assert DATABASE_ADDRESSED.out_of_scope(None, None, policy, TWO_DBS) is None
    assert CA_FRAMEWORK.out_of_scope(None, "4.9.3.0", policy, ONE_DB) == "CloudStack 4.9.3.0 has no CA framework (4.11+)"
    assert CA_FRAMEWORK.out_of_scope(None, "4.19.1.0", policy, ONE_DB) is None
    assert POOL_HA_RELIED_ON.out_of_scope(None, "4.3.0", policy, ONE_DB) == \
        "CloudStack 4.3.0 elects the pool master itself (Bergsma, 2015)"
    assert POOL_HA_RELIED_ON.out_of_scope(None, "4.5.1", policy, ONE_DB) is None


@pytest.mark.parametrize("versions, applies", [
    (("4.19.1.0",), True),
    (("4.3.0",), False),
    (("4.3.0", "4.5.1"), True),     # servers disagree (mid-upgrade): left out only if out at every version
])
def test_a_version_condition_is_decided_on_the_versions_discovery_put_in_the_snapshot(versions, applies):
    decision = decide(catalog()["XS-POOL-HA-ENABLED"], cloud(*POOLS, versions=versions), POLICY, ONE_DB)
    assert [t.id for t in decision.applies] == (["xs-pool://zone1/pool-a", "xs-pool://zone1/pool-b"] if applies else [])
    assert decision.not_applicable == ([] if applies else [
        NotApplicable("XS-POOL-HA-ENABLED", f"xs-pool://zone1/{name}",
                      "CloudStack 4.3.0 elects the pool master itself (Bergsma, 2015)") for name in ("pool-a", "pool-b")])
    assert decision.undecided == {}


def test_a_cloud_reporting_no_version_leaves_a_version_condition_undecided_and_the_result_collected():
    decision = decide(catalog()["MS-CA-STRICT"], cloud(versions=()), POLICY, ONE_DB)
    assert [t.id for t in decision.applies] == ["cloud://lab"] and decision.not_applicable == []
    assert decision.undecided == {"cloud://lab": "MS-CA-STRICT applies only to CloudStack 4.11 and later, "
                                                 "and the API reports no management server version"}


def test_a_check_with_no_target_of_its_kinds_applies_nowhere_with_the_reason():
    decision = decide(catalog()["XS-POOL-MIN-HOSTS"], cloud(), POLICY, ONE_DB)
    assert decision.applies == [] and decision.undecided == {}
    assert decision.not_applicable == [NotApplicable("XS-POOL-MIN-HOSTS", None, "the cloud lab has no xs-pool targets")]


def test_target_state_and_inventory_conditions_leave_out_only_the_targets_they_name():
    zones = (Target("zone", "zone1", attrs={"allocationstate": "Enabled"}),
             Target("zone", "zone5", attrs={"allocationstate": "Disabled"}))
    decision = decide(catalog()["SVM-PER-ZONE"], cloud(*zones), POLICY, ONE_DB)
    assert [t.id for t in decision.applies] == ["zone://zone1"]
    assert decision.not_applicable == [NotApplicable("SVM-PER-ZONE", "zone://zone5", "zone zone5 is Disabled")]
    databases = (Target("db", "db1"), Target("db", "db2"))
    assert decide(catalog()["DB-BIND-ADDRESS"], cloud(databases[0]), POLICY, ONE_DB).not_applicable == [
        NotApplicable("DB-BIND-ADDRESS", "db://db1", "one database server and no database address in the policy")]
    assert len(decide(catalog()["DB-BIND-ADDRESS"], cloud(*databases), POLICY, TWO_DBS).applies) == 2


class Metafunc:
    """What pytest_generate_tests reads of pytest's Metafunc, and what it parametrizes."""
    def __init__(self, function, state):
        self.function, self.fixturenames = function, list(inspect.signature(function).parameters)
        self.definition = SimpleNamespace(nodeid=f"checks/x.py::{function.__name__}")
        self.config = SimpleNamespace(stash={STATE: state})
        self.parametrized = None

    def parametrize(self, name, params, indirect):
        self.parametrized = (name, [p.id for p in params])


def test_collection_parametrizes_a_check_over_the_targets_it_applies_to_and_ledgers_the_rest():
    (pool_ha,) = [f for check_id, f in implementations() if check_id == "XS-POOL-HA-ENABLED"]
    (min_hosts,) = [f for check_id, f in implementations() if check_id == "XS-POOL-MIN-HOSTS"]
    state = SimpleNamespace(snapshot=cloud(POOLS[0], versions=("4.3.0",)), policy=POLICY, inventory=ONE_DB,
                            scope=ScopeLedger())
    out_of_scope, in_scope = Metafunc(pool_ha, state), Metafunc(min_hosts, state)
    pytest_generate_tests(out_of_scope)
    pytest_generate_tests(in_scope)
    assert out_of_scope.parametrized is None and in_scope.parametrized == ("pool", ["xs-pool://zone1/pool-a"])
    assert state.scope.applies_nowhere("XS-POOL-HA-ENABLED") and not state.scope.applies_nowhere("XS-POOL-MIN-HOSTS")
    assert [(n.check_id, n.target) for n in state.scope.entries()] == [("XS-POOL-HA-ENABLED", "xs-pool://zone1/pool-a")]
    # the one item pytest makes of a function it was not asked to parametrize is dropped: no result at all
    made = pytest_pycollect_makeitem(SimpleNamespace(config=out_of_scope.config), "test_pool_ha_enabled", pool_ha)
    next(made)
    with pytest.raises(StopIteration) as returned:
        made.send(["the item without a target"])
    assert returned.value.value == []


def test_the_ledger_keeps_what_the_selection_and_the_shard_left_out_only():
    ledger = ScopeLedger()
    decided = {"SVM-PER-ZONE": decide(catalog()["SVM-PER-ZONE"], cloud(
                   Target("zone", "zone1", attrs={"allocationstate": "Enabled"}),
                   Target("zone", "zone5", attrs={"allocationstate": "Disabled"}),
                   Target("zone", "zone6", attrs={"allocationstate": "Disabled"})), POLICY, ONE_DB),
               "XS-POOL-MIN-HOSTS": decide(catalog()["XS-POOL-MIN-HOSTS"], cloud(), POLICY, ONE_DB),
               "XS-HOST-NAME-LABEL": decide(catalog()["XS-HOST-NAME-LABEL"], cloud(), POLICY, ONE_DB),
               "MS-CA-STRICT": decide(catalog()["MS-CA-STRICT"], cloud(versions=("4.9.3.0",)), POLICY, ONE_DB)}
    for check_id, decision in decided.items():
        ledger.record(check_id, decision, definition=check_id)
    kept_item = SimpleNamespace(function=SimpleNamespace(stackaudit_check_id="SVM-PER-ZONE"))
    ledger.narrow([kept_item], in_shard=lambda target: target != "zone://zone6",
                  selected=lambda definition: definition != "XS-HOST-NAME-LABEL")
    assert [(n.check_id, n.target) for n in ledger.entries()] == [
        ("MS-CA-STRICT", "cloud://lab"),            # applies nowhere, selected
        ("SVM-PER-ZONE", "zone://zone5"),           # its other zone is another shard's
        ("XS-POOL-MIN-HOSTS", None)]                # no target at all; XS-HOST-NAME-LABEL was not selected


def test_the_report_counts_what_was_not_applicable_apart_from_the_results():
    results = [Result("SVM-PER-ZONE", "zone://zone1", "passed", "", "critical")]
    left_out = [{"check_id": "SVM-PER-ZONE", "target": "zone://zone5", "reason": "zone zone5 is Disabled"},
                {"check_id": "XS-POOL-MIN-HOSTS", "target": None, "reason": "the cloud lab has no xs-pool targets"}]
    summary = build_summary("run", "s", "f", "lab", None, None, 0, results, None, (), datetime.date(2026, 12, 6),
                            not_applicable=left_out)
    assert summary["counts"]["not_applicable"] == 2 and summary["counts"]["total"] == 1
    assert summary["not_applicable"] == [left_out[0], left_out[1]]
    lines = summary_lines(results, left_out)
    assert lines[1].split() == ["SVM-PER-ZONE", "critical", "1", "0", "0", "0", "1"]
    assert lines[2].split() == ["XS-POOL-MIN-HOSTS", "-", "0", "0", "0", "0", "1"]
    assert lines[-1].startswith("total: 1 passed, 0 failed, 0 broken, 0 waived; 2 not applicable")


def test_a_result_whose_scope_is_undecided_is_broken_with_the_reason_before_the_check_runs():
    from stackaudit.errors import NotCheckable
    from stackaudit.fixtures import target_handle
    (ca_strict,) = [f for check_id, f in implementations() if check_id == "MS-CA-STRICT"]
    state = SimpleNamespace(snapshot=cloud(versions=()), policy=POLICY, inventory=ONE_DB, scope=ScopeLedger())
    state.scope.record("MS-CA-STRICT", decide(catalog()["MS-CA-STRICT"], state.snapshot, POLICY, ONE_DB))
    request = SimpleNamespace(config=SimpleNamespace(stash={STATE: state}), param="cloud://lab", function=ca_strict)
    with pytest.raises(NotCheckable, match="^MS-CA-STRICT applies only to CloudStack 4.11 and later, and the API "
                                           "reports no management server version$"):
        target_handle(request)


def test_discovery_puts_the_management_servers_versions_on_the_cloud_target(monkeypatch):
    from stackaudit.discovery import discovery
    rows = {"listManagementServers": [{"id": "m1", "name": "ms1", "version": "4.19.1.0"},
                                      {"id": "m2", "name": "ms2", "version": "4.18.2.0"},
                                      {"id": "m3", "name": "ms3", "version": "4.19.1.0"}, {"id": "m4", "name": "ms4"}]}
    monkeypatch.setattr(discovery.cloudstack, "client", lambda *args, **kwargs: None)
    monkeypatch.setattr(discovery.cloudstack, "list_all", lambda api, command, **params: rows.get(command, []))
    secret = SimpleNamespace(read=lambda: "s")
    inventory = SimpleNamespace(cloud_name="c", api=SimpleNamespace(endpoint="https://198.18.0.10/client/api", key=secret,
                                                                    secret=secret, verify=True),
                                ssh=SimpleNamespace(connect_timeout=5), xenserver=None, management_servers=[],
                                databases=None, insecure_channels=(),
                                tls_frontends=[SimpleNamespace(name="lb1", ssh_address="192.0.2.5", port=8443)])
    snapshot = discovery.discover(inventory)
    assert snapshot.cloud_versions() == ("4.18.2.0", "4.19.1.0")
    frontend = snapshot.by_id("tls-frontend://lb1")      # from the inventory alone: the API lists none
    assert (frontend.address, frontend.attrs.port) == ("192.0.2.5", 8443)
    assert decide(catalog()["MS-CA-STRICT"], snapshot, POLICY, ONE_DB).undecided == {}


def test_the_firewall_checks_run_on_the_firewalled_kinds_the_suite_names_once():
    from stackaudit.targets import FIREWALLED_KINDS
    assert catalog()["HOST-IPTABLES-V4"].targets == catalog()["HOST-IPTABLES-V6"].targets == FIREWALLED_KINDS


@pytest.mark.parametrize("markexpr, keyword, kept", [
    ("", "", True), ("nightly", "", True), ("pre_upgrade", "", False), ("nightly and not security", "", True),
    ("", "pool_ha", True), ("", "test_applies_nowhere", True), ("", "not pool_ha", False), ("nightly", "zone", False),
])
def test_a_check_that_applies_nowhere_is_listed_only_if_m_and_k_select_it(pytester, markexpr, keyword, kept):
    """Judged on its function as pytest judges an item, with the same -m and -k expressions."""
    from stackaudit.plugin import selected_by_expressions
    pytester.makeini("[pytest]\nmarkers =\n    nightly: n\n    pre_upgrade: p\n    security: s\n")
    pytester.makepyfile(test_pool_ha="import pytest\n\n@pytest.mark.nightly\ndef test_applies_nowhere():\n    pass\n")
    definitions = []

    class Capture:
        def pytest_generate_tests(self, metafunc):
            definitions.append(metafunc.definition)

    pytester.inline_run("--collect-only", "-p", "no:randomly", plugins=[Capture()])
    config = SimpleNamespace(option=SimpleNamespace(markexpr=markexpr, keyword=keyword))
    assert selected_by_expressions(config, definitions[0]) is kept

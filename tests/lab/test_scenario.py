"""The scenario format: defaults, and one-line errors that name the file, the key path and the fix."""
from pathlib import Path

import pytest

from lab.__main__ import EXIT_SCENARIO, main
from lab.generate import generate_scenario
from lab.scenario import load_scenario, resolve_scenario
from stackaudit.config.schema import SchemaError as ScenarioError
from lab.topology import build_topology, kvm_guid

DATA = Path(__file__).parent.parent / "data" / "scenarios"
SCENARIOS = Path(__file__).parent.parent.parent / "lab" / "scenarios"


@pytest.mark.parametrize("name, message", [
    ("typo_key.yml", "zones[0].pods[0].clusters[0].hosts[0].libvirtd_arg: unknown key; expected one of name,"),
    ("bad_hypervisor.yml", "zones[0].pods[0].clusters[0].hypervisor: found str 'VMware'; expected one of KVM, XenServer"),
    ("svm_unknown_host.yml", "zones[0].system_vms[0].host: 'kvm09' is not a host of zone 'zone1'; expected one of kvm01"),
    ("duplicate_name.yml", "zones[0].pods[0].clusters[0].hosts[1].name: 'kvm01' is already used at "
                           "zones[0].pods[0].clusters[0].hosts[0]; machine names must be unique"),
    ("not_yaml.yml", ": line 3: not valid YAML; fix the syntax there"),
    ("wrong_type.yml", "zones[0].pods[0].clusters[0].pool.ha_timeout: found str 'three minutes'; "
                       "expected an integer >= 1, or null"),
    ("missing_zones.yml", ": zones: missing; expected a list of a mapping with keys name,"),
])
def test_malformed_scenario_is_one_line_naming_file_and_key(name, message):
    with pytest.raises(ScenarioError) as err:
        load_scenario(DATA / name)
    text = str(err.value)
    assert text.startswith(str(DATA / name))
    assert message in text
    assert "\n" not in text


def test_cli_reports_scenario_error_in_one_line_with_its_own_exit_code(capsys):
    assert main(["up", str(DATA / "typo_key.yml"), "--state-dir", "/nonexistent-lab-state"]) == EXIT_SCENARIO
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "libvirtd_arg: unknown key" in err and "Traceback" not in err


def test_defaults_are_compliant_values_from_the_seeds():
    scenario = load_scenario(SCENARIOS / "compliant.yml")
    cluster = scenario["zones"][0]["pods"][0]["clusters"][0]
    assert cluster["pool"]["ha_enabled"] is True and cluster["pool"]["ha_timeout"] == 180
    kvm = scenario["zones"][0]["pods"][0]["clusters"][1]["hosts"][0]
    assert kvm["firewall"]["reject_ports"] == [16509, 16514, 45335, 41047, 8250]
    assert kvm["firewall"]["persisted"] == {"v4": "same", "v6": "same"}
    assert [d["binlog_format"] for d in scenario["databases"]] == ["ROW", "ROW"]
    assert [m["process_user"] for m in scenario["management_servers"]] == ["cloud", "cloud"]


def test_violations_scenario_states_only_its_deviations():
    scenario = load_scenario(SCENARIOS / "violations.yml")
    clusters = scenario["zones"][0]["pods"][0]["clusters"]
    assert clusters[0]["pool"]["ha_timeout"] is None
    assert clusters[1]["hosts"][1]["firewall"]["persisted"] == {"v4": "absent", "v6": "same"}
    assert scenario["databases"][1]["binlog_format"] == "STATEMENT"


def test_topology_addresses_stay_in_the_lab_ranges_and_ids_are_stable():
    scenario = load_scenario(SCENARIOS / "compliant.yml")
    first, second = build_topology(scenario), build_topology(scenario)
    assert [n.id for n in first.machines] == [n.id for n in second.machines]
    for node in first.machines:
        prefix = "169.254." if node.kind == "systemvm" else "198.18."
        assert node.address.startswith(prefix), node
        assert node.address6 is None or node.address6.startswith("fd00:")


def test_kvm_guid_is_javas_name_uuid_from_bytes():
    # Recorded from OpenJDK 17: UUID.nameUUIDFromBytes("192.168.1.10".getBytes())
    assert kvm_guid("192.168.1.10") == "8f337c97-3339-3d70-9388-3bd28ddb6588"


@pytest.mark.parametrize("hosts, zones", [(10, 1), (50, 2), (200, 4)])
def test_generator_makes_valid_compliant_scenarios(hosts, zones):
    scenario = resolve_scenario(generate_scenario(hosts, zones), "generated")
    topo = build_topology(scenario)
    assert len(topo.hosts) == hosts
    assert len(scenario["zones"]) == zones
    for zone in scenario["zones"]:
        kinds = [s["type"] for s in zone["system_vms"]]
        assert kinds.count("secondarystoragevm") == 1 and kinds.count("consoleproxy") == 1
        for cluster in (c for p in zone["pods"] for c in p["clusters"]):
            assert cluster["hypervisor"] == "KVM" or len(cluster["hosts"]) >= 3


@pytest.mark.parametrize("databases, message", [
    ([{"name": "db1", "source_host": "db3"}, {"name": "db2", "aliases": ["db2.lab.example"]}],
     "databases[0].source_host: 'db3' does not resolve to the peer; expected one of db2, db2.lab.example"),
    ([{"name": "db1", "connection_name": "peer one"}, {"name": "db2"}],
     "databases[0].connection_name: 'peer one'; use letters, digits, '-' and '_'"),
])
def test_replication_names_must_resolve_to_the_peer(databases, message):
    raw = {"name": "t", "zones": [{"name": "zone1", "pods": [{"name": "pod1", "clusters": [
        {"name": "c1", "hypervisor": "KVM", "hosts": [{"name": "kvm01"}]}]}]}], "databases": databases}
    with pytest.raises(ScenarioError) as err:
        resolve_scenario(raw, "t.yml")
    assert str(err.value) == f"t.yml: {message}"

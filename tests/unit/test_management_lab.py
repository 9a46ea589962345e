"""The lab's management servers as the MS-JVM-HEAP, MS-HTTP-LOCAL-ONLY and MS-LOG4J-SYSLOG matrix
scenarios lay them out (lab/parts/mgmt.py), read back with the suite's own parsers: no lab, no root."""
from __future__ import annotations

from pathlib import Path

import pytest

from lab.inventory import LAB_POLICY, inventory_document
from lab.machine import services_script
from lab.parts.common import Keys
from lab.parts.mgmt import mgmt_spec
from lab.parts.units import SYSTEMCTL
from lab.scenario import load_scenario
from lab.topology import build_topology
from stackaudit.parsers.jvm import HeapOption, parse_jvm_heap
from stackaudit.parsers.log4j import SyslogAppender, parse_log4j_config
from stackaudit.parsers.net import Listener
from stackaudit.parsers.properties import parse_environment_file, parse_java_properties_file
from stackaudit.parsers.war_layout import WarLayout
from stackaudit.rules.http_local import connectors, local_only_findings
from stackaudit.rules.war_layout import war_layout_findings

MATRIX = Path(__file__).resolve().parents[2] / "lab" / "scenarios" / "matrix"
RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
HOST_KEYS = {f"ms{n}": ("PRIVATE", "ssh-ed25519 AAAA host") for n in range(1, 7)}
KEYS = Keys("ssh-ed25519 AAAA suite", "PRIVATE", "ssh-rsa AAAA cloud", HOST_KEYS)
SERVER_PROPERTIES = "/etc/cloudstack/management/server.properties"
LOG4J = "/etc/cloudstack/management/log4j-cloud.xml"


def specs(name: str) -> dict:
    topo = build_topology(load_scenario(MATRIX / name))
    return {node.name: mgmt_spec(topo, node, KEYS) for node in topo.management}


def test_heap_options_reach_the_java_command_line_and_the_pid_file_the_systemctl_stand_in_reads():
    servers = specs("jvm_heap.yml")
    java = {name: spec.services[0].argv for name, spec in servers.items()}
    assert "-Xmx2G" in java["ms1"] and not any(a.startswith("-Xmx") for a in java["ms2"])
    assert [a for a in java["ms3"] if a.startswith(("-Xmx", "-XX:MaxHeap"))] == ["-Xmx2G", "-XX:MaxHeapSize=4g"]
    assert "echo $! > /run/cloudstack-management.pid" in services_script(servers["ms1"])
    assert "cloudstack-management.pid" not in services_script(servers["ms4"])
    assert "MainPID" in servers["ms1"].files[SYSTEMCTL]


def test_the_compliant_default_heap_is_above_the_policy():
    topo = build_topology(load_scenario(MATRIX.parent / "compliant.yml"))
    for node in topo.management:
        assert "-Xmx4096m" in mgmt_spec(topo, node, KEYS).services[0].argv


def test_a_real_reading_of_the_heap_program_keeps_secrets_out():
    # recorded here by running HEAP_COMMAND on a process whose command line had -D...Password=secret
    text = (RECORDED / "jvm-heap-debian12-recorded.txt").read_text()
    assert "secret" not in text
    assert parse_jvm_heap(text).options == (HeapOption("-Xmx2G", 2 << 30),)


@pytest.mark.parametrize("server, bind, ports, listening", [
    ("ms1", None, {"http.port": 8080}, []),       # the API simulator's socket on 8080 is the one judged
    ("ms2", "127.0.0.1", {"http.port": 8081, "https.port": 8443}, [["127.0.0.1", "8081"], ["::", "8443"]]),
    ("ms4", "::1", {"http.port": 9090}, [["::1", "9090"], ["0.0.0.0", "8443"]]),
    ("ms5", "127.0.0.1", {"http.port": 8081}, [["127.0.0.1", "8081"]]),
])
def test_server_properties_and_listeners(server, bind, ports, listening):
    spec = specs("http_local.yml")[server]
    found = connectors(parse_java_properties_file(spec.files[SERVER_PROPERTIES], SERVER_PROPERTIES))
    assert (found.bind_interface, found.ports) == (bind, ports)
    assert [service.argv[-2:] for service in spec.services[1:]] == listening


def test_by_default_every_server_is_a_compliant_war_drop_behind_the_proxy():
    assert LAB_POLICY["ms"]["reverse_proxy"] is True
    topo = build_topology(load_scenario(MATRIX.parent / "compliant.yml"))
    for node in topo.management:
        spec = mgmt_spec(topo, node, KEYS)
        properties = parse_java_properties_file(spec.files[SERVER_PROPERTIES], SERVER_PROPERTIES)
        # the API simulator listens on the server's address at 8080: not Jetty's port here
        assert local_only_findings(properties, [Listener(node.address, 8080)]) == []
        sysconfig = parse_environment_file(spec.files["/etc/sysconfig/tomcat"], "/etc/sysconfig/tomcat")
        assert war_layout_findings(sysconfig, WarLayout(None, True, True, True, "/usr/share/tomcat", True)) == []
        assert "/usr/share/tomcat/db/create-schema.sql" in spec.files


@pytest.mark.parametrize("server, dialect, syslog, root_syslog", [
    ("ms1", "log4j2", SyslogAppender("198.18.0.250", "LOCAL0", "DEBUG"), True),
    ("ms2", "log4j1", SyslogAppender("localhost", "LOCAL6", "WARN"), True),
    ("ms3", "log4j1", SyslogAppender("198.18.0.250", "LOCAL0", "DEBUG"), False),
    ("ms5", "log4j1", SyslogAppender("198.18.0.250", "local0", "TRACE"), True),
])
def test_log4j_files(server, dialect, syslog, root_syslog):
    config = parse_log4j_config(specs("log4j_syslog.yml")[server].files[LOG4J])
    assert (config.dialect, config.syslog, "SYSLOG" in config.root_refs) == (dialect, syslog, root_syslog)


def test_war_drops_lay_out_what_the_probe_reads():
    servers = specs("war_layout.yml")
    linked = servers["ms1"]
    assert linked.symlinks["/etc/cloudstack/management"] == "/usr/share/tomcat/webapps/client/WEB-INF/classes"
    assert "/usr/share/tomcat/webapps/client/WEB-INF/classes/db.properties" in linked.files
    assert not any(p.startswith("/etc/cloudstack/management/") for p in linked.files)
    assert "/usr/share" in linked.views and "tomcat:x:91:91::/usr/share/tomcat:" in linked.files["/etc/passwd"]
    assert "/usr/share/tomcat/db/create-schema.sql" not in servers["ms3"].files
    assert "/etc/sysconfig/tomcat" not in servers["ms5"].files


def test_the_lab_inventory_marks_war_drops():
    topo = build_topology(load_scenario(MATRIX / "war_layout.yml"))
    deployments = {m["name"]: m["deployment"] for m in inventory_document(topo)["management_servers"]}
    assert deployments == {"ms1": "war", "ms2": "war", "ms3": "war", "ms4": "war", "ms5": "package"}

"""Legacy iptables tables beside the nf_tables ones: read, and never half the rules judged. On outputs
recorded by others (dev-sec/ansible-collection-hardening issue 274) and on the lab's own
(tests/data/recorded/SOURCES.md)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from stackaudit.collect.facts import Facts
from stackaudit.targets import Target
from stackaudit.errors import NotCheckable
from stackaudit.parsers.iptables_legacy import is_nf_tables, legacy_problem, legacy_save_line

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


LAB_PROBLEM = ("legacy IPv4 tables hold rules beside the nf_tables rules (filter INPUT: 1 rule): a packet must pass "
               "both, and this suite judges one ruleset, so the firewall is not checked")


def test_the_warning_and_the_header_say_the_running_rules_are_iptables_nft():
    assert is_nf_tables(recorded("iptables-save-devsec-274.txt"))             # 1.8.2: warning on stdout
    assert is_nf_tables(recorded("iptables-save-with-legacy-tables.stdout"))  # 1.8.9: warning on stderr
    assert "# Warning: iptables-legacy tables present" in recorded("iptables-save-with-legacy-tables.stderr")
    assert not is_nf_tables(recorded("iptables-save-cloudstack-7318-kvmhost2.txt"))    # 1.4.21: legacy itself


@pytest.mark.parametrize("running, legacy, problem", [
    # dev-sec 274: the legacy nat and filter tables exist but are empty, every policy ACCEPT: no effect
    ("iptables-save-devsec-274.txt", "iptables-legacy-save-devsec-274.txt", None),
    # the lab: a legacy filter table that ACCEPTs tcp 16509 beside the compliant nf_tables rules
    ("iptables-save-with-legacy-tables.stdout", "iptables-legacy-save-lab.txt", LAB_PROBLEM),
    # no legacy table: the collection prints nothing
    ("iptables-save-v4-compliant.txt", "", None),
    # iptables-save is legacy itself (EL7): the legacy tables are the running rules
    ("iptables-save-cloudstack-7318-kvmhost2.txt", "iptables-legacy-save-lab.txt", None),
])
def test_legacy_tables_that_hold_rules_make_the_rules_not_whole(running, legacy, problem):
    assert legacy_problem(recorded(running), recorded(legacy) if legacy else "", 4) == problem


def test_legacy_tables_without_the_tool_to_read_them_are_not_judged_either():
    legacy = "# not installed: ip6tables-legacy-save; tables: filter mangle\n"
    assert legacy_problem(recorded("iptables-save-with-legacy-tables.stdout"), legacy, 6) == (
        "legacy IPv6 tables (filter, mangle) are loaded beside the nf_tables rules and ip6tables-legacy-save is "
        "not installed to read them: half of the rules cannot be judged")


def test_a_legacy_policy_drop_holds_rules_too():
    legacy = recorded("iptables-legacy-save-devsec-274.txt").replace(":INPUT ACCEPT [25134:15221111]",
                                                                       ":INPUT DROP [25134:15221111]")
    assert "(filter INPUT: policy DROP)" in legacy_problem(recorded("iptables-save-devsec-274.txt"), legacy, 4)


# Docker's legacy rules in the shape of moby/moby pull request 49518's iptables-save (2025): forwarding
# to containers and masquerading their traffic; nothing on the way of a packet for the host itself.
DOCKER_FORWARDING = """*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -j DOCKER
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DROP
-A DOCKER-USER -j RETURN
COMMIT
"""


def test_legacy_rules_a_packet_for_the_host_never_meets_leave_the_rules_whole():
    running = recorded("iptables-save-with-legacy-tables.stdout")
    assert legacy_problem(running, DOCKER_FORWARDING, 4) is None
    # Docker's published ports: nat PREROUTING jumps to DOCKER, whose DNAT takes the packet elsewhere
    published = DOCKER_FORWARDING.replace(":POSTROUTING ACCEPT [0:0]\n", ":POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n"
                                          "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A DOCKER ! -i docker0 "
                                          "-p tcp --dport 16509 -j DNAT --to-destination 172.17.0.2:16509\n")
    assert "(nat PREROUTING: 2 rules)" in legacy_problem(running, published, 4)
    # a DROP in raw PREROUTING closes before INPUT
    raw = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 22 -j DROP\nCOMMIT\n"
    assert "(raw PREROUTING: 1 rule)" in legacy_problem(running, raw + DOCKER_FORWARDING, 4)


def test_the_legacy_tables_are_read_only_where_iptables_nft_sees_them():
    line = legacy_save_line("ip_tables_names", "iptables-legacy-save")
    # iptables-legacy-save with no legacy table would load the legacy modules: a change to the target
    assert line.startswith('t=$(cat /proc/net/ip_tables_names 2>/dev/null); [ -n "$t" ] || exit 0; ')


def section(stdout: str) -> dict:
    return {"exit_code": 0, "stdout": stdout, "stderr": ""}


def firewall_fact(legacy: str):
    sections = {"os_release": section("ID=debian\n"), "iptables_save": section(
        recorded("iptables-save-with-legacy-tables.stdout")), "iptables_legacy_save": section(legacy),
        "rules_v4": section(recorded("iptables-save-v4-compliant.txt")), "boot_units": section(
        "netfilter-persistent.service\n"), "sysconfig_iptables": {"exit_code": 1, "stdout": "", "stderr": "No such file"}}
    store = SimpleNamespace(raw=lambda target: {"ssh": {"sections": sections}})
    return Facts(Target("kvm-host", "hv1"), store).firewall(4)


def test_the_firewall_fact_is_not_checkable_with_legacy_rules_and_read_without(monkeypatch):
    monkeypatch.setattr("stackaudit.collect.facts.allure", SimpleNamespace(attach=lambda *a: None,
                        attachment_type=SimpleNamespace(TEXT=None, JSON=None)))
    with pytest.raises(NotCheckable) as error:
        firewall_fact(recorded("iptables-legacy-save-lab.txt"))
    assert str(error.value) == LAB_PROBLEM
    assert firewall_fact("").running.chain("filter", "CLOUDSTACK-SERVICES") is not None

"""SVM-SSVM-MTU reads an SSVM's boot line, which holds `vmpassword=`: on the matrix lab whose SSVMs'
boot lines carry one, the run collects exactly the `mtu=` and `storageip=` words and eth3's MTU (and
on the KVM hosts their devices' MTUs and agent.properties), and
no password reaches any file of the run directory (facts as collected and masked, Allure results,
report.html with what it embeds, summary.json, junit.xml, the log) or the terminal output."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from lab.machine import machine_dir
from lab.parts.ssvm_boot import DEFAULT_VM_PASSWORD
from tests.checks.suite_run import REPO
from tests.checks.test_secrets_canary import leaks, readable
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/ssvm_mtu.yml")]

SCENARIO = "matrix/ssvm_mtu.yml"
PASSWORDS = [DEFAULT_VM_PASSWORD, "lab-ssvm-mtu-vm-password"]    # the lab's default and s-1-VM's own
STORAGE_WORDS = {"ssvm://zone1/s-1-VM": "mtu=9000\nstorageip=198.18.2.5\n",
                 "ssvm://zone1/s-5-VM": "mtu=9000\nstorageip=198.18.2.6\n",
                 "ssvm://zone1/s-9-VM": "mtu=1500\nstorageip=198.18.2.7\n",
                 "ssvm://zone1/s-13-VM": "mtu=9000\nstorageip=198.18.2.8\n",
                 "ssvm://zone1/s-17-VM": "mtu=9000\n",
                 "ssvm://zone1/s-21-VM": "mtu=9000\nstorageip=198.18.2.9\n",
                 "ssvm://zone1/s-25-VM": "mtu=9000\nstorageip=198.18.2.10\n",
                 "ssvm://zone1/s-29-VM": "mtu=9000\nstorageip=198.18.2.11\n"}


@pytest.fixture(scope="module")
def mtu_run(tmp_path_factory, lab):
    handle = lab(SCENARIO)
    work = tmp_path_factory.mktemp("ssvm-mtu")
    # each machine's files as its view shows them (lab/machine.py: the top layer of its overlay)
    boot_lines = {vm.name: (machine_dir(handle.state_dir, vm.name) / "overlay/var/cache/cloud/cmdline").read_text()
                  for vm in handle.topology.system_vms if vm.facts["type"] == "secondarystoragevm"}
    run = subprocess.run([sys.executable, "-m", "stackaudit", "run", f"--inventory={handle.path('inventory.yml')}",
                          f"--reports-dir={work / 'reports'}", "-p", "no:randomly", "-v",
                          "--allure-label", "check_id=SVM-SSVM-MTU"],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    return work, run, boot_lines


def test_the_lab_s_boot_lines_do_hold_the_passwords(mtu_run):
    _, _, boot_lines = mtu_run
    assert "vmpassword=lab-ssvm-mtu-vm-password " in boot_lines["s-1-VM"]
    assert all(f"vmpassword={DEFAULT_VM_PASSWORD} " in line for name, line in boot_lines.items() if name != "s-1-VM")


def test_only_the_two_words_and_eth3_s_mtu_are_collected(mtu_run):
    work, run, _ = mtu_run
    assert "failed" in run.stdout or "failed" in run.stderr, run.stdout[-2000:]
    facts = {target: parts for target, parts in collected(work).items() if target.startswith("ssvm://")}
    assert sorted(facts) == sorted(STORAGE_WORDS)
    for target, parts in facts.items():
        sections = parts["ssh"]["sections"]
        assert sorted(sections) == ["storage_boot_words", "storage_nic_mtu"], (target, sorted(sections))
        assert sections["storage_boot_words"]["stdout"] == STORAGE_WORDS[target], target
    assert facts["ssvm://zone1/s-1-VM"]["ssh"]["sections"]["storage_nic_mtu"]["stdout"] == "1500\n"
    assert facts["ssvm://zone1/s-13-VM"]["ssh"]["sections"]["storage_nic_mtu"]["stdout"] == "9000\n"
    assert "No such file" in facts["ssvm://zone1/s-5-VM"]["ssh"]["sections"]["storage_nic_mtu"]["stderr"]
    # the host side: each KVM host's links with their MTUs (and agent.properties, for an unlabelled Storage traffic)
    hosts = {target: parts for target, parts in collected(work).items() if target.startswith("kvm-host://")}
    assert sorted(hosts) == ["kvm-host://zone1/kvm01", "kvm-host://zone1/kvm02", "kvm-host://zone1/kvm03"]
    assert all(sorted(parts["ssh"]["sections"]) == ["agent_properties", "ip_links"] for parts in hosts.values())
    assert re.search(r": cloudbr1: <[^>]*> mtu 1500 ", hosts["kvm-host://zone1/kvm03"]["ssh"]["sections"]["ip_links"]["stdout"])
    assert re.search(r": cloudbr1: <[^>]*> mtu 9000 ", hosts["kvm-host://zone1/kvm02"]["ssh"]["sections"]["ip_links"]["stdout"])
    # and the XenServer pool's hosts, networks and PIFs, from its master
    (pool,) = [parts for target, parts in collected(work).items() if target.startswith("xs-pool://")]
    assert sorted(pool["xapi"]["read"]) == ["PIF", "host", "network"]


def test_no_password_of_the_boot_line_reaches_any_output(mtu_run):
    work, run, _ = mtu_run
    files = [p for p in sorted((work / "reports").rglob("*")) if p.is_file()]
    assert any("/facts/" in p.as_posix() for p in files) and any(p.name == "report.html" for p in files)
    outputs = {str(p.relative_to(work)): readable(p) for p in files}
    outputs |= {"stackaudit run stdout": run.stdout, "stackaudit run stderr": run.stderr}
    assert leaks(outputs, PASSWORDS + ["vmpassword", "keystore_password"]) == []

"""What the fault tests share (tests/checks/test_faults*.py): faults, each made in the lab as it looks
from the auditor's side. The results a fault affects are broken with a one-line reason naming it,
every other result is what a clean run of the same cloud gives, and the run costs at most one
connect timeout more than the clean run.

The session's shared compliant lab (tests/labs.py) serves every run: a clean run first, then one run
per group of faults on distinct targets, each fault undone after its run (lab/faults.py), so the lab
is left as it was for the tests after these. The suite runs as one process, so faults that each cost
a timeout are in different groups.
"""
from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from lab.faults import LabFaults
from tests.checks.check_reads import checks_reading
from tests.checks.suite_run import SuiteRun, run_suite
from tests.lab.conftest import LabHandle
from tests.labs import Labs

pytestmark = [pytest.mark.lab, pytest.mark.slow]

# Seconds for every connect, banner, login, command and API call of the fault runs (the inventory's
# ssh.connect_timeout, ssh.command_timeout and xenserver.timeout): short, so that a fault that waits
# one out is measured against it, and well above what the lab needs (a batch runs in under 1 s).
TIMEOUT = 10
# The property: a fault run waits out at most one timeout, never two in series. The bound is the clean
# run plus one timeout plus half of one for the faults' own work: with 6 s timeouts the fault runs
# took clean + 4 to 9 s (the 9 under a neighbour's load on this shared 2-core machine), so 10 s
# timeouts leave 5 s either side: a second timeout waited out in series (clean + 20 s) exceeds it.
MAX_EXTRA = TIMEOUT + TIMEOUT / 2
BRIDGE_ADDRESS = "198.18.0.1"   # where the suite's connections come from (lab/topology.py BRIDGE_V4)
CLOUD = "cloud://lab-compliant"
BURST = ("sshd closed the connection before its banner, 4 times over 1.8s (too many unauthenticated "
         "connections: sshd's MaxStartups)")


@dataclass
@dataclass
class FaultLab:
    labs: Labs
    lab: LabHandle
    work: Path
    faults: LabFaults
    inventory: Path
    clean: SuiteRun
    clean_seconds: float

    def address(self, name: str) -> str:
        return self.faults.machine(name)["address"]

    def inventory_with(self, name: str, change) -> Path:
        """A copy of the fault inventory beside it (its relative paths still hold), changed by `change`."""
        document = yaml.safe_load(self.inventory.read_text())
        change(document)
        path = self.inventory.with_name(f"inventory-{name}.yml")
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def run(self, name: str, faults: list, inventory: Path | None = None, *args: str) -> tuple[SuiteRun, float]:
        if self.labs("compliant.yml") is not self.lab:
            pytest.fail("the compliant lab came up again after the clean run: run the fault tests together "
                        "(tests/labs.py orders them)")
        undos = []
        try:
            for make in faults:
                undos.append(make())
            started = time.monotonic()
            result = run_suite(inventory or self.inventory, self.work / name, *args)
            seconds = time.monotonic() - started
        finally:
            undo_all(self.labs, undos)
        print(f"{name}: {seconds:.1f}s; clean run {self.clean_seconds:.1f}s; one timeout {TIMEOUT}s")
        return result, seconds



def undo_all(labs: Labs, undos: list) -> None:
    """Undo the faults made, last first; a fault that cannot be undone leaves a changed lab, which
    is then taken down rather than shared further (the next test that asks brings it up anew)."""
    try:
        for undo in reversed(undos):
            undo()
    except BaseException:
        labs.release()
        raise


def fault_lab_on(labs: Labs, work: Path) -> FaultLab:
    """The shared compliant lab with an inventory of short timeouts, and the clean run of it."""
    lab = labs("compliant.yml")
    document = yaml.safe_load(lab.path("inventory.yml").read_text())
    document["ssh"] |= {"connect_timeout": TIMEOUT, "command_timeout": TIMEOUT}
    document["xenserver"]["timeout"] = TIMEOUT
    # The fault tests read the evidence of results a fault leaves passed (a clock skew, a TLS note): in full.
    policy = yaml.safe_load(lab.path(document["policy"]).read_text()) | {"report": {"evidence": "all"}}
    lab.path("policy-faults.yml").write_text(yaml.safe_dump(policy, sort_keys=False))
    document["policy"] = "policy-faults.yml"
    inventory = lab.path("inventory-faults.yml")
    inventory.write_text(yaml.safe_dump(document, sort_keys=False))
    started = time.monotonic()
    clean = run_suite(inventory, work / "clean")
    seconds = time.monotonic() - started
    assert clean.exit_code == 0 and clean.not_passed() == {}, clean.output
    return FaultLab(labs, lab, work, LabFaults(lab.state_dir), inventory, clean, seconds)


def assert_faults_reported(lab: FaultLab, result: SuiteRun, seconds: float, broken: dict[tuple[str, str], str]):
    """`broken`: (check, target) -> text its one-line message must hold; every other result as clean."""
    messages = {(r.check_id, r.target): r.message for r in result.results}
    clean = {(r.check_id, r.target): (r.status, r.message) for r in lab.clean.results}
    assert set(messages) == set(clean), result.output
    wrong = {key: (status, messages[key]) for key, status in result.outcomes().items()
             if (key in broken) != (status == "broken")}
    assert not wrong, wrong
    for key, text in broken.items():
        assert text in messages[key] and "\n" not in messages[key].strip(), (key, messages[key])
    others = {key: (status, messages[key]) for key, status in result.outcomes().items() if key not in broken}
    assert others == {key: clean[key] for key in others}
    assert seconds < lab.clean_seconds + MAX_EXTRA, (seconds, lab.clean_seconds)


KVM_SSH = checks_reading("kvm-host", "ssh")
SSVM_SSH = checks_reading("ssvm", "ssh")
SVM_SSH = checks_reading("cpvm", "ssh")      # console proxies and virtual routers read the same
assert SVM_SSH == checks_reading("router", "ssh")
MGMT_SSH = checks_reading("mgmt", "ssh")
DB_SSH = checks_reading("db", "ssh")
DB_SQL = checks_reading("db", "sql")
XS_SSH = checks_reading("xs-host", "ssh")
POOL = checks_reading("xs-pool", "xapi")
CLOUD_SETTINGS = checks_reading("cloud", "api")
KVM_HOSTS, XS_HOSTS = ("kvm01", "kvm02", "kvm03"), ("xs01", "xs02", "xs03")
KVM_CLUSTER, XEN_CLUSTER = "cluster://zone1/kvm-cluster1", "cluster://zone1/xen-pool1"
LAB_TARGETS = {     # lab/scenarios/compliant.yml's targets other than the cloud, by kind
    "kvm-host": tuple(f"kvm-host://zone1/{h}" for h in KVM_HOSTS),
    "xs-host": tuple(f"xs-host://zone1/{h}" for h in XS_HOSTS), "xs-pool": ("xs-pool://zone1/xen-pool1",),
    "ssvm": ("ssvm://zone1/s-1-VM",), "cpvm": ("cpvm://zone1/v-2-VM",),
    "router": ("router://zone1/r-3-VM", "router://zone1/r-4-VM"),
    "mgmt": ("mgmt://ms1", "mgmt://ms2"), "db": ("db://db1", "db://db2"), "zone": ("zone://zone1",),
    "tls-frontend": ("tls-frontend://tls1",),
    "vm": ("vm://zone1/9c14452f-2600-5bd6-93b9-f714b1e39aca", "vm://zone1/3722fb04-3b74-5a88-be54-c8744867bb66")}


def on(target: str, checks: tuple[str, ...], text: str) -> dict[tuple[str, str], str]:
    return {(check, target): text for check in checks}


def api_settings_fault(text: str) -> dict[tuple[str, str], str]:
    """The cloud's settings are one API read: the cloud's settings checks, and each check of another
    target that reads one of the settings lists (a KVM host's host= setting, the SSVM's
    secstorage.service.offering, the zone's storage pools ...), are broken by any of its calls failing."""
    return {**on(CLOUD, CLOUD_SETTINGS, text),
            **{key: text for kind, targets in LAB_TARGETS.items() for target in targets
               for key in on(target, checks_reading(kind, "api", on="cloud"), text)}}


def databases_fault(text: str) -> dict[tuple[str, str], str]:
    """Both database servers unreadable: each check of another target that reads the database first
    (KVM-CS-USER: the user CloudStack logs in as) is broken, naming what the database answered."""
    return {key: text for kind, targets in LAB_TARGETS.items() if kind != "db" for target in targets
            for key in on(target, checks_reading(kind, "sql", on="db"), text)}


def xapi_pool_fault(text: str) -> dict[tuple[str, str], str]:
    return {**on("xs-pool://zone1/xen-pool1", POOL, text),
            **{key: text for h in XS_HOSTS
               for key in on(f"xs-host://zone1/{h}", checks_reading("xs-host", "xapi", on="xs-pool"), text)},
            **on(XEN_CLUSTER, checks_reading("cluster", "xapi", on="xs-pool"), text)}


def kvm_cluster_fault(text: str) -> dict[tuple[str, str], str]:
    """A KVM host of compliant.yml's cluster unreadable over SSH: the cluster's checks that read its
    members' facts (CLUSTER-HOMOGENEOUS: their /proc/cpuinfo) are broken, naming it."""
    return on(KVM_CLUSTER, checks_reading("cluster", "ssh", on="kvm-host"), text)


def result_file(result: SuiteRun, check: str, target: str) -> tuple[Path, dict]:
    """A result's Allure result file: its path and its JSON."""
    for path in (result.work / "allure-results").glob("*-result.json"):
        data = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in data.get("labels", [])}
        if (labels.get("check_id"), labels.get("target")) == (check, target):
            return path, data
    raise AssertionError(f"no result for {check} {target}")


def attachment(result: SuiteRun, check: str, target: str, name: str) -> str:
    """The text of a result's attachment, read from its Allure result file."""
    path, data = result_file(result, check, target)
    found = [a for a in data.get("attachments", []) if a["name"].endswith(name)]
    assert len(found) == 1, data.get("attachments")
    return (path.parent / found[0]["source"]).read_text()


def attachment_names(result: SuiteRun, check: str, target: str) -> list[str]:
    return [a["name"] for a in result_file(result, check, target)[1].get("attachments", [])]


def wrong_secret(lab: FaultLab, name: str) -> str:
    path = lab.faults.state_dir / "keys" / name
    path.write_text("not-the-password\n")
    path.chmod(0o600)
    return f"keys/{name}"


def known_hosts_with_changed_key(lab: FaultLab, victim: str, other: str) -> str:
    """known_hosts where `victim`'s entry holds `other`'s key: what a reinstalled or spoofed host shows."""
    lines = (lab.faults.state_dir / "known_hosts").read_text().splitlines()
    keys = {line.split()[0]: line.split(None, 1)[1] for line in lines}
    changed = [f"{line.split()[0]} {keys[lab.address(other)]}" if line.split()[0] == lab.address(victim) else line
               for line in lines]
    (lab.faults.state_dir / "known_hosts-changed").write_text("\n".join(changed) + "\n")
    return "known_hosts-changed"


def peak_kib() -> int:
    """The largest peak RSS of any child this process has waited for (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

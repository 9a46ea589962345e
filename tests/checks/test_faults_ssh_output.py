"""Hostile machines' SSH output: framing, caps and deadlines (tests/checks/fault_lab.py)."""
from __future__ import annotations

import pytest

from lab.faults import COSTLY_TEXT, FORGED_FRAMES, GIB_OF_OUTPUT, SLOW_DRIP
from tests.checks.fault_lab import CLOUD, MGMT_SSH, SVM_SSH, TIMEOUT, assert_faults_reported, attachment, on, peak_kib

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml")]


# --- hostile machines: SSH output (framing, caps, deadline) ---

MIB = 1 << 20
# What one target's batches may cost the auditor beyond a clean run: the unit cap (policy
# limits.ssh_unit_mib, 64 MiB) times the factor measured by test_the_costliest_output_stays_in_the_memory_bound
# (docs/security.md, "Bounded against any answer").
UNIT_CAP_MIB = 64
MEMORY_FACTOR = 24


def test_hostile_ssh_output(fault_lab):
    """A system VM printing a GiB, a management server dripping a byte every 3 s forever, and frames
    forged in a file a database server's batch reads (ending its section and opening a `listening`
    section): the first two are broken with a reason naming the cap or the timeout; the forged frames
    are content (the database's results, and its `listening` evidence, are the clean run's)."""
    f = fault_lab.faults
    before = peak_kib()
    result, seconds = fault_lab.run("hostile-ssh", [
        lambda: f.bind_over("v-2-VM", "/usr/bin/dpkg-query", GIB_OF_OUTPUT),
        lambda: f.bind_over("ms1", "/usr/bin/hostname", SLOW_DRIP),
        lambda: f.append_over("db1", "/etc/mysql/conf.d/mysqldump.cnf", FORGED_FRAMES),
    ])
    after = peak_kib()
    print(f"hostile-ssh: largest peak RSS of the runs before {before / 1024:.0f} MiB, with this one {after / 1024:.0f} MiB")
    assert_faults_reported(fault_lab, result, seconds, {
        **on("cpvm://zone1/v-2-VM", SVM_SSH, f"cpvm://zone1/v-2-VM via host kvm02: output over {UNIT_CAP_MIB} MiB "
                                             "(limits.ssh_unit_mib), "),
        **on("mgmt://ms1", MGMT_SSH, f"mgmt://ms1: command did not finish within {TIMEOUT}s (ssh.command_timeout)"),
        ("DB-VIP-SINGLE-HOLDER", CLOUD): "could not read mgmt://ms1: command did not finish",
        ("MS-BUILD-IDENTICAL", CLOUD): "could not read mgmt://ms1: command did not finish",
    })
    capped = [r.message for r in result.results if r.target == "cpvm://zone1/v-2-VM" and r.status == "broken"]
    assert capped and all(m.endswith("of it taken by the targets read before over the same SSH connection; reading "
                                     "stopped there") for m in capped), capped
    listening = attachment(result, "DB-BIND-ADDRESS", "db://db1", "listening")
    assert listening == attachment(fault_lab.clean, "DB-BIND-ADDRESS", "db://db1", "listening") and "3306" in listening
    assert FORGED_FRAMES in attachment(result, "DB-CNF-PERSISTED", "db://db1", "cnf_files")
    # A refused output costs what was read up to the cap (a bytearray's growth over it), then nothing.
    assert after <= before + 2 * UNIT_CAP_MIB * 1024, (before, after)


def test_the_costliest_output_stays_in_the_memory_bound(fault_lab):
    """Output under every cap that costs the auditor the most memory for its size (COSTLY_TEXT: 15.5
    MiB in each of four sections of one management server, 62 MiB: `ip -o addr show`, `pgrep`, and
    `ps` in two sections): it is taken, ms1's four checks that read it (and DB-VIP-SINGLE-HOLDER,
    which reads ms1's addresses) are broken on what they read,
    every other result is the clean run's, and the run's peak memory stays within the largest of the
    runs before plus one unit cap times MEMORY_FACTOR."""
    f = fault_lab.faults
    before = peak_kib()
    result, seconds = fault_lab.run("costly-output", [lambda path=path: f.bind_over("ms1", path, COSTLY_TEXT)
                                                for path in ("/usr/bin/ip", "/usr/bin/ps", "/usr/bin/pgrep")])
    after = peak_kib()
    print(f"costly-output: largest peak RSS of the runs before {before / 1024:.0f} MiB, with this one "
          f"{after / 1024:.0f} MiB")
    outcomes, clean = result.outcomes(), fault_lab.clean.outcomes()
    readers = {("MS-DB-HOST-NOT-LOCAL", "mgmt://ms1"), ("MS-RUNS-AS-CLOUD", "mgmt://ms1"),
               ("MS-CONFIG-ACTIVE", "mgmt://ms1"), ("MS-FQDN", "mgmt://ms1"),
               ("DB-VIP-SINGLE-HOLDER", CLOUD)}   # it reads ms1's own addresses
    messages = {(r.check_id, r.target): r.message for r in result.results}
    assert {key: outcomes[key] for key in readers} == {key: "broken" for key in readers}, result.output
    assert "not checked (unparsable): ip -o addr show line 1: expected" in messages[("MS-DB-HOST-NOT-LOCAL", "mgmt://ms1")]
    assert "not checked (unparsable): ps -o etimes=" in messages[("MS-CONFIG-ACTIVE", "mgmt://ms1")]
    assert "not checked (unparsable): ps line 1: expected" in messages[("MS-RUNS-AS-CLOUD", "mgmt://ms1")]
    assert "not checked (unparsable): " in messages[("MS-FQDN", "mgmt://ms1")]
    assert {k: v for k, v in outcomes.items() if k not in readers} == {k: v for k, v in clean.items() if k not in readers}
    # Taken, not refused: its cost is the suite's own work on 62 MiB (splitting, decoding, JSON,
    # evidence, masking), 21 to 41 s over the clean run on this shared 2-core machine; no deadline
    # is involved. The bound only catches a run that stopped being linear in what it took.
    assert seconds < fault_lab.clean_seconds + 12 * TIMEOUT, (seconds, fault_lab.clean_seconds)
    assert after <= before + UNIT_CAP_MIB * 1024 * MEMORY_FACTOR, (before, after)

"""Recorded-shape inputs of the verdict page: summary.json entries as report/changes.py writes them,
targets.json's targets as stackaudit/targets.py saves them, for tests without a lab."""
from __future__ import annotations

from stackaudit.report.verdict_data import CheckInfo, EarlierRun, PageInputs

HOSTILE = "kvm-host://zone1/<img src=x onerror=alert(1)>\x1b[2J"
WAIVER = {"check": "DB-BINLOG-ROW", "target": "db://db2", "reason": "accepted <for> the test", "approver": "j.doe",
          "ticket": "OPS-1", "expires": "2027-01-06", "expired": False}
EXPIRED = {"check": "MS-CA-STRICT", "target": "cloud://*", "reason": "agents re-keyed", "approver": "a.admin",
           "ticket": "OPS-7", "expires": "2026-11-01", "expired": True}
CHECKS = {
    "DB-BINLOG-ROW": CheckInfo("Binary logging is on, in ROW format", "Database", "Set `binlog_format = ROW`."),
    "DB-CNF-PERSISTED": CheckInfo("The configuration files hold CloudStack's block", "Database",
                                  "Write the block to `/etc/mysql/conf.d/cloudstack.cnf`, see https://example.org/db."),
    "KVM-LIBVIRTD-LISTEN": CheckInfo("libvirtd listens only with TLS", "KVM hosts", "Set `listen_tls = 1`."),
    "MS-CA-STRICT": CheckInfo("The CA is strict", "Management", "Set `ca.plugin.root.auth.strictness` to true."),
    "HOST-NTP": CheckInfo("Clocks are synchronised", "Hosts", "Enable chrony."),
}


def result(check_id, target, status, severity, message="", waiver=None, not_checked=None) -> dict:
    return {"check_id": check_id, "target": target, "status": status, "severity": severity, "message": message,
            "waiver": waiver, "not_checked": not_checked}


def results() -> list[dict]:
    return [
        result("DB-BINLOG-ROW", "db://db1", "passed", "critical"),
        result("DB-BINLOG-ROW", "db://db2", "waived", "critical", "waived until 2027-01-06 by j.doe", WAIVER),
        result("DB-CNF-PERSISTED", "db://db2", "failed", "normal", "binlog_format = STATEMENT; the rule wants ROW"),
        result("KVM-LIBVIRTD-LISTEN", "kvm-host://zone1/kvm01", "passed", "normal"),
        result("KVM-LIBVIRTD-LISTEN", "kvm-host://zone1/kvm02", "failed", "critical", "listen_tcp = 1, auth_tcp none"),
        result("KVM-LIBVIRTD-LISTEN", HOSTILE, "failed", "normal", "<script>alert(2)</script>"),
        result("HOST-NTP", "kvm-host://zone1/kvm01", "broken", "normal", "ssh 198.18.1.4:22: connection timed out",
               not_checked="unreachable"),
        result("MS-CA-STRICT", "cloud://lab", "failed", "critical", "strictness false (waiver OPS-7 expired)", EXPIRED),
    ]


def summary(profile="nightly", exit_code=1, **changed) -> dict:
    found = results()
    counts = {s: sum(r["status"] == s for r in found) for s in ("passed", "failed", "broken", "waived", "skipped")}
    return {
        "run": "20261125T020000Z", "started": "2026-11-25T02:00:00+00:00", "finished": "2026-11-25T02:04:00+00:00",
        "cloud": "lab-<violations>", "cloudstack_version": "4.19.1.0", "profile": profile, "exit_code": exit_code,
        "insecure_channels": [], "counts": {**counts, "total": len(found), "not_applicable": 1}, "results": found,
        "not_applicable": [{"check_id": "HOST-NTP", "target": None, "reason": "no target"}],
        "changes_since": "20261124T020000Z",
        "changes": {"new_failures": [{"check_id": "KVM-LIBVIRTD-LISTEN", "target": "kvm-host://zone1/kvm02"}],
                    "fixed": [{"check_id": "HOST-NTP", "target": "kvm-host://zone1/kvm02"}],
                    "new_broken": [{"check_id": "HOST-NTP", "target": "kvm-host://zone1/kvm01"}],
                    "still_failing": 2},
        "stale_waivers": [{"check_id": "HOST-NTP", "target": "kvm-host://zone9/*", "reason": "old", "approver": "x",
                           "ticket": "OPS-3", "expires": "2027-02-01"}],
        "expiring_waivers": [{"check_id": "DB-BINLOG-ROW", "target": "db://db2", "reason": "soon", "approver": "j.doe",
                              "ticket": "OPS-1", "expires": "2026-12-01"}],
        "first_use_pins": [], "inputs": {"inventory": {"path": "inventories/lab.yml", "sha256": "ab" * 32},
                                         "policy": None},
        **changed}


TARGETS = [
    {"kind": "cloud", "name": "lab", "zone": None, "attrs": {"versions": ["4.19.1.0"]}},
    {"kind": "kvm-host", "name": "kvm01", "zone": "zone1", "attrs": {"version": "4.19.1.0"}},
    {"kind": "kvm-host", "name": "kvm02", "zone": "zone1", "attrs": {"version": "4.18.0.0"}},
    {"kind": "xs-pool", "name": "pool1", "zone": "zone1",
     "attrs": {"software": [{"host": "xs01", "product_brand": "XenServer", "product_version": "8.2.1"},
                            {"host": "xs02", "product_brand": "XenServer", "product_version": "8.2.1"}]}},
    {"kind": "db", "name": "db1", "zone": None, "attrs": {"port": 3306}},
]


def inputs(**summary_fields) -> PageInputs:
    return PageInputs(summary(**summary_fields), CHECKS, TARGETS,
                      {("HOST-NTP", "kvm-host://zone1/kvm01"): "unreachable"}, None,
                      [EarlierRun("20261124T020000Z", "2026-11-24T02:00:00+00:00", "nightly", 7,
                                  {"passed": 6, "failed": 2, "broken": 0, "waived": 0})])

"""The firewall check of a KVM host in a security-group zone, at 100 to 1,000 VMs (issue 19).

    python benchmarks/security_groups.py [--vms 100,250,500,1000] [--family 4] [--before /work/main]

For each VM count, lab/security_groups.py writes the host's running rules (the lab's compliant
firewall plus, per VM, the chains and rules of Apache CloudStack's scripts/vm/network/security_group.py:
3 ingress and 2 egress /32 rules) and its persisted file (the same rules, no counters). Printed per
count: the rules, the lines, the time to read one ruleset whole (every rule: what the check no longer
does), the walk of one port (port_verdicts, as the check walks it: running rules over the networks of
both rulesets), and the whole HOST-IPTABLES check as checks/test_hosts.py runs it: the firewall fact
as collect/declared/firewall.py builds it (the running rules' chains read as the walk asks for them, the
persisted lines that repeat them not read again), then firewall_evidence and firewall_findings. Best of 3 runs (1 where a run takes over 5 s), wall clock,
each from a cold start (no line read before).

--before DIR measures the same with the code of another checkout (e.g. main before issue 19) for the
first count only, in a child process whose `stackaudit` is DIR's.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 16509
POLICY = {"firewall": {"v6_management_prefix": "fd00:5341:4c41::/64"}}
FIREWALL = {"chain": True, "jump": True, "reject_ports": [16509, 16514, 45335, 41047, 8250]}


def forget_read_lines() -> None:
    """Each run starts as a check of a new host does: no line read before (parsers/iptables_rules.py
    keeps each line's rules for the persisted file, which repeats the running rules; parsers/iptables.py
    kept them before issue 20, for --before)."""
    import importlib
    for name in ("stackaudit.parsers.iptables_rules", "stackaudit.parsers.iptables"):
        try:
            getattr(importlib.import_module(name), "_LOADED", {}).clear()
        except ImportError:
            pass


def best_of(action, runs: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        forget_read_lines()
        started = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - started
        best = min(best, elapsed)
        if elapsed > 5:
            break
    return best, result


def firewall_declarations():
    """The module that declares the firewall fact, in this checkout or an older one (--before)."""
    try:
        from stackaudit.collect.declared import firewall
    except ImportError:     # a checkout from before the facts were declared one module per family
        from stackaudit.collect import declarations as firewall
    return firewall


class HostFacts:
    """A KVM host's collected sections, as the firewall fact reads them (collect/declared/firewall.py)."""
    os_family = "debian"

    def __init__(self, family: int, running_text: str, persisted_text: str):
        declarations = firewall_declarations()
        self.sections = {declarations.RUNNING_RULES[family].name: running_text,
                         declarations.PERSISTED_SECTIONS[f"/etc/iptables/rules.v{family}"]: persisted_text,
                         "boot_units": "netfilter-persistent.service\n"}

    def section(self, name: str):
        return self.sections.get(name)


def measure(running_text: str, persisted_text: str, family: int) -> dict:
    """The figures for one ruleset, with whatever `stackaudit` is first on sys.path: the firewall fact
    as the check builds it (running and persisted rules read), then its evidence and findings."""
    firewall_fact = firewall_declarations().firewall
    from stackaudit.config.policy import policy_from_data
    from stackaudit.parsers.iptables import parse_iptables_save
    from stackaudit.rules import firewall as firewall_rules
    try:
        from stackaudit.rules.netfilter.connections import port_verdicts
    except ImportError:     # --before: a checkout from before netfilter.py became a package (issue 20)
        from stackaudit.rules.netfilter import port_verdicts
    policy = policy_from_data(POLICY, "benchmark").firewall
    facts = HostFacts(family, running_text, persisted_text)
    parse_seconds, _ = best_of(lambda: parse_iptables_save(running_text))
    fact = firewall_fact(family)(facts)
    exceptions = firewall_rules.exceptions_of(family, policy)
    walk_seconds, verdicts = best_of(lambda: port_verdicts(fact.running, family, PORT, exceptions, fact.persisted))

    def check():
        firewall = firewall_fact(family)(facts)
        walk = firewall_rules.walk_firewall(firewall, policy)
        firewall_rules.firewall_evidence(firewall, walk)
        return firewall_rules.firewall_findings(firewall, walk)
    check_seconds, findings = best_of(check)
    return {"parse": parse_seconds, "walk": walk_seconds, "connections": len(verdicts), "check": check_seconds,
            "findings": len(findings)}


def rules_texts(vms: int, family: int) -> tuple[str, str]:
    from lab.firewall_rules import saved_rules_file
    from lab.security_groups import host_rules
    running = host_rules(family, vms, FIREWALL, "fd00:5341:4c41::/64" if family == 6 else None)
    return running, saved_rules_file(running)


def row(label: str, running: str, figures: dict) -> str:
    rules = sum(1 for line in running.splitlines() if " -A " in f" {line}")
    return (f"{label:>12} {rules:>8,} {len(running.splitlines()):>8,} {figures['parse']:>9.3f}s "
            f"{figures['walk']:>9.4f}s {figures['connections']:>6} {figures['check']:>9.3f}s {figures['findings']:>4}")


def before(directory: str, vms: int, family: int) -> dict:
    """The figures with another checkout's stackaudit, in a child process."""
    running, persisted = rules_texts(vms, family)
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "running").write_text(running)
        (Path(scratch) / "persisted").write_text(persisted)
        code = (f"import sys; sys.path.insert(0, {directory!r}); sys.path.insert(1, {str(ROOT)!r}); "
                "import json; from benchmarks.security_groups import measure; from pathlib import Path; "
                f"print(json.dumps(measure(Path({scratch!r}, 'running').read_text(), Path({scratch!r}, 'persisted').read_text(), "
                f"{family})))")
        answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", default="100,250,500,1000")
    parser.add_argument("--family", type=int, choices=(4, 6), default=4)
    parser.add_argument("--before", help="another checkout's directory, measured at the first count")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    counts = [int(n) for n in args.vms.split(",")]
    print(f"IPv{args.family}, port {PORT}; the check: both rulesets parsed, evidence, findings")
    print(f"{'VMs':>12} {'rules':>8} {'lines':>8} {'parse':>10} {'walk/port':>10} {'conns':>6} {'check':>10} "
          f"{'find':>4}")
    if args.before:
        running, _ = rules_texts(counts[0], args.family)
        print(row(f"{counts[0]} before", running, before(args.before, counts[0], args.family)), flush=True)
    for vms in counts:
        running, persisted = rules_texts(vms, args.family)
        print(row(str(vms), running, measure(running, persisted, args.family)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

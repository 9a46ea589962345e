"""`make bench`: StackAudit against the SSH floor, naive testinfra and Ansible on one generated lab.

python benchmarks/fleet.py [--hosts 100] [--zones N] [--scale 100,500]

Brings up a compliant generated lab (zones: hosts/25), measures every tool on the same SSH targets at
the same concurrency C (`stackaudit run`'s workers x ssh.max_connections), counts each tool's SSH
connections and logins at every target's own sshd, runs two subsets (`-m pre_upgrade`, one check ID)
to show what they collect, and takes the lab down. `--scale` first measures the floor and StackAudit
alone on a lab of each other size (brought up per size). Figures are printed, nothing is asserted.
After each size's StackAudit run, issue 23's goals at that size are printed PASS or MISS
(benchmarks/fleet_goals.py). The last line is read by tools; its form is fixed (benchmarks/fleet_report.py).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks import fleet_tools as tools  # noqa: E402
from benchmarks.fleet_goals import ReportFigures, goal_lines, report_figures  # noqa: E402
from benchmarks.fleet_report import Measured, last_line, per_target_line, table  # noqa: E402
from benchmarks.fleet_phases import phases_line, run_phases  # noqa: E402
from benchmarks.fleet_subsets import collected_count, subset_lines  # noqa: E402
from benchmarks.fleet_targets import write_files  # noqa: E402
from benchmarks.sshd_log import counts_since, offsets, spread  # noqa: E402
from lab.generate import generate_scenario  # noqa: E402
from lab.lifecycle import LabError, down, up  # noqa: E402


class Lab:
    """A generated compliant lab of `hosts` hosts, up for the `with` block (ended by its own ids)."""

    def __init__(self, work: Path, hosts: int, zones: int, security_group_vms: int = 0):
        self.work, self.hosts, self.zones, self.security_group_vms = work, hosts, zones, security_group_vms
        self.state_dir = work / "lab"

    def __enter__(self) -> "Lab":
        scenario = self.work / "scenario.yml"
        scenario.write_text(yaml.safe_dump(generate_scenario(self.hosts, self.zones,
                                                                 security_group_vms=self.security_group_vms)))
        started = time.monotonic()
        topology = up(scenario, self.state_dir, out=lambda *_: None)
        self.bench = self.work / "bench"
        self.targets = write_files(topology, self.state_dir, self.bench)
        (self.bench / "state_dir").write_text(str(self.state_dir))
        self.inventory = self.state_dir / "inventory.yml"
        print(f"lab: {len(topology.machines)} machines, {len(self.targets)} SSH targets ({self.hosts} hosts, "
              f"{self.zones} zones) up in {time.monotonic() - started:.1f} s", flush=True)
        return self

    def __exit__(self, *_) -> None:
        down(self.state_dir, out=lambda *_: None)

    def measure(self, name: str, argv_env: tuple[list[str], dict]) -> tuple[Measured, str]:
        """Run one tool under benchmarks/measure.py; its figures, and the tail of its output."""
        argv, env = argv_env
        names = [t.name for t in self.targets]
        before = offsets(self.state_dir, names)
        result_file = self.work / f"measure-{name}.json"
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "measure.py"), str(result_file), "--", *argv],
                       env=env, cwd=REPO, check=True)
        time.sleep(0.5)   # sshd writes its log line as the connection is accepted; let the last ones land
        counted = counts_since(self.state_dir, before)
        result = json.loads(result_file.read_text())
        self.started = result["started"]     # epoch seconds: when the last measured tool started
        row = Measured(name, result["wall"], result["cpu"], result["peak_rss"],
                       spread([counted[n].connections for n in names]), spread([counted[n].logins for n in names]),
                       result["exit_code"])
        print(f"  {name}: {row.wall:.1f} s, exit {row.exit_code}", flush=True)
        if row.exit_code not in (0, 7):
            print("    " + "\n    ".join(result["output"].strip().splitlines()[-8:]), flush=True)
        return row, result["output"]


def hop_note(lab: Lab) -> str:
    carrying = sorted({t.hop for t in lab.targets if t.hop})
    return (f"note: {len(carrying)} hosts carry the {sum(1 for t in lab.targets if t.hop)} system VMs; a system VM "
            "is counted at its own sshd, and each ProxyJump (OpenSSH, testinfra, Ansible) or paramiko hop adds "
            "one connection to its host's count; StackAudit's hop is a channel over the host's one connection")


def floor_and_stackaudit(lab: Lab, c: int) -> tuple[Measured, Measured, Measured, Measured, ReportFigures | None]:
    """The two floors, the floor with the checks' readings, and StackAudit; the goal lines at this size."""
    openssh, _ = lab.measure("floor openssh", tools.floor("openssh", lab.bench, c))
    paramiko, _ = lab.measure("floor paramiko", tools.floor("paramiko", lab.bench, c))
    reads, _ = lab.measure("floor with reads", tools.floor("paramiko-reads", lab.bench, c))
    full, output = lab.measure("stackaudit", tools.stackaudit(lab.inventory, lab.work / "reports-full"))
    print("  " + phases_line("stackaudit", run_phases(lab.work / "reports-full", lab.started, full.wall)), flush=True)
    report = report_figures(output)
    for line in goal_lines(lab.hosts, lowest(openssh, paramiko), full, report):
        print(line, flush=True)
    print(f"  the targets' own readings: floor with reads {reads.wall:.1f} s; stackaudit / floor with reads = "
          f"{full.wall / reads.wall:.2f}" if reads.wall > 0 else "  floor with reads: no time measured", flush=True)
    return openssh, paramiko, reads, full, report


def lowest(*rows: Measured) -> Measured:
    return min((r for r in rows if r.exit_code == 0), key=lambda r: r.wall, default=rows[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--zones", type=int, help="default: hosts/25, at least 1")
    parser.add_argument("--scale", default="", help="also measure floor and StackAudit at these host counts")
    parser.add_argument("--security-group-vms", type=int, default=0,
                        help="every KVM host carries this many VMs' security-group rules (lab/security_groups.py)")
    args = parser.parse_args()
    problem = arguments_problem(args.hosts, args.zones, args.scale) or (
        f"--security-group-vms {args.security_group_vms}: give 0 or more" if args.security_group_vms < 0 else None)
    if problem:
        print(f"fleet: {problem}", file=sys.stderr)
        return 4
    try:
        return measure_all(args)
    except LabError as err:
        print(f"fleet: {err}", file=sys.stderr)
        return 3


def arguments_problem(hosts: int, zones: int | None, scale: str) -> str | None:
    """The first problem with the command line (one line), or None."""
    if hosts < 1 or (zones is not None and not 1 <= zones <= hosts):
        return f"--hosts {hosts} --zones {zones}: give at least one host, and from 1 to --hosts zones"
    if not all(size.isdigit() and int(size) >= 1 for size in scale.split(",") if size):
        return f"--scale {scale!r}: give host counts separated by commas, e.g. 100,500"
    return None


def measure_all(args) -> int:
    ansible_playbook = tools.ensure_ansible_venv()
    per_target: dict[int, dict[str, float]] = {}
    sizes = [int(s) for s in args.scale.split(",") if s and int(s) != args.hosts]
    for hosts in sizes:
        with tempfile.TemporaryDirectory(prefix="stackaudit-fleet-") as tmp, \
                Lab(Path(tmp), hosts, max(1, hosts // 25), args.security_group_vms) as lab:
            c = tools.concurrency(lab.inventory)[2]
            openssh, paramiko, reads, full, _ = floor_and_stackaudit(lab, c)
            n = len(lab.targets)
            per_target[hosts] = {"floor": lowest(openssh, paramiko).wall / n, "stackaudit": full.wall / n}
            print("\n".join(table([openssh, paramiko, reads, full])), flush=True)
    with tempfile.TemporaryDirectory(prefix="stackaudit-fleet-") as tmp, \
            Lab(Path(tmp), args.hosts, args.zones or max(1, args.hosts // 25),
                    args.security_group_vms) as lab:
        workers, per_process, c = tools.concurrency(lab.inventory)
        print(f"concurrency C = {workers} workers (-n auto) x {per_process} ssh.max_connections = {c}", flush=True)
        openssh, paramiko, reads, full, report = floor_and_stackaudit(lab, c)
        pre_upgrade, _ = lab.measure("stackaudit pre_upgrade",
                                     tools.stackaudit(lab.inventory, lab.work / "reports-pre", "-m", "pre_upgrade"))
        one_check, _ = lab.measure("stackaudit 1 check", tools.stackaudit(
            lab.inventory, lab.work / "reports-one", "--allure-label", "check_id=HOST-IPTABLES-V4"))
        testinfra, _ = lab.measure("testinfra", tools.testinfra(lab.bench, c))
        ansible, _ = lab.measure("ansible", tools.ansible(lab.bench, c, ansible_playbook))
        rows = [openssh, paramiko, reads, full, pre_upgrade, one_check, testinfra, ansible]
        print("\n".join(table(rows)))
        print(hop_note(lab))
        exactly_one = full.connections.low == full.connections.high == 1 and full.logins.low == full.logins.high == 1
        print(f"stackaudit: SSH connections per target {full.connections}, logins {full.logins} (min/mean/max): "
              + ("exactly one each" if exactly_one else "NOT exactly one each"))
        runs = {"full": (full, collected_count(lab.work / "reports-full")),
                "-m pre_upgrade": (pre_upgrade, collected_count(lab.work / "reports-pre")),
                "check_id=HOST-IPTABLES-V4": (one_check, collected_count(lab.work / "reports-one"))}
        print("\n".join(subset_lines(runs)))
        floor = lowest(openssh, paramiko)
        n = len(lab.targets)
        per_target[args.hosts] = {"floor": floor.wall / n, "stackaudit": full.wall / n}
    print(per_target_line(dict(sorted(per_target.items()))))
    print(last_line(n, floor.wall, full.wall, testinfra.wall, ansible.wall, full.peak_rss,
                    *((report.megabytes, report.seconds) if report else ())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

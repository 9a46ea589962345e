"""The pure parts of the fleet benchmark (benchmarks/fleet.py): counting sshd's log, the figures it
prints, and the files it hands the tools. The benchmark itself runs against the lab (`make bench`)."""
import re
from pathlib import Path

import yaml

from benchmarks.fleet_goals import ReportFigures, goal_lines, report_figures
from benchmarks.fleet_report import Measured, last_line, per_target_line, table
from benchmarks.fleet_subsets import CollectedCount, sections_of, subset_lines
from benchmarks.fleet_targets import SshTarget, ssh_config
from benchmarks.measure import descendants, tree_rss
from benchmarks.peers.ansible.playbook import ansible_cfg, inventory, playbook
from benchmarks.sshd_log import Counts, count_lines, counts_since, offsets, spread
from stackaudit.collect import collected

# What OpenSSH 9.2's sshd -D -e writes at LogLevel VERBOSE for two connections, one of them a login.
LOG = """Server listening on 198.18.1.1 port 22.
Connection from 198.18.0.1 port 40100 on 198.18.1.1 port 22 rdomain ""
Accepted key ED25519 SHA256:Zq0y found at /root/.ssh/authorized_keys:1
Accepted publickey for root from 198.18.0.1 port 40100 ssh2: ED25519 SHA256:Zq0y
Starting session: command for root from 198.18.0.1 port 40100 id 0
Connection from 198.18.0.1 port 40102 on 198.18.1.1 port 22 rdomain ""
Connection closed by 198.18.0.1 port 40102 [preauth]
Close session: user root from 198.18.0.1 port 40100 id 0
"""


def test_a_connection_and_a_login_are_counted_once_each():
    assert count_lines(LOG) == Counts(connections=2, logins=1)


def test_nothing_is_counted_in_other_lines():
    assert count_lines("Server listening on 0.0.0.0 port 22.\nConnection closed by 198.18.0.1 port 1\n") \
        == Counts(0, 0)


def test_only_what_was_logged_after_the_offset_counts(tmp_path):
    log = tmp_path / "machines" / "hv1" / "console.log"
    log.parent.mkdir(parents=True)
    log.write_text(LOG)
    before = offsets(tmp_path, ["hv1"])
    with open(log, "a") as more:
        more.write('Connection from 198.18.0.1 port 40200 on 198.18.1.1 port 22 rdomain ""\n'
                   "Accepted publickey for root from 198.18.0.1 port 40200 ssh2: ED25519 SHA256:Zq0y\n")
    assert counts_since(tmp_path, before) == {"hv1": Counts(1, 1)}


def test_spread_is_min_mean_max_and_empty_is_zero():
    assert str(spread([1, 1, 4])) == "1/2.00/4"
    assert str(spread([])) == "0/0.00/0"


def test_the_last_line_has_the_form_tools_read():
    line = last_line(122, 20.0, 23.0, 230.0, 460.0, 300 * 1024 * 1024, 4.25, 3.04)
    assert line == ("bench: 122 targets, floor 20.0 s, stackaudit 23.0 s (S/F 1.15), testinfra 230.0 s (N/S 10.00), "
                    "ansible 460.0 s (A/S 20.00), peak 300 MiB, report 4.2 MB in 3.0 s")
    assert re.fullmatch(r"bench: \d+ targets, floor [\d.]+ s, stackaudit [\d.]+ s \(S/F \d+\.\d\d\), "
                        r"testinfra [\d.]+ s \(N/S \d+\.\d\d\), ansible [\d.]+ s \(A/S \d+\.\d\d\), peak \d+ MiB, "
                        r"report [\d.]+ MB in [\d.]+ s", line)
    assert last_line(1, 1.0, 1.0, 1.0, 1.0, 0).endswith(", peak 0 MiB, report none")


def test_a_zero_denominator_is_not_a_ratio():
    assert "(S/F n/a)" in last_line(1, 0.0, 1.0, 1.0, 1.0, 0)


def test_the_report_figures_are_read_from_the_runs_last_lines():
    output = ("Run directory: /r/runs/x\nVerdict: GO: /r/runs/x/summary.html\n"
              "Report: /r/runs/x/report.html (12.3 MB, generated in 4.5 s)\n")
    assert report_figures(output) == ReportFigures(12.3, 4.5)
    assert report_figures("stackaudit: the run's record is incomplete: report.html not written: ...\n") is None


def test_each_goal_is_printed_pass_or_miss_at_its_own_size():
    floor = Measured("floor paramiko", 10.0, 1.0, 0, spread([1]), spread([1]), 0)
    run = Measured("stackaudit", 12.9, 30.0, 900 * 1024 * 1024, spread([1]), spread([1]), 0)
    assert goal_lines(1000, floor, run, ReportFigures(31.0, 9.9)) == [
        "goal at 1000 hosts: peak 900 MiB, under 1024 MiB: PASS",
        "goal at 1000 hosts: report.html 31.0 MB, under 30 MB: MISS",
        "goal at 1000 hosts: report generated in 9.9 s, under 10 s: PASS"]
    assert goal_lines(1000, floor, run, None)[1] == "goal at 1000 hosts: report.html: none written: MISS"
    assert goal_lines(100, floor, run, None) == ["goal at 100 hosts: stackaudit 12.9 s / floor 10.0 s = 1.29, at most 1.30: PASS"]
    slow = Measured("stackaudit", 13.1, 30.0, 0, spread([1]), spread([1]), 0)
    assert goal_lines(100, floor, slow, None)[0].endswith("= 1.31, at most 1.30: MISS")
    assert goal_lines(500, floor, run, None) == []


def test_the_table_has_one_row_per_tool_under_its_header():
    row = Measured("stackaudit", 23.04, 30.0, 512 * 1024 * 1024, spread([1, 1]), spread([1, 1]), 0)
    lines = table([row])
    assert lines[0].split()[:3] == ["tool", "wall", "s"]
    assert lines[1].split() == ["stackaudit", "23.0", "30.0", "512", "1/1.00/1", "1/1.00/1", "0"]


def test_seconds_per_target_are_printed_per_size():
    assert per_target_line({100: {"floor": 0.16, "stackaudit": 0.19}, 500: {"floor": 0.15, "stackaudit": 0.2}}) \
        == "s/target at 100: floor 0.160, stackaudit 0.190; at 500: floor 0.150, stackaudit 0.200"


def test_sections_count_every_part_of_a_targets_facts():
    facts = {"ssh": {"sections": {"a": {}, "b": {}}}, "xapi": {"records": {"pool": {}}},
             "sql": {"queries": {"q": {}}}, "api": {"listConfigurations": [], "listHosts": []}}
    assert sections_of(facts) == 6
    assert sections_of({"ssh": {"error": {"type": "Unreachable"}}}) == 0
    api = collected.store("api", [collected.Collected("api", "ldap", [], "listLdapConfigurations listall=true")],
                          domains=[], accounts=[], tls="not verified")
    assert sections_of({"api": api}) == 1       # the reading, not the lists and notes beside it


def test_a_subset_is_shown_against_the_full_run():
    full = Measured("full", 10.0, 1, 1, spread([1]), spread([1]), 0)
    part = Measured("part", 5.0, 1, 1, spread([1]), spread([1]), 0)
    lines = subset_lines({"full": (full, CollectedCount(20, 200)), "-m pre_upgrade": (part, CollectedCount(10, 50))})
    assert lines[2].split() == ["-m", "pre_upgrade", "5.0", "10", "of", "20", "50", "(25%", "of", "full,",
                                "wall", "x0.50)"]


def test_the_process_tree_is_the_roots_descendants_only():
    table_ = {1: (0, 100), 10: (1, 5), 11: (10, 7), 12: (11, 11), 20: (1, 1000)}
    assert descendants(table_, 10) == {11, 12}
    assert tree_rss(table_, 10) == 18


def test_a_system_vm_is_reached_through_its_host_under_its_own_name():
    targets = [SshTarget("hv1", "kvm-host", "198.18.1.1", 22), SshTarget("r-1001-VM", "router", "169.254.1.1", 3922, "hv1")]
    config = ssh_config(targets, Path("/lab"), Path("/bench/known_hosts"))
    vm = config.split("\n\n")[1]
    assert "ProxyJump hv1" in vm and "HostKeyAlias r-1001-VM" in vm and "Port 3922" in vm
    assert "IdentityFile /lab/keys/id_rsa.cloud" in vm and "StrictHostKeyChecking yes" in vm
    assert "ProxyJump" not in config.split("\n\n")[0]


def test_the_playbook_reads_each_section_only_where_its_kind_declares_it():
    bench = {"targets": {"hv1": "kvm-host", "db1": "db"},
             "reads": {"kvm-host": {"rules_v4": {"line": "cat /etc/iptables/rules.v4", "ok": [0], "absent_ok": True}},
                       "db": {"mycnf": {"line": "cat /etc/mysql/my.cnf", "ok": [0], "absent_ok": False}}}}
    play = playbook(bench)[0]
    assert play["gather_facts"] is False
    assert [t["name"] for t in play["tasks"]] == ["read mycnf", "read rules_v4"]
    assert play["tasks"][1]["when"] == "'rules_v4' in reads"
    groups = inventory(bench)["all"]["children"]
    assert groups["kvm_host"]["hosts"] == {"hv1": None} and "rules_v4" in groups["kvm_host"]["vars"]["reads"]
    assert yaml.safe_load(yaml.safe_dump(play))


def test_ansible_runs_at_the_concurrency_with_pipelining_and_host_keys_checked():
    cfg = ansible_cfg(Path("/bench"), 32)
    assert "forks = 32" in cfg and "pipelining = True" in cfg and "host_key_checking = True" in cfg
    assert "-F /bench/ssh_config" in cfg


def test_a_runs_wall_splits_at_its_first_and_last_check():
    from benchmarks.fleet_phases import phases, phases_line
    results = [{"start": 1_000_002_000, "stop": 1_000_003_000}, {"start": 1_000_004_000, "stop": 1_000_006_000}]
    assert phases(results, 1_000_000.0, 10.0) == (2.0, 4.0, 4.0)
    assert phases([], 1_000_000.0, 10.0) is None
    assert phases_line("stackaudit", (2.0, 4.0, 4.0)) == ("stackaudit: 2.0 s until the first check started, "
                                                           "4.0 s of checks, 4.0 s after the last (summary, report.html)")


def test_a_bad_command_line_is_one_line_before_any_lab():
    from benchmarks.fleet import arguments_problem
    assert arguments_problem(100, None, "100,500") is None
    assert arguments_problem(5, 9, "") == "--hosts 5 --zones 9: give at least one host, and from 1 to --hosts zones"
    assert arguments_problem(100, None, "100,five") == ("--scale '100,five': give host counts separated by commas, "
                                                        "e.g. 100,500")


def test_the_floor_with_reads_runs_every_reading_of_the_kind_in_its_own_subshell():
    from benchmarks.floor import reads_script
    reads = {"iptables": {"line": "iptables-save -c", "ok": [0], "absent_ok": False},
             "fstab": {"line": "cat /etc/fstab || exit 3", "ok": [0], "absent_ok": True}}
    script = reads_script(reads)
    assert script == "( iptables-save -c ) 2>&1; ( cat /etc/fstab || exit 3 ) 2>&1; true"

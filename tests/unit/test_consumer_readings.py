"""Rules that read a fact as its real consumer does (issue 9, item 8): the small fixes, each on the
case that the suite used to read differently."""
from __future__ import annotations

import os
import subprocess

import pytest

from stackaudit.collect.declared.backups import backup_listing_command
from stackaudit.parsers.files import parse_stat_lines
from stackaudit.parsers.procs import ProcessName, parse_pids, parse_ps_names
from stackaudit.parsers.properties import parse_shell_assignments
from stackaudit.parsers.xapi import DEFAULT_TIMEOUT_TEXT, PoolHA, parse_pool_ha
from stackaudit.rules.hosts import defaults_listen
from stackaudit.rules.libvirtd_options import turns_on_listen
from stackaudit.rules.management import management_server_processes, runs_as_findings


def test_an_operator_following_the_servers_journal_is_not_the_server():
    # pgrep -f matched both command lines (the marker is in each); only one is a management program
    programs = parse_ps_names(f"{'cloud':<32} {1204:>7} java\n")
    marked = parse_pids("812\n1204\n")
    assert runs_as_findings(management_server_processes(programs, marked)) == []
    assert runs_as_findings(management_server_processes(programs, {812})) == ["no management server process is running"]


def test_another_jvm_without_the_servers_markers_is_not_the_server():
    programs = [ProcessName("root", 500, "java"), ProcessName("cloud", 1204, "java")]
    assert management_server_processes(programs, {1204}) == [ProcessName("cloud", 1204, "java")]


def test_the_tomcat_era_server_under_jsvc_counts():
    tomcat = ProcessName("root", 77, "jsvc.exec")
    assert runs_as_findings(management_server_processes([tomcat], {77})) == [
        "the management server process (pid 77) runs as root, not cloud"]


@pytest.mark.integration
def test_a_latest_symlink_is_judged_by_the_dump_it_points_to(tmp_path):
    dump = tmp_path / "cloud-2026-11-01.sql.gz"
    dump.write_bytes(b"x" * 10)
    os.utime(dump, (1_700_000_000, 1_700_000_000))
    (tmp_path / "latest.sql.gz").symlink_to(dump.name)
    command = backup_listing_command((f"{tmp_path}/latest.sql.gz",))
    out = subprocess.run(["dash", "-c", command], capture_output=True, text=True, check=True).stdout
    (stat,) = parse_stat_lines(out)
    assert (stat.mtime, stat.size) == (1_700_000_000, 10)     # the link itself is new and 20 bytes long


def test_xapi_falls_back_to_the_pools_persistent_default_ha_timeout():
    pool = {"ha_enabled": True, "ha_configuration": {}, "other_config": {"default_ha_timeout": "180"}}
    assert parse_pool_ha(pool) == PoolHA(True, 180, "180 s (pool other_config default_ha_timeout)")
    # the key of ha_configuration wins, as in Timeouts.get_base_t
    assert parse_pool_ha({**pool, "ha_configuration": {"timeout": "60"}}) == PoolHA(True, 60, "60 s")
    assert parse_pool_ha({**pool, "other_config": {}}) == PoolHA(True, None, DEFAULT_TIMEOUT_TEXT)


def test_shell_assignments_unescape_as_sh_does_inside_double_quotes():
    # POSIX 2.2.3: in "..." a backslash escapes $ ` " \ and newline (shlex kept the backslash before $)
    assert parse_shell_assignments('A="a\\$b" \nB="c\\d"\n', "f") == {"A": "a$b", "B": "c\\d"}


@pytest.mark.parametrize("args, listens", [
    (["--listen"], True), (["-l"], True),
    (["-d", "-l", "-f", "/etc/libvirt/libvirtd.conf"], True),    # ha-unraid #36's command line
    (["-dl"], True), (["--lis"], True), (["--listen", "--timeout", "120"], True),
    (["--timeout", "120"], False), (["-t", "-l"], False),          # -l is -t's value there
    (["-t120", "-l"], True), (["--config=/x", "-l"], True), (["--config", "-l"], False),
    (["--", "--listen"], False), (["--l"], True), (["--v"], False),  # --v: verbose or version, ambiguous
    (["-f", "/etc/libvirt/libvirtd.conf"], False), ([], False),
])
def test_listen_as_libvirtds_getopt_long_reads_it(args, listens):
    assert turns_on_listen(args) is listens


def test_a_clustered_flag_in_the_defaults_file():
    assert defaults_listen(("/etc/default/libvirt-bin", {"libvirtd_opts": "-dl"})) is True

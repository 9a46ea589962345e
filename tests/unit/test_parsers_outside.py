"""The parsers on outputs recorded by others (tests/data/recorded/outside-*, sources in SOURCES.md).

Each test says what the parser, and where a rule reads the fact the rule, makes of a real output:
exact values, or, for a fragment or another tool's format, the exact parse error.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
from pathlib import Path

import pytest

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.cloudstack import parse_cloudstack_release
from stackaudit.parsers.files import parse_epoch, parse_stat_lines
from stackaudit.parsers.libvirt import parse_libvirtd_conf
from stackaudit.parsers.net import Listener, parse_ss_listening
from stackaudit.parsers.osinfo import parse_os_release
from stackaudit.collect.declared.files import SOCKET_UNITS_COMMAND
from stackaudit.collect.declared.processes import STALE_LIBRARY_COMMAND
from stackaudit.parsers.procs import parse_ps, parse_stale_mappings
from stackaudit.parsers.properties import parse_environment_file, parse_java_properties, parse_shell_assignments
from stackaudit.parsers.units import LIBVIRTD_SOCKETS, SocketUnit, parse_socket_units
from stackaudit.parsers.xapi import DEFAULT_TIMEOUT_TEXT, PoolHA, parse_pool_ha
from stackaudit.rules.hosts import defaults_listen, libvirtd_findings, libvirtd_process_args
from stackaudit.rules.system_vms import stale_mapping_findings

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
TLS_CONF = {"listen_tls": 1, "listen_tcp": 0, "tls_port": "16514", "mdns_adv": 0}
LISTENING = ["/usr/sbin/libvirtd", "--listen"]


def recorded(name: str) -> str:
    encoding = "latin-1" if name.endswith(".properties") else "utf-8"   # Properties.load(InputStream)
    with open(RECORDED / name, newline="", encoding=encoding) as f:
        return f.read()


def unparsable(call) -> str:
    with pytest.raises(UnparsableOutput) as error:
        call()
    return str(error.value)


# --- libvirtd.conf (libvirt's virconf.c) --------------------------------------------------------

def test_libvirts_own_test_file_and_the_rule_on_it():
    conf = parse_libvirtd_conf(recorded("outside-libvirtd.conf-libvirt-confdata.txt"))
    assert conf == {
        "listen_tls": 0, "listen_tcp": 1, "tls_port": "16514", "tcp_port": "16509", "mdns_adv": 0,
        "mdns_name": "Virtualization Host Joe Demo", "unix_sock_group": "libvirt", "unix_sock_ro_perms": "0777",
        "unix_sock_rw_perms": "0770", "auth_unix_ro": "none", "auth_unix_rw": "none", "auth_tcp": "sasl",
        "auth_tls": "none", "key_file": "/etc/pki/libvirt/private/serverkey.pem",
        "cert_file": "/etc/pki/libvirt/servercert.pem", "ca_file": "/etc/pki/CA/cacert.pem",
        "crl_file": "/etc/pki/CA/crl.pem", "tls_no_verify_certificate": 1,
        "tls_allowed_dn_list": ["DN1", "DN2"], "sasl_allowed_username_list": ["joe@EXAMPLE.COM", "fred@EXAMPLE.COM"]}
    # the tcp transport's settings are all there: only the missing --listen is a finding
    assert libvirtd_findings(conf, ("/etc/default/libvirtd", {}), ["/usr/sbin/libvirtd"], {}, "tcp") == [
        "/etc/default/libvirtd does not pass --listen to libvirtd",
        "libvirtd runs without --listen: /usr/sbin/libvirtd"]


def test_xen_config_of_libvirts_tests_nested_lists_numbers_and_a_comment_after_a_value():
    assert parse_libvirtd_conf(recorded("outside-libvirt-fc4.conf.txt")) == {
        "kernel": "/boot/vmlinuz-2.6.15-1.2054_FC5xenU", "ramdisk": "/boot/initrd-2.6.15-1.2054_FC5xenU.img",
        "memory": 128, "name": "fc4", "vif": ["mac=aa:00:00:00:00:11, bridge=xenbr0"],
        "disk": ["file:/xen/fc4.img,sda1,w"], "root": "/dev/sda1", "extra": "ro selinux=0 3",
        "tst": [1, 2, [3, 4], 5]}


def test_a_file_without_a_final_newline():
    assert parse_libvirtd_conf(recorded("outside-libvirt-no-newline.conf.txt")) == {"log_level": 1}


def test_cloudstack_users_libvirtd_conf_without_spaces_around_equals():
    conf = parse_libvirtd_conf(recorded("outside-libvirtd.conf-cloudstack-issue-4659.txt"))
    assert conf == {"log_level": 1, "listen_tls": 1, "mdns_adv": 0, "listen_tcp": 0, "tcp_port": "16509",
                    "unix_sock_group": "libvirt", "unix_sock_ro_perms": "0777", "unix_sock_rw_perms": "0770",
                    "auth_tcp": "none", "auth_tls": "none"}
    assert libvirtd_findings(conf, None, ["/usr/sbin/libvirtd", "--listen"], {}, "tls") == []


@pytest.mark.parametrize("name, cut, message", [
    ("outside-libvirtd.conf-libvirt-confdata.txt", "tls_allowed_dn_list = [\"DN1\", \"D",
     "libvirtd.conf line 203: expected a closing \" on the same line for the value of tls_allowed_dn_list, got '\"D'"),
    ("outside-libvirt-fc4.conf.txt", "tst = [ 1, 2, [ 3, 4 ]",
     "libvirtd.conf line 10: expected ',' or ']' in the list of tst, got ''"),
])
def test_truncated_pastes_are_unparsable_with_the_place(name, cut, message):
    text = recorded(name)
    assert unparsable(lambda: parse_libvirtd_conf(text[:text.index(cut) + len(cut)])) == message


# --- Java properties (java.util.Properties.load), expected values printed by OpenJDK 17 -----------

@pytest.mark.parametrize("name", ["outside-agent.properties-cloudstack-sample", "outside-db.properties.in-cloudstack",
                                  "outside-Bug6609431"])
def test_properties_read_as_openjdk_reads_them(name):
    expected = json.loads(recorded(f"{name}.java-load.json"))
    assert parse_java_properties(recorded(f"{name}.properties"), name) == expected


def test_cloudstack_sample_values():
    agent = parse_java_properties(recorded("outside-agent.properties-cloudstack-sample.properties"), "agent")
    assert (agent["host"], agent["port"], agent["guid"]) == ("localhost", "8250", "")
    assert "host.lb.check.interval" not in agent          # commented out
    db = parse_java_properties(recorded("outside-db.properties.in-cloudstack.properties"), "db")
    assert db["db.cloud.validationQuery"] == "/* ping */ SELECT 1"
    assert db["db.cloud.url.params"].startswith("prepStmtCacheSize=517&cachePrepStmts=true&sessionVariables=sql_mode='")


def test_a_trailing_backslash_at_the_end_of_the_file_is_dropped():
    assert parse_java_properties(recorded("outside-Bug6609431.properties"), "x")["b"] == "backslash"


# --- EnvironmentFile= (systemd env-file.c) and shell assignments ------------------------------

def test_libvirts_sysconfig_template_sets_nothing_and_the_rule_reads_no_listen():
    values = parse_environment_file(recorded("outside-libvirtd.sysconf-libvirt.txt"), "/etc/sysconfig/libvirtd")
    assert values == {}
    assert defaults_listen(("/etc/sysconfig/libvirtd", values)) is False


@pytest.mark.parametrize("name, values", [
    ("outside-sysconfig-libvirtd-cloudstack-4754.txt", {"LIBVIRTD_ARGS": "-l"}),
    ("outside-default-libvirt-bin-puppet-nova.txt", {"libvirtd_opts": "-d -l"}),
    ("outside-sysconfig-libvirtd-nova-doc.txt", {"LIBVIRTD_ARGS": "--listen"}),    # indented, as pasted
])
def test_listen_flags_written_by_installers_and_docs(name, values):
    read = parse_environment_file(recorded(name), name)
    assert read == values
    assert defaults_listen((name, read)) is True        # systemd splits $LIBVIRTD_ARGS at blanks


def test_the_unit_that_reads_the_defaults_file_is_systemd_not_a_shell():
    unit = recorded("outside-libvirtd.service-fnos-blog.txt")
    assert "EnvironmentFile=-/etc/default/libvirtd" in unit and "/usr/sbin/libvirtd $LIBVIRTD_ARGS" in unit


@pytest.mark.parametrize("text, systemd, shell", [
    ('export LIBVIRTD_ARGS="--listen"\n', {}, {"LIBVIRTD_ARGS": "--listen"}),   # systemd drops "export X"
    ("LIBVIRTD_ARGS=--listen --timeout 120\n", {"LIBVIRTD_ARGS": "--listen --timeout 120"}, None),
    # after a closing quote systemd goes on with the value: the comment joins it, and libvirtd gets "--listen#"
    ('LIBVIRTD_ARGS="--listen" # for CloudStack\n', {"LIBVIRTD_ARGS": "--listen# for CloudStack"},
     {"LIBVIRTD_ARGS": "--listen"}),
    ("LIBVIRTD_ARGS=--listen # for CloudStack\n", {"LIBVIRTD_ARGS": "--listen # for CloudStack"},
     {"LIBVIRTD_ARGS": "--listen"}),
])
def test_where_systemd_and_a_shell_read_a_defaults_file_differently(text, systemd, shell):
    assert parse_environment_file(text, "f") == systemd
    if shell is None:
        assert "more than one shell word" in unparsable(lambda: parse_shell_assignments(text, "f"))
    else:
        assert parse_shell_assignments(text, "f") == shell


def test_a_defaults_file_cut_inside_a_quote_is_unparsable():
    assert unparsable(lambda: parse_environment_file('LIBVIRTD_ARGS="--lis', "/etc/default/libvirtd")) == \
        "/etc/default/libvirtd line 1: a quoted value still open at the end of the file (cut short?)"


@pytest.mark.parametrize("name, expected", [
    ("outside-os-release-rhel8.7-briefcase.txt", ("rhel", "fedora", "8.7", "Red Hat Enterprise Linux 8.7 (Ootpa)")),
    ("outside-os-release-tumbleweed-briefcase.txt", ("opensuse-tumbleweed", "opensuse suse", "20230304",
                                                     "openSUSE Tumbleweed")),
    ("outside-os-release-ubuntu22.04-briefcase.txt", ("ubuntu", "debian", "22.04", "Ubuntu 22.04.2 LTS")),
])
def test_os_release_of_other_distributions(name, expected):
    values = parse_os_release(recorded(name))
    assert (values["ID"], values["ID_LIKE"], values["VERSION_ID"], values["PRETTY_NAME"]) == expected
    assert "VERSION" not in values or not values["VERSION"].startswith("2023")     # "# VERSION=" is a comment
    assert parse_environment_file(recorded(name), name) == values                  # systemd reads the same


def test_a_truncated_os_release_is_unparsable():
    text = recorded("outside-os-release-ubuntu22.04-briefcase.txt")
    cut = text[:text.index("Jammy") + 2]
    assert unparsable(lambda: parse_os_release(cut)) == \
        "os-release line 4: unbalanced quotes in 'VERSION=\"22.04.2 LTS (Ja'"


# --- ss -ltn (iproute2) -------------------------------------------------------------------------

def test_ss_of_iproute2_before_4_17_with_a_header_on_centos_7():
    assert parse_ss_listening(recorded("outside-ss-ntl-centos7-ansible.txt")) == [
        Listener("*", 111), Listener("*", 22), Listener("127.0.0.1", 631), Listener("*", 23000),
        Listener("127.0.0.1", 25), Listener("::", 111), Listener("::", 22), Listener("::1", 631), Listener("::1", 25)]


def test_ss_header_with_trailing_blanks():
    assert parse_ss_listening(recorded("outside-ss-lnt-old-iproute2-blog.txt")) == [Listener("*", 22),
                                                                                   Listener("::", 22)]


def test_ss_header_of_iproute2_6_1_without_a_blank_before_process():
    # `ss -ltn` on Debian 12 (iproute2 6.1.0), as the lab's database servers print it
    text = "State  Recv-Q Send-Q             Local Address:Port Peer Address:PortProcess\n" \
           "LISTEN 0      80                       0.0.0.0:3306      0.0.0.0:*\n"
    assert parse_ss_listening(text) == [Listener("0.0.0.0", 3306)]


def test_ss_without_n_prints_service_names_and_is_unparsable():
    assert unparsable(lambda: parse_ss_listening(recorded("outside-ss-tl-util-linux-2066.txt"))) == \
        "ss line 2: '127.0.0.53%lo:domain' is not ADDRESS:PORT with a numeric port"


def test_ss_with_the_netid_column_is_unparsable():
    assert unparsable(lambda: parse_ss_listening(recorded("outside-ss-tlnp-ha-unraid-36.txt"))) == \
        "ss line 1: expected 'LISTEN RECV-Q SEND-Q ADDRESS:PORT PEER', got 'tcp   LISTEN 0      1000         " \
        "127.0.0.1:16509      0.0.0.0:*  '"


# --- ps and stale libraries ----------------------------------------------------------------------

def test_ps_ef_columns_are_not_read_as_user_pid_args():
    # read naively, PID 21913's "args" would start with its PPID: the user column says it is not PS_COMMAND's
    assert unparsable(lambda: parse_ps(recorded("outside-ps-ef-ha-unraid-36.txt"))) == (
        "ps line 1: the user is not padded to 32 columns as in `ps -eo user:32,pid,args --no-headers`: "
        "'root     21913 20143  0 15:01 pts/2    00:00:00 grep libvirtd'")


def test_ps_eo_user_pid_args_without_a_width_is_refused_too():
    assert "not padded to 32 columns" in unparsable(lambda: parse_ps(recorded("outside-ps-eo-cardputer-readme.txt")))


def test_the_libvirtd_command_line_of_that_report_once_in_ps_commands_columns():
    line = recorded("outside-ps-ef-ha-unraid-36.txt").splitlines()[1]
    args = line.split(None, 7)[7]                      # ps -ef: UID PID PPID C STIME TTY TIME CMD
    processes = parse_ps(f"{'root':<32} {27980:>7} {args}\n")
    assert libvirtd_process_args(processes) == ["/usr/sbin/libvirtd", "-d", "-l", "-f", "/etc/libvirt/libvirtd.conf",
                                                 "-p", "/var/run/libvirt/libvirtd.pid"]


def run_stale_scan(tmp_path: Path, maps_by_pid: dict[int, str]) -> str:
    """STALE_LIBRARY_COMMAND itself, by dash, over a /proc-like tree holding the recorded maps."""
    proc = tmp_path / "proc"
    for pid, maps in maps_by_pid.items():
        (proc / str(pid)).mkdir(parents=True)
        (proc / str(pid) / "maps").write_text(maps)
        (proc / str(pid) / "comm").write_text("rsyslogd\n")
    command = STALE_LIBRARY_COMMAND.replace("/proc", str(proc))
    return subprocess.run(["dash", "-c", command], capture_output=True, text=True, check=True).stdout


@pytest.mark.integration
def test_stale_scan_on_real_maps(tmp_path):
    # libssl mapped but not replaced (pthreads #872); a deleted file that is no library (LKML 2003, whose
    # 2.6.0-test9 kernel printed "\040(deleted)"); prelink's renamed libcrypto (rsyslog #2538's pmap paths)
    prelinked = "".join(f"{line.split()[0]}-00007f5df19f2000 r-xp 00000000 fd:00 131 {line.split(None, 3)[3]}\n"
                        for line in recorded("outside-pmap-rsyslog-2538.txt").splitlines())
    out = run_stale_scan(tmp_path, {872: recorded("outside-maps-pthreads-872.txt"),
                                    1397: recorded("outside-maps-lkml-2003.txt"), 6999: prelinked})
    mappings = parse_stale_mappings(out)
    assert [(m.pid, m.process, m.path) for m in mappings] == [
        (6999, "rsyslogd", "/usr/lib64/libcrypto.so.1.0.1e.#prelink#.o9hkgk")]
    assert stale_mapping_findings(mappings) == [
        "process rsyslogd (pid 6999) still maps /usr/lib64/libcrypto.so.1.0.1e.#prelink#.o9hkgk (deleted): restart it"]


# --- socket units on disk (systemd unit search path) ---------------------------------------------

def run_units_scan(tmp_path: Path, vendor_dir: str, vendor: list[str], masked: list[str],
                   runtime_masked: tuple[str, ...] = ()) -> str:
    """SOCKET_UNITS_COMMAND itself, by dash, over a root holding the layout a report shows."""
    root = tmp_path / "root"
    for directory in ("etc/systemd/system", "run/systemd/system", "lib/systemd/system", "usr/lib/systemd/system"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    for unit in vendor:
        (root / vendor_dir / unit).write_text("[Socket]\n")
    for unit in masked:
        os.symlink("/dev/null", root / "etc/systemd/system" / unit)
    for unit in runtime_masked:
        os.symlink("/dev/null", root / "run/systemd/system" / unit)
    command = SOCKET_UNITS_COMMAND
    for directory in ("/etc/systemd/", "/run/systemd/", "/lib/systemd/", "/usr/lib/systemd/"):
        command = command.replace(f" {directory}", f" {root}{directory}")
    return subprocess.run(["dash", "-c", command], capture_output=True, text=True, check=True).stdout


@pytest.mark.integration
def test_a_runtime_mask_in_run_counts_as_systemd_reads_it(tmp_path):
    units = parse_socket_units(run_units_scan(tmp_path, "lib/systemd/system", list(LIBVIRTD_SOCKETS), [],
                                              runtime_masked=("libvirtd.socket", "libvirtd-ro.socket")))
    assert units["libvirtd.socket"] == SocketUnit("libvirtd.socket", True, True)
    assert libvirtd_findings(TLS_CONF, None, LISTENING, units, "tls") == [
        "socket units not masked: libvirtd-admin.socket"]


@pytest.mark.integration
def test_units_of_a_rhel_family_host_as_crc_2154_reports_them(tmp_path):
    status = recorded("outside-systemctl-status-libvirtd-socket-crc-2154.txt")
    assert "(/usr/lib/systemd/system/libvirtd.socket; disabled" in status
    units = parse_socket_units(run_units_scan(tmp_path, "usr/lib/systemd/system",
                                              ["libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket"], []))
    assert units["libvirtd.socket"] == SocketUnit("libvirtd.socket", True, False)
    assert units["libvirtd-tcp.socket"] == SocketUnit("libvirtd-tcp.socket", False, False)
    assert libvirtd_findings(TLS_CONF, None, LISTENING, units, "tls") == [
        "socket units not masked: libvirtd.socket, libvirtd-ro.socket, libvirtd-admin.socket"]


@pytest.mark.integration
def test_units_after_cloudstacks_documented_mask_command(tmp_path):
    masked = recorded("outside-systemctl-mask-cloudstack-10667.txt").split()[2:]
    assert masked == list(LIBVIRTD_SOCKETS)
    units = parse_socket_units(run_units_scan(tmp_path, "lib/systemd/system", masked, masked))
    assert all(u.installed and u.masked for u in units.values())
    assert libvirtd_findings(TLS_CONF, None, LISTENING, units, "tls") == []


@pytest.mark.integration
def test_units_triggering_libvirtd_on_a_debian_host_of_issue_4659(tmp_path):
    status = recorded("outside-systemctl-status-libvirtd-cloudstack-4659.txt")
    triggers = [line.split("● ")[1] for line in status.splitlines() if "● libvirtd-" in line]
    assert triggers == ["libvirtd-ro.socket", "libvirtd-admin.socket"]
    units = parse_socket_units(run_units_scan(tmp_path, "lib/systemd/system", triggers, []))
    assert libvirtd_findings(TLS_CONF, None, LISTENING, units, "tls") == [
        "socket units not masked: libvirtd-ro.socket, libvirtd-admin.socket"]


# --- /etc/cloudstack-release (CloudStackVersion.trimRouterVersion) ---------------------------------

def test_cloudstack_release_quoted_in_cloudstacks_upgrade_docs():
    assert parse_cloudstack_release(recorded("outside-cloudstack-release-docs-4.0.txt")) == "4.0.0-incubating"


@pytest.mark.integration
def test_the_line_cloudstacks_template_build_writes(tmp_path):
    line = recorded("outside-configure-systemvm-services-signature.sh").strip()
    script = line.replace("/etc/cloudstack-release", str(tmp_path / "release"))
    subprocess.run(["dash", "-c", script], env={"CLOUDSTACK_RELEASE": "4.19.1.0", "LC_ALL": "C", "TZ": "UTC",
                                                "PATH": os.environ["PATH"]}, check=True)
    assert parse_cloudstack_release((tmp_path / "release").read_text()) == "4.19.1.0"


def test_a_two_part_release_reads_as_0_for_cloudstack_and_is_unparsable():
    assert unparsable(lambda: parse_cloudstack_release(recorded("outside-cloudstack-release-ansible-sample.txt"))) == (
        "/etc/cloudstack-release: no version where CloudStack reads it (third word, "
        "major.minor.patch[.security][-brand][-SNAPSHOT]) in 'CloudStack Release 4.20'; "
        "CloudStack's trimRouterVersion reads it as 0")


# --- XAPI pool record ----------------------------------------------------------------------------

def test_pool_record_of_ansibles_fake_xenapi_has_ha_off_and_no_timeout():
    record = ast.literal_eval("{" + recorded("outside-xapi-pool-ansible-fake-xenapi.py.txt") + "}")
    assert parse_pool_ha(record) == PoolHA(False, None, DEFAULT_TIMEOUT_TEXT)
    record["ha_configuration"] = {"timeout": "180"}      # as `xe pool-ha-enable ha-config:timeout=180` sets it
    assert parse_pool_ha(record) == PoolHA(False, 180, "180 s")


# --- date +%s and stat (GNU coreutils) -------------------------------------------------------------

@pytest.mark.parametrize("name, seconds", [
    ("outside-date-epoch-unixtutorial.txt", 1547311301),
    ("outside-date-epoch-checkmk-1970.txt", -3600),          # before the epoch: date prints a minus sign
    ("outside-date-epoch-checkmk-2008.txt", 1229600040),
])
def test_epoch_seconds_printed_by_date(name, seconds):
    prompt, output = recorded(name).splitlines()
    assert parse_epoch(output + "\n") == seconds
    # the paste with its prompt is not date's output
    assert unparsable(lambda: parse_epoch(recorded(name))) == \
        f"date +%s: expected seconds since the epoch, got {recorded(name).strip()[:40]!r}"


def test_stats_default_format_is_not_the_suites_and_is_unparsable():
    assert unparsable(lambda: parse_stat_lines(recorded("outside-stat-default-catalyst2.txt"))) == \
        "stat line 1: expected 'MTIME SIZE PATH', got '  File: config.php'"

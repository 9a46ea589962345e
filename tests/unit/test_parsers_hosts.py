"""Parsers of host state: libvirtd.conf, processes, stale libraries, listening sockets, file times.

Recorded on Debian 12 by tests/data/recorded/recorders/record-hosts-and-config.sh:
- libvirtd.conf-debian12.txt: /etc/libvirt/libvirtd.conf of Debian's libvirt-daemon-system
  9.0.0-4+deb12u2 (apt-get download, dpkg-deb -x; libvirt is not installed);
  libvirtd.conf-cloudstack.txt: the same with CloudStack's settings uncommented (listen_tls = 0,
  listen_tcp = 1, tcp_port = "16509", auth_tcp = "none").
- stale-libraries-*.txt: STALE_LIBRARY_COMMAND run by dash in a private PID namespace, before and
  after two processes that map copies of libcrypto.so.3/libssl.so.3 saw them replaced by rename.
- ps-debian12.txt: PS_COMMAND (procps 4.0.2) in a private PID namespace: four users and a zombie.
- ss-listening-debian12.txt: `ss -Hltn` (iproute2 6.1.0; LISTEN_COMMAND has since dropped -H, which
  CentOS 7's iproute2 4.11 lacks, and skips the header instead) with a filter on the ports of
  recorders/listeners.py: IPv4, IPv6-only, dual-stack and device-bound sockets.
- stat-debian12.stdout/.stderr: `stat -c '%Y %s %n'` on four files and a missing one (exit 1);
  date-epoch-debian12.txt: `date +%s`.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.files import FileStat, parse_epoch, parse_stat_lines
from stackaudit.parsers.libvirt import parse_libvirtd_conf
from stackaudit.parsers.net import Listener, parse_ss_listening
from stackaudit.parsers.procs import Process, StaleMapping, parse_ps, parse_stale_mappings

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def unparsable(call) -> str:
    with pytest.raises(UnparsableOutput) as error:
        call()
    return str(error.value)


# --- libvirtd.conf -----------------------------------------------------------------------------

def test_libvirtd_conf_as_shipped_sets_nothing():
    assert parse_libvirtd_conf(recorded("libvirtd.conf-debian12.txt")) == {}


def test_libvirtd_conf_with_cloudstack_settings():
    assert parse_libvirtd_conf(recorded("libvirtd.conf-cloudstack.txt")) == {
        "listen_tls": 0, "listen_tcp": 1, "tcp_port": "16509", "auth_tcp": "none"}


def test_every_example_setting_of_the_shipped_file_parses():
    uncommented = re.sub(r"(?m)^#([a-z_]+ ?=)", r"\1", recorded("libvirtd.conf-debian12.txt"))
    settings = parse_libvirtd_conf(uncommented)
    assert len(settings) == 51
    assert settings["access_drivers"] == ["polkit"]
    assert settings["sasl_allowed_username_list"] == ["joe@EXAMPLE.COM", "fred@EXAMPLE.COM"]
    assert settings["log_filters"] == "1:qemu 1:libvirt 4:object 4:json 4:event 1:util"
    assert settings["max_clients"] == 5000


@pytest.mark.parametrize("text, expected", [
    ('tls_allowed_dn_list = [\n  "C=GB,O=Example,CN=a",\n  "C=GB,O=Example,CN=b",\n]\nlisten_tls = 1\n',
     {"tls_allowed_dn_list": ["C=GB,O=Example,CN=a", "C=GB,O=Example,CN=b"], "listen_tls": 1}),
    ("access_drivers = [ ]\n", {"access_drivers": []}),
    ("unix_sock_group = 'libvirt'  # a comment\n", {"unix_sock_group": "libvirt"}),
    ('host_uuid = """0f0e0d0c-\n0b0a"""\ntcp_port = "16509"\n', {"host_uuid": "0f0e0d0c-\n0b0a", "tcp_port": "16509"}),
    ("listen_tls = 0; listen_tcp = +1\nkeepalive_interval = -1\n",
     {"listen_tls": 0, "listen_tcp": 1, "keepalive_interval": -1}),
    ('auth_tcp = "none"\nauth_tcp = "sasl"\n', {"auth_tcp": "none"}),     # libvirt uses the first one
    ("  \t\n# only comments\n", {}),
    # virconf.c reads any value in a list (libvirtd's string-list getter refuses this one at start-up)
    ('access_drivers = [ "polkit", 1, [ 2 ] ]\n', {"access_drivers": ["polkit", 1, [2]]}),
    ('x = """"""\n', {"x": ""}),     # triple quotes: virConfParseString wants 7 characters left
])
def test_libvirtd_conf_grammar(text, expected):
    assert parse_libvirtd_conf(text) == expected


@pytest.mark.parametrize("text, message", [
    ("listen_tls 0\n", "libvirtd.conf line 1: expected '=' after listen_tls, got '0'"),
    ('tcp_port = "16509\n', "libvirtd.conf line 1: expected a closing \" on the same line for the value of "
                            "tcp_port, got '\"16509'"),
    ("\n\nauth_tcp = none\n", "libvirtd.conf line 3: expected a string, number or list as the value of "
                              "auth_tcp, got 'none'"),
    ('access_drivers = [\n  "polkit" # why\n]\n',
     "libvirtd.conf line 2: expected ',' or ']' in the list of access_drivers, got '# why'"),
    ('access_drivers = [ "polkit"\n', "libvirtd.conf line 2: expected ',' or ']' in the list of "
                                      "access_drivers, got ''"),
    ('x = """"""', "libvirtd.conf line 1: expected the end of the line after the value of x, "
                    "got '\"\"\"\"'"),     # at the end of the file: no triple quotes, as in virconf.c
    ("_private = 1\n", "libvirtd.conf line 1: expected a setting name, got '_private = 1'"),
    ("listen_tls = 0 1\n", "libvirtd.conf line 1: expected the end of the line after the value of "
                           "listen_tls, got '1'"),
])
def test_what_libvirt_would_refuse_is_unparsable(text, message):
    assert unparsable(lambda: parse_libvirtd_conf(text)) == message


# --- processes ---------------------------------------------------------------------------------

def test_stale_libraries_of_two_processes():
    assert parse_stale_mappings(recorded("stale-libraries-debian12.txt")) == [
        StaleMapping(7, "stale worker", "/tmp/stackaudit-rec.VHnBiT/libs/libcrypto.so.3"),
        StaleMapping(7, "stale worker", "/tmp/stackaudit-rec.VHnBiT/libs/libssl.so.3"),
        StaleMapping(8, "python3", "/tmp/stackaudit-rec.VHnBiT/libs/libcrypto.so.3"),
    ]


def test_no_stale_library_is_empty_output():
    assert recorded("stale-libraries-none.txt") == ""
    assert parse_stale_mappings("") == []


@pytest.mark.parametrize("line, message", [
    ("7 stale worker /usr/lib/libssl.so.3", "stale library scan line 1: expected 'PID<TAB>COMMAND<TAB>/path', "
                                            "got '7 stale worker /usr/lib/libssl.so.3'"),
    ("x\tlibvirtd\t/usr/lib/libssl.so.3", "stale library scan line 1: expected 'PID<TAB>COMMAND<TAB>/path', "
                                          "got 'x\\tlibvirtd\\t/usr/lib/libssl.so.3'"),
    ("7\tlibvirtd\tlibssl.so.3 (deleted)", "stale library scan line 1: expected 'PID<TAB>COMMAND<TAB>/path', "
                                           "got '7\\tlibvirtd\\tlibssl.so.3 (deleted)'"),
])
def test_unexpected_stale_library_lines_are_unparsable(line, message):
    assert unparsable(lambda: parse_stale_mappings(line + "\n")) == message


def test_ps_of_several_users_and_a_zombie():
    processes = parse_ps(recorded("ps-debian12.txt"))
    assert [(p.user, p.pid) for p in processes] == [
        ("root", 1), ("root", 2), ("nobody", 3), ("systemd-timesync", 4), ("mysql", 5), ("mysql", 7), ("root", 48)]
    assert processes[1].args.endswith("time.sleep(60) an argument with  two spaces --flag=x")
    assert processes[2] == Process("nobody", 3, "sleep 60")
    assert processes[5] == Process("mysql", 7, "[sleep] <defunct>")


def test_ps_kernel_thread():
    assert parse_ps("root                                   2 [kthreadd]\n") == [Process("root", 2, "[kthreadd]")]


@pytest.mark.parametrize("line", ["USER PID COMMAND", "root 12", "root x /sbin/init"])
def test_unexpected_ps_lines_are_unparsable(line):
    assert unparsable(lambda: parse_ps(line + "\n")) == f"ps line 1: expected 'USER PID ARGS', got {line!r}"


# --- listening sockets -------------------------------------------------------------------------

def test_listening_sockets_of_every_address_form():
    assert parse_ss_listening(recorded("ss-listening-debian12.txt")) == [
        Listener("127.0.0.1", 3306), Listener("127.0.0.1", 53, "lo"), Listener("0.0.0.0", 16509),
        Listener("::1", 9090), Listener("*", 8250), Listener("::", 16509)]


def test_ipv6_address_bound_to_a_device():
    assert parse_ss_listening("LISTEN 0 128 [fe80::1]%eth0:22 [::]:*\n") == [Listener("fe80::1", 22, "eth0")]


def test_unbracketed_ipv6_of_iproute2_before_4_17_reads_up_to_the_last_colon():
    assert parse_ss_listening("LISTEN 0 128 ::1:22 [::]:*\n") == [Listener("::1", 22)]


@pytest.mark.parametrize("line, message", [
    ("LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nState  Recv-Q Send-Q Local Address:Port Peer Address:Port",
     "ss line 2: expected 'LISTEN RECV-Q SEND-Q ADDRESS:PORT PEER', got 'State  Recv-Q Send-Q Local "
     "Address:Port Peer Address:Port'"),
    ("LISTEN 0 128 db1:3306 0.0.0.0:*", "ss line 1: 'db1' in 'db1:3306' is not an IP address"),
    ("LISTEN 0 128 0.0.0.0:ssh 0.0.0.0:*", "ss line 1: '0.0.0.0:ssh' is not ADDRESS:PORT with a numeric port"),
    ("LISTEN 0 128 0.0.0.0:99999 0.0.0.0:*", "ss line 1: '0.0.0.0:99999' is not ADDRESS:PORT with a numeric port"),
])
def test_unexpected_ss_lines_are_unparsable(line, message):
    assert unparsable(lambda: parse_ss_listening(line + "\n")) == message


# --- file times --------------------------------------------------------------------------------

def test_stat_lines_with_spaces_and_a_time_before_1970():
    base = "/tmp/stackaudit-rec.VHnBiT/stat/agent"
    assert parse_stat_lines(recorded("stat-debian12.stdout")) == [
        FileStat(base, -60, 4096), FileStat(f"{base}/agent.properties", 1700000000, 7),
        FileStat(f"{base}/cloud.jks", 1700000000, 1835), FileStat(f"{base}/name with  spaces.log", 1700086400, 0)]
    assert "missing.pem" in recorded("stat-debian12.stderr")     # a missing file is only on stderr


@pytest.mark.parametrize("line", ["1700000000 /no/size", "x 1 /a", "1700000000 1"])
def test_unexpected_stat_lines_are_unparsable(line):
    assert unparsable(lambda: parse_stat_lines(line + "\n")) == \
        f"stat line 1: expected 'MTIME SIZE PATH', got {line!r}"


def test_epoch_of_the_target_clock():
    assert parse_epoch(recorded("date-epoch-debian12.txt")) == int(recorded("date-epoch-debian12.txt"))
    assert parse_epoch("1763913600\n") == 1763913600


@pytest.mark.parametrize("text", ["Mon Nov 24 10:00:00 UTC 2025\n", "", "+%s\n"])
def test_a_date_that_is_not_epoch_seconds_is_unparsable(text):
    assert unparsable(lambda: parse_epoch(text)) == \
        f"date +%s: expected seconds since the epoch, got {text.strip()!r}"

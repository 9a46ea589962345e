"""MS-TLS-LIBSSL-PATCHED: the processes listening on a TLS front end's port as `ss -ltnp` shows them
(recorded here and by others: tests/data/recorded/SOURCES.md), and the rule that judges the front end's
OpenSSL packages and the libraries its TLS listener still maps."""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.config.policy import TlsFrontendPolicy
from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.dpkg import parse_dpkg_query
from stackaudit.parsers.net import Listener, OwnedListener, SocketOwner, parse_ss_listening_processes
from stackaudit.parsers.osinfo import parse_debian_version
from stackaudit.parsers.procs import parse_stale_mappings
from stackaudit.rules.tls_frontend import tls_frontend_findings, tls_port_pids

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
WHEEZY = parse_debian_version("7.11\n")
PATCHED = parse_dpkg_query("openssl\tinstall ok installed\t1.0.1e-2+deb7u6\n"
                           "libssl1.0.0\tinstall ok installed\t1.0.1e-2+deb7u6\n")
DEFAULT_FLOORS = TlsFrontendPolicy({"7": "1.0.1e-2+deb7u6"})


def recorded(name: str) -> list[OwnedListener]:
    return parse_ss_listening_processes((RECORDED / name).read_text())


def nginx_on(port: int, *pids: int) -> list[OwnedListener]:
    return [OwnedListener(Listener("0.0.0.0", port), tuple(SocketOwner("nginx", pid) for pid in pids)),
            OwnedListener(Listener("::", port), tuple(SocketOwner("nginx", pid) for pid in pids))]


def test_each_socket_names_every_process_holding_it_and_a_socket_of_an_unseen_process_none():
    listeners = recorded("ss-ltnp-debian12.txt")
    assert [(o.listener, o.owners) for o in listeners] == [
        (Listener("127.0.0.1", 44301), (SocketOwner("python3", 12918), SocketOwner("python3", 12869))),
        (Listener("0.0.0.0", 2024), ()),
        (Listener("::1", 44301), (SocketOwner("python3", 12918), SocketOwner("python3", 12869)))]


def test_a_socket_held_by_a_daemon_and_by_systemd_names_both_and_a_device_bound_address_parses():
    listeners = {(o.listener.address, o.listener.port): o for o in recorded("outside-ss-ltpn-root-kubeadm.txt")}
    assert len(listeners) == 15
    assert listeners[("*", 22)].owners == (SocketOwner("sshd", 1988), SocketOwner("systemd", 1))
    assert listeners[("127.0.0.53", 53)].listener.interface == "lo"
    assert tls_port_pids(list(listeners.values()), 6443) == {14215}


def test_read_without_root_no_socket_names_its_process_and_the_front_end_is_not_checked():
    listeners = recorded("outside-ss-ltpn-unprivileged-kubeadm.txt")
    assert [o.owners for o in listeners] == [(), ()]
    with pytest.raises(NotCheckable, match=r"^ss shows no process for the socket on 127\.0\.0\.1, 192\.168\.1\.105 "
                                           r"port 2379: read as root \(ssh\.user\) to see which process serves TLS$"):
        tls_port_pids(listeners, 2379)


def test_a_process_name_with_spaces_and_quotes_is_read_whole():
    line = 'LISTEN 0 511 0.0.0.0:443 0.0.0.0:* users:(("my "proxy" 2",pid=7,fd=6),("nginx",pid=8))\n'
    assert parse_ss_listening_processes(line)[0].owners == (SocketOwner('my "proxy" 2', 7), SocketOwner("nginx", 8))


@pytest.mark.parametrize("line, message", [
    ("LISTEN 0 511 0.0.0.0:443 0.0.0.0:* nginx\n",
     "ss line 1: the process column 'nginx' is not users:((\"NAME\",pid=N,fd=N),...)"),
    ("LISTEN 0 511 0.0.0.0:443 0.0.0.0:* users:((\"nginx\",2341,6))\n",
     "ss line 1: the process column 'users:((\"nginx\",2341,6))' is not users:((\"NAME\",pid=N,fd=N),...)"),
    ("ESTAB 0 0 10.0.7.71:80 10.0.7.70:45678 users:((\"nginx\",pid=123,fd=10))\n",
     "ss line 1: expected 'LISTEN RECV-Q SEND-Q ADDRESS:PORT PEER [users:((...))]', got 'ESTAB 0 0 10.0.7.71:80 "
     "10.0.7.70:45678 users:((\"nginx\",pid=123,fd=10))'"),
    ("LISTEN 0 511 0.0.0.0:443 0.0.0.0:* users:((\"nginx\",pid=0,fd=6))\n",
     "ss line 1: '0' is not a PID"),
])
def test_output_that_is_not_ss_ltnp_is_unparsable_never_read_as_no_process(line, message):
    with pytest.raises(UnparsableOutput) as error:
        parse_ss_listening_processes(line)
    assert str(error.value).startswith(message)


def test_nothing_listening_on_the_tls_port_cannot_be_judged():
    with pytest.raises(NotCheckable, match=r"^nothing listens on tcp port 443, the front end's TLS port"):
        tls_port_pids(nginx_on(8443, 10), 443)


def test_a_patched_front_end_whose_listener_maps_the_installed_library_passes():
    assert tls_frontend_findings(WHEEZY, PATCHED, nginx_on(443, 10, 11), [], 443, DEFAULT_FLOORS) == []


def test_an_unpatched_libssl_fails_by_debian_version_rules():
    packages = parse_dpkg_query("openssl\tinstall ok installed\t1.0.1e-2+deb7u6\n"
                                "libssl1.0.0\tinstall ok installed\t1.0.1e-2+deb7u4\n")
    assert tls_frontend_findings(WHEEZY, packages, nginx_on(443, 10), [], 443, DEFAULT_FLOORS) == [
        "libssl1.0.0 1.0.1e-2+deb7u4 is below the fixed version 1.0.1e-2+deb7u6 for Debian 7"]


def test_only_the_tls_listeners_stale_libraries_are_its_findings():
    mappings = parse_stale_mappings("11\tnginx\t/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0\n"
                                    "40\tlogrotate\t/usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0\n")
    assert tls_frontend_findings(WHEEZY, PATCHED, nginx_on(443, 10, 11), mappings, 443, DEFAULT_FLOORS) == [
        "process nginx (pid 11) still maps /usr/lib/x86_64-linux-gnu/libssl.so.1.0.0 (deleted): restart it "
        "(it listens on tcp port 443)"]
    assert tls_frontend_findings(WHEEZY, PATCHED, nginx_on(443, 10), mappings[1:], 443, DEFAULT_FLOORS) == []


def test_a_release_without_a_floor_is_not_checked_naming_the_front_ends_policy_key():
    bookworm = parse_debian_version("12.12\n")
    packages = parse_dpkg_query("libssl3\tinstall ok installed\t3.0.19-1~deb12u2\n")
    with pytest.raises(NotCheckable, match=r"^the policy has no libssl floor for Debian 12 \(tls_frontends\.libssl_floors\); "):
        tls_frontend_findings(bookworm, packages, nginx_on(443, 10), [], 443, DEFAULT_FLOORS)
    with_floor = TlsFrontendPolicy({"12": "3.0.15-1~deb12u1"})
    assert tls_frontend_findings(bookworm, packages, nginx_on(443, 10), [], 443, with_floor) == []


def test_the_lab_front_ends_listen_where_the_inventory_says_and_map_the_release_library():
    from lab.inventory import inventory_document
    from lab.parts.common import Keys
    from lab.parts.tls_frontend import tls_frontend_spec
    from lab.scenario import load_scenario
    from lab.topology import build_topology
    topo = build_topology(load_scenario(Path(__file__).resolve().parents[2] / "lab/scenarios/matrix/tls_frontends.yml"))
    keys = Keys("ssh-ed25519 AAAA suite", "PRIVATE", "ssh-rsa AAAA cloud",
                {node.name: ("PRIVATE", "ssh-ed25519 AAAA host") for node in topo.machines})
    inventory = inventory_document(topo)["tls_frontends"]
    assert [(t["name"], t["port"]) for t in inventory] == [("tls1", 443), ("tls2", 443), ("tls3", 8443),
                                                           ("tls4", 443), ("tls5", 443)]
    specs = {node.name: tls_frontend_spec(topo, node, keys) for node in topo.tls_frontends}
    assert "Package: libssl1.0.0\n" in specs["tls1"].files["/var/lib/dpkg/status"]
    assert "Version: 1.0.1e-2+deb7u4\n" in specs["tls1"].files["/var/lib/dpkg/status"]
    assert "Package: openssl\n" not in specs["tls3"].files["/var/lib/dpkg/status"]
    haproxy, logrotate = specs["tls3"].files["/usr/sbin/haproxy"], specs["tls3"].files["/usr/sbin/logrotate"]
    assert "libcrypto.so.1.0.0" in haproxy and "server.bind(('198.18.0.202', 8443))" in haproxy
    assert "if False:\n    install(lib)" in haproxy           # its library stays in place
    assert "server.bind" not in logrotate and "if True:\n    install(lib)" in logrotate
    # both map libcrypto.so.1.0.0: the listener starts last, so the copy it maps stays in place
    assert [service.name for service in specs["tls3"].services] == ["logrotate", "haproxy"]
    assert "if True:\n    install(lib)" in specs["tls2"].files["/usr/sbin/nginx"]
    assert specs["tls5"].services == [] and "libssl3" in specs["tls4"].files["/var/lib/dpkg/status"]

"""KVM-LIBVIRTD-LISTEN escalates unauthenticated TCP only where a socket really listens on libvirt's
tcp_port beyond loopback, read from `ss -ltn` (tests/data/recorded/SOURCES.md):

- ss-listening-debian12.txt: this project's Debian 12 machine, 16509 on 0.0.0.0 and [::];
- outside-ss-tlnp-ha-unraid-36.txt: an Unraid host whose libvirtd, run with `-l`, listens on
  127.0.0.1:16509 only (ha-unraid issue 36), read without its Netid column as `ss -ltn` prints it;
- outside-ss-ntl-centos7-ansible.txt: CentOS 7's iproute2 (`*:22`, `:::22`), nothing on 16509.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.parsers.libvirt import parse_libvirtd_conf
from stackaudit.parsers.net import Listener, parse_ss_listening
from stackaudit.rules.hosts import unauthenticated_listening

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
CLOUDSTACK_CONF = parse_libvirtd_conf('listen_tls = 0\nlisten_tcp = 1\ntcp_port = "16509"\nauth_tcp = "none"\n'
                                      'mdns_adv = 0\n')


def recorded_listeners(name: str) -> list[Listener]:
    return parse_ss_listening((RECORDED / name).read_text())


def unraid_listeners() -> list[Listener]:
    line = (RECORDED / "outside-ss-tlnp-ha-unraid-36.txt").read_text().split(None, 1)[1]   # Netid column off
    return parse_ss_listening(line)


def test_listening_on_every_address_is_exposed():
    assert unauthenticated_listening(CLOUDSTACK_CONF, "tcp", recorded_listeners("ss-listening-debian12.txt")) == [
        "0.0.0.0:16509", "[::]:16509"]


def test_a_libvirtd_on_loopback_only_is_not_exposed():
    """The Unraid host runs libvirtd with -l, yet its listen_addr keeps 16509 on 127.0.0.1."""
    assert unraid_listeners() == [Listener("127.0.0.1", 16509)]
    assert unauthenticated_listening(CLOUDSTACK_CONF, "tcp", unraid_listeners()) == []


def test_nothing_on_16509_is_not_exposed_whatever_the_configuration_says():
    assert unauthenticated_listening(CLOUDSTACK_CONF, "tcp", recorded_listeners("outside-ss-ntl-centos7-ansible.txt")) == []


@pytest.mark.parametrize("conf, transport, listeners, exposed", [
    # libvirtd-tcp.socket (socket activation): systemd holds 16509 for every address, listen_tcp ignored
    ({**CLOUDSTACK_CONF, "listen_tcp": 0}, "tcp", [Listener("*", 16509)], ["*:16509"]),
    # the port libvirtd.conf names, not 16509
    ({**CLOUDSTACK_CONF, "tcp_port": "16510"}, "tcp", [Listener("0.0.0.0", 16509)], []),
    ({**CLOUDSTACK_CONF, "tcp_port": "16510"}, "tcp", [Listener("198.18.0.21", 16510)], ["198.18.0.21:16510"]),
    ({**CLOUDSTACK_CONF, "auth_tcp": "sasl"}, "tcp", [Listener("0.0.0.0", 16509)], []),
    ({k: v for k, v in CLOUDSTACK_CONF.items() if k != "auth_tcp"}, "tcp", [Listener("0.0.0.0", 16509)], []),
    (CLOUDSTACK_CONF, "tls", [Listener("0.0.0.0", 16509)], []),     # tls policy: listen_tcp is its own finding
    (CLOUDSTACK_CONF, "tcp", [Listener("::1", 16509), Listener("127.0.0.53", 16509)], []),
    (CLOUDSTACK_CONF, "tcp", [Listener("fe80::1", 16509, "eth0")], ["[fe80::1]:16509"]),
    (None, "tcp", [Listener("0.0.0.0", 16509)], []),
], ids=["socket-activation", "other-port-unused", "other-port", "sasl", "default-sasl", "tls-policy", "loopback",
        "link-local", "no-conf"])
def test_exposure_follows_the_socket_and_the_auth(conf, transport, listeners, exposed):
    assert unauthenticated_listening(conf, transport, listeners) == exposed

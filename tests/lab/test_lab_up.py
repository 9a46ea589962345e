"""The compliant lab, checked through the same real clients StackAudit uses against a real cloud."""
from __future__ import annotations

import ssl
import xmlrpc.client

import paramiko
import pymysql
import pytest
import requests
import XenAPI
from cs import CloudStack, CloudStackApiException

from lab.topology import BRIDGE
from stackaudit.parsers.bridges import parse_link_flags
from tests.lab.conftest import run

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml")]


def nodes(lab, *kinds):
    return [n for n in lab.topology.machines if n.kind in kinds]


def test_every_host_answers_ssh_with_the_inventory_key_and_a_known_host_key(compliant_lab):
    for node in nodes(compliant_lab, "kvm-host", "xs-host", "mgmt", "db", "tls-frontend"):
        with compliant_lab.ssh(node.address) as client:
            assert run(client, "hostname").strip() == node.name


def test_an_unknown_host_key_is_refused(compliant_lab, tmp_path):
    node = nodes(compliant_lab, "kvm-host")[0]
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        client.connect(node.address, username="root", key_filename=str(compliant_lab.path("keys/id_ed25519")),
                       look_for_keys=False, allow_agent=False, timeout=10)


def test_each_system_vm_is_reached_from_its_host_with_id_rsa_cloud(compliant_lab):
    for host in nodes(compliant_lab, "kvm-host", "xs-host"):
        if not host.system_vms:
            continue
        with compliant_lab.ssh(host.address) as client:
            key_text = run(client, "cat /root/.ssh/id_rsa.cloud")
            cloud_key = paramiko.RSAKey.from_private_key(__import__("io").StringIO(key_text))
            for svm in host.system_vms:
                channel = client.get_transport().open_channel("direct-tcpip", (svm.address, 3922), ("127.0.0.1", 0))
                with compliant_lab.ssh(svm.address, port=3922, sock=channel, key=cloud_key, machine=svm.name) as vm:
                    assert run(vm, "hostname").strip() == svm.name


def test_system_vm_is_reachable_only_from_its_own_host(compliant_lab):
    # Tried from another lab host: the root namespace has no lab route to 169.254.0.0/16, so a
    # probe from there would leave the machine.
    svm = nodes(compliant_lab, "systemvm")[0]
    # Another host whose own cloud0 has nothing at that address (link-local addresses repeat per host).
    other = next(h for h in nodes(compliant_lab, "kvm-host", "xs-host")
                 if h is not svm.host and svm.address not in {v.address for v in h.system_vms})
    probe = f"timeout 3 bash -c 'echo > /dev/tcp/{svm.address}/3922' && echo open || echo closed"
    with compliant_lab.ssh(other.address) as client:
        assert run(client, probe).strip() == "closed"
    with compliant_lab.ssh(svm.host.address) as client:
        assert run(client, probe).strip() == "open"


def test_host_firewall_is_the_scenarios_rules_and_persisted(compliant_lab):
    host = nodes(compliant_lab, "kvm-host")[0]
    with compliant_lab.ssh(host.address) as client:
        v4, v6 = run(client, "iptables-save"), run(client, "ip6tables-save")
        persisted = run(client, "cat /etc/iptables/rules.v4")
        assert run(client, "readlink /etc/systemd/system/libvirtd.socket").strip() == "/dev/null"
    wanted = "-A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509,16514,45335,41047,8250 -j REJECT"
    assert "-A INPUT -j CLOUDSTACK-SERVICES" in v4 and wanted in v4 and wanted in persisted
    assert "-A CLOUDSTACK-SERVICES -s fd00:5341:4c41::/64 -j RETURN" in v6


def test_each_host_sees_only_its_own_processes(compliant_lab):
    kvm = nodes(compliant_lab, "kvm-host")[0]
    with compliant_lab.ssh(kvm.address) as client:
        processes = run(client, "ps -eo user=,args=")
    assert "/usr/sbin/libvirtd --listen" in processes
    assert "org.apache.cloudstack.ServerDaemon" not in processes
    ms = nodes(compliant_lab, "mgmt")[0]
    with compliant_lab.ssh(ms.address) as client:
        users = run(client, "ps -eo user=,args=")
    assert any(line.split()[0] == "cloud" and "org.apache.cloudstack.ServerDaemon" in line
               for line in users.splitlines())


def test_system_vm_dpkg_shows_the_scenarios_libssl(compliant_lab):
    host = next(h for h in nodes(compliant_lab, "kvm-host") if h.system_vms)
    with compliant_lab.ssh(host.address) as client:
        key = paramiko.RSAKey.from_private_key(__import__("io").StringIO(run(client, "cat /root/.ssh/id_rsa.cloud")))
        svm = host.system_vms[0]
        channel = client.get_transport().open_channel("direct-tcpip", (svm.address, 3922), ("127.0.0.1", 0))
        with compliant_lab.ssh(svm.address, port=3922, sock=channel, key=key, machine=svm.name) as vm:
            packages = run(vm, "dpkg-query -W 'libssl*' openssl")
            release = run(vm, "cat /etc/debian_version").strip()
    # CloudStack 4.19 system VMs are Debian 11: libssl1.1.
    assert release == "11.8"
    assert "libssl1.1:amd64\t1.1.1w-0+deb11u1" in packages and "openssl\t1.1.1w-0+deb11u1" in packages


def db_connect(lab, node) -> pymysql.Connection:
    """As the audit user, over TLS verified against the lab CA (the user is REQUIRE SSL)."""
    return pymysql.connect(host=node.address, user="stackaudit", password=lab.secret("keys/db-audit.password"),
                           connect_timeout=5, cursorclass=pymysql.cursors.DictCursor,
                           ssl_ca=str(lab.state_dir / "keys" / "lab-ca.pem"), ssl_verify_identity=True)


def test_both_databases_replicate_from_each_other(compliant_lab):
    dbs = nodes(compliant_lab, "db")
    for node, peer in ((dbs[0], dbs[1]), (dbs[1], dbs[0])):
        with db_connect(compliant_lab, node) as conn, conn.cursor() as cur:
            cur.execute("SHOW SLAVE STATUS")
            status = cur.fetchone()
            assert (status["Master_Host"], status["Slave_IO_Running"], status["Slave_SQL_Running"]) == \
                   (peer.address, "Yes", "Yes")
            cur.execute("SELECT version, step FROM cloud.version ORDER BY id DESC LIMIT 1")
            assert cur.fetchone() == {"version": "4.19.1.0", "step": "Complete"}
            cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('binlog_format', 'log_bin')")
            assert {r["Variable_name"]: r["Value"] for r in cur.fetchall()} == {"binlog_format": "ROW", "log_bin": "ON"}


def cloudstack(lab) -> CloudStack:
    api = lab.inventory["cloud"]["api"]
    return CloudStack(endpoint=api["endpoint"], key=lab.secret(api["key_file"]),
                      secret=lab.secret(api["secret_file"]), timeout=10, verify=str(lab.path(api["verify"])))


def test_cs_client_lists_the_labs_hosts_and_pages(compliant_lab):
    api = cloudstack(compliant_lab)
    hosts = api.listHosts(type="Routing", fetch_list=True)
    assert sorted(h["name"] for h in hosts) == sorted(n.name for n in nodes(compliant_lab, "kvm-host", "xs-host"))
    everything = api.listHosts(fetch_list=True)
    pages = [api.listHosts(page=p, pagesize=3) for p in (1, 2, 3)]
    paged = [h["id"] for page in pages for h in page.get("host", [])]
    assert pages[0]["count"] == len(everything) > 6
    assert sorted(paged) == sorted(h["id"] for h in everything)
    assert api.listHosts(page=9, pagesize=3) == {"count": len(everything)}


def test_api_and_boxes_agree(compliant_lab):
    api = cloudstack(compliant_lab)
    svms = api.listSystemVms(fetch_list=True)
    routers = api.listRouters(fetch_list=True)
    by_name = {n.name: n for n in nodes(compliant_lab, "systemvm")}
    for vm in svms + routers:
        assert vm["linklocalip"] == by_name[vm["name"]].address
        assert vm["hostname"] == by_name[vm["name"]].host.name
    assert {m["ipaddress"] for m in api.listManagementServers(fetch_list=True)} == \
           {n.address for n in nodes(compliant_lab, "mgmt")}


def test_bad_signature_gets_cloudstacks_401(compliant_lab):
    endpoint = compliant_lab.inventory["cloud"]["api"]["endpoint"]
    ca = str(compliant_lab.path(compliant_lab.inventory["cloud"]["api"]["verify"]))
    response = requests.get(endpoint, params={"command": "listHosts", "response": "json",
                                              "apiKey": compliant_lab.secret("keys/api.key"),
                                              "signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, timeout=10, verify=ca)
    assert response.status_code == 401
    assert response.json() == {"listhostsresponse": {"uuidList": [], "errorcode": 401,
                               "errortext": "unable to verify user credentials and/or request signature"}}
    with pytest.raises(CloudStackApiException):
        CloudStack(endpoint=endpoint, key=compliant_lab.secret("keys/api.key"), secret="wrong", verify=ca).listZones()


def test_the_api_serves_only_https_with_a_certificate_from_the_lab_ca(compliant_lab):
    """As a management server with https.enable: the inventory verifies it against the lab's CA; a
    client trusting only the system's CAs refuses it, and plain http gets no HTTP answer."""
    endpoint = compliant_lab.inventory["cloud"]["api"]["endpoint"]
    assert endpoint.startswith("https://")
    ca = str(compliant_lab.path(compliant_lab.inventory["cloud"]["api"]["verify"]))
    assert requests.get(endpoint, timeout=10, verify=ca).status_code == 401     # no signature: CloudStack's 401
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(endpoint, timeout=10, verify=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("http://" + endpoint.removeprefix("https://"), timeout=10)


def xapi_session(lab, address) -> XenAPI.Session:
    context = ssl.create_default_context(cafile=str(lab.path(lab.inventory["xenserver"]["ca_file"])))
    return XenAPI.Session(f"https://{address}", transport=xmlrpc.client.SafeTransport(context=context))


def test_xenapi_reads_the_pool_from_its_master_with_a_verified_certificate(compliant_lab):
    xs = nodes(compliant_lab, "xs-host")
    session = xapi_session(compliant_lab, xs[0].address)
    session.xenapi.login_with_password("root", compliant_lab.secret("keys/xapi.password"), "2.16", "stackaudit-test")
    try:
        (pool,) = session.xenapi.pool.get_all_records().values()
        assert pool["ha_enabled"] is True and pool["ha_configuration"] == {"timeout": "180"}
        hosts = session.xenapi.host.get_all_records()
        assert sorted(h["address"] for h in hosts.values()) == sorted(n.address for n in xs)
        assert pool["master"] in hosts and hosts[pool["master"]]["address"] == xs[0].address
    finally:
        session.xenapi.session.logout()


def test_xenapi_member_answers_host_is_slave_with_the_masters_address(compliant_lab):
    xs = nodes(compliant_lab, "xs-host")
    session = xapi_session(compliant_lab, xs[1].address)
    with pytest.raises(XenAPI.Failure) as failure:
        session.xenapi.login_with_password("root", compliant_lab.secret("keys/xapi.password"), "2.16", "t")
    assert failure.value.details == ["HOST_IS_SLAVE", xs[0].address]


def test_inventory_holds_no_secret_inline(compliant_lab):
    text = compliant_lab.path("inventory.yml").read_text()
    for secret_file in ("keys/api.secret", "keys/api.key", "keys/xapi.password", "keys/db-audit.password"):
        assert compliant_lab.secret(secret_file) not in text
        assert compliant_lab.path(secret_file).stat().st_mode & 0o077 == 0


def test_each_kvm_host_has_its_cloudbr0_bridge_up_in_its_own_sys_class_net(compliant_lab):
    for host in nodes(compliant_lab, "kvm-host"):
        with compliant_lab.ssh(host.address) as client:
            flags = parse_link_flags(run(client, "ip -o link show dev cloudbr0"), "cloudbr0")
            devices = run(client, "ls /sys/class/net; test -d /sys/class/net/cloudbr0/bridge && echo bridge")
        assert flags.administratively_up
        # the host's own devices, not the machine's that runs the lab
        assert {"cloudbr0", "cloud0", "eth0", "bridge"} <= set(devices.split()) and BRIDGE not in devices.split()

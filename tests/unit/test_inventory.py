"""A bad inventory or policy is one line naming the file, the key and the fix: exit code 4, no traceback."""
from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackaudit.errors import ConfigError
from stackaudit.config.inventory import load_inventory
from stackaudit.config.policy import load_policy, policy_from_data
from stackaudit.report.recorder import RunRecord
from tests.unit.config_site import ca_certificate, ssh_key_pair

REPO = Path(__file__).resolve().parent.parent.parent


def valid_inventory() -> dict:
    return {
        "cloud": {"name": "test", "api": {"endpoint": "https://127.0.0.1:9/client/api",
                                          "key_env": "SA_TEST_KEY", "secret_file": "api.secret"}},
        "ssh": {"private_key": "id_ed25519", "known_hosts": "known_hosts"},
        "databases": {"user": "audit", "password_env": "SA_TEST_DB", "ca_file": "ca.pem",
                      "servers": [{"name": "db1", "address": "127.0.0.1"}]},
        "management_servers": [{"name": "ms1", "ssh_address": "127.0.0.1"}],
    }


@pytest.fixture
def write(tmp_path, monkeypatch):
    private, public = ssh_key_pair()
    for name, text in (("id_ed25519", private), ("known_hosts", f"127.0.0.1 {public}\n"), ("api.secret", "x\n"),
                       ("ca.pem", ca_certificate())):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o600)
    monkeypatch.setenv("SA_TEST_KEY", "k")
    monkeypatch.setenv("SA_TEST_DB", "d")

    def write_inventory(document) -> Path:
        path = tmp_path / "inventory.yml"
        path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
        return path
    return write_inventory


def test_a_valid_inventory_loads_with_paths_relative_to_it(write):
    inventory = load_inventory(write(valid_inventory()))
    assert inventory.ssh.private_key == inventory.path.parent / "id_ed25519"
    assert inventory.api.secret.read() == "x"
    assert inventory.databases.servers[0].port == 3306
    assert inventory.databases.servers[0].aliases == ()
    assert inventory.policy_path is None


def test_database_aliases_are_the_other_names_of_a_server(write):
    document = edit(lambda d: d["databases"]["servers"][0].update(aliases=["db1.example.org", "mariadb-a"]))
    assert load_inventory(write(document)).databases.servers[0].aliases == ("db1.example.org", "mariadb-a")


def edit(change):
    document = valid_inventory()
    change(document)
    return document


@pytest.mark.parametrize("document, message", [
    ("cloud: [", "inventory.yml: line 2: not valid YAML; fix the syntax there"),   # libyaml: the end of the file
    (edit(lambda d: d.pop("ssh")), "inventory.yml: ssh: missing; expected a mapping with keys user, port, "
                                   "private_key, known_hosts, connect_timeout, command_timeout, max_connections"),
    (edit(lambda d: d["ssh"].update(prot=22)), "inventory.yml: ssh.prot: unknown key; expected one of user, port, "
                                               "private_key, known_hosts, connect_timeout, command_timeout, "
                                               "max_connections"),
    (edit(lambda d: d["cloud"]["api"].update(secret="s3cr3t")),
     "inventory.yml: cloud.api.secret: inline secrets are refused; use secret_env (an environment variable) "
     "or secret_file (a file with mode 0600)"),
    (edit(lambda d: d["cloud"]["api"].pop("key_env")),
     "inventory.yml: cloud.api.key_env: give exactly one of key_env or key_file"),
    (edit(lambda d: d["ssh"].update(known_hosts="nowhere")),
     "inventory.yml: ssh.known_hosts: {dir}/nowhere: cannot read: No such file or directory; fix the path"),
    (edit(lambda d: d["ssh"].update(port="ssh")),
     "inventory.yml: ssh.port: found str 'ssh'; expected a whole number from 1 to 65535"),
    (edit(lambda d: d.update(policy="missing.yml")),
     "inventory.yml: policy: {dir}/missing.yml does not exist; fix the path or remove the key to use the "
     "default policy"),
    (edit(lambda d: d["databases"]["servers"][0].update(aliases="db1.example.org")),
     "inventory.yml: databases.servers[0].aliases: found str 'db1.example.org'; expected a list of an IP address "
     "or a host name"),
    (edit(lambda d: d.update(system_vms={"vmware_jump_host": "ms9"})),
     "inventory.yml: system_vms.vmware_jump_host: 'ms9' is not a management server with an ssh_address in "
     "management_servers; name one"),
    (edit(lambda d: d.update(tls_frontends=[{"name": "lb1"}])),
     "inventory.yml: tls_frontends[0].ssh_address: missing; expected an IP address or a host name"),
    (edit(lambda d: d.update(tls_frontends=[{"name": "lb1", "ssh_address": "192.0.2.5", "port": 0}])),
     "inventory.yml: tls_frontends[0].port: found int 0; expected a whole number from 1 to 65535"),
    (edit(lambda d: d.update(tls_frontends=[{"name": "lb1", "ssh_address": "192.0.2.5"},
                                            {"name": "lb1", "ssh_address": "192.0.2.6"}])),
     "inventory.yml: tls_frontends[1].name: 'lb1' is also tls_frontends[0]'s name; give each its own"),
    (edit(lambda d: d.update(system_vms={"host_keys": "tofu"})),
     "inventory.yml: system_vms.host_keys: found str 'tofu'; expected one of pinned, known_hosts"),
])
def test_inventory_mistakes_name_the_file_key_and_fix(write, document, message):
    path = write(document)
    with pytest.raises(ConfigError) as error:
        load_inventory(path)
    assert str(error.value) == f"{path.parent}/" + message.format(dir=path.parent)


def test_tls_frontends_are_reached_at_their_ssh_address_and_checked_on_their_tls_port(write):
    assert load_inventory(write(valid_inventory())).tls_frontends == ()
    document = edit(lambda d: d.update(tls_frontends=[{"name": "lb1", "ssh_address": "192.0.2.5"},
                                                      {"name": "lb2", "ssh_address": "lb2.example.org", "port": 8443}]))
    assert [(t.name, t.ssh_address, t.port) for t in load_inventory(write(document)).tls_frontends] == [
        ("lb1", "192.0.2.5", 443), ("lb2", "lb2.example.org", 8443)]


def test_system_vm_host_keys_are_pinned_unless_the_site_keeps_known_hosts(write):
    assert load_inventory(write(valid_inventory())).system_vms.host_keys == "pinned"
    strict = valid_inventory()
    strict["system_vms"] = {"host_keys": "known_hosts"}
    assert load_inventory(write(strict)).system_vms.host_keys == "known_hosts"


def test_a_fingerprints_file_lists_the_system_vm_templates_keys_as_ssh_keygen_prints_them(write, tmp_path):
    ed25519, rsa = "SHA256:RlHd5xeJyojJFwTPMblNnR0YJ7I+LFrmauR58M0Hv6s", "SHA256:/v1EDd9/2ZXJXAxs8juFkCo3mHGcVFWZP/kCMZj5q4c"
    (tmp_path / "fingerprints").write_text(f"# systemvm-kvm-4.19.1, read on the template image\n\n"
                                           f"256 {ed25519} root@systemvm (ED25519)\n"
                                           f"  {rsa}   the same template's RSA key\n{ed25519}\n")
    document = valid_inventory()
    document["system_vms"] = {"host_key_fingerprints": "fingerprints"}
    vms = load_inventory(write(document)).system_vms
    assert (vms.host_keys, vms.host_key_fingerprints, vms.fingerprints) == (
        "pinned", tmp_path / "fingerprints", frozenset({ed25519, rsa}))
    assert load_inventory(write(valid_inventory())).system_vms.host_key_fingerprints is None


def test_a_secret_file_others_can_read_is_refused(write, tmp_path):
    (tmp_path / "api.secret").chmod(0o644)
    with pytest.raises(ConfigError, match=r"cloud\.api\.secret_file: .*api.secret is open to group or others "
                                          r"\(mode 0644\); run chmod 600 "):
        load_inventory(write(valid_inventory()))


def test_an_unset_environment_variable_is_named_when_the_inventory_is_loaded(write, monkeypatch):
    monkeypatch.delenv("SA_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="cloud.api.key_env: environment variable SA_TEST_KEY is not set or empty"):
        load_inventory(write(valid_inventory()))


def test_the_shipped_policy_file_states_exactly_the_defaults():
    assert load_policy(REPO / "inventories" / "policy.yml").__dict__ | {"source": "", "sha256": None} == \
        load_policy(None).__dict__ | {"source": "", "sha256": None}


@pytest.mark.parametrize("policy, message", [
    ({"xenserver": {"ha_timeout": "3m"}},
     "p.yml: xenserver.ha_timeout: found str '3m'; expected a whole number of seconds from 1 to 3600"),
    ({"firewall": {"v6_management_prefix": "10.0.0.0/8"}},
     "p.yml: firewall.v6_management_prefix: '10.0.0.0/8' is not an IPv6 network; write it as 2001:db8:1::/64"),
    ({"system_vms": {"libssl_floors": {"12": "3.0_1"}}},
     "p.yml: system_vms.libssl_floors.12: '3.0_1' is not a Debian version; write it as dpkg shows it, "
     "e.g. 3.0.15-1~deb12u1"),
    ({"system_vms": {"libssl_floors": {"bookworm": "3.0.15-1"}}},
     "p.yml: system_vms.libssl_floors.bookworm: 'bookworm' is not a Debian major release; use e.g. \"12\""),
])
def test_policy_mistakes_name_the_file_key_and_fix(policy, message):
    with pytest.raises(ConfigError) as error:
        policy_from_data(policy, "p.yml")
    assert str(error.value) == message


@pytest.mark.integration
def test_pytest_with_a_bad_inventory_exits_4_with_one_line_and_no_traceback(write):
    path = write(edit(lambda d: d["cloud"]["api"].update(secret="s3cr3t")))
    done = subprocess.run([sys.executable, "-m", "pytest", f"--inventory={path}", "-q"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "inline secrets are refused" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "s3cr3t" not in done.stdout + done.stderr


def test_databases_verify_tls_against_the_ca_file_unless_insecure_is_written(write):
    verified = load_inventory(write(valid_inventory()))
    assert (verified.databases.ca_file, verified.databases.insecure) == (verified.path.parent / "ca.pem", False)
    assert verified.insecure_channels == ()
    document = edit(lambda d: d["databases"].pop("ca_file") and d["databases"].update(insecure=True))
    unverified = load_inventory(write(document))
    assert (unverified.databases.ca_file, unverified.databases.insecure) == (None, True)
    assert unverified.insecure_channels == ("databases",)


def test_summary_json_lists_the_insecure_channels(tmp_path):
    record = RunRecord(tmp_path, (), "lab", None, None, datetime.date(2026, 1, 1), None, ("databases",))
    record.finish([], 0)
    assert json.loads((tmp_path / "summary.json").read_text())["insecure_channels"] == ["databases"]
    plain = RunRecord(tmp_path, (), "lab", None, None, datetime.date(2026, 1, 1))
    assert plain.finish([], 0)["insecure_channels"] == []

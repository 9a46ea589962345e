"""Bad input, kind by kind (issue 12): every row is exit code 4 and one line naming the file, the key
path, what was found and the fix, before anything connects; never a traceback, a hang or a silent
acceptance, and never a secret's value.

Every row runs through the loaders (`stackaudit.__main__.validate`, what `stackaudit run` and the
plugin call); the rows marked end to end also run through `python -m stackaudit run`, which must
print that one line on stderr and create no run directory.
"""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pytest

from stackaudit.__main__ import validate
from tests.unit.config_breakage import (DELETE, MIB, Case, Site, alias_bomb, append, chmod, directory, env, fifo, inventory,
                                        inventory_text, make_site, policy, remove, sparse, waiver, waivers, workers,
                                        write)
from tests.unit.config_site import encrypted_ssh_key, ssh_key_pair

REPO = Path(__file__).resolve().parents[2]

ENCODINGS_AND_FILE_KINDS = [
    Case("inventory-latin1", inventory_text("cloud:\n  name: caf\xe9\n".encode("latin-1")),
         "inventory.yml: byte 0xe9 at offset 18 is not UTF-8; save it as UTF-8", True),
    Case("inventory-utf16-bom", inventory_text("cloud: {}\n".encode("utf-16")),
         "inventory.yml: starts with a UTF-16 byte order mark; save it as UTF-8", True),
    Case("inventory-utf16-no-bom", inventory_text("cloud: {}\n".encode("utf-16-le")),
         "inventory.yml: a NUL byte at offset 1 (a binary file?); save it as UTF-8 text"),
    Case("inventory-binary", inventory_text(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256))),
         "inventory.yml: a NUL byte at offset 7"),
    Case("inventory-nul-in-value", inventory_text(b"cloud:\n  name: a\x00b\n"), "inventory.yml: a NUL byte at offset 16"),
    Case("inventory-cp1252-quote", inventory_text("cloud: {name: \x93prod\x94}\n".encode("latin-1")),
         "inventory.yml: byte 0x93 at offset 14 is not UTF-8"),
    Case("policy-latin1", write("policy.yml", "# Politique par d\xe9faut\nfirewall: {}\n".encode("latin-1")),
         "policy.yml: byte 0xe9 at offset 17 is not UTF-8; save it as UTF-8"),
    Case("policy-utf16", write("policy.yml", "firewall: {}\n".encode("utf-16")),
         "policy.yml: starts with a UTF-16 byte order mark"),
    Case("waivers-latin1", write("waivers.yml", "waivers: []\n# r\xe9sum\xe9\n".encode("latin-1")),
         "waivers.yml: byte 0xe9 at offset 15 is not UTF-8"),
    Case("waivers-binary", write("waivers.yml", bytes(range(256))), "waivers.yml: a NUL byte at offset 0"),
    Case("inventory-directory", directory("inventory.yml"),
         "inventory.yml: is a directory, not a regular file; point it at a file"),
    Case("inventory-fifo", fifo("inventory.yml"), "inventory.yml: is a FIFO (named pipe), not a regular file", True),
    Case("policy-fifo", fifo("policy.yml"), "policy.yml: is a FIFO (named pipe), not a regular file", True),
    Case("waivers-fifo", fifo("waivers.yml"), "waivers.yml: is a FIFO (named pipe), not a regular file"),
    Case("policy-directory", directory("policy.yml"), "policy.yml: is a directory, not a regular file"),
    Case("inventory-50MB", sparse("inventory.yml", 50 * MIB),
         "inventory.yml: 52428800 bytes, over the 1 MiB limit; point it at the right file", True),
    Case("policy-2MiB", sparse("policy.yml", 2 * MIB), "policy.yml: 2097152 bytes, over the 1 MiB limit"),
    Case("waivers-2MiB", sparse("waivers.yml", 2 * MIB), "waivers.yml: 2097152 bytes, over the 1 MiB limit"),
    Case("inventory-missing", remove("inventory.yml"),
         "inventory.yml: cannot read: No such file or directory; check the --inventory path"),
    Case("waivers-missing", remove("waivers.yml"),
         "waivers.yml: cannot read: No such file or directory; check the --waivers path"),
    Case("inventory-empty", inventory_text(""), "inventory.yml: cloud: missing"),
]

YAML_STRUCTURE = [
    Case("inventory-alias-bomb", inventory_text(alias_bomb()), "inventory.yml: line 2: YAML alias *l0 refused; "
         "write the value out where it is used", True),
    Case("policy-alias-bomb", policy(alias_bomb()), "policy.yml: line 2: YAML alias *l0 refused"),
    Case("waivers-alias-bomb", waivers(alias_bomb()), "waivers.yml: line 2: YAML alias *l0 refused"),
    Case("inventory-one-alias", append("inventory.yml", "extra: &x 1\nmore: *x\n"), "YAML alias *x refused"),
    Case("inventory-merge-key", inventory_text("base: &b {port: 22}\nssh:\n  <<: *b\n"), "line 3: YAML alias *b refused"),
    Case("inventory-deep-nesting", inventory_text("cloud: " + "[" * 100000 + "]" * 100000 + "\n"),
         "inventory.yml: line 1: nested more than 64 levels deep"),
    Case("policy-deep-nesting", policy("firewall: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"),
         "policy.yml: line 1: nested more than 64 levels deep"),
    Case("inventory-duplicate-section", append("inventory.yml", "ssh: {private_key: other, known_hosts: other}\n"),
         "key 'ssh' written twice; keep one of them", True),
    Case("inventory-duplicate-nested-key", inventory_text(
        "cloud:\n  name: test\n  name: prod\n"), "inventory.yml: line 3: key 'name' written twice"),
    Case("policy-duplicate-key", policy("firewall:\n  reject_ports: [8250]\n  reject_ports: [16509]\n"),
         "policy.yml: line 3: key 'reject_ports' written twice"),
    Case("policy-int-and-text-release", policy('system_vms:\n  libssl_floors:\n    7: 1.0.1e-2+deb7u6\n'
                                               '    "7": 1.0.1e-2+deb7u7\n'),
         "system_vms.libssl_floors.7: written twice (as '7' and as text); keep one"),
    Case("waivers-duplicate-key", waivers("waivers: []\nwaivers: []\n"), "waivers.yml: line 2: key 'waivers' written twice"),
    Case("inventory-control-character", inventory_text("cloud: {name: a\x01}\n"),
         "inventory.yml: the character U+0001 at position 15 is not allowed in YAML; remove it"),
    Case("inventory-tab-indent", inventory_text("cloud:\n\tname: x\n"), "inventory.yml: line 2: not valid YAML"),
    Case("inventory-two-documents", inventory_text("cloud: {}\n---\nssh: {}\n"), "not valid YAML; fix the syntax there"),
    Case("inventory-python-tag", inventory_text("cloud: !!python/object/apply:os.system [id]\n"),
         "inventory.yml: line 1: not valid YAML"),
    Case("inventory-binary-tag", inventory_text("cloud: !!binary 'AAAA'\n"), "inventory.yml: cloud: found bytes b'\\x00\\x00\\x00'"),
    Case("waivers-impossible-date", waivers("waivers:\n  - {check: MS-CA-STRICT, expires: 2026-13-45}\n"),
         "waivers.yml: a value YAML cannot convert (ValueError); quote it or fix it"),
    Case("waivers-quoted-impossible-date", waiver(expires="2026-13-45"),
         "waivers[0] (MS-CA-STRICT): expires is '2026-13-45', not a date; write it as YYYY-MM-DD"),
    Case("inventory-top-level-list", inventory_text("- cloud\n- ssh\n"),
         "inventory.yml: found list ['cloud', 'ssh']; expected a mapping"),
    Case("inventory-top-level-text", inventory_text("just words\n"), "inventory.yml: found str 'just words'"),
    Case("inventory-unclosed-flow", inventory_text("cloud: [\n"), "inventory.yml: line 2: not valid YAML"),
    Case("inventory-huge-unknown-key", append("inventory.yml", "k" * 1000 + ": 1\n"),
         "inventory.yml: '" + "k" * 27 + "..." + "k" * 28 + "': unknown key"),
    Case("inventory-unknown-key", append("inventory.yml", "colud: typo\n"),
         "inventory.yml: colud: unknown key; expected one of cloud, ssh"),
]

NUMBERS = [
    Case("ssh-port-70000", inventory("ssh.port", 70000),
         "inventory.yml: ssh.port: found int 70000; expected a whole number from 1 to 65535", True),
    Case("ssh-port-0", inventory("ssh.port", 0), "ssh.port: found int 0; expected a whole number from 1 to 65535"),
    Case("ssh-port-negative", inventory("ssh.port", -22), "ssh.port: found int -22"),
    Case("ssh-port-text", inventory("ssh.port", "ssh"), "ssh.port: found str 'ssh'"),
    Case("ssh-port-bool", inventory("ssh.port", True), "ssh.port: found bool True"),
    Case("ssh-port-float", inventory("ssh.port", 22.5), "ssh.port: found float 22.5"),
    Case("ssh-connect-timeout-0", inventory("ssh.connect_timeout", 0),
         "ssh.connect_timeout: found int 0; expected a whole number of seconds from 1 to 300"),
    Case("ssh-connect-timeout-absurd", inventory("ssh.connect_timeout", 10 ** 30),
         "ssh.connect_timeout: found int 1000000000000000000000000000000; expected a whole number of seconds "
         "from 1 to 300", True),
    Case("ssh-connect-timeout-infinite", inventory("ssh.connect_timeout", float("inf")),
         "ssh.connect_timeout: found float inf"),
    Case("ssh-command-timeout-absurd", inventory("ssh.command_timeout", 99999999),
         "ssh.command_timeout: found int 99999999; expected a whole number of seconds from 1 to 3600"),
    Case("ssh-command-timeout-negative", inventory("ssh.command_timeout", -1), "ssh.command_timeout: found int -1"),
    Case("ssh-max-connections-0", inventory("ssh.max_connections", 0),
         "ssh.max_connections: found int 0; expected a whole number from 1 to 256"),
    Case("ssh-max-connections-huge", inventory("ssh.max_connections", 100000), "ssh.max_connections: found int 100000"),
    Case("xenserver-port-65536", inventory("xenserver.port", 65536), "xenserver.port: found int 65536"),
    Case("xenserver-timeout-overflow", inventory("xenserver.timeout", 10 ** 20),
         "xenserver.timeout: found int 100000000000000000000; expected a whole number of seconds from 1 to 300"),
    Case("database-port-99999", inventory("databases.servers.0.port", 99999), "databases.servers[0].port: found int 99999"),
    Case("system-vm-port-0", inventory("system_vms", {"port": 0}), "system_vms.port: found int 0"),
    Case("policy-answer-cap-0", policy("limits: {xapi_answer_mib: 0}\n"),
         "policy.yml: limits.xapi_answer_mib: found int 0; expected a whole number of MiB from 1 to 4096"),
    Case("policy-answer-seconds-0", policy("limits: {answer_seconds: 0}\n"),
         "policy.yml: limits.answer_seconds: found int 0; expected a whole number of seconds from 1 to 3600"),
    Case("policy-reject-port-70000", policy("firewall: {reject_ports: [8250, 70000]}\n"),
         "policy.yml: firewall.reject_ports[1]: found int 70000; expected a whole number from 1 to 65535"),
    Case("policy-reject-ports-empty", policy("firewall: {reject_ports: []}\n"),
         "policy.yml: firewall.reject_ports: found list []; expected a non-empty list of a whole number", True),
    Case("policy-reject-port-twice", policy("firewall: {reject_ports: [8250, 8250]}\n"),
         "firewall.reject_ports[1]: 8250 is listed twice; keep one"),
    Case("policy-ha-timeout-0", policy("xenserver: {ha_timeout: 0}\n"), "xenserver.ha_timeout: found int 0"),
    Case("policy-min-pool-hosts-huge", policy("xenserver: {min_pool_hosts: 1000}\n"),
         "xenserver.min_pool_hosts: found int 1000; expected a whole number from 1 to 64"),
    Case("policy-lag-negative", policy("database: {max_replication_lag_seconds: -1}\n"),
         "database.max_replication_lag_seconds: found int -1"),
    Case("policy-max-connections-absurd", policy("database: {min_max_connections: 1000000000}\n"),
         "database.min_max_connections: found int 1000000000; expected a whole number from 1 to 100000"),
    Case("policy-lock-wait-text", policy("database: {innodb_lock_wait_timeout: 600s}\n"),
         "database.innodb_lock_wait_timeout: found str '600s'"),
    Case("policy-max-age-0", policy("backups: {max_age_hours: 0}\n"), "backups.max_age_hours: found int 0"),
    Case("policy-max-days-ahead-huge", policy("waivers: {max_days_ahead: 100000}\n"),
         "waivers.max_days_ahead: found int 100000; expected a whole number of days from 1 to 3650"),
    Case("policy-min-servers-0", policy("management: {min_servers: 0}\n"), "management.min_servers: found int 0"),
    Case("policy-section-cap-0", policy("limits: {ssh_section_mib: 0}\n"),
         "limits.ssh_section_mib: found int 0; expected a whole number of MiB from 1 to 1024"),
    Case("policy-unit-cap-huge", policy("limits: {ssh_unit_mib: 100000}\n"),
         "limits.ssh_unit_mib: found int 100000; expected a whole number of MiB from 1 to 4096"),
    Case("policy-unit-cap-text", policy("limits: {ssh_unit_mib: 64MiB}\n"), "limits.ssh_unit_mib: found str '64MiB'"),
    Case("policy-section-over-unit", policy("limits: {ssh_section_mib: 32, ssh_unit_mib: 16}\n"),
         "limits.ssh_section_mib: 32 is more than ssh_unit_mib (16), the cap of a whole batch; lower it, or raise "
         "ssh_unit_mib"),
    Case("policy-sr-types-empty", policy("xenserver: {ha_sr_types: []}\n"), "xenserver.ha_sr_types: found list []"),
    Case("workers-negative", workers("-3"), "--workers: '-3' is not a number of workers", True),
    Case("workers-huge", workers("100000"), "--workers: '100000' is not a number of workers"),
    Case("workers-words", workers("many"), "--workers: 'many' is not a number of workers"),
]

VERSIONS_AND_TEXT = [
    Case("policy-floor-bookworm", policy('system_vms: {libssl_floors: {"12": bookworm}}\n'),
         "policy.yml: system_vms.libssl_floors.12: 'bookworm' is not a Debian version; write it as dpkg shows it",
         True),
    Case("policy-floor-float", policy('system_vms: {libssl_floors: {"12": 3.0}}\n'),
         "system_vms.libssl_floors.12: found float 3.0; expected a Debian version as dpkg shows it, e.g. "
         '"3.0.15-1~deb12u1" (quoted); quote it'),
    Case("policy-floor-release-name", policy("system_vms: {libssl_floors: {bookworm: 3.0.15-1~deb12u1}}\n"),
         "system_vms.libssl_floors.bookworm: 'bookworm' is not a Debian major release; use e.g. \"12\""),
    Case("policy-floor-release-float", policy("system_vms: {libssl_floors: {12.0: 3.0.15-1~deb12u1}}\n"),
         "system_vms.libssl_floors.12.0: 12.0 is not a Debian major release"),
    Case("policy-floor-with-space", policy('system_vms: {libssl_floors: {"12": "3.0.15 -1"}}\n'),
         "system_vms.libssl_floors.12: '3.0.15 -1' is not a Debian version"),
    Case("policy-floor-underscore", policy('system_vms: {libssl_floors: {"12": "3.0_1"}}\n'),
         "'3.0_1' is not a Debian version"),
    Case("policy-floor-empty", policy('system_vms: {libssl_floors: {"12": ""}}\n'),
         "system_vms.libssl_floors.12: found str ''"),
    Case("policy-floor-package-name", policy('system_vms: {libssl_floors: {"9": {"Lib SSL": 1.1.0l-1}}}\n'),
         "system_vms.libssl_floors.9.Lib SSL: found str 'Lib SSL'; expected a Debian package name"),
    Case("policy-floor-package-bookworm", policy('system_vms: {libssl_floors: {"9": {openssl: bookworm}}}\n'),
         "system_vms.libssl_floors.9.openssl: 'bookworm' is not a Debian version"),
    Case("policy-version-4.10-unquoted", policy("xenserver: {ha_required_from: 4.10}\n"),
         "policy.yml: xenserver.ha_required_from: found float 4.1; expected a CloudStack version such as "
         '"4.19.1.0" (quoted); quote it', True),
    Case("policy-version-words", policy("xenserver: {ha_required_from: four}\n"),
         "xenserver.ha_required_from: found str 'four'; expected a CloudStack version"),
    Case("policy-patch-level-float", policy("xenserver: {ha_required_patch_levels: [4.3]}\n"),
         "xenserver.ha_required_patch_levels[0]: found float 4.3"),
    Case("policy-time-zone-unquoted", policy("database: {time_zone: +1:30}\n"),
         "database.time_zone: found int 90; expected a MariaDB time zone such as \"+00:00\" (quoted), SYSTEM or "
         "Europe/Berlin; quote it"),
    Case("policy-time-zone-words", policy("database: {time_zone: 'UTC plus one'}\n"), "database.time_zone: found str"),
    Case("policy-setting-float", policy("management: {global_settings: {cpu.overprovisioning.factor: 4.0}}\n"),
         "management.global_settings.cpu.overprovisioning.factor: found float 4.0; expected the setting's value as "
         "text; quote it"),
    Case("policy-setting-bool", policy("management: {global_settings: {expunge.delay: true}}\n"),
         "management.global_settings.expunge.delay: found bool True"),
    Case("policy-setting-name-space", policy("management: {global_settings: {'expunge delay': '1'}}\n"),
         "management.global_settings.expunge delay: found str 'expunge delay'; expected a CloudStack setting name"),
    Case("policy-v6-prefix-v4", policy("firewall: {v6_management_prefix: 10.0.0.0/8}\n"),
         "'10.0.0.0/8' is not an IPv6 network"),
    Case("policy-v4-exception-garbage", policy("firewall: {v4_exceptions: [everyone]}\n"),
         "firewall.v4_exceptions[0]: 'everyone' is not an IPv4 network"),
    Case("policy-backup-relative", policy("backups: {kvm_hosts: [backups/*.tar.gz]}\n"),
         "backups.kvm_hosts[0]: 'backups/*.tar.gz' is not an absolute path pattern"),
    Case("policy-database-address", policy("database: {address: 'db vip'}\n"),
         "database.address: found str 'db vip'; expected an IP address or a host name"),
    Case("policy-binlog-statement", policy("database: {binlog_format: STATEMENT}\n"),
         "database.binlog_format: found str 'STATEMENT'; expected one of ROW"),
    Case("policy-unknown-section", policy("firewal: {}\n"), "policy.yml: firewal: unknown key"),
]

NAMES = [
    Case("cloud-name-bell", inventory("cloud.name", "prod\x07"),
         "inventory.yml: cloud.name: holds the control character U+0007; remove it", True),
    Case("cloud-name-newline", inventory("cloud.name", "prod\neu1"), "cloud.name: holds the control character U+000A"),
    Case("cloud-name-escape", inventory("cloud.name", "\x1b[31mprod"), "cloud.name: holds the control character U+001B"),
    Case("cloud-name-bidi-override", inventory("cloud.name", "prod\u202eue"),
         "cloud.name: holds the control character U+202E"),
    Case("cloud-name-zero-width", inventory("cloud.name", "prod\u200b"), "cloud.name: holds the control character U+200B"),
    Case("cloud-name-empty", inventory("cloud.name", ""), "cloud.name: found str ''"),
    Case("cloud-name-space", inventory("cloud.name", "prod eu1"),
         "cloud.name: found str 'prod eu1'; expected a name of letters, digits"),
    Case("cloud-name-slash", inventory("cloud.name", "prod/eu1"), "cloud.name: found str 'prod/eu1'"),
    Case("cloud-name-long", inventory("cloud.name", "p" * 10000), "cloud.name: 10000 characters, over 255; shorten it"),
    Case("cloud-name-number", inventory("cloud.name", 2024), "cloud.name: found int 2024"),
    Case("management-name-slash", inventory("management_servers.0.name", "ms/1"),
         "management_servers[0].name: found str 'ms/1'"),
    Case("management-name-twice", inventory("management_servers", [{"name": "ms1"}, {"name": "ms1"}]),
         "management_servers[1].name: 'ms1' is also management_servers[0]'s name; give each its own"),
    Case("database-name-twice", inventory("databases.servers.1.name", "db1"),
         "databases.servers[1].name: 'db1' is also databases.servers[0]'s name; give each its own"),
    Case("database-servers-empty", inventory("databases.servers", []), "databases.servers: found list []"),
    Case("database-address-words", inventory("databases.servers.0.address", "not a host!"),
         "databases.servers[0].address: found str 'not a host!'; expected an IP address or a host name"),
    Case("database-address-bad-ip", inventory("databases.servers.0.address", "198.18.0.999"),
         "databases.servers[0].address: found str '198.18.0.999'"),
    Case("database-alias-space", inventory("databases.servers.1.aliases", ["db 2"]),
         "databases.servers[1].aliases[0]: found str 'db 2'"),
    Case("ssh-address-control", inventory("management_servers.0.ssh_address", "198.18.0.11\r"),
         "management_servers[0].ssh_address: holds the control character U+000D"),
    Case("ssh-user-newline", inventory("ssh.user", "root\n"), "ssh.user: holds the control character U+000A"),
    Case("ssh-user-space", inventory("ssh.user", "ro ot"), "ssh.user: found str 'ro ot'; expected a user name"),
    Case("database-user-empty", inventory("databases.user", " "), "databases.user: found str ' '"),
    Case("key-on-host-relative", inventory("system_vms", {"key_on_host": "id_rsa.cloud"}),
         "system_vms.key_on_host: found str 'id_rsa.cloud'; expected an absolute path on the remote machine"),
    Case("jump-host-unknown", inventory("system_vms", {"vmware_jump_host": "ms9"}),
         "system_vms.vmware_jump_host: 'ms9' is not a management server with an ssh_address"),
    Case("host-keys-tofu", inventory("system_vms", {"host_keys": "tofu"}),
         "system_vms.host_keys: found str 'tofu'; expected one of pinned, known_hosts"),
    Case("policy-path-control", inventory("policy", "policy.yml\x00"), "policy: holds the control character U+0000"),
    Case("waiver-reason-control", waiver(reason="ok\x1b[2J"), "waivers[0] (MS-CA-STRICT): reason: holds the control "
         "character U+001B"),
    Case("waiver-check-huge", waiver(check="X" * 100000),
         "waivers[0] (no check): check: 100000 characters, over 4096; shorten it"),
    Case("waiver-unknown-check", waiver(check="DB-NOPE"), "waivers[0] (DB-NOPE): check 'DB-NOPE' is not a check ID"),
    Case("waiver-target-not-id", waiver(target="db2"), "target 'db2' is not a target id or a glob of one"),
    Case("waiver-expires-far", waiver(expires="2099-01-01"), "expires 2099-01-01 is more than 180 days ahead"),
    Case("waivers-not-a-list", waivers("waivers: {check: MS-CA-STRICT}\n"),
         "waivers.yml: expected one key, waivers, holding a list of waivers"),
]

URLS = [
    Case("endpoint-ftp", inventory("cloud.api.endpoint", "ftp://cloud.example.com/client/api"),
         "cloud.api.endpoint: found str 'ftp://cloud.example.com/client/api'; expected an http(s) URL", True),
    Case("endpoint-userinfo", inventory("cloud.api.endpoint", "https://admin:Planted-Userinfo-Pw@cloud.example.com/api"),
         "cloud.api.endpoint: holds a user name or password before '@'; remove it", True),
    Case("endpoint-user-only", inventory("cloud.api.endpoint", "https://admin@cloud.example.com/api"),
         "cloud.api.endpoint: holds a user name or password before '@'"),
    Case("endpoint-no-scheme", inventory("cloud.api.endpoint", "cloud.example.com/client/api"),
         "cloud.api.endpoint: found str 'cloud.example.com/client/api'"),
    Case("endpoint-no-host", inventory("cloud.api.endpoint", "https://:8080/client/api"), "cloud.api.endpoint: found str"),
    Case("endpoint-bad-port", inventory("cloud.api.endpoint", "https://cloud.example.com:99999/client/api"),
         "cloud.api.endpoint: found str 'https://cloud.example.com:99999/client/api'"),
    Case("endpoint-query", inventory("cloud.api.endpoint", "https://cloud.example.com/client/api?apikey=x"),
         "cloud.api.endpoint: found str"),
    Case("endpoint-space", inventory("cloud.api.endpoint", "https://cloud.example.com/client api"),
         "cloud.api.endpoint: found str"),
    Case("endpoint-number", inventory("cloud.api.endpoint", 8080), "cloud.api.endpoint: found int 8080"),
    Case("endpoint-missing", inventory("cloud.api.endpoint", DELETE), "cloud.api.endpoint: missing"),
]

# TLS is verified unless the inventory opts out in so many words (insecure: true), and then only where
# the opt-out weakens something: summary.json lists the channels it leaves unverified.
XAPI_NO_CA = ("xenserver.ca_file: missing; give the CA bundle (PEM) that signed the servers' TLS certificates, or "
              "write insecure: true to connect without verifying them")
API_VERIFY_OFF = ("cloud.api.verify: false turns off the API's TLS certificate check, so anyone on the path can answer "
                  "as the API; give true or a CA bundle's path, or set cloud.api.insecure: true to accept that")
TLS_OPT_OUTS = [
    Case("xapi-no-ca-file", inventory("xenserver.ca_file", DELETE), "inventory.yml: " + XAPI_NO_CA, True),
    Case("xapi-ca-file-null", inventory("xenserver.ca_file", None), XAPI_NO_CA),
    Case("xapi-no-ca-file-insecure-false", inventory("xenserver.ca_file", DELETE, "xenserver.insecure", False),
         XAPI_NO_CA),
    Case("xapi-insecure-text", inventory("xenserver.ca_file", DELETE, "xenserver.insecure", "true"),
         "xenserver.insecure: found str 'true'; expected true or false"),
    Case("xapi-insecure-null", inventory("xenserver.ca_file", DELETE, "xenserver.insecure", None),
         "xenserver.insecure: found nothing; expected true or false"),
    Case("xapi-insecure-and-ca-file", inventory("xenserver.insecure", True),
         "inventory.yml: xenserver.insecure: true, but ca_file is given too; remove insecure to verify TLS against "
         "ca_file, or remove ca_file"),
    Case("api-http", inventory("cloud.api.endpoint", "http://198.18.0.1:8080/client/api"),
         "inventory.yml: cloud.api.endpoint: 'http://198.18.0.1:8080/client/api' is not TLS: the API key and every "
         "answer travel in clear text; use https://, or set cloud.api.insecure: true to accept that", True),
    Case("api-http-upper-case", inventory("cloud.api.endpoint", "HTTP://198.18.0.1/client/api"),
         "cloud.api.endpoint: 'HTTP://198.18.0.1/client/api' is not TLS"),
    Case("api-http-insecure-false", inventory("cloud.api.endpoint", "http://198.18.0.1/client/api",
                                              "cloud.api.insecure", False), "cloud.api.endpoint: "),
    Case("api-verify-false", inventory("cloud.api.verify", False), "inventory.yml: " + API_VERIFY_OFF, True),
    Case("api-verify-false-text", inventory("cloud.api.verify", "False"), API_VERIFY_OFF),
    Case("api-insecure-needless", inventory("cloud.api.insecure", True),
         "inventory.yml: cloud.api.insecure: true, but the endpoint is https:// and its certificate is verified; "
         "remove it"),
    Case("api-insecure-with-ca-bundle", inventory("cloud.api.insecure", True, "cloud.api.verify", "keys/ca.pem"),
         "cloud.api.insecure: true, but the endpoint is https://"),
    Case("api-insecure-yes-text", inventory("cloud.api.endpoint", "http://198.18.0.1/client/api",
                                            "cloud.api.insecure", "yes"),
         "cloud.api.insecure: found str 'yes'; expected true or false"),
]


def fingerprints_file(text: str | bytes, **system_vms) -> Callable[[Site], None]:
    """system_vms.host_key_fingerprints naming a file of this text (config/host_key_fingerprints.py)."""
    def change(site: Site) -> None:
        write("keys/vm-fingerprints", text)(site)
        inventory("system_vms", {"host_key_fingerprints": "keys/vm-fingerprints", **system_vms})(site)
    return change


GOOD_FINGERPRINT = "SHA256:RlHd5xeJyojJFwTPMblNnR0YJ7I+LFrmauR58M0Hv6s"

FILES_NAMED = [
    Case("fingerprints-missing", inventory("system_vms", {"host_key_fingerprints": "keys/nowhere"}),
         "system_vms.host_key_fingerprints: {dir}/keys/nowhere: cannot read: No such file or directory; fix the path",
         True),
    Case("fingerprints-md5", fingerprints_file(f"{GOOD_FINGERPRINT}\nMD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48\n"),
         "system_vms.host_key_fingerprints: {dir}/keys/vm-fingerprints line 2: an MD5 fingerprint; give SHA256 ones "
         "(ssh-keygen -lf -E sha256)"),
    Case("fingerprints-truncated", fingerprints_file("256 SHA256:RlHd5xeJyojJFwTPMblNnR0Y root@systemvm (ED25519)\n"),
         "{dir}/keys/vm-fingerprints line 1: 'SHA256:RlHd5xeJyojJFwTPMblNnR0Y' is not a SHA256 fingerprint; write one "
         "fingerprint a line as `ssh-keygen -lf` prints it (SHA256: and 43 base64 characters)", True),
    Case("fingerprints-not-32-bytes", fingerprints_file(GOOD_FINGERPRINT[:-1] + "t\n"),
         "{dir}/keys/vm-fingerprints line 1: 'SHA256:RlHd5xeJyojJFwTPMblNnR0YJ7I+LFrmauR58M0Hv6t' is not a SHA256 "
         "fingerprint"),
    Case("fingerprints-public-key-line", fingerprints_file("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB root@systemvm\n"),
         "{dir}/keys/vm-fingerprints line 1: 'ssh-ed25519' is not a SHA256 fingerprint"),
    Case("fingerprints-only-comments", fingerprints_file("# systemvm-kvm-4.19.1\n\n"),
         "system_vms.host_key_fingerprints: {dir}/keys/vm-fingerprints: no fingerprint in the file; write one "
         "fingerprint a line as `ssh-keygen -lf` prints it (SHA256: and 43 base64 characters), or remove the key to "
         "pin on first use"),
    Case("fingerprints-with-known-hosts", fingerprints_file(GOOD_FINGERPRINT + "\n", host_keys="known_hosts"),
         "system_vms.host_key_fingerprints: given with host_keys: known_hosts, which checks keys against "
         "ssh.known_hosts; remove one of the two"),
    Case("fingerprints-directory", lambda site: (fingerprints_file(GOOD_FINGERPRINT)(site),
                                                 directory("keys/vm-fingerprints")(site)),
         "system_vms.host_key_fingerprints: {dir}/keys/vm-fingerprints: is a directory, not a regular file"),
    Case("fingerprints-latin1", fingerprints_file(b"# cl\xe9s du mod\xe8le\n"),
         "system_vms.host_key_fingerprints: {dir}/keys/vm-fingerprints: byte 0xe9 at offset 4 is not UTF-8"),
    Case("private-key-missing", inventory("ssh.private_key", "keys/nowhere"),
         "ssh.private_key: {dir}/keys/nowhere: cannot read: No such file or directory; fix the path"),
    Case("private-key-readable-by-others", chmod("keys/id_ed25519", 0o644),
         "ssh.private_key: {dir}/keys/id_ed25519 is open to group or others (mode 0644); run chmod 600", True),
    Case("private-key-group-readable", chmod("keys/id_ed25519", 0o640), "(mode 0640); run chmod 600"),
    Case("private-key-empty", write("keys/id_ed25519", ""), "ssh.private_key: {dir}/keys/id_ed25519 is empty"),
    Case("private-key-directory", directory("keys/id_ed25519"), "ssh.private_key: {dir}/keys/id_ed25519: is a directory"),
    Case("private-key-fifo", fifo("keys/id_ed25519"), "ssh.private_key: {dir}/keys/id_ed25519: is a FIFO"),
    Case("private-key-device", inventory("ssh.private_key", "/dev/zero"),
         "ssh.private_key: /dev/zero: is a character device, not a regular file"),
    Case("private-key-garbage", write("keys/id_ed25519", "not a key\n"),
         "ssh.private_key: {dir}/keys/id_ed25519 is not a private key paramiko reads"),
    Case("private-key-is-public", lambda site: write("keys/id_ed25519", ssh_key_pair()[1] + "\n")(site),
         "is not a private key paramiko reads"),
    Case("private-key-encrypted", lambda site: write("keys/id_ed25519", encrypted_ssh_key())(site),
         "ssh.private_key: {dir}/keys/id_ed25519 is protected by a passphrase"),
    Case("private-key-latin1", write("keys/id_ed25519", b"\xe9t\xe9\n"), "ssh.private_key: {dir}/keys/id_ed25519: byte 0xe9"),
    Case("known-hosts-missing", remove("known_hosts"), "ssh.known_hosts: {dir}/known_hosts: cannot read"),
    Case("known-hosts-empty", write("known_hosts", "# nothing yet\n"),
         "ssh.known_hosts: {dir}/known_hosts holds no host key, so every host would be refused"),
    Case("known-hosts-garbage-line", append("known_hosts", "198.18.0.30 oops\n"),
         "ssh.known_hosts: {dir}/known_hosts line 3: not a host key line paramiko reads"),
    Case("known-hosts-bad-base64", append("known_hosts", "198.18.0.30 ssh-ed25519 AAAA!!!!\n"),
         "{dir}/known_hosts line 3: not a host key line"),
    Case("known-hosts-revoked-marker", append("known_hosts", "@revoked * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n"),
         "{dir}/known_hosts line 3: markers such as '@revoked' are not read by paramiko"),
    Case("known-hosts-fifo", fifo("known_hosts"), "ssh.known_hosts: {dir}/known_hosts: is a FIFO"),
    Case("known-hosts-binary", write("known_hosts", bytes(range(256))), "ssh.known_hosts: {dir}/known_hosts: a NUL byte"),
    Case("ca-file-missing", remove("keys/ca.pem"), "xenserver.ca_file: {dir}/keys/ca.pem: cannot read", True),
    Case("ca-file-not-pem", write("keys/ca.pem", "hello\n"),
         "xenserver.ca_file: {dir}/keys/ca.pem holds no PEM certificate"),
    Case("ca-file-bad-body", write("keys/ca.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
         "xenserver.ca_file: {dir}/keys/ca.pem is not a PEM certificate bundle OpenSSL reads"),
    Case("ca-file-directory", directory("keys/ca.pem"), "xenserver.ca_file: {dir}/keys/ca.pem: is a directory"),
    Case("verify-ca-missing", inventory("cloud.api.verify", "keys/api-ca.pem"),
         "cloud.api.verify: {dir}/keys/api-ca.pem: cannot read"),
    Case("verify-number", inventory("cloud.api.verify", 42), "cloud.api.verify: found int 42"),
    Case("verify-null", inventory("cloud.api.verify", None),
         "cloud.api.verify: found nothing; expected true, false, or the path of a CA bundle"),
    Case("private-key-unknown-user-home", inventory("ssh.private_key", "~nosuchuser-sa/.ssh/id_ed25519"),
         "ssh.private_key: '~nosuchuser-sa' names no user's home directory; write the path out"),
    Case("secret-file-empty", write("keys/api.secret", "\n"),
         "cloud.api.secret_file: {dir}/keys/api.secret is empty; put the secret in it", True),
    Case("secret-file-directory", directory("keys/api.secret"), "cloud.api.secret_file: {dir}/keys/api.secret: is a directory"),
    Case("secret-file-fifo", fifo("keys/xapi.password"), "xenserver.password_file: {dir}/keys/xapi.password: is a FIFO"),
    Case("secret-file-readable", chmod("keys/xapi.password", 0o644),
         "xenserver.password_file: {dir}/keys/xapi.password is open to group or others (mode 0644)"),
    Case("secret-file-two-lines", write("keys/api.secret", "planted-api-secret-77ab\nsecond\n"),
         "cloud.api.secret_file: {dir}/keys/api.secret holds more than one line"),
    Case("secret-file-latin1", write("keys/api.secret", b"planted-api-secret-77ab\xe9\n"),
         "cloud.api.secret_file: {dir}/keys/api.secret: byte 0xe9 at offset 23 is not UTF-8"),
    Case("secret-file-missing", remove("keys/xapi.password"), "xenserver.password_file: {dir}/keys/xapi.password: cannot read"),
    Case("key-env-unset", env("SA_TEST_API_KEY", None),
         "cloud.api.key_env: environment variable SA_TEST_API_KEY is not set or empty; export it before the run", True),
    Case("key-env-empty", env("SA_TEST_API_KEY", ""), "cloud.api.key_env: environment variable SA_TEST_API_KEY is not set"),
    Case("key-env-blank", env("SA_TEST_API_KEY", "  "), "cloud.api.key_env: environment variable SA_TEST_API_KEY is not set"),
    Case("db-password-env-unset", env("SA_TEST_DB_PASSWORD", None),
         "databases.password_env: environment variable SA_TEST_DB_PASSWORD is not set or empty", True),
    Case("key-env-holds-the-secret", inventory("cloud.api.key_env", "Zm9vYmFyLXBsYW50ZWQtYXBpLWtleQ-_x+/=="),
         "cloud.api.key_env: found text that is not an environment variable name (letters, digits, '_') (not "
         "shown: it may be a secret); write the name here, never the value"),
    Case("key-env-secret-shaped-name", inventory("cloud.api.key_env", "Zm9vYmFyLXBsYW50ZWQtYXBpLWtleQ"),
         "cloud.api.key_env: environment variable the variable it names is not set"),
    Case("inline-password", inventory("databases.password", "Planted-Inline-Pw"),
         "databases.password: inline secrets are refused; use password_env"),
    Case("secret-both-sources", inventory("xenserver.password_env", "SA_TEST_DB_PASSWORD"),
         "xenserver.password_env: give exactly one of password_env or password_file"),
    Case("secret-no-source", inventory("cloud.api.key_env", DELETE), "cloud.api.key_env: give exactly one of key_env or key_file"),
    Case("policy-missing", remove("policy.yml"), "policy: {dir}/policy.yml does not exist; fix the path"),
]

# MariaDB/MySQL over TLS verified against databases.ca_file; no CA file only with `insecure: true` written.
DATABASE_TLS = [
    Case("db-ca-file-absent", inventory("databases.ca_file", DELETE),
         "inventory.yml: databases.ca_file: missing; give the CA bundle (PEM) that signed the servers' TLS "
         "certificates, or write insecure: true to connect without verifying them", True),
    Case("db-ca-file-null", inventory("databases.ca_file", None), "databases.ca_file: missing; give the CA bundle"),
    Case("db-ca-file-and-insecure", inventory("databases.insecure", True),
         "inventory.yml: databases.insecure: true, but ca_file is given too; remove insecure to verify TLS against "
         "ca_file, or remove ca_file", True),
    Case("db-insecure-false-no-ca", inventory("databases", {
        "user": "stackaudit", "password_env": "SA_TEST_DB_PASSWORD", "insecure": False,
        "servers": [{"name": "db1", "address": "198.18.0.21"}]}), "databases.ca_file: missing"),
    Case("db-insecure-word", inventory("databases.insecure", "yes please"),
         "databases.insecure: found str 'yes please'; expected true or false"),
    Case("db-insecure-quoted", inventory("databases.insecure", "true"),
         "databases.insecure: found str 'true'; expected true or false"),
    Case("db-ca-file-missing", remove("keys/db-ca.pem"), "databases.ca_file: {dir}/keys/db-ca.pem: cannot read"),
    Case("db-ca-file-not-pem", write("keys/db-ca.pem", "hello\n"),
         "databases.ca_file: {dir}/keys/db-ca.pem holds no PEM certificate (-----BEGIN CERTIFICATE-----); point "
         "it at the CA bundle in PEM"),
    Case("db-ca-file-bad-body", write("keys/db-ca.pem",
                                      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
         "databases.ca_file: {dir}/keys/db-ca.pem is not a PEM certificate bundle OpenSSL reads"),
    Case("db-ca-file-directory", directory("keys/db-ca.pem"), "databases.ca_file: {dir}/keys/db-ca.pem: is a directory"),
    Case("db-ca-file-number", inventory("databases.ca_file", 7), "databases.ca_file: found int 7"),
]

CASES = (ENCODINGS_AND_FILE_KINDS + YAML_STRUCTURE + NUMBERS + VERSIONS_AND_TEXT + NAMES + URLS + TLS_OPT_OUTS
         + FILES_NAMED + DATABASE_TLS)


def broken_site(tmp_path: Path, case: Case):
    site = make_site(tmp_path / "site")
    case.breaks(site)
    return site


def expected(case: Case, site) -> str:
    return case.fragment.replace("{dir}", str(site.directory))


def check_line(line: str, case: Case, site) -> None:
    assert expected(case, site) in line, line
    assert "\n" not in line and len(line) < 600, line
    leaked = [secret for secret in site.secrets() if secret in line]
    assert not leaked, f"{line} holds {leaked}"


def test_the_table_covers_the_issue_and_more():
    assert len({c.name for c in CASES}) == len(CASES) >= 105
    assert sum(c.end_to_end for c in CASES) >= 15


def test_the_valid_site_passes_so_each_row_fails_for_its_own_reason(tmp_path, monkeypatch):
    site = make_site(tmp_path)
    for name, value in site.env.items():
        monkeypatch.setenv(name, value)
    assert validate(str(site.inventory), str(site.waivers), site.workers) is None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_naming_the_file_key_and_fix(tmp_path, monkeypatch, case):
    site = broken_site(tmp_path, case)
    for name in ("SA_TEST_API_KEY", "SA_TEST_DB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in site.env.items():
        monkeypatch.setenv(name, value)
    line = validate(str(site.inventory), str(site.waivers), site.workers)       # timed: make bench-config
    assert line is not None, "accepted silently"
    check_line(line, case, site)


END_TO_END = [c for c in CASES if c.end_to_end]


# Through plain pytest too (the plugin validates in pytest_configure): one row of each family.
THROUGH_PYTEST = ("inventory-fifo", "inventory-alias-bomb", "policy-reject-ports-empty", "endpoint-userinfo",
                  "private-key-readable-by-others", "key-env-unset", "xapi-no-ca-file")


def run_command(case: Case, work: Path, command: str):
    site = broken_site(work, case)
    reports = site.directory / "reports"
    arguments = {"stackaudit": ["-m", "stackaudit", "run", f"--reports={reports}", f"--workers={site.workers}"],
                 "pytest": ["-m", "pytest", f"--reports-dir={reports}", "-p", "no:randomly", "-q"]}[command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SA_TEST_")} | site.env
    done = subprocess.run([sys.executable, *arguments, f"--inventory={site.inventory}", f"--waivers={site.waivers}"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, env=env)
    return (command, case.name), (site, reports, done)


@pytest.fixture(scope="module")
def end_to_end_runs(tmp_path_factory):
    """The end-to-end rows through `python -m stackaudit run`, and a few through pytest, four at a time."""
    runs = [(case, "stackaudit") for case in END_TO_END] + \
           [(case, "pytest") for case in CASES if case.name in THROUGH_PYTEST]
    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(lambda run: run_command(run[0], tmp_path_factory.mktemp(run[0].name), run[1]), runs))


@pytest.mark.integration
@pytest.mark.parametrize("case", END_TO_END, ids=[c.name for c in END_TO_END])
def test_stackaudit_run_stops_with_exit_4_one_line_and_no_run_directory(end_to_end_runs, case):
    site, reports, done = end_to_end_runs[("stackaudit", case.name)]
    assert done.returncode == 4, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("stackaudit: ")
    check_line(line, case, site)
    assert not reports.exists()


@pytest.mark.integration
@pytest.mark.parametrize("name", THROUGH_PYTEST)
def test_pytest_with_the_plugin_stops_with_exit_4_and_the_same_line(end_to_end_runs, name):
    case = next(c for c in CASES if c.name == name)
    site, reports, done = end_to_end_runs[("pytest", name)]
    assert done.returncode == 4, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert line.startswith("Exit: stackaudit: ")      # pytest.exit's own prefix
    check_line(line, case, site)
    assert not reports.exists()

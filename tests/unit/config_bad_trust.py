"""Bad input rows (test_config_bad_input.py): TLS opt-outs, the files the inventory names (keys, host key
fingerprints, secrets, the policy) and the databases' TLS."""
from __future__ import annotations

from typing import Callable

from tests.unit.config_breakage import (DELETE, Case, Site, append, chmod, directory, env, fifo, inventory, remove,
                                        write)
from tests.unit.config_site import encrypted_ssh_key, ssh_key_pair


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

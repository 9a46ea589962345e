"""System VM host keys, pinned by CloudStack id on first use, in a state file beside the reports.

A known_hosts file keyed by address cannot name a system VM: link-local addresses (169.254.x.y)
repeat behind other hosts, pods and zones and are reused over time, and a recreated router is a new
VM. The trust anchor is the connection to the VM's host (its key checked against known_hosts)
and the host's own cloud0 bridge, the only path to the link-local address. On that path each VM's
key is pinned under its CloudStack id; later runs compare.

CloudStack's sources say when a system VM's key changes (apache/cloudstack, main):
- tools/appliance/systemvmtemplate/http/preseed_x86_64.cfg installs openssh-server in the Debian
  installer, whose postinst makes the host keys once, at template build. No build script after it
  (template-base_x86_64-target_x86_64.json's provisioners: cleanup.sh, finalize.sh, ...) removes
  /etc/ssh/ssh_host_* or runs ssh-keygen.
- At every boot, cloud-early-config / bootstrap.sh patch() copies only authorized_keys from the
  patch ISO; init.sh setup_interface_sshd and common.sh setup_sshd only set ListenAddress and the
  3922 rule; postinit.sh and patchsystemvm.sh touch no key.
So a key survives reboots and patches: pinning per id (not per boot) never reads a reboot as an
attack. A VM rebuilt from another template (after an upgrade) has that template's key; its id is
new when CloudStack recreates it, and the same when a router is restarted onto a new template,
which is reported as a changed key with the way to accept it. CloudStack itself connects with
StrictHostKeyChecking=no (scripts/network/domr/router_proxy.sh): the pin is the suite's own check.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import paramiko

from stackaudit.errors import CollectionFailed, HostKeyRejected

PIN_FILE_NAME = "system-vm-host-keys.json"


def fingerprint(key: paramiko.PKey) -> str:
    """As `ssh-keygen -lf` prints it: SHA256, base64 without padding."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


class PinnedHostKeys:
    """{vm id: {name, key_type, fingerprint, pinned}} in one JSON file; every read-modify-write
    holds an exclusive lock, since xdist workers may meet different new system VMs at once."""

    def __init__(self, path: Path):
        self.path = path

    def verify(self, vm_id: str, target_id: str, template: str | None, key: paramiko.PKey) -> str:
        """The note for the evidence; HostKeyRejected (broken) when the id's key changed.
        `template` is the API's templatename (or templateid): the template the key came from."""
        seen = fingerprint(key)
        with self._locked():
            pins = self._load()
            pin = pins.get(vm_id)
            if pin is None:
                when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                pins[vm_id] = {"name": target_id, "key_type": key.get_name(), "fingerprint": seen, "pinned": when,
                               "template": template}
                self._save(pins)
                return f"first use: pinned {seen} ({key.get_name()}) for CloudStack id {vm_id} in {self.path}"
        if pin.get("fingerprint") == seen:
            return f"host key {seen} matches the key pinned for CloudStack id {vm_id} on {pin.get('pinned')}"
        if pin.get("template") and template and pin["template"] != template:
            why = (f"its template changed since the pin ({pin['template']} -> {template}), and a template brings "
                   "its own keys")
        else:
            why = (f"its template is the same ({template or 'not listed'}): system VM keys are made at template "
                   "build and kept across reboots and patches, so this is not a reboot")
        raise HostKeyRejected(
            f"{target_id}: host key changed for CloudStack id {vm_id}: pinned {pin.get('fingerprint')} "
            f"({pin.get('key_type')}, {pin.get('pinned')}), now {seen} ({key.get_name()}); {why}. If the VM was "
            f"rebuilt on purpose, accept the new key by deleting the entry \"{vm_id}\" from {self.path}")

    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return _FileLock(self.path.with_name(self.path.name + ".lock"))

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise CollectionFailed(f"{self.path}: cannot read the pinned system VM host keys ({err}); "
                                   "fix or delete the file") from None
        if not isinstance(data, dict):
            raise CollectionFailed(f"{self.path}: not a mapping of system VM ids; fix or delete the file")
        return data

    def _save(self, pins: dict) -> None:
        """Written whole to a temporary file and renamed: a reader never sees half a file."""
        fd, temporary = tempfile.mkstemp(prefix=self.path.name + ".", dir=self.path.parent)
        with os.fdopen(fd, "w") as out:
            json.dump(pins, out, indent=1, sort_keys=True)
            out.write("\n")
        os.replace(temporary, self.path)


class _FileLock:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


class PinningPolicy(paramiko.MissingHostKeyPolicy):
    """paramiko asks it about every key (nothing is loaded from known_hosts for system VMs)."""

    def __init__(self, check):
        self.check = check
        self.note: str | None = None

    def missing_host_key(self, client, hostname, key):
        self.note = self.check(key)

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

A first use verifies nothing: whoever answered at that address that night is pinned. So it is never
quiet: its evidence starts with TRUST ON FIRST USE, and summary.json lists every key pinned in the
run (`first_use_pins`; each pin records the run that made it). A site that knows its templates' keys
gives them instead (inventory `system_vms.host_key_fingerprints`, config/host_key_fingerprints.py):
then each VM's key must be one of them (`ListedHostKeys`), with no first use and no pin file.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import time
from pathlib import Path

import paramiko

from stackaudit.config.safe_files import open_lock_file, private_dir, read_regular, write_file
from stackaudit.errors import CollectionFailed, HostKeyRejected

PIN_FILE_NAME = "system-vm-host-keys.json"
# How the evidence of a result whose VM key was pinned in this run begins.
FIRST_USE = "TRUST ON FIRST USE: pinned in this run"


def fingerprint(key: paramiko.PKey) -> str:
    """As `ssh-keygen -lf` prints it: SHA256, base64 without padding."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


class PinnedHostKeys:
    """{vm id: {name, key_type, fingerprint, pinned}} in one JSON file; every read-modify-write
    holds an exclusive lock, since xdist workers may meet different new system VMs at once."""

    def __init__(self, path: Path, run: str | None = None):
        self.path = path
        self.run = run      # this run's own mark, kept with each pin it makes (`pinned_in_run`)

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
                               "template": template, "run": self.run}
                self._save(pins)
                return (f"{FIRST_USE}: {seen} ({key.get_name()}) for CloudStack id {vm_id}, never seen before, is "
                        f"NOT VERIFIED: whatever answered is trusted from now on (pinned in {self.path}). Compare it "
                        "with the system VM template's key, or list the templates' keys in the inventory's "
                        "system_vms.host_key_fingerprints to verify without a first use")
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

    def pinned_in_run(self) -> list[dict]:
        """summary.json's `first_use_pins`: the keys this run pinned, {target, vm_id, fingerprint}, by target."""
        if self.run is None or not self.path.exists():
            return []
        try:
            with self._locked():
                pins = self._load()
        except (OSError, CollectionFailed):    # its results are broken, saying why
            return []
        made = [{"target": pin.get("name"), "vm_id": vm_id, "fingerprint": pin.get("fingerprint")}
                for vm_id, pin in pins.items() if isinstance(pin, dict) and pin.get("run") == self.run]
        return sorted(made, key=lambda p: (str(p["target"]), p["vm_id"]))

    def _locked(self):
        try:
            private_dir(self.path.parent)
        except OSError as err:
            raise CollectionFailed(f"{self.path.parent}: cannot keep the pinned system VM host keys there "
                                   f"({err.strerror})") from None
        return _FileLock(self.path.with_name(self.path.name + ".lock"))

    def _load(self) -> dict:
        return read_pins(self.path)

    def _save(self, pins: dict) -> None:
        """Written whole to a temporary file and renamed: a reader never sees half a file."""
        write_file(self.path, json.dumps(pins, indent=1, sort_keys=True) + "\n")


def read_pins(path: Path) -> dict:
    """The pin file's {vm id: pin}, {} when there is none yet; CollectionFailed when it cannot be read.
    Reads only: `stackaudit known-hosts` compares with it without the lock a run's pinning takes."""
    try:
        data = json.loads(read_regular(path))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise CollectionFailed(f"{path}: cannot read the pinned system VM host keys ({err}); "
                               "fix or delete the file") from None
    if not isinstance(data, dict):
        raise CollectionFailed(f"{path}: not a mapping of system VM ids; fix or delete the file")
    return data


class ListedHostKeys:
    """The inventory's fingerprints file (system_vms.host_key_fingerprints): a VM's key must be one of
    the listed keys (its template's, collected out of band). No first use, no pin file."""

    def __init__(self, path: Path, fingerprints: frozenset[str]):
        self.path = path
        self.fingerprints = fingerprints

    def verify(self, vm_id: str, target_id: str, template: str | None, key: paramiko.PKey) -> str:
        seen = fingerprint(key)
        if seen in self.fingerprints:
            return (f"host key {seen} ({key.get_name()}) of CloudStack id {vm_id} verified against the fingerprints "
                    f"file {self.path}")
        raise HostKeyRejected(
            f"{target_id}: host key {seen} ({key.get_name()}) of CloudStack id {vm_id} is not in the fingerprints "
            f"file {self.path} (template {template or 'not listed'}); if the VM's template is new, add its keys' "
            "fingerprints (ssh-keygen -lf on the template's /etc/ssh/ssh_host_*_key.pub) to the file")

    def pinned_in_run(self) -> list[dict]:
        return []


def system_vm_host_keys(fingerprints_file: Path | None, fingerprints: frozenset[str], reports_dir: Path,
                        run: str | None = None) -> PinnedHostKeys | ListedHostKeys:
    """How system VM keys are verified: against the inventory's fingerprints file if it gives one,
    else pinned on first use in the reports directory."""
    if fingerprints_file is not None:
        return ListedHostKeys(fingerprints_file, fingerprints)
    return PinnedHostKeys(reports_dir / PIN_FILE_NAME, run)


class _FileLock:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        try:
            self.fd = open_lock_file(self.path)
        except OSError as err:
            raise CollectionFailed(f"{self.path}: cannot lock the pinned system VM host keys ({err.strerror}); "
                                   "fix or delete the file") from None
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

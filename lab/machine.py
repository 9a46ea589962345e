"""One lab machine: a network namespace, a mount namespace with its own view of some directories,
a PID namespace under tini, and a real sshd.

A view is a writable overlay mounted over a directory of the real filesystem, inside the machine's
private mount namespace only: the lab's files for that machine are the top layer, the real
directory is below, and whatever the machine writes lands in the machine's own upper layer. The
root filesystem is never changed. Because each machine has its own PID namespace and /proc, a
process check on one lab host sees only that host's processes.
"""
from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

WHITEOUT = None  # a file whose content is WHITEOUT is hidden in the machine's view


@dataclass
class Service:
    """A long-running process inside the machine, started before sshd."""
    name: str
    argv: list[str]
    user: str | None = None  # run as this user (looked up in the machine's own /etc/passwd)
    daemonizes: bool = False  # forks into the background itself; the next service waits for that
    pid_file: str | None = None   # where its PID is written, as systemd's PIDFile= (not for daemonizes)


@dataclass
class MachineSpec:
    name: str
    kind: str                 # kvm-host, xs-host, systemvm (ssvm, cpvm, router), db, mgmt
    netns: str
    ssh_address: str          # where its sshd listens
    ssh_port: int = 22
    address6: str | None = None
    views: tuple[str, ...] = ("/etc", "/root", "/run")
    files: dict[str, str | None] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    opaque_dirs: tuple[str, ...] = ()
    symlinks: dict[str, str] = field(default_factory=dict)   # path -> target, as `ln -s target path`
    services: list[Service] = field(default_factory=list)
    iptables_v4: str | None = None    # running rules, iptables-restore format
    iptables_v6: str | None = None
    iptables_legacy_v4: str | None = None   # legacy tables beside the nf_tables ones
    network_setup: list[str] = field(default_factory=list)  # `ip` commands run inside the netns at boot
    mtimes: dict[str, float] = field(default_factory=dict)   # path -> modification time of that file
    # file systems mounted in the machine's own mount namespace at boot, (type, path, options), such as
    # cgroup2 on /sys/fs/cgroup: the host's mounts there are hidden from the machine, never changed
    mounts: tuple[tuple[str, str, str], ...] = ()


def machine_dir(state_dir: Path, name: str) -> Path:
    return state_dir / "machines" / name


def view_for(spec: MachineSpec, path: str) -> str:
    matches = [v for v in spec.views if path == v or path.startswith(v.rstrip("/") + "/")]
    if not matches:
        raise ValueError(f"{spec.name}: {path} is outside the machine's views {spec.views}")
    return max(matches, key=len)


def write_machine_files(state_dir: Path, spec: MachineSpec) -> None:
    """Lay out the machine's overlay layers and its boot script (no processes are started)."""
    root = machine_dir(state_dir, spec.name)
    for view in spec.views:
        for layer in ("overlay", "upper", "work"):
            (root / layer / view.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for path, content in spec.files.items():
        view_for(spec, path)
        target = root / "overlay" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if content is WHITEOUT:
            if not target.exists():
                os.mknod(target, 0o600 | 0o020000, os.makedev(0, 0))
            continue
        target.write_text(content)
        os.chmod(target, spec.modes.get(path, 0o644))
        if path in spec.mtimes:
            os.utime(target, (spec.mtimes[path], spec.mtimes[path]))
    for path, target in spec.symlinks.items():
        view_for(spec, path)
        link = root / "overlay" / path.lstrip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(target)
    for directory in spec.opaque_dirs:
        if directory in spec.views:
            # overlayfs ignores an opaque mark on a layer's root: it would silently hide nothing.
            raise ValueError(f"{spec.name}: opaque dir {directory} is itself a view; make a parent the view")
        view_for(spec, directory)
        target = root / "overlay" / directory.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        os.setxattr(target, "trusted.overlay.opaque", b"y")
    if spec.iptables_v4 is not None:
        (root / "iptables.v4").write_text(spec.iptables_v4)
    if spec.iptables_v6 is not None:
        (root / "iptables.v6").write_text(spec.iptables_v6)
    if spec.iptables_legacy_v4 is not None:
        (root / "iptables-legacy.v4").write_text(spec.iptables_legacy_v4)
    (root / "boot.sh").write_text(boot_script(root, spec))
    (root / "services.sh").write_text(services_script(spec))


def boot_script(root: Path, spec: MachineSpec) -> str:
    """Runs as PID 1 of the machine's PID namespace, inside its network and mount namespaces."""
    lines = ["#!/bin/sh", "set -e"]
    for view in spec.views:
        rel = view.lstrip("/")
        options = (f"lowerdir={root}/overlay/{rel}:{view},upperdir={root}/upper/{rel},"
                   f"workdir={root}/work/{rel}")
        lines.append(f"mount -t overlay lab-{spec.name} -o {shlex.quote(options)} {shlex.quote(view)}")
    for fs_type, path, options in spec.mounts:
        lines.append(f"mount -t {shlex.quote(fs_type)} lab-{spec.name} -o {shlex.quote(options)} {shlex.quote(path)}")
    lines.append(f"hostname {shlex.quote(spec.name)}")
    lines.append("ip link set lo up")
    lines += [f"ip {command}" for command in spec.network_setup]
    if spec.iptables_v4 is not None:
        lines.append(f"iptables-restore < {root}/iptables.v4")
    if spec.iptables_v6 is not None:
        lines.append(f"ip6tables-restore < {root}/iptables.v6")
    if spec.iptables_legacy_v4 is not None:
        lines.append(f"iptables-legacy-restore < {root}/iptables-legacy.v4")
    lines.append("mkdir -p /run/sshd")
    # A private /tmp: machines share pid numbers (each has its own PID namespace), so programs that
    # name temporary files by pid would collide in a shared one. Mounted last: the state dir may
    # itself lie under /tmp, and nothing after this line reads it (mounted views keep their layers).
    lines.append(f"cp {root}/services.sh /run/lab-services.sh")
    lines.append("mount -t tmpfs -o mode=1777,size=256m lab-tmp /tmp")
    lines.append("exec tini -s -- /bin/sh /run/lab-services.sh")
    return "\n".join(lines) + "\n"


def services_script(spec: MachineSpec) -> str:
    lines = ["#!/bin/sh"]
    for service in spec.services:
        command = " ".join(shlex.quote(a) for a in service.argv)
        if service.user:
            command = (f"setpriv --reuid={shlex.quote(service.user)} --regid={shlex.quote(service.user)} "
                       f"--init-groups {command}")
        lines.append(f"{command} </dev/null >/dev/null 2>&1" + ("" if service.daemonizes else " &"))
        if service.pid_file and not service.daemonizes:
            lines.append(f"echo $! > {shlex.quote(service.pid_file)}")
    lines.append("exec /usr/sbin/sshd -D -e")
    return "\n".join(lines) + "\n"


def start_machine(state_dir: Path, spec: MachineSpec) -> subprocess.Popen:
    """Start the machine's init; returns the `unshare` process (its child is the machine's PID 1)."""
    root = machine_dir(state_dir, spec.name)
    log = open(root / "console.log", "ab")
    try:
        return subprocess.Popen(
            ["ip", "netns", "exec", spec.netns,
             "unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child", "--mount-proc",
             "--propagation", "private", "/bin/sh", str(root / "boot.sh")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def is_listening(pid: int, port: int) -> bool:
    """Whether the network namespace of `pid` has a TCP socket listening on `port`.

    /proc/PID/net/tcp{,6} show the table of that process's network namespace, so no process
    has to be started inside the namespace to ask.
    """
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False

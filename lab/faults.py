"""Faults injected into a running lab, for the suite's fault tests: each is made the way the real
fault looks from the auditor's side, and each returns the function that undoes it.

Machine faults act inside one machine's own namespaces (nsenter into its mount and network
namespaces, as `ip netns exec` does): a firewall rule, a file bind-mounted over another, a stopped
sshd. The simulators read a faults file on every request (lab/sim/cloudstack_api.py, lab/sim/xapi.py).
Nothing here touches the real filesystem or the root namespace's network.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable

from lab.sim.process import start_simulator, wait_ready
from lab.state import LabState

Undo = Callable[[], None]

# A stand-in for `date` that runs the real one on a clock `skew` seconds off (the real binary is
# copied to /run first, since the fake is bind-mounted over it).
SKEWED_DATE = """#!/bin/sh
now=$(/run/lab-fault-date.real +%s)
exec /run/lab-fault-date.real -d "@$((now + {skew}))" "$@"
"""
# Prints the start of a rule set, then kills its whole process group: the batch ends mid-line.
CUT_SHORT = "#!/bin/sh\nprintf '*filter\\n:INPUT ACCEPT [0:0]\\n:CLOUDSTACK-SERV'\nkill -9 0\n"
# Bytes that are not UTF-8 (and contain no marker): what a broken terminal or disk gives back.
GARBLED = "#!/bin/sh\nprintf 'State Recv-Q \\377\\376\\000\\351\\200 LISTEN \\300\\n'\n"
# Hostile machines. A GiB of output, as lines of a package listing.
GIB_OF_OUTPUT = "#!/bin/sh\nyes 'libssl3\tinstall ok installed\t3.0.11-1~deb12u2' | head -c 1073741824\n"
# A byte every 3 seconds, forever: each read gets something, the command never ends.
SLOW_DRIP = "#!/bin/sh\nwhile :; do printf .; sleep 3; done\n"
# What the batch's frames look like, old (a token from /proc/<pid>/cmdline) and new, ending the
# section being read and opening a `listening` whose only listener is on loopback.
FORGED_FRAMES = ("@end cnf_files 0\n@begin listening\n|State Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
                 "|LISTEN 0      80         127.0.0.1:3306      0.0.0.0:*\n@end listening 0\n"
                 "@@0123456789abcdef end cnf_files 0@@\n@@0123456789abcdef begin listening@@\n"
                 "LISTEN 0      80         127.0.0.1:3306      0.0.0.0:*\n@@0123456789abcdef end listening 0@@\n")
# Output that costs the auditor the most memory for its size: one character outside the BMP makes
# Python hold every character in 4 bytes, and control characters are 6 bytes each in JSON (\u0001).
# 15.5 MiB: under the default section cap (16), four of them under the unit cap (64).
COSTLY_TEXT = "#!/bin/sh\nprintf '\\360\\237\\230\\200'; head -c 16252928 /dev/zero | tr '\\0' '\\1'\n"


class LabFaults:
    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.state = LabState.load(state_dir)
        self.sim_dir = state_dir / "sim"

    def machine(self, name: str) -> dict:
        return self.state.machines[name]

    def run_in(self, name: str, script: str, stdin: str | None = None) -> str:
        """`sh -c script` inside the machine's mount, network and PID namespaces (the PID namespace
        too, so that its /proc, which umount reads, is the shell's own)."""
        unshare = self.machine(name)["pid"]
        init = Path(f"/proc/{unshare}/task/{unshare}/children").read_text().split()[0]
        done = subprocess.run(["nsenter", "-t", init, "-m", "-n", "-p", "sh", "-ec", script], input=stdin, text=True,
                              capture_output=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"{name}: {script!r} failed: {done.stderr.strip()}")
        return done.stdout

    # --- network ----------------------------------------------------------------------------
    def reject_tcp(self, name: str, port: int, reject_with: str = "tcp-reset", source: str | None = None) -> Undo:
        """The machine's port answers as a closed port (tcp-reset) or a host with no route to it
        (icmp-host-unreachable: the client's connect fails with EHOSTUNREACH)."""
        rule = ["-p", "tcp", "--dport", str(port), *(["-s", source] if source else []),
                "-j", "REJECT", "--reject-with", reject_with]
        self.run_in(name, shlex.join(["iptables", "-I", "INPUT", "1", *rule]))
        return lambda: self.run_in(name, shlex.join(["iptables", "-D", "INPUT", *rule]))

    def stop_sshd(self, name: str) -> Undo:
        """SIGSTOP the machine's sshd: the kernel still accepts TCP connections into its backlog,
        but no banner ever comes."""
        pids = self.sshd_pids(name)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)

        def undo():
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        return undo

    def sshd_pids(self, name: str) -> list[int]:
        netns = os.readlink(f"/proc/{self.machine(name)['pid']}/ns/net")
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # the listener renames itself: "sshd: /usr/sbin/sshd -D -e [listener] 0 of 10-100 startups"
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                if os.readlink(entry / "ns/net") == netns and b"/usr/sbin/sshd -D -e" in command and (
                        command.startswith(b"/usr/sbin/sshd") or b"[listener]" in command):
                    pids.append(int(entry.name))
            except OSError:
                continue
        if not pids:
            raise RuntimeError(f"{name}: no sshd found")
        return pids

    def hold_unauthenticated(self, address: str, port: int = 22, count: int = 100, rounds: int = 2000) -> Undo:
        """`count` TCP connections that sshd holds unauthenticated. At its default MaxStartups
        10:30:100 it drops new connections (writing "Exceeded MaxStartups" and closing) with a chance
        rising from 30% at 10 pending to 100% at 100, so connections are opened until `count` got
        sshd's banner; then every further connection is dropped until these close (or LoginGraceTime,
        120 s, ends them)."""
        held: list[socket.socket] = []
        for _ in range(rounds):
            fresh = [socket.create_connection((address, port), timeout=5) for _ in range(count - len(held))]
            for conn in fresh:
                try:
                    first = conn.recv(64, socket.MSG_PEEK)
                except OSError:
                    first = b""
                if first.startswith(b"SSH-"):
                    held.append(conn)   # a pending unauthenticated connection
                else:
                    conn.close()        # dropped past MaxStartups
            if len(held) >= count:
                break

        def undo():
            for conn in held:
                conn.close()
        if len(held) < count:
            undo()
            raise RuntimeError(f"{address}: sshd held only {len(held)} of {count} connections")
        return undo

    # --- files ------------------------------------------------------------------------------
    def bind_over(self, name: str, path: str, content: str | None = None, fifo: bool = False) -> Undo:
        """Bind-mount a file (an executable script, or a FIFO nobody writes to) over `path`, in the
        machine's mount namespace only."""
        stand_in = f"/run/lab-fault{path.replace('/', '-')}"
        if fifo:
            self.run_in(name, f"mkfifo {stand_in} && mount --bind {stand_in} {shlex.quote(path)}")
        else:
            self.run_in(name, f"cat > {stand_in} && chmod 755 {stand_in} && mount --bind {stand_in} "
                              f"{shlex.quote(path)}", stdin=content)

        def undo():
            self.run_in(name, f"umount -l {shlex.quote(path)}")
            if fifo:  # release a reader still blocked on it
                self.run_in(name, f"timeout 2 sh -c 'echo > {stand_in}' || true; rm -f {stand_in}")
            else:
                self.run_in(name, f"rm -f {stand_in}")
        return undo

    def append_over(self, name: str, path: str, extra: str) -> Undo:
        """The file at `path` with `extra` added at its end (a bind mount over it, as bind_over)."""
        return self.bind_over(name, path, self.run_in(name, f"cat {shlex.quote(path)}") + extra)

    def skew_clock(self, name: str, skew_seconds: int, files_glob: str) -> Undo:
        """`date` on the machine reads a clock `skew_seconds` off, and the files matching `files_glob`
        carry modification times of that clock (as files written while it was off do)."""
        self.run_in(name, "cp /usr/bin/date /run/lab-fault-date.real")
        undo_date = self.bind_over(name, "/usr/bin/date", SKEWED_DATE.format(skew=skew_seconds))
        shift = (f'for f in {files_glob}; do touch -m -d "@$(( $(stat -c %Y "$f") + {{0}} ))" "$f"; done')
        self.run_in(name, shift.format(skew_seconds))

        def undo():
            self.run_in(name, shift.format(-skew_seconds))
            undo_date()
        return undo

    # --- impostors --------------------------------------------------------------------------
    def impostor_mysql(self, name: str, source: str, plugin: str, record: Path,
                       tls: tuple[Path, Path] | None = None, switch_data: bytes = b"") -> Undo:
        """A fake MySQL server in the machine's network namespace (lab/sim/fake_mysql.py) asking for
        authentication plugin `plugin`, over TLS if given (certificate, key): every connection from
        `source` to the machine's 3306 reaches it instead of MariaDB (an iptables REDIRECT in the
        machine, so its replication peer still reaches the real server). It records what it got in `record`."""
        machine = self.machine(name)
        port = 3307
        config = {"netns": f"/run/netns/{machine['netns']}", "address": machine["address"], "port": port,
                  "plugin": plugin, "switch_data": switch_data.hex(), "record": str(record),
                  "tls": {"cert": str(tls[0]), "key": str(tls[1])} if tls else None,
                  "ready_file": str(record.with_suffix(".ready"))}
        config_path = record.with_suffix(".json")
        config_path.write_text(json.dumps(config))
        record.unlink(missing_ok=True)
        ready = Path(config["ready_file"])
        ready.unlink(missing_ok=True)
        proc = start_simulator("fake_mysql", config_path, record.with_suffix(".log"))
        if not wait_ready(proc, ready, time.monotonic() + 10):
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{name}: the impostor MySQL server did not start (see {record.with_suffix('.log')})")
        rule = ["-p", "tcp", "-s", source, "--dport", "3306", "-j", "REDIRECT", "--to-ports", str(port)]
        self.run_in(name, shlex.join(["iptables", "-t", "nat", "-I", "PREROUTING", "1", *rule]))

        def undo():
            self.run_in(name, shlex.join(["iptables", "-t", "nat", "-D", "PREROUTING", *rule]))
            proc.terminate()
            proc.wait(timeout=10)
        return undo

    # --- simulators -------------------------------------------------------------------------
    def api_faults(self, faults: dict[str, dict]) -> Undo:
        """{command: fault} for the CloudStack API simulator (its module docstring lists the modes)."""
        return self._write_faults(self.sim_dir / "cloudstack_api.faults.json", faults)

    def xapi_reset(self, addresses: list[str]) -> Undo:
        return self._write_faults(self.sim_dir / "xapi.faults.json", {"reset": addresses})

    def xapi_redirect(self, redirects: dict[str, str]) -> Undo:
        """{member address: another address}: the member answers every login with HOST_IS_SLAVE naming it."""
        return self._write_faults(self.sim_dir / "xapi.faults.json", {"redirect": redirects})

    def xapi_answers(self, answers: dict[str, dict[str, dict]]) -> Undo:
        """{address: {method or "*": fault}}: hostile answers of the XAPI simulator (its module
        docstring lists the modes)."""
        return self._write_faults(self.sim_dir / "xapi.faults.json", {"answers": answers})

    @staticmethod
    def _write_faults(path: Path, faults: dict) -> Undo:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(faults))
        tmp.replace(path)
        return lambda: path.unlink(missing_ok=True)

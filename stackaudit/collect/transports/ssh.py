"""SSH through pytest-testinfra's paramiko backend, with host keys verified against known_hosts.

testinfra's own backend accepts an unknown host key with a warning (paramiko.WarningPolicy);
here an unknown or changed key refuses the connection, and the target is reported broken.
Connection faults get one reason each: refused, no route, timed out, no SSH banner (something
accepts TCP and stays silent), host key, login. A connection that sshd closes before its banner is
retried with backoff: that is how sshd sheds a burst of unauthenticated connections (MaxStartups,
below). Output that is not UTF-8 is reported as garbled, not decoded by guesswork.
System VMs are reached through their host: a direct-tcpip channel over the host's connection,
authenticated with the key the host holds (read over SSH, kept in memory only). Their own host key
is checked by a policy the caller gives (pinned per CloudStack id: stackaudit.collect.hostkeys), or,
where the inventory says so, against known_hosts like any host.
"""
from __future__ import annotations

import functools
import io
import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko
from testinfra.backend.paramiko import ParamikoBackend
from testinfra.host import Host

from stackaudit.errors import CollectionFailed, HostKeyRejected, LoginRefused, Unreachable, UnparsableOutput

KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)
# sshd drops new connections before its banner while MaxStartups unauthenticated ones are pending
# ("Additional connections will be dropped until authentication succeeds or the LoginGraceTime
# expires for a connection", OpenSSH, sshd_config(5), MaxStartups, https://man.openbsd.org/sshd_config).
# Waits before each retry, doubling: 1.75 s in all. A burst of handshakes (each well under a second)
# is over by then, and a target that keeps dropping costs less than a connect timeout even when it
# is reached twice (a host, then its system VMs through it).
DROPPED_BEFORE_BANNER_BACKOFF = (0.25, 0.5, 1.0)
# Bytes taken from a channel at a time: paramiko holds at most a window (2 MiB) a channel has not read.
CHUNK = 1 << 16


@dataclass(frozen=True)
class OutputCap:
    """The most output one exec may give, and how a reason names it ("64 MiB (limits.ssh_unit_mib)")."""
    bytes: int
    name: str


# What an exec outside a batch may give (the key a system VM's host holds, for one), unless the
# collector says otherwise: the policy's default unit cap (stackaudit.config.policy).
DEFAULT_OUTPUT_CAP = OutputCap(64 << 20, "64 MiB (limits.ssh_unit_mib)")


class DroppedBeforeBanner(Exception):
    """sshd closed or reset the connection before sending its banner."""


class RejectUnknownHostKey(paramiko.MissingHostKeyPolicy):
    """paramiko's RejectPolicy, raising a type that says why (paramiko's says it only in its text)."""

    def __init__(self, label: str, known_hosts: Path):
        self.label, self.known_hosts = label, known_hosts

    def missing_host_key(self, client, hostname, key):
        raise HostKeyRejected(f"{self.label}: host key unknown (not in {self.known_hosts}; `stackaudit known-hosts` "
                              "prints it to verify and append)")


class VerifiedParamikoBackend(ParamikoBackend):
    def __init__(self, address: str, port: int, user: str, pkey: paramiko.PKey, known_hosts: Path | None,
                 timeout: float, sock=None, label: str | None = None, command_timeout: float = 120,
                 host_key_policy: paramiko.MissingHostKeyPolicy | None = None, connected: socket.socket | None = None,
                 output_cap: OutputCap = DEFAULT_OUTPUT_CAP):
        host = f"[{address}]" if ":" in address else address
        super().__init__(f"paramiko://{user}@{host}:{port}", timeout=int(timeout))
        self.address, self.port, self.user = address, port, user
        self.command_timeout = command_timeout      # seconds for an exec, all of it
        self.output_cap = output_cap
        self.pkey, self.known_hosts, self.sock = pkey, known_hosts, sock
        self.label = label or f"{address}:{port}"
        self.host_key_policy = host_key_policy
        # A TCP connection already made to the target (collect/pipeline.py), used by the first try
        self.connected = connected

    @functools.cached_property
    def client(self) -> paramiko.SSHClient:
        for wait in (*DROPPED_BEFORE_BANNER_BACKOFF, None):
            sock, self.connected = self.sock or self.connected, None
            try:
                return self._connect_once(sock)
            except DroppedBeforeBanner:
                if sock is not None:
                    sock.close()
                if wait is None or self.sock is not None:  # a channel socket cannot be reopened
                    break
                time.sleep(wait)
        tries = "once" if self.sock is not None else (
            f"{len(DROPPED_BEFORE_BANNER_BACKOFF) + 1} times over {sum(DROPPED_BEFORE_BANNER_BACKOFF):.1f}s")
        raise Unreachable(f"{self.label}: sshd closed the connection before its banner, {tries} "
                          "(too many unauthenticated connections: sshd's MaxStartups)")

    def _connect_once(self, sock) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        if self.host_key_policy is None:
            # this host's entries only, from known_hosts parsed once per process; paramiko then
            # prefers their key type, rejects a changed key, and asks the policy about a missing one
            name = self.address if self.port == 22 else f"[{self.address}]:{self.port}"
            for key_type, key in (known_hosts(self.known_hosts).lookup(name) or {}).items():
                client.get_host_keys().add(name, key_type, key)
        client.set_missing_host_key_policy(self.host_key_policy or RejectUnknownHostKey(self.label, self.known_hosts))
        try:
            client.connect(self.address, port=self.port, username=self.user, pkey=self.pkey, sock=sock,
                           timeout=self.timeout, banner_timeout=self.timeout, auth_timeout=self.timeout,
                           look_for_keys=False, allow_agent=False)
        except paramiko.BadHostKeyException:
            raise HostKeyRejected(f"{self.label}: host key changed (differs from {self.known_hosts}); "
                                  "verify the host and update known_hosts") from None
        except paramiko.AuthenticationException:
            raise LoginRefused(f"{self.label}: SSH login as {self.user} refused") from None
        except paramiko.SSHException as err:
            client.close()
            banner = "protocol banner" in str(err)
            if banner and isinstance(err.__context__, (EOFError, ConnectionResetError, ConnectionAbortedError)):
                raise DroppedBeforeBanner() from None
            # paramiko's start_client gives up after `timeout` without raising; its auth then finds
            # "No existing session"
            if (banner and isinstance(err.__context__, TimeoutError)) or str(err) == "No existing session":
                raise Unreachable(f"{self.label}: no SSH banner within {self.timeout:.0f}s (the port accepts TCP "
                                  "but nothing answers as sshd)") from None
            raise Unreachable(f"{self.label}: SSH failed: {err}") from None
        except (EOFError, ConnectionResetError):  # a reset during the banner, let through by paramiko
            client.close()
            raise DroppedBeforeBanner() from None
        except OSError as err:
            client.close()
            raise Unreachable(f"{self.label}: cannot connect: {connect_failure(err, self.timeout)}") from None
        return client

    def _exec_command(self, command: bytes) -> tuple[int, bytes, bytes]:
        """testinfra's (host.run), bounded like every exec here: `output_cap`, `command_timeout`."""
        return self.exec_bounded(command, b"", self.output_cap)

    def run_script(self, script: str, cap: OutputCap) -> tuple[int, bytes, bytes]:
        """`/bin/sh -s` reading `script` on its stdin: the script is on no command line of the target."""
        return self.exec_bounded(b"/bin/sh -s", script.encode(), cap)

    def exec_bounded(self, command: bytes, stdin: bytes, cap: OutputCap) -> tuple[int, bytes, bytes]:
        """(exit code, stdout, stderr) of one exec, given `stdin` and then its end; within
        `command_timeout` seconds in all (not per read: a target printing a byte now and then is cut
        off at the same time as a silent one), and at most `cap.bytes` of output (reading stops there)."""
        deadline = time.monotonic() + self.command_timeout
        try:
            channel = self.client.get_transport().open_session(timeout=min(self.timeout, self.command_timeout))
        except paramiko.SSHException as err:
            raise CollectionFailed(f"{self.label}: cannot open a session: {err}") from None
        try:
            channel.settimeout(max(deadline - time.monotonic(), 0.001))    # exec and stdin; reads: below
            channel.exec_command(command)
            if stdin:
                channel.sendall(stdin)
            channel.shutdown_write()
            return read_bounded(channel, deadline, cap.bytes, self.label, cap.name)
        except socket.timeout:
            raise CollectionFailed(f"{self.label}: command did not finish within {self.command_timeout:.0f}s "
                                   "(ssh.command_timeout)") from None
        except (paramiko.SSHException, OSError, EOFError) as err:
            raise CollectionFailed(f"{self.label}: the SSH session failed during the command: "
                                   f"{err or type(err).__name__}") from None
        finally:
            channel.close()

    def get_encoding(self) -> str:
        """UTF-8, without testinfra's extra remote `python -c` to ask the target."""
        return "utf-8"

    def decode(self, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise UnparsableOutput(f"{self.label}: garbled output: not UTF-8 text (byte 0x{data[err.start]:02x} "
                                   f"at offset {err.start})") from None

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()


def read_bounded(channel: paramiko.Channel, deadline: float, cap: int, label: str, cap_name: str
                 ) -> tuple[int, bytes, bytes]:
    """A channel's stdout and stderr until its end and exit status, by `deadline` (time.monotonic()),
    keeping at most `cap` bytes of the two together. Both are read as they come (a command writing
    much to stderr while nothing is read from it would stall otherwise); select() waits on
    paramiko's pipe, which it sets when either has data or the channel's end came."""
    stdout, stderr = bytearray(), bytearray()
    streams = ((channel.recv_ready, channel.recv, stdout), (channel.recv_stderr_ready, channel.recv_stderr, stderr))
    wake = channel.fileno()
    total = 0
    while True:
        for ready, recv, into in streams:
            while ready():
                data = recv(min(CHUNK, cap + 1 - total))
                into += data
                total += len(data)
                if total > cap:
                    raise CollectionFailed(f"{label}: output over {cap_name}; reading stopped there")
        if (channel.eof_received or channel.closed) and not channel.recv_ready() and not channel.recv_stderr_ready():
            break
        if not select.select([wake], [], [], max(deadline - time.monotonic(), 0))[0] and time.monotonic() >= deadline:
            raise socket.timeout()
    if not channel.status_event.wait(max(deadline - time.monotonic(), 0)) and not channel.closed:
        raise socket.timeout()
    return channel.exit_status, bytes(stdout), bytes(stderr)


def known_hosts(path: Path) -> paramiko.HostKeys:
    """The known_hosts file, parsed once per process while it stays unchanged.

    paramiko's SSHClient.load_host_keys parses the whole file for each connection, and its
    HostKeys.load looks every line up among the lines before it (paramiko 5.1,
    paramiko/hostkeys.py): quadratic in the file at every connection, cubic for a fleet whose
    known_hosts lists every host. The 1,000-host lab's (2,008 lines) took 0.34 s to parse, at each
    of its 1,244 connections: 420 s of one core, most of a 501 s run."""
    stat = Path(path).stat()
    return _parsed_known_hosts(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _parsed_known_hosts(path: str, _mtime_ns: int, _size: int) -> paramiko.HostKeys:
    return paramiko.HostKeys(path)


def connect_failure(err: OSError, timeout: float) -> str:
    """Why a TCP connect failed, in the kernel's words ("Connection refused", "No route to host"):
    paramiko folds them into "Unable to connect to port 22 on ..." (NoValidConnectionsError)."""
    if isinstance(err, paramiko.ssh_exception.NoValidConnectionsError) and err.errors:
        reasons = sorted({e.strerror or str(e) for e in err.errors.values()})
        return ", ".join(reasons)
    if isinstance(err, TimeoutError) and not err.strerror:
        return f"timed out after {timeout:.0f}s"
    return err.strerror or str(err) or type(err).__name__


def load_private_key(path: Path) -> paramiko.PKey:
    return private_key_from_text(path.read_text(), str(path))


def private_key_from_text(text: str, source: str) -> paramiko.PKey:
    for key_class in KEY_CLASSES:
        try:
            return key_class.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise CollectionFailed(f"{source}: not a private key paramiko can read (Ed25519, ECDSA or RSA, unencrypted)")


def connect(address: str, port: int, user: str, pkey: paramiko.PKey, known_hosts: Path, timeout: float,
            label: str | None = None, command_timeout: float = 120, connected: socket.socket | None = None,
            output_cap: OutputCap = DEFAULT_OUTPUT_CAP) -> Host:
    """An SSH session to address:port, over `connected` (a TCP connection made to it already) if given."""
    backend = VerifiedParamikoBackend(address, port, user, pkey, known_hosts, timeout, label=label,
                                      command_timeout=command_timeout, connected=connected, output_cap=output_cap)
    backend.client  # connect now, so connection errors surface here
    return Host(backend)


def read_key(host: Host, key_path_on_host: str) -> paramiko.PKey:
    """The private key a host holds for its system VMs, read over the host's connection (memory only)."""
    result = host.run("cat %s", key_path_on_host)
    if result.rc != 0:
        raise CollectionFailed(f"{host.backend.label}: cannot read {key_path_on_host} (exit {result.rc}); "
                               "it is the key that reaches the system VMs")
    return private_key_from_text(result.stdout, f"{host.backend.label}:{key_path_on_host}")


def connect_through(host: Host, address: str, port: int, user: str, key_path_on_host: str, known_hosts: Path,
                    timeout: float, label: str | None = None, command_timeout: float = 120,
                    host_key_policy: paramiko.MissingHostKeyPolicy | None = None,
                    pkey: paramiko.PKey | None = None, output_cap: OutputCap = DEFAULT_OUTPUT_CAP) -> Host:
    """A system VM behind `host`: its key is read from the host (unless given), the TCP hop is the
    host's sshd, over the host's own connection. With a host_key_policy, the VM's host key is judged
    by it alone (known_hosts is not read)."""
    pkey = pkey or read_key(host, key_path_on_host)
    label = label or f"{address}:{port} via {host.backend.label}"
    try:
        channel = host.backend.client.get_transport().open_channel(
            "direct-tcpip", (address, port), ("127.0.0.1", 0), timeout=timeout)
    except (paramiko.ChannelException, paramiko.SSHException, OSError) as err:
        raise Unreachable(f"{label}: the host could not open a connection: {err}") from None
    backend = VerifiedParamikoBackend(address, port, user, pkey, known_hosts, timeout, sock=channel, label=label,
                                      command_timeout=command_timeout, host_key_policy=host_key_policy,
                                      output_cap=output_cap)
    backend.client
    return Host(backend)

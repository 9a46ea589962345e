"""One SSH exec bounded against any answer (transports/ssh.py exec_bounded, read_bounded), and a
target's batch within its section and unit caps (collectors.run_batch, UnitBudget).

The channel is paramiko's own Channel, fed as its transport thread feeds it (in_buffer.feed, EOF,
exit status), by a thread of the test: what is read, waited for and refused is paramiko's real
buffering; only the network is left out."""
from __future__ import annotations

import re
import threading
import time

import paramiko
import pytest

from stackaudit.collect import collected, collectors
from stackaudit.collect.collected import Collected
from stackaudit.collect.transports import ssh
from stackaudit.config.policy import LimitsPolicy
from stackaudit.errors import CollectionFailed, UnparsableOutput
from tests.unit.test_batch import framed_output

MIB = 1 << 20


class FedChannel(paramiko.Channel):
    """A session channel whose remote side is `feed`: a callable run in a thread, given the channel."""

    def __init__(self, feed):
        super().__init__(1)
        self.feed, self.exec_commands, self.stdin, self.stdin_closed, self.stop = feed, [], b"", False, threading.Event()
        self.taken = 0      # bytes the reader took out of paramiko's buffers

    def recv(self, nbytes):
        data = super().recv(nbytes)
        self.taken += len(data)
        return data

    def recv_stderr(self, nbytes):
        data = super().recv_stderr(nbytes)
        self.taken += len(data)
        return data

    def exec_command(self, command):
        self.exec_commands.append(command)
        threading.Thread(target=self.feed, args=(self,), daemon=True).start()

    def sendall(self, data):
        self.stdin += data

    def shutdown_write(self):
        self.stdin_closed = True

    def close(self):
        self.stop.set()

    def finish(self, exit_status: int):
        self.exit_status = exit_status
        self.status_event.set()
        self._handle_eof(None)


class FedClient:
    def __init__(self, channel):
        self.channel = channel

    def get_transport(self):
        return self

    def open_session(self, timeout=None):
        return self.channel


def backend_with(channel, command_timeout: float = 2.0, label: str = "kvm-host://z/h") -> ssh.VerifiedParamikoBackend:
    backend = ssh.VerifiedParamikoBackend("198.18.0.10", 22, "root", None, None, 1, label=label,
                                          command_timeout=command_timeout)
    backend.__dict__["client"] = FedClient(channel)      # the cached connection
    return backend


def answer(stdout: bytes, stderr: bytes = b"", status: int = 0):
    def feed(channel):
        channel.in_buffer.feed(stdout)
        channel.in_stderr_buffer.feed(stderr)
        channel.finish(status)
    return feed


def drip(channel):
    """A byte every 0.2 s, forever (until the channel is closed)."""
    while not channel.stop.wait(0.2):
        channel.in_buffer.feed(b".")


def flood(channel):
    while not channel.stop.is_set():
        channel.in_buffer.feed(b"y\n" * 32768)
        channel.in_stderr_buffer.feed(b"e\n" * 1024)
        time.sleep(0.001)


CAP = ssh.OutputCap(MIB, "1 MiB (limits.ssh_unit_mib)")


def test_the_script_goes_on_stdin_and_the_command_line_is_only_the_shell():
    channel = FedChannel(answer(b"out", b"err", 3))
    assert backend_with(channel).run_script("echo secret-looking-text\n", CAP) == (3, b"out", b"err")
    assert channel.exec_commands == [b"/bin/sh -s"]
    assert channel.stdin == b"echo secret-looking-text\n" and channel.stdin_closed


def test_stdout_and_stderr_are_read_as_they_come_and_kept_whole():
    def feed(channel):
        for i in range(50):
            channel.in_stderr_buffer.feed(b"e" * 10000)     # stderr first: a reader of stdout alone would wait
            channel.in_buffer.feed(b"o%d\n" % i)
        channel.finish(0)
    rc, stdout, stderr = backend_with(FedChannel(feed)).exec_bounded(b"x", b"", CAP)
    assert (rc, stdout, stderr) == (0, b"".join(b"o%d\n" % i for i in range(50)), b"e" * 500000)


@pytest.mark.integration
def test_a_slow_drip_ends_at_the_deadline_of_the_whole_command():
    started = time.monotonic()
    with pytest.raises(CollectionFailed) as caught:
        backend_with(FedChannel(drip), command_timeout=1.0).exec_bounded(b"x", b"", CAP)
    assert time.monotonic() - started >= 1.0     # not before it; a per-read timeout would never end a drip
    assert str(caught.value) == "kvm-host://z/h: command did not finish within 1s (ssh.command_timeout)"


@pytest.mark.integration
def test_silence_after_the_output_until_the_deadline_is_a_timeout_too():
    def feed(channel):
        channel.in_buffer.feed(b"all of it\n")       # and neither an end nor an exit status
    with pytest.raises(CollectionFailed, match="did not finish within 1s"):
        backend_with(FedChannel(feed), command_timeout=1.0).exec_bounded(b"x", b"", CAP)


def test_endless_output_stops_at_the_cap_having_kept_no_more():
    channel = FedChannel(flood)
    with pytest.raises(CollectionFailed) as caught:
        backend_with(channel).exec_bounded(b"x", b"", CAP)
    assert str(caught.value) == "kvm-host://z/h: output over 1 MiB (limits.ssh_unit_mib); reading stopped there"
    assert channel.taken == MIB + 1
    assert channel.stop.is_set()        # the channel is closed: the target's writers get EPIPE


@pytest.mark.integration
def test_an_exit_without_output_or_status_gives_paramikos_minus_one():
    def feed(channel):
        channel._handle_eof(None)
        channel.closed = True
    assert backend_with(FedChannel(feed)).exec_bounded(b"x", b"", CAP) == (-1, b"", b"")


# --- a target's batch: sections and the unit's budget ------------------------------------------------

class BatchHost:
    """A host whose batch prints `runs` ({section: (stdout, stderr, exit code)}), framed as the shell does."""

    def __init__(self, runs, label: str = "kvm-host://z/h"):
        out, err = framed_output(runs)
        self.backend = backend_with(FedChannel(answer(out, err)), label=label)


LIMITS = LimitsPolicy(ssh_section_mib=1, ssh_unit_mib=2)


def test_a_batch_gives_its_sections_and_spends_its_size_from_the_unit():
    budget = collectors.UnitBudget(2)
    facts = collectors.run_batch(BatchHost({"a": (b"x" * 1000, b"", 0), "b": (b"", b"warn\n", 1)}),
                                 {"a": "cat a", "b": "cat b"}, "kvm-host://z/h", LIMITS, budget)
    read_at = facts["sections"]["a"]["read_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", read_at)     # UTC, as the batch started
    assert facts == {"sections": {"a": {"exit_code": 0, "stdout": "x" * 1000, "stderr": "", "used": "cat a",
                                        "read_at": read_at},
                                  "b": {"exit_code": 1, "stdout": "", "stderr": "warn\n", "used": "cat b",
                                        "read_at": read_at}}}
    assert collected.load("ssh", "b", facts) == Collected("ssh", "b", "", "cat b", read_at, 1, "warn\n")
    assert 2 * MIB - budget.left == len(b"".join(framed_output({"a": (b"x" * 1000, b"", 0),
                                                                 "b": (b"", b"warn\n", 1)})))


def test_a_section_over_its_cap_breaks_the_target_and_costs_the_unit_nothing():
    budget = collectors.UnitBudget(2)
    with pytest.raises(CollectionFailed) as caught:
        collectors.run_batch(BatchHost({"a": (b"", b"", 0), "big": (b"y" * (MIB + 1), b"", 0)}),
                             {"a": "true", "big": "cat big"}, "kvm-host://z/h", LIMITS, budget)
    assert str(caught.value) == "kvm-host://z/h: stdout of section 'big' over 1 MiB (limits.ssh_section_mib)"
    assert budget.left == 2 * MIB


def test_the_unit_cap_is_shared_by_the_batches_over_one_connection():
    budget = collectors.UnitBudget(2)
    host = {"a": (b"h" * 900_000, b"", 0), "b": (b"h" * 900_000, b"", 0)}
    collectors.run_batch(BatchHost(host), {"a": "cat a", "b": "cat b"}, "host", LIMITS, budget)
    with pytest.raises(CollectionFailed) as caught:
        collectors.run_batch(BatchHost({"a": (b"v" * 900_000, b"", 0)}, "ssvm via host"), {"a": "cat a"}, "ssvm",
                             LIMITS, budget)
    assert str(caught.value) == ("ssvm via host: output over 2 MiB (limits.ssh_unit_mib), 1.72 MiB of it taken by "
                                 "the targets read before over the same SSH connection; reading stopped there")
    small = collectors.run_batch(BatchHost({"a": (b"ok\n", b"", 0)}), {"a": "cat a"}, "router", LIMITS, budget)
    assert small["sections"]["a"]["stdout"] == "ok\n"


def test_garbled_and_forged_batches():
    forged = b"|@end a 0\n@begin listening\n|LISTEN 0 80 0.0.0.0:3306\n@end listening 0\n"
    facts = collectors.run_batch(BatchHost({"a": (forged, b"", 0), "listening": (b"", b"", 0)}),
                                 {"a": "cat a", "listening": "ss -ltn"}, "db://db1", LIMITS, collectors.UnitBudget(2))
    assert facts["sections"]["a"]["stdout"] == forged.decode() and facts["sections"]["listening"]["stdout"] == ""
    with pytest.raises(UnparsableOutput) as caught:
        collectors.run_batch(BatchHost({"a": (b"", b"", 0), "a2": (b"", b"", 0)}), {"a": "true"}, "db://db1",
                             LIMITS, collectors.UnitBudget(2))
    assert str(caught.value) == "db://db1: garbled output: stdout: unexpected section 'a2'"


def test_a_batch_that_did_not_run_says_what_the_shell_said():
    host = BatchHost({})
    host.backend = backend_with(FedChannel(answer(b"", b"sh: 1: sed: not found\n\x1b[31m", 127)))
    with pytest.raises(CollectionFailed) as caught:
        collectors.run_batch(host, {"a": "true"}, "db://db1", LIMITS, collectors.UnitBudget(2))
    assert str(caught.value) == ("db://db1: the batched commands did not run (exit 127): "
                                 "'sh: 1: sed: not found\\n\\x1b[31m'")


def test_a_session_that_breaks_during_the_command_is_one_line():
    def feed(channel):
        channel.in_buffer.feed(b"half")
    channel = FedChannel(feed)

    def broken(data):
        raise OSError("Socket is closed")
    channel.sendall = broken
    with pytest.raises(CollectionFailed) as caught:
        backend_with(channel).run_script("true\n", CAP)
    assert str(caught.value) == "kvm-host://z/h: the SSH session failed during the command: Socket is closed"
